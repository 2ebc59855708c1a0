//! Rendering results: text, JSON or CSV, and for the field's tools a STIX
//! 2.1 bundle (`stix`) or a MISP event (`misp`). Pure: returns bytes.

pub mod misp;
pub mod stix;
mod tools;

use serde::Serialize;

pub use stix::Sighted;
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
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shared<'a> {
    pub kind: &'a str,
    pub value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    /// The catalog's label for this entry, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'a str>,
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

/// RFC 4180 CSV with a header line: kind, value (source, label).
pub fn csv(report: &Report<'_>) -> Vec<u8> {
    let mut out = String::new();
    match &report.entries {
        Some(e) => {
            out.push_str("kind,value");
            if report.with_source {
                out.push_str(",source");
            }
            if report.with_label {
                out.push_str(",label");
            }
            out.push_str("\r\n");
            for s in e {
                out.push_str(&csv_field(s.kind));
                out.push(',');
                out.push_str(&csv_field(s.value));
                if report.with_source {
                    out.push(',');
                    out.push_str(&csv_field(s.source.unwrap_or("")));
                }
                if report.with_label {
                    out.push(',');
                    out.push_str(&csv_field(s.label.unwrap_or("")));
                }
                out.push_str("\r\n");
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
        let with = Report { with_source: true, ..r };
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
    fn csv_fields_never_start_a_formula() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for s in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_field(s).trim_start_matches('"').starts_with('\''), "{s:?}");
        }
        assert_eq!(csv_field("a=b"), "a=b");
    }
}
