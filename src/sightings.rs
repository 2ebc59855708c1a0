//! The report of a sightings group: for each of the user's entries held by
//! at least one publisher, which publishers hold it (and their labels).
//! Pure: the publishers' answers in, the report's bytes out.
//!
//! Entries are joined across publishers by how the user wrote them (every
//! query of a group is made from the same list, though catalogs of
//! different kind settings may read it differently), so an entry is
//! reported once, in list order.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::output::{csv_field, misp, stix, Format, Party, Shared, Sighted, Who};

/// A publisher of the group, as the report names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publisher {
    /// Its display name (escaped).
    pub name: String,
    /// Its short fingerprint.
    pub fingerprint: String,
    /// The id of the catalog that was queried.
    pub catalog: String,
    /// Its full fingerprint (what STIX and MISP ids are derived from).
    pub key: Vec<u8>,
}

impl Publisher {
    /// `Name (fingerprint)`.
    pub fn shown(&self) -> String {
        format!("{} ({})", self.name, self.fingerprint)
    }

    fn json(&self) -> Value {
        json!({"name": self.name, "fingerprint": self.fingerprint, "catalog": self.catalog})
    }
}

/// One of the user's entries a publisher holds.
#[derive(Clone, Copy, Debug)]
pub struct Holding<'a> {
    /// Position in the user's list.
    pub index: u64,
    pub kind: &'a str,
    pub value: &'a str,
    pub source: Option<&'a str>,
    /// The publisher's label for it (already escaped).
    pub label: Option<&'a str>,
}

/// One publisher seeing an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen<'a> {
    /// Index into `Report::covers`.
    pub publisher: usize,
    pub label: Option<&'a str>,
}

/// One reported entry and who sees it (in the group's publisher order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub kind: &'a str,
    pub value: &'a str,
    pub source: Option<&'a str>,
    pub seen_by: Vec<Seen<'a>>,
}

/// What `finish` reports for a group.
#[derive(Debug)]
pub struct Report<'a> {
    /// The group's id (16 hex digits).
    pub group: String,
    /// Entries of the user's list.
    pub total: u64,
    /// The publishers whose answers it covers.
    pub covers: Vec<Publisher>,
    /// The publishers that have not answered yet.
    pub pending: Vec<Publisher>,
    pub min_seen: u64,
    /// The entries seen by at least `min_seen` of `covers`, in list order.
    pub entries: Vec<Entry<'a>>,
    /// Whether the list named source ids (a `source` column in CSV).
    pub with_source: bool,
}

/// A member of the group: its publisher, and what it holds once it answered.
pub struct Answered<'a> {
    pub publisher: Publisher,
    pub held: Option<Vec<Holding<'a>>>,
}

impl<'a> Report<'a> {
    /// Join the answers of the group's members (in the group's order).
    pub fn build(group: String, total: u64, members: Vec<Answered<'a>>, min_seen: u64) -> Report<'a> {
        let mut covers = Vec::new();
        let mut pending = Vec::new();
        let mut seen: Vec<(u64, Entry<'a>)> = Vec::new();
        let mut by_value: HashMap<&'a str, usize> = HashMap::new();
        let mut with_source = false;
        for m in members {
            let Some(held) = m.held else {
                pending.push(m.publisher);
                continue;
            };
            let p = covers.len();
            covers.push(m.publisher);
            for h in held {
                with_source |= h.source.is_some();
                let i = *by_value.entry(h.value).or_insert_with(|| {
                    seen.push((
                        h.index,
                        Entry {
                            kind: h.kind,
                            value: h.value,
                            source: h.source,
                            seen_by: Vec::new(),
                        },
                    ));
                    seen.len() - 1
                });
                seen[i].0 = seen[i].0.min(h.index);
                let e = &mut seen[i].1;
                if !e.seen_by.iter().any(|s| s.publisher == p) {
                    e.seen_by.push(Seen {
                        publisher: p,
                        label: h.label,
                    });
                }
            }
        }
        seen.sort_by_key(|(i, e)| (*i, e.value));
        let entries = seen
            .into_iter()
            .map(|(_, e)| e)
            .filter(|e| e.seen_by.len() as u64 >= min_seen.max(1))
            .collect();
        Report {
            group,
            total,
            covers,
            pending,
            min_seen: min_seen.max(1),
            entries,
            with_source,
        }
    }

    /// `A (fp), B (fp)`, or `none`.
    pub fn names(ps: &[Publisher]) -> String {
        if ps.is_empty() {
            return "none".into();
        }
        ps.iter().map(Publisher::shown).collect::<Vec<_>>().join(", ")
    }

    fn json(&self) -> Value {
        let entries: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                let seen: Vec<Value> = e
                    .seen_by
                    .iter()
                    .map(|s| {
                        let mut v = self.covers[s.publisher].json();
                        if let Some(l) = s.label {
                            v["label"] = json!(l);
                        }
                        v
                    })
                    .collect();
                let mut v = json!({"kind": e.kind, "value": e.value});
                if let Some(s) = e.source {
                    v["source"] = json!(s);
                }
                v["count"] = json!(e.seen_by.len());
                v["seen_by"] = Value::Array(seen);
                v
            })
            .collect();
        json!({
            "mode": "sightings",
            "group": self.group,
            "entries_total": self.total,
            "covers": self.covers.iter().map(Publisher::json).collect::<Vec<_>>(),
            "pending": self.pending.iter().map(Publisher::json).collect::<Vec<_>>(),
            "min_seen": self.min_seen,
            "count": self.entries.len(),
            "entries": entries,
        })
    }

