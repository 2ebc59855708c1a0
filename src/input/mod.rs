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
pub mod notlist;
pub mod preview;
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
    /// What else the input says of it, for results: values separated by
    /// `CONTEXT_SEP`, named by the keys the reader gave `Sink::columns`
    /// (a CSV row's other fields; a MISP attribute's type and event).
    pub context: Option<&'a str>,
    pub pos: Pos,
}

/// Separates the values of `Record::context`.
pub const CONTEXT_SEP: char = '\u{1f}';

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
    /// The names of the values of `Record::context` in this input (a CSV
    /// header's other fields); the first call of an input counts.
    fn columns(&mut self, _keys: &[&str]) {}
}

/// One input file of a list, and where its entries start.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, zeroize::Zeroize)]
pub struct InputFile {
    /// The file as the user named it (`-` shown as `standard input`).
    pub name: String,
    /// The format it was read as ("text", "CSV", "STIX 2.1", "MISP").
    pub format: String,
    /// Index of its first entry in the list: entries of one file follow
    /// each other, so this is all that ties an entry to its file.
    pub first: u32,
    /// The names of its entries' context values (CSV header fields).
    pub keys: Vec<String>,
}

/// A merged duplicate kept for results: another place the same entry
/// came from (another file, another CSV row, another STIX or MISP object).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, zeroize::Zeroize)]
pub struct Also {
    /// The entry it repeats.
    pub entry: u32,
    /// Index in `files`.
    pub file: u32,
    pub line: u64,
    pub source: Option<String>,
    pub context: Option<String>,
}

/// The index of the file holding entry `i` (files sorted by `first`).
pub fn file_of(files: &[InputFile], i: usize) -> Option<usize> {
    files.partition_point(|f| f.first as usize <= i).checked_sub(1)
}

/// Context values paired with their names (a missing name is `field N`).
pub fn named_context<'a>(keys: &'a [String], values: &'a str) -> Vec<(&'a str, &'a str)> {
    if values.is_empty() && keys.is_empty() {
        return Vec::new();
    }
    values
        .split(CONTEXT_SEP)
        .enumerate()
        .map(|(n, v)| (keys.get(n).map_or("field", String::as_str), v))
        .filter(|(_, v)| !v.is_empty())
        .collect()
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

/// What results need of a list once it is hashed (`Entries::take_display`).
pub struct Display {
    pub values: StrList,
    pub kinds: Vec<Kind>,
    pub sources: Vec<Option<Box<str>>>,
    pub lines: Vec<u64>,
    pub context: StrList,
    pub files: Vec<InputFile>,
    pub also: Vec<Also>,
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
    /// Context values of each entry (`Record::context`); empty when no
    /// entry has any, else one per entry.
    pub context: StrList,
    /// The input files, in reading order (empty for a list read from
    /// bytes without a name).
    pub files: Vec<InputFile>,
    /// Other places merged duplicates came from (another file, or a row
    /// or object with its own context).
    pub also: Vec<Also>,
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
    /// The input format read ("text", "CSV", "STIX 2.1", "MISP"; several
    /// inputs: "text, CSV and MISP").
    pub format: String,
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

