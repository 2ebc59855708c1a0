//! Reading entry lists. Readers (`text`, `csv`, `json` for STIX 2.1 and
//! MISP) turn a byte stream into [`Record`]s pushed to a [`Sink`]; the
//! [`Collector`] sink normalizes each record for its kind (named by the
//! input, fixed by `--kind`, or detected per entry with `--kind auto`),
//! merges duplicates and counts what it skipped. Pure over a `BufRead`; the
//! command layer opens files.

pub mod csv;
pub mod detect;
pub mod json;
pub mod misp;
pub mod normalize;
pub mod refang;
pub mod stix;
pub mod text;
pub mod url;

pub use detect::{detect, sniff, InputFormat, KindSetting};
pub use normalize::{normalize, Kind};

use std::collections::BTreeMap;
use std::fmt;
use std::io::BufRead;

/// Longest accepted line, in bytes. A longer line is an error, never a
/// reason to buffer gigabytes.
pub const MAX_LINE: usize = 64 * 1024;

/// Skipped entries kept for `--verbose`; beyond this only counts are kept.
pub const MAX_SKIP_DETAILS: usize = 10_000;

/// Where a record sits in its input, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pos {
    /// 1-based line (text) or line where the record starts (CSV).
    Line(u64),
    /// 1-based number of an item in a JSON list, e.g. `("Event.Attribute", 3)`.
    Item(&'static str, u64),
}

impl Pos {
    /// The number stored in `Entries::lines`.
    pub fn number(self) -> u64 {
        match self {
            Pos::Line(n) | Pos::Item(_, n) => n,
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pos::Line(n) => write!(f, "line {n}"),
            Pos::Item(list, n) => write!(f, "{list} #{n}"),
        }
    }
}

/// One candidate entry as a reader found it.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// The value as written in the input (not trimmed).
    pub value: &'a str,
    /// The kind the input names (STIX, MISP), or `None` (text, CSV).
    pub kind: Option<Kind>,
    /// The id of the object it came from (STIX id, MISP attribute uuid).
    pub source: Option<&'a str>,
    pub pos: Pos,
}

