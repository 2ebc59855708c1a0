//! Reading entry lists: one entry per line, blank lines and `#` comments
//! skipped, each normalized for its kind, duplicates merged. Pure over a
//! `BufRead`; the command layer opens files.

pub mod normalize;

pub use normalize::{normalize, Kind};

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Read};

/// Longest accepted line, in bytes. A longer line is an error, never a
/// reason to buffer gigabytes.
pub const MAX_LINE: usize = 64 * 1024;

/// Canonical entries ready for hashing, stored without a per-entry
/// allocation, with the user's own spelling kept for output.
#[derive(Default, Clone)]
pub struct Entries {
    kinds: Vec<Kind>,
    ends: Vec<usize>,
    canon: Vec<u8>,
    /// The user's spelling of each entry (first occurrence), in input order.
    pub original: Vec<String>,
    /// Line number (1-based) of each entry's first occurrence.
    pub lines: Vec<u64>,
    /// Lines skipped as invalid (`--skip-invalid`): line number and reason.
    pub skipped: Vec<(u64, &'static str)>,
    /// Lines that repeated an earlier entry.
    pub duplicates: u64,
}

/// Counts only: the entries themselves are the user's secret list.
impl std::fmt::Debug for Entries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entries")
            .field("len", &self.len())
            .field("skipped", &self.skipped.len())
            .field("duplicates", &self.duplicates)
            .finish_non_exhaustive()
    }
}

impl Entries {
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Kind and canonical bytes of entry `i`.
    pub fn get(&self, i: usize) -> (Kind, &[u8]) {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        (self.kinds[i], &self.canon[start..self.ends[i]])
    }

    fn push(&mut self, kind: Kind, canon: &str, original: String, line: u64) {
        self.kinds.push(kind);
        self.canon.extend_from_slice(canon.as_bytes());
        self.ends.push(self.canon.len());
        self.original.push(original);
        self.lines.push(line);
    }

    /// Build from (kind, canonical) pairs directly, for tests and the library.
    pub fn from_canonical<'a>(items: impl IntoIterator<Item = (Kind, &'a str)>) -> Self {
        let mut e = Entries::default();
        let mut seen = HashMap::new();
        for (n, (k, c)) in items.into_iter().enumerate() {
            if seen.insert((k, c.to_owned()), ()).is_none() {
                e.push(k, c, c.to_owned(), n as u64 + 1);
            } else {
                e.duplicates += 1;
            }
        }
        e
    }
}

/// A problem with the input list, naming the line.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("line {line}: {reason}: {shown}")]
    Invalid {
        line: u64,
        reason: &'static str,
        shown: String,
    },
    #[error("line {line} is not valid UTF-8")]
    NotUtf8 { line: u64 },
    #[error("line {line} is longer than {MAX_LINE} bytes")]
    TooLong { line: u64 },
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
}

impl crate::error::Hinted for InputError {
    fn hint(&self) -> Option<String> {
        match self {
            InputError::Invalid { .. } => Some(
                "fix or remove the line, choose another --kind, or pass --skip-invalid to count and skip such lines"
                    .into(),
            ),
            InputError::NotUtf8 { .. } => Some("save the list as UTF-8 text".into()),
            InputError::TooLong { .. } => Some("is this really a list with one entry per line?".into()),
            InputError::Io(_) => None,
        }
    }
}

/// Characters that are not control characters but still change how a
/// terminal shows the text around them: bidirectional overrides and
/// isolates, zero-width characters, the byte-order mark.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
}

/// Show at most 80 characters of untrusted text, with control and
/// invisible characters escaped, so an error message cannot rewrite the
/// terminal or reorder what it shows.
pub fn shown(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 80 {
            out.push('…');
            break;
        }
        if c.is_control() || is_invisible(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Read a list: one entry per line; blank lines and lines starting with `#`
/// are skipped; surrounding white space is trimmed except for `raw`, which
/// keeps the line exactly (without its line ending).
pub fn read_list<R: BufRead>(mut reader: R, kind: Kind, skip_invalid: bool) -> Result<Entries, InputError> {
    let mut entries = Entries::default();
    let mut seen: HashSet<(Kind, Box<str>)> = HashSet::new();
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = (&mut reader).take(MAX_LINE as u64 + 2).read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        line += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        } else if n > MAX_LINE {
            return Err(InputError::TooLong { line });
        }
        if buf.len() > MAX_LINE {
            return Err(InputError::TooLong { line });
        }
        let text = std::str::from_utf8(&buf).map_err(|_| InputError::NotUtf8 { line })?;
        let text = if line == 1 {
            text.strip_prefix('\u{feff}').unwrap_or(text)
        } else {
            text
        };
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let entry = if kind == Kind::Raw { text } else { trimmed };
        match normalize(kind, entry) {
            Ok(canon) => {
                if seen.insert((kind, canon.as_str().into())) {
                    entries.push(kind, &canon, entry.to_owned(), line);
                } else {
                    entries.duplicates += 1;
                }
            }
            Err(reason) if skip_invalid => entries.skipped.push((line, reason)),
            Err(reason) => {
                return Err(InputError::Invalid {
                    line,
                    reason,
                    shown: shown(entry),
                })
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_merges_and_skips() {
        let text = "# iocs\n\nEvil.example.\r\nevil.example\n  good.example  \nbad..x\n";
        let e = read_list(text.as_bytes(), Kind::Domain, true).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e.get(0), (Kind::Domain, &b"evil.example"[..]));
        assert_eq!(e.original, vec!["Evil.example.", "good.example"]);
        assert_eq!(e.lines, vec![3, 5]);
        assert_eq!(e.duplicates, 1);
        assert_eq!(e.skipped.len(), 1);
        assert_eq!(e.skipped[0].0, 6);
        let err = read_list(text.as_bytes(), Kind::Domain, false).unwrap_err();
        assert!(err.to_string().starts_with("line 6:"), "{err}");
    }

    #[test]
    fn long_lines_and_bad_utf8_are_errors() {
        let long = format!("a\n{}\n", "x".repeat(MAX_LINE + 1));
        assert!(matches!(
            read_list(long.as_bytes(), Kind::Raw, false),
            Err(InputError::TooLong { line: 2 })
        ));
        let bad = b"ok\n\xff\xfe\n";
        assert!(matches!(
            read_list(&bad[..], Kind::Raw, false),
            Err(InputError::NotUtf8 { line: 2 })
        ));
    }
}