    /// Move the user's spellings, kinds, sources and where each came
    /// from out (for the session state), leaving counts and skip reports.
    /// Like `release_canonical`, it ends the use of `get`.
    pub fn take_display(&mut self) -> Display {
        Display {
            values: std::mem::take(&mut self.original),
            kinds: self.kinds.clone(),
            sources: std::mem::take(&mut self.sources),
            lines: std::mem::take(&mut self.lines),
            context: std::mem::take(&mut self.context),
            files: std::mem::take(&mut self.files),
            also: std::mem::take(&mut self.also),
        }
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

    fn push(
        &mut self,
        kind: Kind,
        canon: &str,
        original: &str,
        line: u64,
        source: Option<&str>,
        context: Option<&str>,
    ) {
        if let Some(c) = context {
            while self.context.len() < self.kinds.len() {
                self.context.push("");
            }
            self.context.push(c);
        } else if !self.context.is_empty() {
            self.context.push("");
        }
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
                e.push(k, c, c, n as u64 + 1, None, None);
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
        self.earlier(entries, kind, canon).is_none()
    }

    /// The index of the entry (kind, canon) repeats; `None` when it is
    /// new, and then it is recorded as the next entry, which the caller
    /// must push.
    fn earlier(&mut self, entries: &Entries, kind: Kind, canon: &str) -> Option<u32> {
        let h = self.hash(kind, canon.as_bytes());
        if let Some(&i) = self
            .table
            .find(h, |&i| entries.get(i as usize) == (kind, canon.as_bytes()))
        {
            return Some(i);
        }
        let next = entries.len() as u32;
        let hasher = &self.hasher;
        self.table.insert_unique(h, next, |&i| {
            use std::hash::BuildHasher;
            let (k, c) = entries.get(i as usize);
            hasher.hash_one((k, c))
        });
        None
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
    #[error("this is {}, not a list of entries", .0.what)]
    NotAList(notlist::NotAList),
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
            InputError::NotAList(n) => Some(n.goes_to.into()),
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
    /// Local widening of one's own set (`--url-hosts`, `--expand-cidr`).
    pub widen: Widen,
}

/// Local choices that add entries to one's own set only (no agreement
/// with the peer needed): each added entry is reported against the line
/// it came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Widen {
    /// Each URL also contributes its host, as a domain or IP entry.
    pub url_hosts: bool,
    /// A CIDR range of at most this many addresses becomes its addresses.
    pub expand_cidr: Option<u64>,
}

impl ReadOptions {
    /// Detected format, `--kind auto`, refanging on, nothing widened.
    pub fn auto() -> Self {
        ReadOptions {
            format: None,
            column: None,
            kind: KindSetting::Auto,
            skip_invalid: false,
            refang: true,
            widen: Widen::default(),
        }
    }
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
    /// `NAME: ` before positions when several files are read.
    prefix: String,
    widen: Widen,
}

impl Collector {
    pub fn new(setting: KindSetting, skip_invalid: bool) -> Self {
        Collector {
            entries: Entries::default(),
            setting,
            skip_invalid,
            refang: true,
            seen: Dedupe::default(),
            prefix: String::new(),
            widen: Widen::default(),
        }
    }

    /// A collector for `opts`.
    pub fn from_options(opts: &ReadOptions) -> Self {
        let mut c = Collector::new(opts.kind, opts.skip_invalid).refanging(opts.refang);
        c.widen = opts.widen;
        c
    }

    /// Read one input into the list: `name` names it in results (and in
    /// positions, when `several` inputs make one list). Its format is
    /// `opts.format`, else detected from its own first bytes.
    pub fn read<R: BufRead>(
        &mut self,
        name: &str,
        mut reader: R,
        opts: &ReadOptions,
        several: bool,
    ) -> Result<InputFormat, InputError> {
        let head = reader.fill_buf()?;
        if let Some(n) = notlist::not_a_list(head) {
            return Err(InputError::NotAList(n));
        }
        let format = match opts.format {
            Some(f) => f,
            // With several inputs, --column is for those that are CSV.
            None if several && opts.column.is_some() => match sniff(head, false) {
                Ok(InputFormat::Text) | Err(_) if looks_csv(name, head) => InputFormat::Csv,
                Ok(f) => f,
                Err(e) => return Err(e),
            },
            None => sniff(head, opts.column.is_some())?,
        };
        if opts.column.is_some() && format != InputFormat::Csv && !several {
            return Err(InputError::Format(format!(
                "--column applies to CSV input, but this input is read as {}",
                match (opts.format, format) {
                    (None, InputFormat::Stix | InputFormat::Misp) => "JSON (STIX or MISP)",
                    _ => format.name(),
                }
            )));
        }
        self.prefix = if several { format!("{name}: ") } else { String::new() };
        self.entries.files.push(InputFile {
            name: name.to_owned(),
            format: String::new(),
            first: self.entries.len() as u32,
            keys: Vec::new(),
        });
        let format = match format {
            InputFormat::Text => {
                text::read(reader, self)?;
                InputFormat::Text
            }
            InputFormat::Csv => {
                let column = opts.column.clone().ok_or_else(|| {
                    InputError::Column("CSV input needs --column to say which field holds the entries".into())
                })?;
                csv::read(reader, &column, self)?;
                InputFormat::Csv
            }
            InputFormat::Stix | InputFormat::Misp => json::read(reader, opts.format, self)?,
        };
        if let Some(f) = self.entries.files.last_mut() {
            f.format = format.name().to_owned();
        }
        Ok(format)
    }