/// Where readers push what they find.
pub trait Sink {
    /// A candidate entry.
    fn record(&mut self, r: Record<'_>) -> Result<(), InputError>;
    /// Something in the input that looks like an indicator but cannot be
    /// compared (a STIX pattern with AND, a MISP type cosect does not
    /// compare, ...): counted under `category`, never silently dropped.
    fn unusable(&mut self, pos: Pos, source: Option<&str>, category: &'static str, detail: &str);
    /// An entry passed on after an adjustment the summary counts (a MISP
    /// composite split into its parts).
    fn note(&mut self, _what: &'static str) {}
}

/// `Entries::notes` key: entries that were refanged.
pub const REFANGED: &str = "refanged";

/// An entry that was not compared, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Position (and source id) in the input.
    pub at: String,
    /// A short category, also the key of `Entries::skip_counts`.
    pub category: &'static str,
    pub detail: String,
}

/// Strings stored in one buffer with their end offsets: no allocation per
/// string, which matters for lists of millions of entries.
#[derive(Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, zeroize::Zeroize)]
pub struct StrList {
    buf: String,
    #[serde(with = "crate::serde_le::u64s")]
    ends: Vec<u64>,
}

impl std::fmt::Debug for StrList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl StrList {
    pub fn push(&mut self, s: &str) {
        self.buf.push_str(s);
        self.ends.push(self.buf.len() as u64);
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// String `i`; empty if `i` is out of range or the offsets are damaged
    /// (a list read back from storage is never trusted to index blindly).
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).copied().unwrap_or(0)
        };
        let end = self.ends.get(i).copied().unwrap_or(start);
        self.buf.get(start as usize..end as usize).unwrap_or("")
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl std::ops::Index<usize> for StrList {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        self.get(i)
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for StrList {
    fn eq(&self, other: &Vec<S>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

/// Marks an entry whose canonical form is its spelling.
const SAME_AS_ORIGINAL: u32 = u32::MAX;

/// Canonical entries ready for hashing, stored without a per-entry
/// allocation, with the user's own spelling kept for output.
#[derive(Default, Clone)]
pub struct Entries {
    kinds: Vec<Kind>,
    /// For each entry, where its canonical form is: `SAME_AS_ORIGINAL`
    /// when it equals the user's spelling (the common case, stored once),
    /// else its index in `canon`.
    canon_idx: Vec<u32>,
    /// The canonical forms that differ from their spelling.
    canon: StrList,
    /// Source ids (STIX id, MISP uuid); empty when no entry has one.
    sources: Vec<Option<Box<str>>>,
    /// The user's spelling of each entry (first occurrence), in input order.
    pub original: StrList,
    /// Line number (text, CSV) or item number (JSON), 1-based, of each
    /// entry's first occurrence.
    pub lines: Vec<u64>,
    /// Entries not compared, with position and reason (the first
    /// `MAX_SKIP_DETAILS`; `skip_counts` has them all).
    pub skipped: Vec<Skipped>,
    /// Number of entries not compared, by category.
    pub skip_counts: BTreeMap<&'static str, u64>,
    /// Entries that repeated an earlier entry.
    pub duplicates: u64,
    /// Entries compared after an adjustment, by what was done (`REFANGED`,
    /// a port dropped, a MISP composite split): counted, not listed.
    pub notes: BTreeMap<&'static str, u64>,
    /// Entries compared as `raw` that look like an indicator but are not a
    /// valid one, by the indicator they look like (`detect::NEAR_*`).
    pub near_miss_counts: BTreeMap<&'static str, u64>,
    /// The first `MAX_SKIP_DETAILS` near-misses, with position, for `--verbose`.
    pub near_misses: Vec<Skipped>,
    /// The input format read ("text", "CSV", "STIX 2.1", "MISP").
    pub format: &'static str,
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

    /// Kind of entry `i`.
    pub fn kind(&self, i: usize) -> Kind {
        self.kinds[i]
    }

    /// Free the canonical bytes once they are hashed: only the kinds and
    /// the user's spellings are needed after that. `get` must not be
    /// called afterwards.
    pub fn release_canonical(&mut self) {
        self.canon = StrList::default();
        self.canon_idx = Vec::new();
    }

    /// Move the user's spellings, kinds and sources out (for the session
    /// state), leaving counts and skip reports. Like `release_canonical`,
    /// it ends the use of `get`.
    pub fn take_display(&mut self) -> (StrList, Vec<Kind>, Vec<Option<Box<str>>>) {
        (
            std::mem::take(&mut self.original),
            self.kinds.clone(),
            std::mem::take(&mut self.sources),
        )
    }

    /// Kind and canonical bytes of entry `i`.
    pub fn get(&self, i: usize) -> (Kind, &[u8]) {
        let canon = match self.canon_idx[i] {
            SAME_AS_ORIGINAL => self.original.get(i),
            j => self.canon.get(j as usize),
        };
        (self.kinds[i], canon.as_bytes())
    }

    /// The source id of entry `i`, if its input named one.
    pub fn source(&self, i: usize) -> Option<&str> {
        self.sources.get(i).and_then(|s| s.as_deref())
    }

    /// Number of entries of each kind, in `Kind::ALL` order.
    pub fn count_by_kind(&self) -> [u64; Kind::ALL.len()] {
        let mut n = [0u64; Kind::ALL.len()];
        for k in &self.kinds {
            n[*k as usize] += 1;
        }
        n
    }

    /// Total number of entries skipped.
    pub fn skipped_total(&self) -> u64 {
        self.skip_counts.values().sum()
    }

    fn push(&mut self, kind: Kind, canon: &str, original: &str, line: u64, source: Option<&str>) {
        if let Some(s) = source {
            if self.sources.len() < self.kinds.len() {
                self.sources.resize(self.kinds.len(), None);
            }
            self.sources.push(Some(s.into()));
        } else if !self.sources.is_empty() {
            self.sources.push(None);
        }
        self.kinds.push(kind);
        if canon == original {
            self.canon_idx.push(SAME_AS_ORIGINAL);
        } else {
            self.canon_idx.push(self.canon.len() as u32);
            self.canon.push(canon);
        }
        self.original.push(original);
        self.lines.push(line);
    }

    fn note(&mut self, what: &'static str) {
        *self.notes.entry(what).or_default() += 1;
    }

    fn near_miss(&mut self, at: impl FnOnce() -> String, category: &'static str, detail: &str) {
        tally(&mut self.near_miss_counts, &mut self.near_misses, at, category, detail);
    }

    fn skip(&mut self, at: impl FnOnce() -> String, category: &'static str, detail: &str) {
        tally(&mut self.skip_counts, &mut self.skipped, at, category, detail);
    }

    /// Build from (kind, canonical) pairs directly, for tests and the library.
    pub fn from_canonical<'a>(items: impl IntoIterator<Item = (Kind, &'a str)>) -> Self {
        let mut e = Entries::default();
        let mut seen = Dedupe::default();
        for (n, (k, c)) in items.into_iter().enumerate() {
            if seen.is_new(&e, k, c) {
                e.push(k, c, c, n as u64 + 1, None);
            } else {
                e.duplicates += 1;
            }
        }
        e
    }
}

/// Count one entry under `category`, and keep where it is and what it is
/// for `--verbose` (the first `MAX_SKIP_DETAILS`).
fn tally(
    counts: &mut BTreeMap<&'static str, u64>,
    details: &mut Vec<Skipped>,
    at: impl FnOnce() -> String,
    category: &'static str,
    detail: &str,
) {
    *counts.entry(category).or_default() += 1;
    if details.len() < MAX_SKIP_DETAILS {
        details.push(Skipped {
            at: at(),
            category,
            detail: shown(detail),
        });
    }
}

/// Finds duplicates among the entries already collected: a table of entry
/// indices hashed by (kind, canonical bytes), compared against the entries
/// themselves, so no second copy of any entry is kept.
#[derive(Default)]
struct Dedupe {
    table: hashbrown::HashTable<u32>,
    hasher: std::collections::hash_map::RandomState,
}

impl Dedupe {
    fn hash(&self, kind: Kind, canon: &[u8]) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one((kind, canon))
    }

    /// Whether (kind, canon) is not among `entries` yet; if so it is
    /// recorded as the next entry, which the caller must push.
    fn is_new(&mut self, entries: &Entries, kind: Kind, canon: &str) -> bool {
        let h = self.hash(kind, canon.as_bytes());
        if self
            .table
            .find(h, |&i| entries.get(i as usize) == (kind, canon.as_bytes()))
            .is_some()
        {
            return false;
        }
        let next = entries.len() as u32;
        let hasher = &self.hasher;
        self.table.insert_unique(h, next, |&i| {
            use std::hash::BuildHasher;
            let (k, c) = entries.get(i as usize);
            hasher.hash_one((k, c))
        });
        true
    }
}

/// A problem with the input list, naming the line or item.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{at}: {reason}: {shown}")]
    Invalid {
        at: String,
        reason: &'static str,
        shown: String,
    },
    #[error("line {line} is not valid UTF-8")]
    NotUtf8 { line: u64 },
    #[error("line {line} is longer than {MAX_LINE} bytes")]
    TooLong { line: u64 },
    #[error("invalid JSON at line {line}, column {column}: {msg}")]
    Json { line: usize, column: usize, msg: String },
    #[error("invalid CSV at line {line}: {msg}")]
    Csv { line: u64, msg: String },
    #[error("{0}")]
    Column(String),
    #[error("{0}")]
    Format(String),
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
}

impl crate::error::Hinted for InputError {
    fn hint(&self) -> Option<String> {
        match self {
            InputError::Invalid { .. } => Some(
                "fix or remove the entry, choose another --kind, or pass --skip-invalid to count and skip such entries"
                    .into(),
            ),
            InputError::NotUtf8 { .. } => Some("save the list as UTF-8 text".into()),
            InputError::TooLong { .. } => Some("is this really a list with one entry per line?".into()),
            InputError::Json { .. } => {
                Some("the file must be a complete STIX 2.1 bundle or MISP JSON export; check the export".into())
            }
            InputError::Csv { .. } => Some(
                "the file must be CSV with one record per line (fields with commas or quotes in double quotes)".into(),
            ),
            InputError::Column(_) => {
                Some("name a header field with --column NAME, or the field number (from 1) with --column N".into())
            }
            InputError::Format(_) => {
                Some("name the format with --input-format text|csv|stix|misp (CSV needs --column)".into())
            }
            InputError::Io(_) => None,
        }
    }
}

pub use crate::text::{is_invisible, shown};

/// How to read a list.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// `None`: detect from the content.
    pub format: Option<InputFormat>,
    /// The CSV column (`--column`); implies CSV when the format is detected.
    pub column: Option<csv::Column>,
    pub kind: KindSetting,
    pub skip_invalid: bool,
    /// Refang defanged entries (`evil[.]example`); off with `--no-refang`.
    pub refang: bool,
}