    /// A header line of what the report covers, then a table.
    fn text(&self) -> String {
        let mut out = format!(
            "# sightings group {}: answers of {} of {} publishers: {}; pending: {}\n",
            self.group,
            self.covers.len(),
            self.covers.len() + self.pending.len(),
            Self::names(&self.covers),
            Self::names(&self.pending)
        );
        out.push_str(&format!(
            "# {} of your {} entries seen by at least {} publisher{}\n",
            self.entries.len(),
            self.total,
            self.min_seen,
            if self.min_seen == 1 { "" } else { "s" }
        ));
        let width = |f: &dyn Fn(&Entry) -> usize, head: &str| {
            self.entries
                .iter()
                .map(f)
                .chain([head.chars().count()])
                .max()
                .unwrap_or(0)
                .min(60)
        };
        let wv = width(&|e| e.value.chars().count(), "VALUE");
        let wk = width(&|e| e.kind.len(), "KIND");
        let row = |v: &str, k: &str, n: &str, by: &str| format!("{v:<wv$}  {k:<wk$}  {n:<4}  {by}");
        out.push_str(row("VALUE", "KIND", "SEEN", "SEEN BY").trim_end());
        out.push('\n');
        for e in &self.entries {
            let by = self.seen_by_shown(e, "; ");
            out.push_str(row(e.value, e.kind, &e.seen_by.len().to_string(), &by).trim_end());
            out.push('\n');
        }
        out
    }

    /// Who sees entry `e`, `Name (fp): label` each, joined by `sep`.
    fn seen_by_shown(&self, e: &Entry, sep: &str) -> String {
        let by: Vec<String> = e
            .seen_by
            .iter()
            .map(|s| {
                let p = self.covers[s.publisher].shown();
                match s.label {
                    Some(l) => format!("{p}: {l}"),
                    None => p,
                }
            })
            .collect();
        by.join(sep)
    }

    /// One row per entry and publisher seeing it.
    fn csv(&self) -> String {
        let mut out = String::from("kind,value");
        if self.with_source {
            out.push_str(",source");
        }
        out.push_str(",count,publisher,fingerprint,catalog,label\r\n");
        for e in &self.entries {
            for s in &e.seen_by {
                let p = &self.covers[s.publisher];
                let mut fields = vec![csv_field(e.kind), csv_field(e.value)];
                if self.with_source {
                    fields.push(csv_field(e.source.unwrap_or("")));
                }
                fields.push(e.seen_by.len().to_string());
                for f in [&p.name, &p.fingerprint, &p.catalog] {
                    fields.push(csv_field(f));
                }
                fields.push(csv_field(s.label.unwrap_or("")));
                out.push_str(&fields.join(","));
                out.push_str("\r\n");
            }
        }
        out
    }