    /// The list read, its format named ("text", or "text, CSV and MISP").
    pub fn finish(self) -> Entries {
        let mut entries = self.entries;
        let mut names: Vec<&str> = Vec::new();
        for f in &entries.files {
            if !names.contains(&f.format.as_str()) {
                names.push(&f.format);
            }
        }
        entries.format = match names.split_last() {
            None => "text".to_owned(),
            Some((one, [])) => (*one).to_owned(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        };
        entries
    }

    /// Refang defanged entries (the default) or not.
    pub fn refanging(mut self, on: bool) -> Self {
        self.refang = on;
        self
    }
}

fn at(prefix: &str, pos: Pos, source: Option<&str>) -> String {
    match source {
        Some(s) => format!("{prefix}{pos} ({})", shown(s)),
        None => format!("{prefix}{pos}"),
    }
}

/// Whether an input read with `--column` among several is CSV: named
/// `.csv`, or its first line has a comma, semicolon or tab.
fn looks_csv(name: &str, head: &[u8]) -> bool {
    name.to_ascii_lowercase().ends_with(".csv")
        || head
            .split(|&b| b == b'\n')
            .find(|l| !l.trim_ascii().is_empty() && !l.starts_with(b"#"))
            .is_some_and(|l| l.iter().any(|b| matches!(b, b',' | b';' | b'\t')))
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
                self.entries
                    .near_miss(|| at(&self.prefix, r.pos, r.source), category, &detail);
                return Ok((Kind::Raw, value.to_owned()));
            }
        }
        let d = detect::classify(value);
        match (d.kind, d.note) {
            (Kind::Raw, Some(category)) => {
                self.entries
                    .near_miss(|| at(&self.prefix, r.pos, r.source), category, value)
            }
            (_, Some(note)) => self.entries.note(note),
            _ => {}
        }
        Ok((d.kind, d.canon))
    }

    /// With `--expand-cidr N`: a text or CSV entry that is a range of at
    /// most N addresses (`None` otherwise: it is read as usual, a near-miss
    /// or an invalid IP) becomes its addresses, each spelled `ADDRESS in RANGE`.
    fn expand(&mut self, value: &str, r: &Record<'_>) -> Option<Result<(), InputError>> {
        let max = self.widen.expand_cidr?;
        let ip_setting = matches!(self.setting, KindSetting::Auto | KindSetting::Fixed(Kind::Ip));
        if r.kind.is_some() || !ip_setting {
            return None;
        }
        let refanged = (self.refang && refang::has_marker(value))
            .then(|| refang::refang(value))
            .flatten();
        let (network, size) = cidr(refanged.as_deref().unwrap_or(value))?;
        if size > max {
            return None;
        }
        if refanged.is_some() {
            self.entries.note(REFANGED);
        }
        self.entries.note(CIDR_EXPANDED);
        for k in 0..size {
            let addr = match network {
                std::net::IpAddr::V4(a) => std::net::IpAddr::V4(u32::from(a).wrapping_add(k as u32).into()),
                std::net::IpAddr::V6(a) => std::net::IpAddr::V6(u128::from(a).wrapping_add(k as u128).into()),
            };
            let canon = addr.to_canonical().to_string();
            // Shown as the address and the range it is in, at the range's line.
            let spelled = format!("{canon} in {value}");
            if let Err(e) = self.keep_placed(Kind::Ip, &canon, &spelled, r, true) {
                return Some(Err(e));
            }
        }
        Some(Ok(()))
    }

    /// With `--url-hosts`: the host of a URL entry, as a domain or IP
    /// entry spelled as the URL (a duplicate of an entry already there is
    /// kept as another place of it).
    fn url_host(&mut self, canon: &str, value: &str, r: &Record<'_>) -> Result<(), InputError> {
        let Ok(u) = ::url::Url::parse(canon) else { return Ok(()) };
        let host = match u.host() {
            Some(::url::Host::Domain(d)) => normalize(Kind::Domain, d).ok().map(|c| (Kind::Domain, c)),
            Some(::url::Host::Ipv4(a)) => Some((Kind::Ip, a.to_string())),
            Some(::url::Host::Ipv6(a)) => Some((Kind::Ip, std::net::IpAddr::V6(a).to_canonical().to_string())),
            None => None,
        };
        match host {
            Some((kind, c)) => self.keep_placed(kind, &c, value, r, true),
            None => Ok(()),
        }
    }

    fn keep(&mut self, kind: Kind, canon: &str, value: &str, r: &Record<'_>) -> Result<(), InputError> {
        self.keep_placed(kind, canon, value, r, false)
    }

    /// `keep`; `derived` for an entry made from another (a URL's host, an
    /// address of a range): a duplicate of it is not counted as merged,
    /// and is always kept as another place of the entry it repeats.
    fn keep_placed(
        &mut self,
        kind: Kind,
        canon: &str,
        value: &str,
        r: &Record<'_>,
        derived: bool,
    ) -> Result<(), InputError> {
        // Entries are indexed with u32 (one value is a marker).
        if self.entries.len() >= SAME_AS_ORIGINAL as usize - 1 {
            return Err(InputError::Format(format!(
                "the list holds more than {} entries",
                SAME_AS_ORIGINAL - 1
            )));
        }
        match self.seen.earlier(&self.entries, kind, canon) {
            None => self
                .entries
                .push(kind, canon, value, r.pos.number(), r.source, r.context),
            Some(i) => {
                if !derived {
                    self.entries.duplicates += 1;
                }
                // Kept when it says something the first did not: another
                // file, or a row or object of its own.
                let file = self.entries.files.len().saturating_sub(1);
                let other_file = file_of(&self.entries.files, i as usize) != Some(file);
                if derived || other_file || r.source.is_some() || r.context.is_some() {
                    self.entries.also.push(Also {
                        entry: i,
                        file: file as u32,
                        line: r.pos.number(),
                        source: r.source.map(str::to_owned),
                        context: r.context.map(str::to_owned),
                    });
                }
            }
        }
        Ok(())
    }
}

