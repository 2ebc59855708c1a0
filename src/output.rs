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
    pub entries: Option<Vec<&'a str>>,
}

pub fn render(report: &Report<'_>, format: Format) -> Vec<u8> {
    match format {
        Format::Json => {
            let mut v = serde_json::to_vec_pretty(report).expect("serializing to memory cannot fail");
            v.push(b'\n');
            v
        }
        Format::Text => match &report.entries {
            Some(e) => e
                .iter()
                .flat_map(|s| [s.as_bytes(), b"\n"])
                .flatten()
                .copied()
                .collect(),
            None => format!("{}\n", report.count).into_bytes(),
        },
        Format::Csv => {
            let mut out = String::new();
            match &report.entries {
                Some(e) => {
                    out.push_str("entry\r\n");
                    for s in e {
                        out.push_str(&csv_field(s));
                        out.push_str("\r\n");
                    }
                }
                None => out.push_str(&format!("count\r\n{}\r\n", report.count)),
            }
            out.into_bytes()
        }
    }
}

/// One RFC 4180 field, quoted when it must be.
fn csv_field(s: &str) -> String {
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
        let r = Report {
            mode: "mutual",
            kind: "raw",
            count: 2,
            entries: Some(vec!["a,b", "c"]),
        };
        assert_eq!(render(&r, Format::Text), b"a,b\nc\n");
        assert_eq!(render(&r, Format::Csv), b"entry\r\n\"a,b\"\r\nc\r\n");
        let j: serde_json::Value = serde_json::from_slice(&render(&r, Format::Json)).unwrap();
        assert_eq!(j["count"], 2);
        assert_eq!(j["entries"][1], "c");
        let c = Report { entries: None, ..r };
        let j: serde_json::Value = serde_json::from_slice(&render(&c, Format::Json)).unwrap();
        assert!(j.get("entries").is_none());
        assert_eq!(render(&c, Format::Text), b"2\n");
    }
}
