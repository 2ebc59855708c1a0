//! `--format stix`: a STIX 2.1 bundle. Your identity (an `identity`
//! object named after your cosect identity) and your peer's; for each
//! shared entry an `indicator` whose pattern compares its canonical value,
//! and a `sighting` of it where your peer saw it (`where_sighted_refs`).
//!
//! An entry read from a STIX indicator of your own input (its source id is
//! `indicator--…`) gets no new indicator: its sighting names that
//! indicator (`sighting_of_ref`), which your platform already holds.
//! A `raw` entry has no STIX pattern (no object path compares an arbitrary
//! string): it is left out and counted (`Rendered::left_out`).
//!
//! Identifiers are derived from the session id and the entry; times are
//! the exchange's: the same result is always the same bytes.

use std::cell::Cell;

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use super::tools::{canonical, hash_algorithm, kind_named, Rendered, Whence, Who};
use super::Shared;
use crate::input::Kind;

const SPEC: &str = "2.1";

#[derive(Serialize)]
struct Bundle<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    id: String,
    objects: Objects<'a>,
}

#[derive(Serialize)]
struct Identity {
    #[serde(rename = "type")]
    ty: &'static str,
    spec_version: &'static str,
    id: String,
    created: String,
    modified: String,
    name: String,
    description: String,
    identity_class: &'static str,
}

#[derive(Serialize)]
struct Indicator<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    spec_version: &'static str,
    id: &'a str,
    created_by_ref: &'a str,
    created: &'a str,
    modified: &'a str,
    name: &'a str,
    description: &'a str,
    pattern: String,
    pattern_type: &'static str,
    pattern_version: &'static str,
    valid_from: &'a str,
    labels: [&'static str; 1],
}

#[derive(Serialize)]
struct Sighting<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    spec_version: &'static str,
    id: String,
    created_by_ref: &'a str,
    created: &'a str,
    modified: &'a str,
    description: &'a str,
    first_seen: &'a str,
    last_seen: &'a str,
    /// How many times it was seen: once, by the one peer of an exchange;
    /// by how many publishers, in a sightings group's report.
    count: u64,
    sighting_of_ref: &'a str,
    where_sighted_refs: Vec<&'a str>,
    labels: [&'static str; 1],
}

/// The bundle's objects, made one entry at a time while they are written:
/// a large result is never held twice (objects and bytes).
struct Objects<'a> {
    /// Yours first, then the peer's (or each publisher's).
    identities: Vec<Identity>,
    entries: &'a [Shared<'a>],
    /// In a sightings group's report: who saw each entry (parallel to
    /// `entries`); otherwise the one peer saw every entry.
    sighted: Option<&'a [Sighted]>,
    who: &'a Who<'a>,
    /// The exchange's time, RFC 3339.
    time: String,
    /// `cosect session 3f2a9c1e: Bob MSSP (…) holds this entry too.`
    seen: String,
    /// Entries that have no STIX pattern, counted while writing.
    left_out: Cell<u64>,
}

impl Serialize for Objects<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for i in &self.identities {
            seq.serialize_element(i)?;
        }
        let me = &self.identities[0].id;
        for (i, e) in self.entries.iter().enumerate() {
            let kind = kind_named(e.kind);
            let Some((canon, pattern)) = canonical(kind, e.value).and_then(|c| pattern(kind, &c).map(|p| (c, p)))
            else {
                self.left_out.set(self.left_out.get() + 1);
                continue;
            };
            let parts: [&[u8]; 2] = [kind.name().as_bytes(), canon.as_bytes()];
            let own = indicator_ref(e.source);
            let (mut about, refs, count) = match self.sighted {
                None => (self.seen.clone(), vec![self.identities[1].id.as_str()], 1),
                Some(all) => {
                    let s = &all[i];
                    let refs: Vec<&str> = s.by.iter().map(|&p| self.identities[1 + p].id.as_str()).collect();
                    let n = refs.len() as u64;
                    (format!("{}: seen by {}.", self.seen, s.text), refs, n)
                }
            };
            if own.is_some() {
                // The input's indicator may compare several values: name this one.
                about.push_str(&format!(" Matched value: {canon}."));
            }
            if canon != e.value {
                about.push_str(&format!(" Your list spells it \"{}\".", e.value.trim()));
            }
            if let Some(s) = e.source {
                about.push_str(&format!(" In your input: {s}."));
            }
            if let Some(l) = e.label {
                about.push_str(&format!(" The catalog's label: {l}"));
            }
            let t = self.time.as_str();
            let made;
            let indicator_id = match own {
                Some(own) => own,
                None => {
                    made = format!("indicator--{}", self.who.uuid("indicator", &parts));
                    seq.serialize_element(&Indicator {
                        ty: "indicator",
                        spec_version: SPEC,
                        id: &made,
                        created_by_ref: me,
                        created: t,
                        modified: t,
                        name: &canon,
                        description: &about,
                        pattern,
                        pattern_type: "stix",
                        pattern_version: SPEC,
                        valid_from: t,
                        labels: ["cosect"],
                    })?;
                    &made
                }
            };
            seq.serialize_element(&Sighting {
                ty: "sighting",
                spec_version: SPEC,
                id: format!("sighting--{}", self.who.uuid("sighting", &parts)),
                created_by_ref: me,
                created: t,
                modified: t,
                description: &about,
                first_seen: t,
                last_seen: t,
                count,
                sighting_of_ref: indicator_id,
                where_sighted_refs: refs,
                labels: ["cosect"],
            })?;
        }
        seq.end()
    }
}