/// The sink that builds `Entries`: refangs and normalizes each record for
/// its kind, merges duplicates, counts and (up to a limit) records what it
/// skipped and what it compared as a near-miss.
pub struct Collector {
    pub entries: Entries,
    setting: KindSetting,
    skip_invalid: bool,
    refang: bool,
    seen: Dedupe,
}

impl Collector {
    pub fn new(setting: KindSetting, skip_invalid: bool) -> Self {
        Collector {
            entries: Entries::default(),
            setting,
            skip_invalid,
            refang: true,
            seen: Dedupe::default(),
        }
    }

    /// Refang defanged entries (the default) or not.
    pub fn refanging(mut self, on: bool) -> Self {
        self.refang = on;
        self
    }
}

fn at(pos: Pos, source: Option<&str>) -> String {
    match source {
        Some(s) => format!("{pos} ({})", shown(s)),
        None => pos.to_string(),
    }
}

/// Why an entry is not valid for its kind, with its refanged spelling
/// when it was refanged.
struct Refused {
    reason: normalize::Invalid,
    refanged: Option<String>,
}

/// `entry (refanged: refanged)`, or the entry alone.
fn both_spellings(value: &str, refanged: Option<&str>) -> String {
    match refanged {
        Some(f) => format!("{value} (refanged: {f})"),
        None => value.to_owned(),
    }
}

