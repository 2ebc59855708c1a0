//! Rendering results: text, JSON or CSV. Pure: returns bytes.

use serde::Serialize;

/// Output format of `finish`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    Csv,
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

pub fn render(report: &Report<'_>, format: Format) -> Vec<u8> {
    match format {
        Format::Json => {
            let mut v = serde_json::to_vec_pretty(report).expect("serializing to memory cannot fail");
            v.push(b'\n');
            v
        }
        Format::Text => match &report.entries {
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
        },
        Format::Csv => {
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
    }
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
        assert_eq!(render(&r, Format::Text), b"a,b\nC.example\n");
        assert_eq!(
            render(&r, Format::Csv),
            b"kind,value\r\nraw,\"a,b\"\r\ndomain,C.example\r\n"
        );
        let with = Report { with_source: true, ..r };
        assert_eq!(
            render(&with, Format::Csv),
            b"kind,value,source\r\nraw,\"a,b\",\r\ndomain,C.example,indicator--1\r\n"
        );
        let r = Report {
            with_source: false,
            ..with
        };
        let j: serde_json::Value = serde_json::from_slice(&render(&r, Format::Json)).unwrap();
        assert_eq!(j["count"], 2);
        assert_eq!(
            j["entries"][1],
            serde_json::json!({"kind": "domain", "value": "C.example", "source": "indicator--1"})
        );
        assert_eq!(j["entries"][0], serde_json::json!({"kind": "raw", "value": "a,b"}));
        let c = Report { entries: None, ..r };
        let j: serde_json::Value = serde_json::from_slice(&render(&c, Format::Json)).unwrap();
        assert!(j.get("entries").is_none());
        assert_eq!(render(&c, Format::Text), b"2\n");
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
