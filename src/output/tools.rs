//! What the STIX and MISP writers share: who learned the result from whom
//! and when, the entry's canonical form, and identifiers derived from
//! stable inputs so that the same result is written byte for byte the same.

use sha2::{Digest, Sha256};

use crate::input::{detect, normalize, refang, Kind};

/// One side of an exchange, as the output names it.
#[derive(Clone, Copy, Debug)]
pub struct Party<'a> {
    /// The organization name of the cosect identity (may be empty).
    pub name: &'a str,
    /// The identity's full fingerprint.
    pub fingerprint: &'a [u8],
}

impl Party<'_> {
    /// The name, or `cosect identity 3f2a-…` when the identity has none.
    pub fn shown(&self) -> String {
        if self.name.is_empty() {
            format!("cosect identity {}", self.short())
        } else {
            self.name.to_owned()
        }
    }

    /// The fingerprint as people read it over the phone.
    pub fn short(&self) -> String {
        crate::identity::short_fingerprint(self.fingerprint)
    }
}

/// How the entries were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whence {
    /// A mutual (or one-sided) exchange: the peer holds them too.
    Shared,
    /// A catalog lookup: they are in the peer's published catalog.
    InCatalog,
    /// A sightings group's report: each is in some of the publishers'
    /// catalogs (`Who::session` is the group's id).
    Sightings,
}

/// Who learned a result, from whom, in which session and when: the
/// exchange's own facts, never the clock of the machine writing the file.
#[derive(Clone, Copy, Debug)]
pub struct Who<'a> {
    pub me: Party<'a>,
    pub peer: Party<'a>,
    pub whence: Whence,
    /// The session (or catalog query) id.
    pub session: &'a [u8],
    /// Unix seconds: when the bundle that gave the result was created.
    pub time: u64,
}

impl Who<'_> {
    /// `session 3f2a9c1e` or `catalog query 3f2a9c1e`.
    pub fn session_name(&self) -> String {
        let id = crate::text::hex(self.session);
        let short = id.get(..8).unwrap_or(&id);
        match self.whence {
            Whence::Shared => format!("session {short}"),
            Whence::InCatalog => format!("catalog query {short}"),
            Whence::Sightings => format!("sightings group {short}"),
        }
    }

    /// `Bob MSSP (3f2a-…)`.
    pub fn peer_named(&self) -> String {
        format!("{} ({})", self.peer.shown(), self.peer.short())
    }

    /// The time as RFC 3339 with milliseconds (what STIX asks for).
    pub fn timestamp(&self) -> String {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(self.time.min(253_402_300_799));
        humantime::format_rfc3339_millis(t).to_string()
    }

    /// An identifier for `what` (an object type and the parts that make it
    /// unique), the same for the same inputs: see [`stable_uuid`].
    pub fn uuid(&self, what: &str, parts: &[&[u8]]) -> String {
        let mut all: Vec<&[u8]> = vec![what.as_bytes(), self.session];
        all.extend_from_slice(parts);
        stable_uuid(&all)
    }
}

/// The writers' tests' exchange: ACME CERT and a peer named `peer`, in
/// session `ab…`, at 2026-09-21T14:13:20Z.
#[cfg(test)]
pub fn test_who(peer: &'static str) -> Who<'static> {
    Who {
        me: Party {
            name: "ACME CERT",
            fingerprint: &[1; 32],
        },
        peer: Party {
            name: peer,
            fingerprint: &[2; 32],
        },
        whence: Whence::Shared,
        session: &[0xab; 16],
        time: 1_790_000_000,
    }
}

/// A file in a tool's format, and how many entries it could not carry.
#[derive(Debug, PartialEq, Eq)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    /// Entries left out: `raw` entries in STIX (no STIX pattern compares
    /// an arbitrary string).
    pub left_out: u64,
}

impl Rendered {
    /// Bytes that carry every entry.
    pub fn all(bytes: Vec<u8>) -> Self {
        Rendered { bytes, left_out: 0 }
    }
}

/// Why a format cannot hold a result.
#[derive(Debug, PartialEq, Eq)]
pub enum Unfit {
    /// A cardinality session yields a count, and the format lists entries.
    CountOnly(super::Format),
}

impl std::fmt::Display for Unfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unfit::CountOnly(format) => write!(
                f,
                "--format {} lists the shared entries, and a cardinality session yields only their count",
                format.name()
            ),
        }
    }
}

