//! Rendering results: text, JSON or CSV, and for the field's tools a STIX
//! 2.1 bundle (`stix`) or a MISP event (`misp`). Pure: returns bytes.

pub mod misp;
pub mod stix;
mod tools;

use serde::Serialize;

pub use stix::Sighted;
#[cfg(test)]
pub use tools::test_who;
pub use tools::{canonical, Party, Rendered, Unfit, Whence, Who};

/// Output format of `finish`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// One entry a line, as you wrote it
    #[default]
    Text,
    /// The report as one JSON object
    Json,
    /// RFC 4180 CSV: kind, value (and source, label)
    Csv,
    /// A STIX 2.1 bundle: an indicator and a sighting per shared entry
    Stix,
    /// A MISP event (JSON) with one attribute per shared entry
    Misp,
}

impl Format {
    /// Whether the format lists entries, so that a count alone (a
    /// cardinality session) cannot fill it.
    pub fn needs_entries(self) -> bool {
        matches!(self, Format::Stix | Format::Misp)
    }

    /// The extension of a file in this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Stix => "stix.json",
            Format::Misp => "misp.json",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Stix => "stix",
            Format::Misp => "misp",
        }
    }
}

/// What a side learned, ready to print.
#[derive(Serialize, Debug)]
pub struct Report<'a> {
    pub mode: &'a str,
    pub kind: &'a str,
    pub count: u64,
    /// The shared entries as the user wrote them; absent in cardinality mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<Shared<'a>>>,
    /// Whether the list named source ids (a `source` column in CSV).
    #[serde(skip)]
    pub with_source: bool,
    /// Whether entries carry catalog labels (a TAB-separated second field in
    /// text, a `label` column in CSV).
    #[serde(skip)]
    pub with_label: bool,
}

/// One shared entry: its kind, the user's spelling, and where it came from.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Shared<'a> {
    pub kind: &'a str,
    pub value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    /// The catalog's label for this entry, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'a str>,
    /// Where the entry came from in the user's own input: its first
    /// occurrence, then each merged duplicate from another file, CSV row
    /// or STIX/MISP object. Empty when the list was not read from files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<Origin<'a>>,
}

/// One place a shared entry came from in the user's input.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Origin<'a> {
    /// The input file as named on the command line (`standard input`).
    pub file: &'a str,
    /// Line (text, CSV) or item number (STIX object, MISP attribute), from 1.
    pub line: u64,
    /// The STIX object id or MISP attribute uuid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    /// Named values: a CSV row's other fields (`customer: ACME Bank`), a
    /// MISP attribute's `misp_type` and `misp_event`.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "as_map")]
    pub context: Vec<(&'a str, &'a str)>,
}

fn as_map<S: serde::Serializer>(pairs: &[(&str, &str)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

/// The context names of every origin, in order of first appearance.
fn context_columns<'a>(entries: &[Shared<'a>]) -> Vec<&'a str> {
    let mut keys: Vec<&str> = Vec::new();
    for o in entries.iter().flat_map(|s| &s.from) {
        for (k, _) in &o.context {
            if !keys.contains(k) {
                keys.push(k);
            }
        }
    }
    keys
}

/// The results in `format`; `who` says who learned them from whom and
/// when (what the STIX and MISP formats name).
pub fn render(report: &Report<'_>, format: Format, who: &Who<'_>) -> Result<Rendered, Unfit> {
    let entries = || report.entries.as_deref().ok_or(Unfit::CountOnly(format));
    match format {
        Format::Stix => Ok(stix::bundle(entries()?, who)),
        Format::Misp => Ok(misp::event(entries()?, who)),
        Format::Text => Ok(Rendered::all(text(report))),
        Format::Json => Ok(Rendered::all(json(report))),
        Format::Csv => Ok(Rendered::all(csv(report))),
    }
}

/// The report as one JSON object.
pub fn json(report: &Report<'_>) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(report).expect("serializing to memory cannot fail");
    v.push(b'\n');
    v
}

/// The entries one a line (with their labels after a TAB), or the count.
pub fn text(report: &Report<'_>) -> Vec<u8> {
    match &report.entries {
        Some(e) => {
            let mut out = String::new();
            for s in e {
                out.push_str(s.value);
                if report.with_label {
                    out.push('\t');
                    out.push_str(s.label.unwrap_or(""));
                }
                out.push('\n');
            }
            out.into_bytes()
        }
        None => format!("{}\n", report.count).into_bytes(),
    }
}