/// `Entries::notes` key: URLs whose host was added (`--url-hosts`).
pub const URL_HOSTS: &str = "URLs whose host was added as a domain or IP entry (--url-hosts)";
/// `Entries::notes` key: ranges made into addresses (`--expand-cidr`).
pub const CIDR_EXPANDED: &str = "IP ranges (CIDR) compared as their addresses (--expand-cidr)";

/// `address/prefix` with a prefix shorter than a single host: the network
/// address (host bits cleared) and the number of addresses (saturating).
fn cidr(s: &str) -> Option<(std::net::IpAddr, u64)> {
    let (addr, prefix) = s.trim().split_once('/')?;
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let prefix: u32 = prefix.parse().ok()?;
    let ip: std::net::IpAddr = addr.parse().ok()?;
    let bits = if ip.is_ipv4() { 32 } else { 128 };
    if prefix >= bits {
        return None;
    }
    let host_bits = bits - prefix;
    let size = if host_bits >= 64 { u64::MAX } else { 1u64 << host_bits };
    let network = match ip {
        std::net::IpAddr::V4(a) => {
            std::net::IpAddr::V4((u32::from(a) & u32::MAX.checked_shl(host_bits).unwrap_or(0)).into())
        }
        std::net::IpAddr::V6(a) => {
            std::net::IpAddr::V6((u128::from(a) & u128::MAX.checked_shl(host_bits).unwrap_or(0)).into())
        }
    };
    Some((network, size))
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
            self.entries
                .skip(|| at(&self.prefix, r.pos, r.source), "empty values", "empty value");
            return Ok(());
        }
        if let Some(done) = self.expand(value, &r) {
            return done;
        }
        let normalized = match (r.kind, self.setting) {
            (None, KindSetting::Auto) => self.auto(value, &r),
            (None, KindSetting::Fixed(k)) => self.as_kind(k, value),
            (Some(k), KindSetting::Auto) => self.as_kind(k, value),
            (Some(k), KindSetting::Fixed(f)) if k == f => self.as_kind(k, value),
            (Some(k), KindSetting::Fixed(f)) => {
                self.entries.skip(
                    || at(&self.prefix, r.pos, r.source),
                    "entries of another kind than --kind",
                    &format!("{k}, not {f}: {value}"),
                );
                return Ok(());
            }
        };
        match normalized {
            Ok((Kind::Url, canon)) if self.widen.url_hosts && self.setting == KindSetting::Auto => {
                self.keep(Kind::Url, &canon, value, &r)?;
                self.entries.note(URL_HOSTS);
                self.url_host(&canon, value, &r)
            }
            Ok((kind, canon)) => self.keep(kind, &canon, value, &r),
            Err(Refused { reason, refanged }) => {
                let shown_value = both_spellings(value, refanged.as_deref());
                if self.skip_invalid {
                    self.entries.skip(
                        || at(&self.prefix, r.pos, r.source),
                        "invalid entries",
                        &format!("{reason}: {shown_value}"),
                    );
                    return Ok(());
                }
                Err(InputError::Invalid {
                    at: at(&self.prefix, r.pos, r.source),
                    reason,
                    shown: shown(&shown_value),
                })
            }
        }
    }

    fn unusable(&mut self, pos: Pos, source: Option<&str>, category: &'static str, detail: &str) {
        self.entries.skip(|| at(&self.prefix, pos, source), category, detail);
    }

    fn note(&mut self, what: &'static str) {
        self.entries.note(what);
    }

    fn columns(&mut self, keys: &[&str]) {
        if let Some(f) = self.entries.files.last_mut() {
            if f.keys.is_empty() {
                f.keys = keys.iter().map(|k| (*k).to_owned()).collect();
            }
        }
    }
}