/// A STIX pattern string literal: `'` and `\` escaped (STIX 2.1 Patterning
/// §9.3, string constants).
fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// The pattern that matches canonical value `v` of `kind`, if STIX has one.
pub fn pattern(kind: Kind, v: &str) -> Option<String> {
    let path = match kind {
        Kind::Raw => return None,
        Kind::Domain => "domain-name:value".to_owned(),
        Kind::Ip if v.contains(':') => "ipv6-addr:value".to_owned(),
        Kind::Ip => "ipv4-addr:value".to_owned(),
        Kind::Url => "url:value".to_owned(),
        Kind::Email => "email-addr:value".to_owned(),
        Kind::Hash => format!("file:hashes.{}", literal(hash_algorithm(v)?.0)),
    };
    Some(format!("[{path} = {}]", literal(v)))
}

/// A source id that names a STIX indicator: `indicator--` and a UUID.
fn indicator_ref(source: Option<&str>) -> Option<&str> {
    let s = source?;
    let uuid = s.strip_prefix("indicator--")?;
    let shape = uuid.len() == 36
        && uuid.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    shape.then_some(s)
}

/// Who saw one entry of a sightings group's report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighted {
    /// Indices into the group's publishers.
    pub by: Vec<usize>,
    /// `A (fp): label, B (fp)`, as the description names them.
    pub text: String,
}

/// The bundle for `entries` as `who` learned them.
pub fn bundle<'a>(entries: &'a [Shared<'a>], who: &'a Who<'a>) -> Rendered {
    write(entries, None, who, &[])
}

/// The bundle of a sightings group's report: `entries` and who saw each
/// (`sighted`, parallel), seen by `publishers` (the report's covers);
/// `who` names you, the group (as its session) and the report's time.
/// One sighting per entry, its `count` the publishers that hold it, each
/// of them in `where_sighted_refs`.
pub fn sightings_bundle<'a>(
    entries: &'a [Shared<'a>],
    sighted: &'a [Sighted],
    who: &'a Who<'a>,
    publishers: &[super::Party<'_>],
) -> Rendered {
    write(entries, Some(sighted), who, publishers)
}

