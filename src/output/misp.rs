//! `--format misp`: one MISP event in MISP's JSON (`{"Event": {…}}`), the
//! file MISP's "Import from… → MISP JSON" and PyMISP's
//! `MISPEvent.load_file` read: one attribute per shared entry, of the MISP
//! type of its kind, the event and each attribute tagged `cosect`, your
//! peer's name in the event's `info`.
//!
//! Cautious defaults: distribution "Your organisation only" (0), not
//! published, `to_ids` off (cosect knows that both lists hold an entry,
//! not that it is malicious). Identifiers are derived from the session id
//! and the entry, times are the exchange's: the same result is always the
//! same bytes.

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use super::stix::Sighted;
use super::tools::{canonical, hash_algorithm, kind_named, Rendered, Whence, Who};
use super::Shared;
use crate::input::Kind;

#[derive(Serialize)]
struct File<'a> {
    #[serde(rename = "Event")]
    event: Event<'a>,
}

#[derive(Serialize)]
struct Event<'a> {
    uuid: String,
    info: String,
    date: String,
    timestamp: String,
    /// 4: undefined.
    threat_level_id: &'static str,
    /// 2: completed.
    analysis: &'static str,
    /// 0: your organisation only.
    distribution: &'static str,
    published: bool,
    #[serde(rename = "Tag")]
    tags: [Tag; 1],
    #[serde(rename = "Attribute")]
    attributes: Attributes<'a>,
}

#[derive(Serialize)]
struct Tag {
    name: &'static str,
}

#[derive(Serialize)]
struct Attribute<'a> {
    uuid: String,
    #[serde(rename = "type")]
    ty: &'static str,
    category: &'static str,
    value: String,
    to_ids: bool,
    /// 5: as the event.
    distribution: &'static str,
    timestamp: &'a str,
    comment: String,
    #[serde(rename = "Tag")]
    tags: [Tag; 1],
}

const COSECT: Tag = Tag { name: "cosect" };

/// MISP type and category (MISP's default category for the type) of
/// canonical value `v` of `kind`.
// An entry read from a MISP attribute could keep that attribute's type
// (`ip-src`, `domain|ip` split, `email-dst`…) once the input's context
// travels with the result entries; until then the kind decides.
pub fn attribute_type(kind: Kind, v: &str) -> (&'static str, &'static str) {
    match kind {
        Kind::Domain => ("domain", "Network activity"),
        Kind::Ip => ("ip-dst", "Network activity"),
        Kind::Url => ("url", "Network activity"),
        Kind::Email => ("email-src", "Payload delivery"),
        Kind::Hash => match hash_algorithm(v) {
            Some((_, t)) => (t, "Payload delivery"),
            None => ("text", "Other"),
        },
        Kind::Raw => ("text", "Other"),
    }
}

/// The event's attributes, made one at a time while they are written: a
/// large result is never held twice (attributes and bytes).
struct Attributes<'a> {
    entries: &'a [Shared<'a>],
    /// In a sightings group's report: who saw each entry (parallel to
    /// `entries`).
    sighted: Option<&'a [Sighted]>,
    who: &'a Who<'a>,
    /// Unix seconds, as MISP writes them.
    time: String,
    /// `cosect session 3f2a9c1e`.
    session: String,
}

impl Serialize for Attributes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.entries.len()))?;
        for (i, e) in self.entries.iter().enumerate() {
            // A value that is not its kind's (never the case for an entry
            // that was compared) goes in as text, not as a broken indicator.
            let (kind, value) = match canonical(kind_named(e.kind), e.value) {
                Some(c) => (kind_named(e.kind), c),
                None => (Kind::Raw, e.value.to_owned()),
            };
            let (ty, category) = attribute_type(kind, &value);
            let mut comment = format!("cosect {}", self.session);
            if let Some(all) = self.sighted {
                comment.push_str(&format!("; seen by {} publisher(s): {}", all[i].by.len(), all[i].text));
            }
            if value != e.value {
                comment.push_str(&format!("; your list spells it \"{}\"", e.value.trim()));
            }
            if let Some(s) = e.source {
                comment.push_str(&format!("; in your input: {s}"));
            }
            if let Some(l) = e.label {
                comment.push_str(&format!("; the catalog's label: {l}"));
            }
            seq.serialize_element(&Attribute {
                uuid: self
                    .who
                    .uuid("misp attribute", &[kind.name().as_bytes(), value.as_bytes()]),
                ty,
                category,
                value,
                to_ids: false,
                distribution: "5",
                timestamp: &self.time,
                comment,
                tags: [COSECT],
            })?;
        }
        seq.end()
    }
}