/// A UUID derived from `parts`: the first 16 bytes of SHA-256 over a
/// versioned label and the length-prefixed parts, with the version (4) and
/// variant bits of RFC 9562 set. STIX 2.1 asks for version 4 identifiers
/// on its domain objects (§2.9); these are as unpredictable as version 4
/// ones to anyone without the session id, and reproducible by its holder.
pub fn stable_uuid(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    h.update(b"cosect output id v1");
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = crate::text::hex(&b);
    format!("{}-{}-{}-{}-{}", &x[..8], &x[8..12], &x[12..16], &x[16..20], &x[20..])
}

/// The canonical form of an entry the user wrote as `spelling` and that
/// was compared as `kind`: what cosect hashed (refanged, normalized), and
/// what a tool's indicator should hold. `None` if it is not valid for
/// `kind` (never the case for an entry that was compared).
pub fn canonical(kind: Kind, spelling: &str) -> Option<String> {
    if kind == Kind::Raw {
        return Some(spelling.to_owned());
    }
    let v = spelling.trim();
    let refanged = (kind.refangs() && refang::has_marker(v))
        .then(|| refang::refang(v))
        .flatten();
    let v = refanged.as_deref().unwrap_or(v);
    match normalize(kind, v) {
        Ok(c) => Some(c),
        Err(_) if kind == Kind::Ip => detect::as_ip(v).map(|(_, c, _)| c),
        Err(_) => None,
    }
}

/// The kind named `name` (a `Shared::kind`).
pub fn kind_named(name: &str) -> Kind {
    Kind::ALL.into_iter().find(|k| k.name() == name).unwrap_or(Kind::Raw)
}

/// The hash algorithm of a canonical hex hash, by its length: the STIX
/// hashes key and the MISP attribute type.
pub fn hash_algorithm(hex: &str) -> Option<(&'static str, &'static str)> {
    Some(match hex.len() {
        32 => ("MD5", "md5"),
        40 => ("SHA-1", "sha1"),
        56 => ("SHA-224", "sha224"),
        64 => ("SHA-256", "sha256"),
        96 => ("SHA-384", "sha384"),
        128 => ("SHA-512", "sha512"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{read_entries, KindSetting, ReadOptions};

    /// `canonical` gives back, from the spelling kept in the session, the
    /// very bytes the reader compared, for every list shipped as test data.
    #[test]
    fn canonical_is_what_was_compared() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let mut checked = 0;
        for name in [
            "mixed-iocs.txt",
            "alice-iocs.txt",
            "bob-domains.txt",
            "feed.stix.json",
            "misp-event.json",
            "misp-attributes.json",
        ] {
            let bytes = std::fs::read(dir.join(name)).unwrap();
            let opts = ReadOptions {
                format: None,
                column: None,
                kind: KindSetting::Auto,
                skip_invalid: true,
                refang: true,
                widen: Default::default(),
            };
            let e = read_entries(&bytes[..], &opts).unwrap();
            for i in 0..e.len() {
                let (kind, canon) = e.get(i);
                let got = canonical(kind, &e.original[i]);
                assert_eq!(
                    got.as_deref().map(str::as_bytes),
                    Some(canon),
                    "{name}: {}",
                    &e.original[i]
                );
                checked += 1;
            }
        }
        assert!(checked > 30, "{checked}");
        assert_eq!(
            canonical(Kind::Domain, "evil[.]Example.COM.").as_deref(),
            Some("evil.example.com")
        );
        assert_eq!(canonical(Kind::Ip, "192.0.2.1:443").as_deref(), Some("192.0.2.1"));
        assert_eq!(canonical(Kind::Raw, " a b ").as_deref(), Some(" a b "));
        assert_eq!(canonical(Kind::Domain, "not a domain"), None);
    }

    #[test]
    fn stable_uuids_are_version_4_shaped_and_distinct() {
        let a = stable_uuid(&[b"indicator", b"s", b"domain", b"a.example"]);
        assert_eq!(a, stable_uuid(&[b"indicator", b"s", b"domain", b"a.example"]));
        assert_ne!(a, stable_uuid(&[b"indicator", b"s", b"domain", b"b.example"]));
        // Length prefixes: moving a byte between parts changes the id.
        assert_ne!(stable_uuid(&[b"ab", b"c"]), stable_uuid(&[b"a", b"bc"]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
    }
}