/// RFC 4180 CSV with a header line: kind, value (source; file, line and
/// context columns when the list was read from files; label), one row per
/// place an entry came from.
pub fn csv(report: &Report<'_>) -> Vec<u8> {
    let mut out = String::new();
    match &report.entries {
        Some(e) => {
            // One row per place an entry came from: a domain two
            // customers' rows hold is two rows, one per customer.
            let with_origin = e.iter().any(|s| !s.from.is_empty());
            let keys = context_columns(e);
            out.push_str("kind,value");
            if report.with_source {
                out.push_str(",source");
            }
            if with_origin {
                out.push_str(",file,line");
                for k in &keys {
                    out.push(',');
                    out.push_str(&csv_field(k));
                }
            }
            if report.with_label {
                out.push_str(",label");
            }
            out.push_str("\r\n");
            for s in e {
                let first = [None];
                let places: Vec<Option<&Origin>> = if s.from.is_empty() {
                    first.to_vec()
                } else {
                    s.from.iter().map(Some).collect()
                };
                for o in places {
                    out.push_str(&csv_field(s.kind));
                    out.push(',');
                    out.push_str(&csv_field(s.value));
                    if report.with_source {
                        out.push(',');
                        out.push_str(&csv_field(o.and_then(|o| o.source).or(s.source).unwrap_or("")));
                    }
                    if with_origin {
                        out.push(',');
                        out.push_str(&csv_field(o.map_or("", |o| o.file)));
                        out.push(',');
                        out.push_str(&o.map_or(String::new(), |o| o.line.to_string()));
                        for k in &keys {
                            let v = o
                                .and_then(|o| o.context.iter().find(|(n, _)| n == k))
                                .map_or("", |c| c.1);
                            out.push(',');
                            out.push_str(&csv_field(v));
                        }
                    }
                    if report.with_label {
                        out.push(',');
                        out.push_str(&csv_field(s.label.unwrap_or("")));
                    }
                    out.push_str("\r\n");
                }
            }
        }
        None => out.push_str(&format!("count\r\n{}\r\n", report.count)),
    }
    out.into_bytes()
}

/// One RFC 4180 field, quoted when it must be. A field a spreadsheet would
/// run as a formula (starting with `=`, `+`, `-`, `@`, TAB or CR) gets a
/// `'` in front (OWASP's CSV-injection rule): a peer's label stays text.
pub(crate) fn csv_field(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        return csv_field(&format!("'{s}"));
    }
    if s.contains([',', '"', '\r', '\n']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let e = |kind, value, source| Shared {
            kind,
            value,
            source,
            label: None,
            from: Vec::new(),
        };
        let r = Report {
            mode: "mutual",
            kind: "auto",
            count: 2,
            entries: Some(vec![
                e("raw", "a,b", None),
                e("domain", "C.example", Some("indicator--1")),
            ]),
            with_source: false,
            with_label: false,
        };
        assert_eq!(text(&r), b"a,b\nC.example\n");
        assert_eq!(csv(&r), b"kind,value\r\nraw,\"a,b\"\r\ndomain,C.example\r\n");
        let with = Report {
            with_source: true,
            entries: r.entries.clone(),
            ..r
        };
        assert_eq!(
            csv(&with),
            b"kind,value,source\r\nraw,\"a,b\",\r\ndomain,C.example,indicator--1\r\n"
        );
        let r = Report {
            with_source: false,
            ..with
        };
        let j: serde_json::Value = serde_json::from_slice(&json(&r)).unwrap();
        assert_eq!(j["count"], 2);
        assert_eq!(
            j["entries"][1],
            serde_json::json!({"kind": "domain", "value": "C.example", "source": "indicator--1"})
        );
        assert_eq!(j["entries"][0], serde_json::json!({"kind": "raw", "value": "a,b"}));
        let c = Report { entries: None, ..r };
        let j: serde_json::Value = serde_json::from_slice(&json(&c)).unwrap();
        assert!(j.get("entries").is_none());
        assert_eq!(text(&c), b"2\n");
    }

    #[test]
    fn csv_rows_per_place_with_context_columns_never_formulas() {
        let place = |line, ctx: Vec<(&'static str, &'static str)>| Origin {
            file: "customers.csv",
            line,
            source: None,
            context: ctx,
        };
        let r = Report {
            mode: "mutual",
            kind: "auto",
            count: 1,
            entries: Some(vec![Shared {
                kind: "domain",
                value: "bank.example",
                source: None,
                label: None,
                from: vec![
                    place(2, vec![("customer", "=HYPERLINK(1)")]),
                    place(5, vec![("customer", "Initech"), ("since", "2026")]),
                ],
            }]),
            with_source: false,
            with_label: false,
        };
        assert_eq!(
            String::from_utf8(csv(&r)).unwrap(),
            "kind,value,file,line,customer,since\r\n\
             domain,bank.example,customers.csv,2,'=HYPERLINK(1),\r\n\
             domain,bank.example,customers.csv,5,Initech,2026\r\n"
        );
        let j: serde_json::Value = serde_json::from_slice(&json(&r)).unwrap();
        assert_eq!(
            j["entries"][0]["from"][1]["context"],
            serde_json::json!({"customer": "Initech", "since": "2026"})
        );
    }

    #[test]
    fn csv_fields_never_start_a_formula() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for s in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_field(s).trim_start_matches('"').starts_with('\''), "{s:?}");
        }
        assert_eq!(csv_field("a=b"), "a=b");
    }
}