/// The event for `entries` as `who` learned them.
pub fn event<'a>(entries: &'a [Shared<'a>], who: &'a Who<'a>) -> Rendered {
    write(entries, None, who, "")
}

/// The event of a sightings group's report: `entries` and who saw each
/// (`sighted`, parallel); `covers` names the publishers whose answers the
/// report covers. Each attribute's comment names who saw it.
pub fn sightings_event<'a>(
    entries: &'a [Shared<'a>],
    sighted: &'a [Sighted],
    who: &'a Who<'a>,
    covers: &str,
) -> Rendered {
    write(entries, Some(sighted), who, covers)
}

fn write<'a>(entries: &'a [Shared<'a>], sighted: Option<&'a [Sighted]>, who: &'a Who<'a>, covers: &str) -> Rendered {
    let session = who.session_name();
    let info = match who.whence {
        Whence::Sightings => format!(
            "cosect: {} entries seen in the catalogs of {covers} ({session})",
            entries.len()
        ),
        Whence::Shared => format!(
            "cosect: {} entries shared with {} ({session})",
            entries.len(),
            who.peer_named()
        ),
        Whence::InCatalog => format!(
            "cosect: {} entries in the catalog of {} ({session})",
            entries.len(),
            who.peer_named()
        ),
    };
    let f = File {
        event: Event {
            uuid: who.uuid("misp event", &[]),
            info,
            date: who.timestamp()[..10].to_owned(),
            timestamp: who.time.to_string(),
            threat_level_id: "4",
            analysis: "2",
            distribution: "0",
            published: false,
            tags: [COSECT],
            attributes: Attributes {
                entries,
                sighted,
                who,
                time: who.time.to_string(),
                session,
            },
        },
    };
    let mut bytes = serde_json::to_vec_pretty(&f).expect("serializing to memory cannot fail");
    bytes.push(b'\n');
    Rendered::all(bytes)
}

#[cfg(test)]
mod tests {
    use super::super::tools::test_who;
    use super::*;
    use serde_json::Value;

    #[test]
    fn one_attribute_per_entry_of_its_type() {
        let who = test_who("Bob MSSP");
        let e = |kind, value| Shared {
            kind,
            value,
            source: None,
            label: None,
            from: Vec::new(),
        };
        let sha1 = "A".repeat(40);
        let entries = [
            e("domain", "Evil[.]Example.COM"),
            e("ip", "2001:db8::1"),
            e("hash", &sha1),
            e("email", "x@Example.COM"),
            e("url", "hxxp://a.example/x"),
            e("raw", "TICKET-4711"),
            e("ip", "10.0.0.0/8"),
        ];
        let r = event(&entries, &who);
        assert_eq!(r.left_out, 0);
        assert_eq!(r, event(&entries, &who));
        let v: Value = serde_json::from_slice(&r.bytes).unwrap();
        let ev = &v["Event"];
        assert_eq!(
            ev["info"],
            "cosect: 7 entries shared with Bob MSSP (0202-0202-0202-0202-0202) (session abababab)"
        );
        assert_eq!(ev["date"], "2026-09-21");
        assert_eq!(ev["Tag"][0]["name"], "cosect");
        let got: Vec<(&str, &str)> = ev["Attribute"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["type"].as_str().unwrap(), a["value"].as_str().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("domain", "evil.example.com"),
                ("ip-dst", "2001:db8::1"),
                ("sha1", &*"a".repeat(40)),
                ("email-src", "x@example.com"),
                ("url", "http://a.example/x"),
                ("text", "TICKET-4711"),
                ("text", "10.0.0.0/8"),
            ]
        );
        assert_eq!(ev["Attribute"][0]["Tag"][0]["name"], "cosect");
        assert_eq!(
            ev["Attribute"][0]["comment"],
            "cosect session abababab; your list spells it \"Evil[.]Example.COM\""
        );
    }
}
