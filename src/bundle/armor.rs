//! Lenient reading of age's ASCII armor as mail leaves it: quoted with
//! `> ` (any depth), indented, with trailing white space or CRLF,
//! re-wrapped at any width, or with other text around it. Only white space
//! and `>` are skipped between the BEGIN and END lines; anything else is
//! refused. The decoded bytes are checked strictly after this (age header
//! and MAC, then the signature), so leniency here cannot let altered
//! bytes through.

use base64::Engine as _;

/// The armor's first line, as age writes it.
pub const BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
const END: &str = "-----END AGE ENCRYPTED FILE-----";

/// Why armored text was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ArmorError {
    /// A BEGIN line with no END line after it.
    NoEnd,
    /// An END line with no BEGIN line before it.
    NoBegin,
    /// Something other than base64, white space or `>` between the lines,
    /// or base64 that does not decode (line number of the BEGIN line).
    Damaged(String),
    /// Several armored blocks (line numbers of their BEGIN lines).
    Several(Vec<usize>),
}

impl std::fmt::Display for ArmorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArmorError::NoEnd => write!(f, "the armored text has a BEGIN line but no END line: it was cut short"),
            ArmorError::NoBegin => write!(
                f,
                "the armored text has an END line but no BEGIN line: its start was lost"
            ),
            ArmorError::Damaged(why) => write!(f, "the armored text is damaged: {why}"),
            ArmorError::Several(lines) => {
                let at: Vec<String> = lines.iter().map(|l| format!("line {l}")).collect();
                write!(f, "it holds {} armored bundles (at {})", lines.len(), at.join(", "))
            }
        }
    }
}

/// Whether a byte is dropped from armored text: white space (including
/// CR) and the `>` of quoting.
fn skipped(b: u8) -> bool {
    b.is_ascii_whitespace() || b == b'>'
}

/// `text` without white space and `>`, so that markers and base64 survive
/// quoting and re-wrapping.
fn compact(text: &[u8]) -> Vec<u8> {
    text.iter().copied().filter(|b| !skipped(*b)).collect()
}

fn marker(m: &str) -> Vec<u8> {
    compact(m.as_bytes())
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Whether `text` holds (the start of) an armored age file.
pub fn contains_armor(text: &[u8]) -> bool {
    find(&compact(text), &marker(BEGIN), 0).is_some()
}

/// The line numbers (from 1) of lines holding the BEGIN marker.
fn begin_lines(text: &[u8]) -> Vec<usize> {
    text.split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, l)| find(&compact(l), &marker(BEGIN), 0).is_some())
        .map(|(i, _)| i + 1)
        .collect()
}

/// The one armored age file in `text`, decoded to binary age bytes;
/// `Ok(None)` when `text` holds no BEGIN line.
pub fn decode(text: &[u8]) -> Result<Option<Vec<u8>>, ArmorError> {
    let c = compact(text);
    let (begin, end) = (marker(BEGIN), marker(END));
    let Some(start) = find(&c, &begin, 0) else {
        return match find(&c, &end, 0) {
            Some(_) => Err(ArmorError::NoBegin),
            None => Ok(None),
        };
    };
    let body_start = start + begin.len();
    let stop = find(&c, &end, body_start).ok_or(ArmorError::NoEnd)?;
    if find(&c, &begin, stop).is_some() {
        let mut lines = begin_lines(text);
        if lines.len() < 2 {
            lines = vec![0, 0];
        }
        return Err(ArmorError::Several(lines));
    }
    let body = &c[body_start..stop];
    if let Some(bad) = body
        .iter()
        .find(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
    {
        let shown = crate::text::shown(&String::from_utf8_lossy(&[*bad]));
        return Err(ArmorError::Damaged(format!(
            "it holds a character that is not base64 ({shown})"
        )));
    }
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map(Some)
        .map_err(|_| ArmorError::Damaged("its base64 does not decode (lines lost or cut short)".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn armored() -> (age::x25519::Identity, Vec<u8>, Vec<u8>) {
        let id = age::x25519::Identity::generate();
        let asc = crate::bundle::envelope::encrypt(b"bundle bytes", &id.to_public(), true);
        let mut bin = Vec::new();
        std::io::Read::read_to_end(&mut age::armor::ArmoredReader::new(&asc[..]), &mut bin).unwrap();
        (id, bin, asc)
    }

    fn rewrap(asc: &[u8], width: usize) -> String {
        let s = String::from_utf8(asc.to_vec()).unwrap();
        let mut out = String::new();
        for line in s.lines() {
            if line.starts_with("-----") {
                out.push_str(line);
                out.push('\n');
            } else {
                for chunk in line.as_bytes().chunks(width) {
                    out.push_str(std::str::from_utf8(chunk).unwrap());
                    out.push('\n');
                }
            }
        }
        out
    }

    #[test]
    fn mangled_armor_decodes_to_the_binary_file() {
        let (_, bin, asc) = armored();
        let text = String::from_utf8(asc.clone()).unwrap();
        let quoted: String = text.lines().map(|l| format!("> > {l}  \r\n")).collect();
        let indented: String = text.lines().map(|l| format!("    {l}\t\n")).collect();
        let around = format!("Hi Bob,\n\nhere it is:\n\n{text}\n-- \nAlice\n");
        for t in [text, quoted, indented, around, rewrap(&asc, 76), rewrap(&asc, 13)] {
            assert_eq!(decode(t.as_bytes()).unwrap().unwrap(), bin, "{t}");
        }
    }

    #[test]
    fn damaged_armor_is_named() {
        let (_, _, asc) = armored();
        let text = String::from_utf8(asc).unwrap();
        let cut = &text[..text.len() - 40];
        assert_eq!(decode(cut.as_bytes()), Err(ArmorError::NoEnd));
        let bad = text.replacen("-----\n", "-----\n*", 1);
        assert!(matches!(decode(bad.as_bytes()), Err(ArmorError::Damaged(_))));
        let two = format!("{text}\n{text}");
        assert!(matches!(decode(two.as_bytes()), Err(ArmorError::Several(v)) if v.len() == 2 && v[0] == 1));
        assert_eq!(decode(b"just some text"), Ok(None));
        let headless = text.replacen("BEGIN", "BEGUN", 1);
        assert_eq!(decode(headless.as_bytes()), Err(ArmorError::NoBegin));
    }
}