fn write<'a>(
    entries: &'a [Shared<'a>],
    sighted: Option<&'a [Sighted]>,
    who: &'a Who<'a>,
    publishers: &[super::Party<'_>],
) -> Rendered {
    let time = who.timestamp();
    let identity = |p: &super::Party<'_>, role: &str| Identity {
        ty: "identity",
        spec_version: SPEC,
        id: format!("identity--{}", who.uuid("identity", &[p.fingerprint])),
        created: time.clone(),
        modified: time.clone(),
        name: p.shown(),
        description: format!("cosect identity {}, fingerprint {}", role, p.short()),
        identity_class: "organization",
    };
    let (identities, seen) = match sighted {
        None => {
            let seen = match who.whence {
                Whence::Shared => format!("{} holds this entry too", who.peer_named()),
                Whence::InCatalog | Whence::Sightings => {
                    format!("this entry is in the catalog of {}", who.peer_named())
                }
            };
            let ids = vec![identity(&who.me, "(yours)"), identity(&who.peer, "of your peer")];
            (ids, format!("cosect {}: {seen}.", who.session_name()))
        }
        Some(_) => {
            let mut ids = vec![identity(&who.me, "(yours)")];
            ids.extend(publishers.iter().map(|p| identity(p, "of a publisher")));
            (ids, format!("cosect {}", who.session_name()))
        }
    };
    let b = Bundle {
        ty: "bundle",
        id: format!("bundle--{}", who.uuid("bundle", &[])),
        objects: Objects {
            identities,
            entries,
            sighted,
            who,
            seen,
            time,
            left_out: Cell::new(0),
        },
    };
    let mut bytes = serde_json::to_vec_pretty(&b).expect("serializing to memory cannot fail");
    bytes.push(b'\n');
    Rendered {
        bytes,
        left_out: b.objects.left_out.get(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn who() -> Who<'static> {
        super::super::tools::test_who("")
    }

    fn e<'a>(kind: &'a str, value: &'a str, source: Option<&'a str>) -> Shared<'a> {
        Shared {
            kind,
            value,
            source,
            label: None,
            from: Vec::new(),
        }
    }

    #[test]
    fn patterns_per_kind_escaped() {
        fn p(k: Kind, v: &str) -> String {
            pattern(k, v).unwrap()
        }
        assert_eq!(p(Kind::Domain, "a.example"), "[domain-name:value = 'a.example']");
        assert_eq!(p(Kind::Ip, "192.0.2.1"), "[ipv4-addr:value = '192.0.2.1']");
        assert_eq!(p(Kind::Ip, "2001:db8::1"), "[ipv6-addr:value = '2001:db8::1']");
        assert_eq!(
            p(Kind::Email, "o'brien\\x@a.example"),
            r"[email-addr:value = 'o\'brien\\x@a.example']"
        );
        assert_eq!(
            p(Kind::Url, "http://a.example/it's"),
            r"[url:value = 'http://a.example/it\'s']"
        );
        assert_eq!(
            p(Kind::Hash, &"a".repeat(64)),
            format!("[file:hashes.'SHA-256' = '{}']", "a".repeat(64))
        );
        assert_eq!(
            p(Kind::Hash, &"a".repeat(32)),
            format!("[file:hashes.'MD5' = '{}']", "a".repeat(32))
        );
        assert_eq!(pattern(Kind::Raw, "x"), None);
    }

    proptest::proptest! {
        /// cosect's own STIX reader reads back every pattern written, for
        /// any value (quotes, backslashes, anything).
        #[test]
        fn patterns_read_back(v in "\\PC{0,40}", kind in 0usize..Kind::ALL.len()) {
            let kind = Kind::ALL[kind];
            let v = if kind == Kind::Hash { "ab".repeat(16) } else { v };
            if let Some(p) = pattern(kind, &v) {
                let got = crate::input::stix::parse_pattern(&p).unwrap();
                proptest::prop_assert_eq!(got.len(), 1);
                proptest::prop_assert_eq!(&got[0].1, &v);
                proptest::prop_assert_eq!(crate::input::stix::path_kind(&got[0].0), Some(kind));
            }
        }
    }

    #[test]
    fn bundle_objects_refs_and_determinism() {
        let own = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
        let entries = [
            e("domain", "Evil[.]Example.COM", None),
            e("raw", "TICKET-4711", None),
            e("ip", "198.51.100.23", Some(own)),
            e(
                "hash",
                "44D88612FEA8A8F36DE82E1278ABB02F",
                Some("indicator--not-a-uuid"),
            ),
        ];
        let r = bundle(&entries, &who());
        assert_eq!(r.left_out, 1);
        assert_eq!(r, bundle(&entries, &who()), "same input, same bytes");
        let b: Value = serde_json::from_slice(&r.bytes).unwrap();
        let objs = b["objects"].as_array().unwrap();
        let types: Vec<&str> = objs.iter().map(|o| o["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "identity",
                "identity",
                "indicator",
                "sighting",
                "sighting",
                "indicator",
                "sighting"
            ]
        );
        assert_eq!(objs[0]["name"], "ACME CERT");
        assert!(objs[1]["name"].as_str().unwrap().starts_with("cosect identity 0202-"));
        assert_eq!(objs[2]["pattern"], "[domain-name:value = 'evil.example.com']");
        assert_eq!(objs[2]["created_by_ref"], objs[0]["id"]);
        assert_eq!(objs[3]["sighting_of_ref"], objs[2]["id"]);
        assert_eq!(objs[3]["where_sighted_refs"][0], objs[1]["id"]);
        assert!(objs[3]["description"]
            .as_str()
            .unwrap()
            .contains("spells it \"Evil[.]Example.COM\"."));
        // The input's own indicator: sighted, not repeated.
        assert_eq!(objs[4]["sighting_of_ref"], own);
        assert!(objs[4]["description"]
            .as_str()
            .unwrap()
            .contains("Matched value: 198.51.100.23."));
        // A source that is no indicator id gets an indicator of its own.
        assert_eq!(
            objs[5]["pattern"],
            "[file:hashes.'MD5' = '44d88612fea8a8f36de82e1278abb02f']"
        );
        assert_eq!(objs[6]["sighting_of_ref"], objs[5]["id"]);
        assert_eq!(objs[2]["created"], "2026-09-21T14:13:20.000Z");
        // Another session: other ids.
        let other = Who {
            session: &[0xcd; 16],
            ..who()
        };
        let b2: Value = serde_json::from_slice(&bundle(&entries, &other).bytes).unwrap();
        assert_ne!(b2["objects"][2]["id"], objs[2]["id"]);
        assert_ne!(b2["id"], b["id"]);
    }
}