impl Collector {
    /// An entry of a known kind (named by the input or fixed by `--kind`).
    fn as_kind(&mut self, kind: Kind, value: &str) -> Result<(Kind, String), Refused> {
        if self.refang && kind.refangs() && refang::has_marker(value) {
            if let Some(f) = refang::refang(value) {
                return match self.normalize_kind(kind, &f) {
                    Ok(c) => {
                        self.entries.note(REFANGED);
                        Ok((kind, c))
                    }
                    Err(reason) => Err(Refused {
                        reason,
                        refanged: Some(f),
                    }),
                };
            }
        }
        let c = self
            .normalize_kind(kind, value)
            .map_err(|reason| Refused { reason, refanged: None })?;
        Ok((kind, c))
    }

    /// `normalize`, with an IP's port or /32 prefix dropped and counted.
    fn normalize_kind(&mut self, kind: Kind, value: &str) -> Result<String, normalize::Invalid> {
        match normalize(kind, value) {
            Err(e) if kind == Kind::Ip => match detect::as_ip(value.trim()) {
                Some((_, c, note)) => {
                    note.into_iter().for_each(|n| self.entries.note(n));
                    Ok(c)
                }
                None => Err(e),
            },
            r => r,
        }
    }

    /// An entry under `--kind auto`: refanged when that makes it an
    /// indicator, else detected; a near-miss is counted and kept as raw.
    fn auto(&mut self, value: &str, r: &Record<'_>) -> Result<(Kind, String), Refused> {
        let refanged = refang::has_marker(value).then(|| refang::refang(value)).flatten();
        if let Some(f) = refanged {
            let d = detect::classify(&f);
            if d.kind != Kind::Raw && !self.refang {
                return Err(Refused {
                    reason: "a defanged indicator, and --no-refang is given",
                    refanged: Some(f),
                });
            }
            if self.refang {
                if d.kind != Kind::Raw {
                    self.entries.note(REFANGED);
                    d.note.into_iter().for_each(|n| self.entries.note(n));
                    return Ok((d.kind, d.canon));
                }
                let category = d.note.unwrap_or(NEAR_DEFANGED);
                let detail = both_spellings(value, Some(&f));
                self.entries.near_miss(|| at(r.pos, r.source), category, &detail);
                return Ok((Kind::Raw, value.to_owned()));
            }
        }
        let d = detect::classify(value);
        match (d.kind, d.note) {
            (Kind::Raw, Some(category)) => self.entries.near_miss(|| at(r.pos, r.source), category, value),
            (_, Some(note)) => self.entries.note(note),
            _ => {}
        }
        Ok((d.kind, d.canon))
    }

    fn keep(&mut self, kind: Kind, canon: &str, value: &str, r: &Record<'_>) -> Result<(), InputError> {
        // Entries are indexed with u32 (one value is a marker).
        if self.entries.len() >= SAME_AS_ORIGINAL as usize - 1 {
            return Err(InputError::Format(format!(
                "the list holds more than {} entries",
                SAME_AS_ORIGINAL - 1
            )));
        }
        if self.seen.is_new(&self.entries, kind, canon) {
            self.entries.push(kind, canon, value, r.pos.number(), r.source);
        } else {
            self.entries.duplicates += 1;
        }
        Ok(())
    }
}

/// Near-miss category of a defanged entry that is no indicator even
/// refanged, and looks like none of the other near-misses.
pub const NEAR_DEFANGED: &str = "are defanged but not valid after refanging";