/// Read a list in any supported format into `Entries`.
pub fn read_entries<R: BufRead>(reader: R, opts: &ReadOptions) -> Result<Entries, InputError> {
    let mut sink = Collector::from_options(opts);
    sink.read("", reader, opts, false)?;
    Ok(sink.finish())
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
            widen: Default::default(),
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
    fn widening_adds_hosts_and_addresses_placed_at_their_line() {
        let opts = ReadOptions {
            widen: Widen {
                url_hosts: true,
                expand_cidr: Some(16),
            },
            ..ReadOptions::auto()
        };
        let text = "evil.example\nhxxps://evil[.]example/path\n192.0.2.16/28\n10.0.0.0/8\n0.0.0.0/0\n::/0\nhttp://[2001:db8::1]/\n";
        let e = read_entries(text.as_bytes(), &opts).unwrap();
        let found = |k: Kind, c: &str| (0..e.len()).find(|&i| e.get(i) == (k, c.as_bytes()));
        assert_eq!(found(Kind::Domain, "evil.example"), Some(0));
        assert!(found(Kind::Url, "https://evil.example/path").is_some());
        // The host repeats line 1: kept as another place of it, not a merged duplicate.
        assert_eq!(e.duplicates, 0);
        assert_eq!(e.also.len(), 1);
        assert_eq!((e.also[0].entry, e.also[0].line), (0, 2));
        let inside = found(Kind::Ip, "192.0.2.20").unwrap();
        assert_eq!(
            (e.original.get(inside), e.lines[inside]),
            ("192.0.2.20 in 192.0.2.16/28", 3)
        );
        assert!(found(Kind::Ip, "192.0.2.31").is_some() && found(Kind::Ip, "192.0.2.32").is_none());
        assert_eq!(
            e.near_miss_counts[detect::NEAR_CIDR],
            3,
            "larger ranges stay near-misses"
        );
        assert!(found(Kind::Ip, "2001:db8::1").is_some());
        assert_eq!(e.notes[CIDR_EXPANDED], 1);
        assert_eq!(e.notes[URL_HOSTS], 2);
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