    /// The report's bytes in `format`, and how many entries it left out
    /// (`raw` ones in STIX). `who` names you, the group (its session) and
    /// the report's time, for the STIX and MISP formats.
    pub fn render(&self, format: Format, who: &Who<'_>) -> (Vec<u8>, u64) {
        let tools = |stix: bool| {
            let entries: Vec<Shared> = self
                .entries
                .iter()
                .map(|e| Shared {
                    kind: e.kind,
                    value: e.value,
                    source: e.source,
                    label: None,
                    from: Vec::new(),
                })
                .collect();
            let sighted: Vec<Sighted> = self
                .entries
                .iter()
                .map(|e| Sighted {
                    by: e.seen_by.iter().map(|s| s.publisher).collect(),
                    text: self.seen_by_shown(e, ", "),
                })
                .collect();
            let r = if stix {
                let publishers: Vec<Party> = self
                    .covers
                    .iter()
                    .map(|p| Party {
                        name: &p.name,
                        fingerprint: &p.key,
                    })
                    .collect();
                stix::sightings_bundle(&entries, &sighted, who, &publishers)
            } else {
                misp::sightings_event(&entries, &sighted, who, &Self::names(&self.covers))
            };
            (r.bytes, r.left_out)
        };
        let bytes = match format {
            Format::Stix => return tools(true),
            Format::Misp => return tools(false),
            Format::Json => {
                let mut v = serde_json::to_vec_pretty(&self.json()).expect("serializing to memory cannot fail");
                v.push(b'\n');
                v
            }
            Format::Text => self.text().into_bytes(),
            Format::Csv => self.csv().into_bytes(),
        };
        (bytes, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: &str) -> Publisher {
        Publisher {
            name: n.into(),
            fingerprint: format!("fp-{n}"),
            catalog: format!("cat-{n}"),
            key: vec![n.as_bytes()[0]; 32],
        }
    }

    fn h(index: u64, value: &str, label: Option<&'static str>) -> Holding<'static> {
        Holding {
            index,
            kind: "domain",
            value: Box::leak(value.to_owned().into_boxed_str()),
            source: None,
            label,
        }
    }

    fn who() -> Who<'static> {
        Who {
            whence: crate::output::Whence::Sightings,
            ..crate::output::test_who("")
        }
    }

    fn report(min: u64) -> Report<'static> {
        Report::build(
            "g".into(),
            5,
            vec![
                Answered {
                    publisher: p("A"),
                    held: Some(vec![h(0, "a.example", Some("C2")), h(3, "d.example", None)]),
                },
                Answered {
                    publisher: p("B"),
                    held: None,
                },
                Answered {
                    publisher: p("C"),
                    held: Some(vec![h(3, "d.example", None), h(1, "b.example", None)]),
                },
            ],
            min,
        )
    }

    #[test]
    fn joins_by_spelling_in_list_order() {
        let r = report(1);
        assert_eq!(r.covers, vec![p("A"), p("C")]);
        assert_eq!(r.pending, vec![p("B")]);
        let got: Vec<(&str, Vec<usize>)> = r
            .entries
            .iter()
            .map(|e| (e.value, e.seen_by.iter().map(|s| s.publisher).collect()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a.example", vec![0]),
                ("b.example", vec![1]),
                ("d.example", vec![0, 1])
            ]
        );
        assert_eq!(r.entries[0].seen_by[0].label, Some("C2"));
        let two = report(2);
        assert_eq!(two.entries.len(), 1);
        assert_eq!(two.entries[0].value, "d.example");
    }

    #[test]
    fn formats() {
        let r = report(1);
        let j: Value = serde_json::from_slice(&r.render(Format::Json, &who()).0).unwrap();
        assert_eq!(j["entries"][0]["seen_by"][0]["name"], "A");
        assert_eq!(j["entries"][0]["seen_by"][0]["label"], "C2");
        assert_eq!(j["entries"][2]["count"], 2);
        assert_eq!(j["pending"][0]["name"], "B");
        let csv = String::from_utf8(r.render(Format::Csv, &who()).0).unwrap();
        assert_eq!(
            csv,
            "kind,value,count,publisher,fingerprint,catalog,label\r\n\
             domain,a.example,1,A,fp-A,cat-A,C2\r\n\
             domain,b.example,1,C,fp-C,cat-C,\r\n\
             domain,d.example,2,A,fp-A,cat-A,\r\n\
             domain,d.example,2,C,fp-C,cat-C,\r\n"
        );
        let text = String::from_utf8(r.render(Format::Text, &who()).0).unwrap();
        assert!(text
            .starts_with("# sightings group g: answers of 2 of 3 publishers: A (fp-A), C (fp-C); pending: B (fp-B)\n"));
        assert!(
            text.contains("\nd.example  domain  2     A (fp-A); C (fp-C)\n"),
            "{text}"
        );
    }
}