impl Sink for Collector {
    fn record(&mut self, r: Record<'_>) -> Result<(), InputError> {
        // `--kind raw` keeps a line exactly; everything else is trimmed.
        let value = if r.kind.is_none() && self.setting == KindSetting::Fixed(Kind::Raw) {
            r.value
        } else {
            r.value.trim()
        };
        if value.is_empty() {
            self.entries.skip(|| at(r.pos, r.source), "empty values", "empty value");
            return Ok(());
        }
        let normalized = match (r.kind, self.setting) {
            (None, KindSetting::Auto) => self.auto(value, &r),
            (None, KindSetting::Fixed(k)) => self.as_kind(k, value),
            (Some(k), KindSetting::Auto) => self.as_kind(k, value),
            (Some(k), KindSetting::Fixed(f)) if k == f => self.as_kind(k, value),
            (Some(k), KindSetting::Fixed(f)) => {
                self.entries.skip(
                    || at(r.pos, r.source),
                    "entries of another kind than --kind",
                    &format!("{k}, not {f}: {value}"),
                );
                return Ok(());
            }
        };
        match normalized {
            Ok((kind, canon)) => self.keep(kind, &canon, value, &r),
            Err(Refused { reason, refanged }) => {
                let shown_value = both_spellings(value, refanged.as_deref());
                if self.skip_invalid {
                    self.entries.skip(
                        || at(r.pos, r.source),
                        "invalid entries",
                        &format!("{reason}: {shown_value}"),
                    );
                    return Ok(());
                }
                Err(InputError::Invalid {
                    at: at(r.pos, r.source),
                    reason,
                    shown: shown(&shown_value),
                })
            }
        }
    }

    fn unusable(&mut self, pos: Pos, source: Option<&str>, category: &'static str, detail: &str) {
        self.entries.skip(|| at(pos, source), category, detail);
    }

    fn note(&mut self, what: &'static str) {
        self.entries.note(what);
    }
}

/// Read a list in any supported format into `Entries`.
pub fn read_entries<R: BufRead>(mut reader: R, opts: &ReadOptions) -> Result<Entries, InputError> {
    let format = match opts.format {
        Some(f) => f,
        None => sniff(reader.fill_buf()?, opts.column.is_some())?,
    };
    if opts.column.is_some() && format != InputFormat::Csv {
        return Err(InputError::Format(format!(
            "--column applies to CSV input, but this input is read as {}",
            match (opts.format, format) {
                (None, InputFormat::Stix | InputFormat::Misp) => "JSON (STIX or MISP)",
                _ => format.name(),
            }
        )));
    }
    let mut sink = Collector::new(opts.kind, opts.skip_invalid).refanging(opts.refang);
    let format = match format {
        InputFormat::Text => {
            text::read(reader, &mut sink)?;
            InputFormat::Text
        }
        InputFormat::Csv => {
            let column = opts.column.clone().ok_or_else(|| {
                InputError::Column("CSV input needs --column to say which field holds the entries".into())
            })?;
            csv::read(reader, &column, &mut sink)?;
            InputFormat::Csv
        }
        InputFormat::Stix | InputFormat::Misp => json::read(reader, opts.format, &mut sink)?,
    };
    let mut entries = sink.entries;
    entries.format = format.name();
    Ok(entries)
}

/// Read a plain list (one entry per line) with one fixed kind.
pub fn read_list<R: BufRead>(reader: R, kind: Kind, skip_invalid: bool) -> Result<Entries, InputError> {
    read_entries(
        reader,
        &ReadOptions {
            format: Some(InputFormat::Text),
            column: None,
            kind: KindSetting::Fixed(kind),
            skip_invalid,
            refang: true,
        },
    )
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
        assert_eq!(e.skipped[0].at, "line 6");
        assert_eq!(e.skip_counts["invalid entries"], 1);
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

    #[test]
    fn str_list_stores_in_one_buffer_and_never_panics_on_damage() {
        let mut l = StrList::default();
        for s in ["a", "", "bücher", "x y"] {
            l.push(s);
        }
        assert_eq!(l.len(), 4);
        assert_eq!(l.iter().collect::<Vec<_>>(), vec!["a", "", "bücher", "x y"]);
        assert_eq!(l.get(9), "");
        // Offsets read back from storage may be damaged: out of range,
        // decreasing, or inside a UTF-8 sequence. Every lookup is safe.
        #[derive(serde::Serialize)]
        struct Raw {
            buf: &'static str,
            #[serde(with = "crate::serde_le::u64s")]
            ends: Vec<u64>,
        }
        let mut bytes = Vec::new();
        ciborium::into_writer(
            &Raw {
                buf: "bücher",
                ends: vec![2, 1, 99, 3],
            },
            &mut bytes,
        )
        .unwrap();
        let bad: StrList = ciborium::from_reader(&bytes[..]).unwrap();
        assert_eq!(bad.iter().collect::<Vec<_>>(), vec!["", "", "", ""]);
    }
}
