//! The vector generator: one row per vector in [`cases`] (name, what is
//! done to a genuine bundle, expected outcome), written by `regenerate`.
//!
//! `cargo test --test vectors -- --ignored regenerate`

use std::fs;

use cosect::bundle::payload::{Payload, FORMAT_VERSION, PROTOCOL_PSI};
use cosect::bundle::{cose, envelope};
use cosect::identity::{Identity, PublicIdentity};

use super::{dir, identity, vectors_dir, Stage};
use Stage::*;

const CREATED: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const FAR: u64 = 4_102_444_800; // 2100-01-01T00:00:00Z
const TEST_ONLY: &str =
    "# TEST KEY ONLY: published in the cosect repository for test vectors.\n# Never use it for a real exchange.\n";

/// What a reader must make of a vector.
#[derive(Clone, Copy)]
pub enum Expect {
    /// Passes every check.
    Ok,
    /// Refused at this stage, with this text in the message.
    Fails(Stage, &'static str),
}

/// Who reads a vector, from whom, and which verb it is meant for.
#[derive(Clone, Copy)]
pub enum Reader {
    /// Bob answers Alice's round 1 (`for: respond`).
    BobResponds,
    /// Alice finishes with Bob's round 2 (`for: finish`).
    AliceFinishes,
    /// Bob finishes with Alice's round 3 (`for: finish`).
    BobFinishes,
}

impl Reader {
    /// `for`, `identity` and `peer` of the header.
    fn header(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Reader::BobResponds => ("respond", "bob", "alice"),
            Reader::AliceFinishes => ("finish", "alice", "bob"),
            Reader::BobFinishes => ("finish", "bob", "alice"),
        }
    }
}

/// One vector: its file name, expected outcome, reader, extra header
/// lines, comment, and how its bytes are made from the genuine bundles.
pub struct Case {
    pub name: &'static str,
    expect: Expect,
    reader: Reader,
    extra: &'static [(&'static str, &'static str)],
    comment: &'static str,
    build: fn(&Base) -> Vec<u8>,
}

/// A vector Bob reads as a round 1 from Alice and refuses at `at`.
fn fails(
    name: &'static str,
    at: Stage,
    error: &'static str,
    comment: &'static str,
    build: fn(&Base) -> Vec<u8>,
) -> Case {
    Case {
        name,
        expect: Expect::Fails(at, error),
        reader: Reader::BobResponds,
        extra: &[],
        comment,
        build,
    }
}

/// A valid vector for `reader`.
fn valid(name: &'static str, reader: Reader, comment: &'static str, build: fn(&Base) -> Vec<u8>) -> Case {
    Case {
        name,
        expect: Expect::Ok,
        reader,
        extra: &[],
        comment,
        build,
    }
}

impl Case {
    /// The same case, read by `reader` instead.
    fn by(self, reader: Reader) -> Case {
        Case { reader, ..self }
    }

    /// The same case, with extra header lines.
    fn with(self, extra: &'static [(&'static str, &'static str)]) -> Case {
        Case { extra, ..self }
    }

    /// The text header, up to and including the blank line.
    pub fn header(&self) -> String {
        let mut h = String::from("# cosect bundle test vector; keys are TEST ONLY (testdata/vectors/*.id)\n");
        match self.expect {
            Expect::Ok => h.push_str("expect: ok\n"),
            Expect::Fails(at, error) => {
                h.push_str(&format!("expect: error\nfails-at: {}\nerror: {error}\n", at.name()))
            }
        }
        let (for_, me, peer) = self.reader.header();
        h.push_str(&format!("for: {for_}\nidentity: {me}\npeer: {peer}\n"));
        for (k, v) in self.extra {
            h.push_str(&format!("{k}: {v}\n"));
        }
        h.push_str(&format!("comment: {}\n\n", self.comment));
        h
    }
}

/// The genuine bundles every case starts from.
pub struct Base {
    alice: Identity,
    bob: Identity,
    carol: Identity,
    pa: PublicIdentity,
    pb: PublicIdentity,
    pc: PublicIdentity,
    /// Alice's round 1 to Bob: payload, signed, age-encrypted, armored.
    r1: Payload,
    r1_cose: Vec<u8>,
    r1_age: Vec<u8>,
    r1_asc: Vec<u8>,
    /// Bob's round 2 to Alice and Alice's round 3 to Bob.
    r2: Payload,
    r3: Payload,
}

impl Base {
    fn new() -> Base {
        let alice = test_identity("alice", "Alice Test CERT");
        let bob = test_identity("bob", "Bob Test SOC");
        let carol = test_identity("carol", "Carol Test");
        let (pa, pb, pc) = (alice.public(), bob.public(), carol.public());
        let r1 = payload(1, &pa, &pb);
        let r1_cose = sign(&r1, &alice);
        let r1_age = envelope::encrypt(&r1_cose, &pb.recipient, false);
        let r1_asc = envelope::encrypt(&r1_cose, &pb.recipient, true);
        let (r2, r3) = (payload(2, &pb, &pa), payload(3, &pa, &pb));
        Base {
            alice,
            bob,
            carol,
            pa,
            pb,
            pc,
            r1,
            r1_cose,
            r1_age,
            r1_asc,
            r2,
            r3,
        }
    }

    /// Alice's round 1 with `f` applied to the payload, signed by Alice.
    fn r1_with(&self, f: impl FnOnce(&mut Payload)) -> Vec<u8> {
        let mut p = self.r1.clone();
        f(&mut p);
        sign(&p, &self.alice)
    }

    /// Raw payload bytes signed by Alice with her kid.
    fn alice_raw(&self, bytes: Vec<u8>) -> Vec<u8> {
        sign_raw(bytes, &self.alice, &self.r1.from)
    }

    /// Alice's round-1 payload as a CBOR map, changed by `f`, signed by Alice.
    fn r1_map(&self, f: impl FnOnce(&mut Vec<(ciborium::Value, ciborium::Value)>)) -> Vec<u8> {
        let mut m = as_map(&self.r1);
        f(&mut m);
        self.alice_raw(cbor(&ciborium::Value::Map(m)))
    }

    /// Alice's round 1 under a protected header with EdDSA and `f` applied.
    fn r1_header(&self, f: impl FnOnce(coset::HeaderBuilder) -> coset::HeaderBuilder) -> Vec<u8> {
        let h = coset::HeaderBuilder::new().key_id(self.r1.from.clone());
        sign_with_header(&self.r1, &self.alice, f(h).build())
    }

    /// The signed round 1 as a COSE_Sign1 structure, changed by `f`.
    fn r1_cose_with(&self, f: impl FnOnce(&mut coset::CoseSign1)) -> Vec<u8> {
        use coset::TaggedCborSerializable;
        let mut m = coset::CoseSign1::from_tagged_slice(&self.r1_cose).unwrap();
        f(&mut m);
        m.to_tagged_vec().unwrap()
    }

    /// The round-1 age file with `f` applied to its bytes.
    fn r1_age_with(&self, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut b = self.r1_age.clone();
        f(&mut b);
        b
    }

    /// The armored round 1 with `f` applied to its bytes.
    fn r1_asc_with(&self, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut b = self.r1_asc.clone();
        f(&mut b);
        b
    }

    /// The signed round 1 with `f` applied to its bytes.
    fn r1_cose_bytes(&self, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut b = self.r1_cose.clone();
        f(&mut b);
        b
    }

    /// The signed round 1 with the signature's byte-string head (2 bytes)
    /// replaced by `head`, keeping the last `tail` bytes of the signature.
    fn r1_sig_head(&self, head: &[u8], tail: usize) -> Vec<u8> {
        let n = self.r1_cose.len();
        [&self.r1_cose[..n - 66], head, &self.r1_cose[n - tail..]].concat()
    }

    /// Alice's public line without its name.
    fn alice_base(&self) -> String {
        self.pa.line().splitn(4, ' ').take(3).collect::<Vec<_>>().join(" ")
    }
}

/// Every vector, one row each.
pub fn cases() -> Vec<Case> {
    let mut all = valid_cases();
    all.extend(envelope_cases());
    all.extend(cose_cases());
    all.extend(payload_cases());
    all.extend(reader_cases());
    all
}

fn valid_cases() -> Vec<Case> {
    use Reader::*;
    vec![
        valid(
            "r1-ok-plain",
            BobResponds,
            "valid round 1, Alice to Bob, 4 points, expires 2100",
            |b| b.r1_cose.clone(),
        ),
        valid("r1-ok-age", BobResponds, "the same, age-encrypted to Bob", |b| {
            b.r1_age.clone()
        }),
        valid("r1-ok-armor", BobResponds, "the same, age-encrypted and armored", |b| {
            b.r1_asc.clone()
        }),
        // White space a mail client may add or drop around armored text:
        // the decrypted bundle is the same bytes, so these are accepted.
        valid(
            "r1-ok-armor-pasted",
            BobResponds,
            "armored with blank lines before it and CRLF line endings (as pasted from a mail)",
            |b| {
                let crlf = String::from_utf8(b.r1_asc.clone()).unwrap().replace('\n', "\r\n");
                [&b"\r\n\n  \n"[..], crlf.as_bytes()].concat()
            },
        ),
        valid(
            "r2-ok-plain",
            AliceFinishes,
            "valid round 2, Bob to Alice (no session exists)",
            |b| sign(&b.r2, &b.bob),
        ),
        valid("r2-ok-armor", AliceFinishes, "valid round 2, armored", |b| {
            envelope::encrypt(&sign(&b.r2, &b.bob), &b.pa.recipient, true)
        }),
        valid(
            "r3-ok-age",
            BobFinishes,
            "valid round 3, Alice to Bob, age-encrypted",
            |b| envelope::encrypt(&sign(&b.r3, &b.alice), &b.pb.recipient, false),
        ),
    ]
}

fn envelope_cases() -> Vec<Case> {
    let dec = "cannot decrypt";
    vec![
        fails(
            "age-truncated",
            Open,
            dec,
            "age file cut in the middle of the payload",
            |b| b.r1_age[..b.r1_age.len() - 40].to_vec(),
        ),
        fails(
            "age-header-only",
            Open,
            dec,
            "age file cut after its header and payload nonce",
            |b| b.r1_age[..b.r1_age.len() - b.r1_cose.len() - 16].to_vec(),
        ),
        fails("age-trailing-junk", Open, dec, "bytes after the last age chunk", |b| {
            [&b.r1_age[..], b"junk"].concat()
        }),
        fails(
            "age-flipped-payload",
            Open,
            dec,
            "one bit of the encrypted payload flipped",
            |b| {
                b.r1_age_with(|a| {
                    let n = a.len();
                    a[n - 20] ^= 0x04;
                })
            },
        ),
        fails(
            "age-to-carol",
            Open,
            "not encrypted to your identity",
            "encrypted to Carol, read by Bob",
            |b| envelope::encrypt(&b.r1_cose, &b.pc.recipient, false),
        ),
        fails("age-version-2", Open, dec, "age header names version v2", |b| {
            replace(&b.r1_age, b"age-encryption.org/v1", b"age-encryption.org/v2")
        }),
        fails("armor-bad-base64", Open, dec, "a '!' in the armored base64", |b| {
            b.r1_asc_with(|a| a[60] = b'!')
        }),
        fails("armor-truncated", Open, dec, "armored file without its END line", |b| {
            b.r1_asc[..b.r1_asc.len() - 40].to_vec()
        }),
        fails(
            "age-not-cose",
            Open,
            "not a COSE_Sign1",
            "age file whose content is not a bundle",
            |b| envelope::encrypt(b"hello", &b.pb.recipient, false),
        ),
    ]
}

fn cose_cases() -> Vec<Case> {
    use coset::iana::Algorithm::{EdDSA, ES256};
    vec![
        fails("empty", Open, "not a COSE_Sign1", "zero bytes", |_| Vec::new()),
        fails(
            "cose-truncated",
            Open,
            "cut short",
            "plain bundle without its last byte",
            |b| b.r1_cose[..b.r1_cose.len() - 1].to_vec(),
        ),
        fails(
            "cose-trailing-junk",
            Open,
            "trailing bytes",
            "one byte after the COSE_Sign1",
            |b| [&b.r1_cose[..], &[0]].concat(),
        ),
        fails(
            "cose-untagged",
            Open,
            "not a COSE_Sign1",
            "COSE_Sign1 without tag 18 (signature still valid)",
            |b| b.r1_cose[1..].to_vec(),
        ),
        fails(
            "cose-tag-17",
            Open,
            "not a COSE_Sign1",
            "tag 17 (COSE_Mac0) instead of 18",
            |b| [&[0xd1], &b.r1_cose[1..]].concat(),
        ),
        fails(
            "cose-unprotected-kid",
            Open,
            "unprotected header is not empty",
            "kid added to the unsigned header (signature still valid)",
            |b| b.r1_cose_with(|m| m.unprotected.key_id = b"x".to_vec()),
        ),
        fails(
            "cose-protected-extra",
            Open,
            "protected header holds other fields",
            "a crit-free extra label in the signed header",
            |b| {
                b.r1_header(|h| {
                    h.algorithm(EdDSA)
                        .content_type(cose::CONTENT_TYPE.into())
                        .value(99, ciborium::Value::Integer(1.into()))
                })
            },
        ),
        fails(
            "cose-alg-es256",
            Open,
            "not EdDSA",
            "alg ES256 in the protected header",
            |b| b.r1_header(|h| h.algorithm(ES256).content_type(cose::CONTENT_TYPE.into())),
        ),
        fails(
            "cose-content-type-v2",
            Open,
            "unknown bundle format version 2; upgrade cosect?",
            "content type of a future format",
            |b| {
                b.r1_header(|h| {
                    h.algorithm(EdDSA)
                        .content_type("application/cosect-bundle+cbor; v=2".into())
                })
            },
        ),
        fails(
            "cose-no-content-type",
            Open,
            "content type is not a cosect bundle",
            "no content type",
            |b| b.r1_header(|h| h.algorithm(EdDSA)),
        ),
        fails("cose-detached", Open, "no payload", "payload nil (detached)", |b| {
            b.r1_cose_with(|m| m.payload = None)
        }),
        fails(
            "cose-sig-63",
            Open,
            "signature is not 64 bytes",
            "63-byte signature",
            |b| b.r1_sig_head(&[0x58, 63], 63),
        ),
        fails(
            "cose-sig-long-head",
            Open,
            "not in canonical form",
            "signature length written as 0x59 0x00 0x40",
            |b| b.r1_sig_head(&[0x59, 0x00, 0x40], 64),
        ),
    ]
}

fn payload_cases() -> Vec<Case> {
    let canon = "not in canonical form";
    let bad_sender = "sender's public identity is malformed";
    let not_map = "not a CBOR map";
    vec![
        fails(
            "payload-version-2",
            Open,
            "unknown bundle format version 2",
            "\"cosect\": 2",
            |b| b.r1_with(|p| p.cosect = 2),
        ),
        fails(
            "payload-version-0",
            Open,
            "unknown bundle format version 0",
            "\"cosect\": 0",
            |b| b.r1_with(|p| p.cosect = 0),
        ),
        fails(
            "payload-no-version",
            Open,
            "no \"cosect\" version field",
            "the version field left out",
            |b| b.r1_map(|m| m.retain(|(k, _)| k.as_text() != Some("cosect"))),
        ),
        fails(
            "payload-unknown-field",
            Open,
            "does not match the bundle schema",
            "an extra field \"extra\" at the end",
            |b| b.r1_map(|m| m.push(("extra".into(), 1.into()))),
        ),
        fails(
            "payload-field-order",
            Open,
            canon,
            "\"protocol\" and \"round\" swapped",
            |b| b.r1_map(|m| m.swap(1, 2)),
        ),
        fails("payload-long-int", Open, canon, "round 1 written as 0x18 0x01", |b| {
            b.alice_raw(replace(&b.r1.encode(), b"\x65round\x01", b"\x65round\x18\x01"))
        }),
        fails(
            "payload-trailing",
            Open,
            canon,
            "a byte after the payload map (inside the signature)",
            |b| b.alice_raw([b.r1.encode(), vec![0]].concat()),
        ),
        fails(
            "payload-array",
            Open,
            not_map,
            "the fields as an array instead of a map",
            |b| {
                let arr = ciborium::Value::Array(as_map(&b.r1).into_iter().map(|(_, v)| v).collect());
                b.alice_raw(cbor(&arr))
            },
        ),
        fails("payload-not-cbor", Open, not_map, "the payload is text", |b| {
            b.alice_raw(b"hello".to_vec())
        }),
        fails(
            "payload-session-15",
            Open,
            "session id is not 16 bytes",
            "15-byte session id",
            |b| {
                b.r1_with(|p| {
                    p.session.pop();
                })
            },
        ),
        fails(
            "payload-to-31",
            Open,
            "a fingerprint is not 32 bytes",
            "31-byte recipient fingerprint",
            |b| b.r1_with(|p| p.to.truncate(31)),
        ),
        fails(
            "payload-answers-31",
            Open,
            "hash is not 32 bytes",
            "31-byte answered hash",
            |b| b.r1_with(|p| p.answers = vec![1; 31]),
        ),
        fails(
            "payload-count-high",
            Open,
            "n_points says 5 elements but points holds 128 bytes",
            "n_points 5, four points",
            |b| b.r1_with(|p| p.n_points = 5),
        ),
        fails(
            "payload-count-huge",
            Open,
            "exceeds 2^32 - 1",
            "n_points 2^63, four points (no allocation)",
            |b| b.r1_with(|p| p.n_points = 1 << 63),
        ),
        fails(
            "payload-points-ragged",
            Open,
            "but points holds 127 bytes",
            "points one byte short",
            |b| {
                b.r1_with(|p| {
                    p.points.pop();
                })
            },
        ),
        fails("payload-trunc-33", Open, "trunc is larger than 32", "trunc 33", |b| {
            b.r1_with(|p| {
                p.trunc = 33;
                p.n_doubled = 1;
                p.doubled = vec![0; 33];
            })
        }),
        fails(
            "payload-doubled-mismatch",
            Open,
            "n_doubled says 2 elements of 6 bytes but doubled holds 6 bytes",
            "n_doubled 2, one element",
            |b| {
                b.r1_with(|p| {
                    p.trunc = 6;
                    p.n_doubled = 2;
                    p.doubled = vec![0; 6];
                })
            },
        ),
        fails(
            "payload-trunc-zero",
            Open,
            "trunc is 0 but doubled",
            "n_doubled 1 with trunc 0",
            |b| b.r1_with(|p| p.n_doubled = 1),
        ),
        fails(
            "payload-expires-first",
            Open,
            "expires before it was created",
            "expires < created",
            |b| b.r1_with(|p| p.expires = CREATED - 1),
        ),
        fails(
            "payload-sender-garbage",
            Open,
            bad_sender,
            "sender line not a public identity",
            |b| b.r1_with(|p| p.sender = "hello".into()),
        ),
        fails(
            "payload-sender-escape",
            Open,
            bad_sender,
            "sender name with a terminal escape",
            |b| b.r1_with(|p| p.sender = format!("{} Alice\u{1b}[2J", b.alice_base())),
        ),
        fails(
            "payload-sender-bidi",
            Open,
            bad_sender,
            "sender name with a right-to-left override",
            |b| b.r1_with(|p| p.sender = format!("{} Alice\u{202e}gpj", b.alice_base())),
        ),
        fails(
            "payload-from-mismatch",
            Open,
            "sender fingerprint does not match",
            "from is Carol's fingerprint, sender line and kid Alice's",
            |b| {
                let mut p = b.r1.clone();
                p.from = b.pc.fingerprint().to_vec();
                b.alice_raw(p.encode())
            },
        ),
        fails(
            "cose-kid-mismatch",
            Open,
            "sender fingerprint does not match",
            "kid is Carol's fingerprint",
            |b| sign_raw(b.r1.encode(), &b.alice, &b.pc.fingerprint()),
        ),
    ]
}

/// Signature and sender, recipient and time, round-1 meaning, points.
fn reader_cases() -> Vec<Case> {
    use Reader::*;
    let bad_sig = "signature does not verify";
    vec![
        fails(
            "sig-flipped",
            Sender,
            bad_sig,
            "one bit of the signature flipped",
            |b| {
                b.r1_cose_bytes(|s| {
                    let n = s.len();
                    s[n - 10] ^= 1;
                })
            },
        ),
        fails(
            "sig-by-carol",
            Sender,
            bad_sig,
            "claims to be Alice, signed with Carol's key",
            |b| sign(&b.r1, &b.carol),
        ),
        fails(
            "sig-s-plus-l",
            Sender,
            bad_sig,
            "signature S replaced by S + L (malleable form)",
            |b| b.r1_cose_bytes(|s| add_group_order(s)),
        ),
        fails(
            "sig-payload-changed",
            Sender,
            bad_sig,
            "kind changed after signing, signature kept",
            |b| {
                let good = sign(&b.r1, &b.alice);
                let other = b.r1_with(|p| p.kind = "ip".into());
                let n = other.len();
                [&other[..n - 64], &good[good.len() - 64..]].concat()
            },
        ),
        fails(
            "from-carol",
            Sender,
            "is from Carol Test",
            "a genuine round 1 from Carol to Bob",
            |b| sign(&payload(1, &b.pc, &b.pb), &b.carol),
        ),
        fails(
            "own-round1",
            Sender,
            "is from Bob Test SOC",
            "Bob's own round 1 (to Alice) read by Bob",
            |b| sign(&payload(1, &b.pb, &b.pa), &b.bob),
        )
        .with(&[
            ("respond-error", "you sent yourself (round 1)"),
            ("finish-error", "you sent yourself (round 1)"),
        ]),
        fails(
            "own-round3",
            Sender,
            "is from Alice Test CERT",
            "Alice's round 3 fed back to Alice",
            |b| sign(&b.r3, &b.alice),
        )
        .by(AliceFinishes)
        .with(&[
            ("respond-error", "you sent yourself (round 3)"),
            ("finish-error", "you sent yourself (round 3)"),
        ]),
        fails(
            "to-carol",
            Recipient,
            "not to you",
            "Alice's round 1 addressed to Carol, read by Bob",
            |b| sign(&payload(1, &b.pa, &b.pc), &b.alice),
        ),
        fails(
            "r2-to-carol",
            Recipient,
            "not to you",
            "Bob's round 2 addressed to Carol, read by Alice",
            |b| sign(&payload(2, &b.pb, &b.pc), &b.bob),
        )
        .by(AliceFinishes),
        fails(
            "expired",
            Time,
            "expired at 2026-01-08T00:00:00Z (created 2026-01-01T00:00:00Z)",
            "expired a week after 2026-01-01",
            |b| b.r1_with(|p| p.expires = CREATED + 7 * 86400),
        ),
        fails(
            "r3-expired",
            Time,
            "expired at 2026-01-01T01:00:00Z",
            "round 3 that expired after an hour",
            |b| {
                let mut p = b.r3.clone();
                p.expires = CREATED + 3600;
                sign(&p, &b.alice)
            },
        )
        .by(BobFinishes),
        // Round-1 meaning (respond only).
        fails("r1-kind-unknown", Round1, "unknown kind", "kind \"ipv6\"", |b| {
            b.r1_with(|p| p.kind = "ipv6".into())
        }),
        fails(
            "r1-kind-escape",
            Round1,
            "unknown kind \"raw\\\\u{1b}[31m\"",
            "kind with a terminal escape (shown escaped)",
            |b| b.r1_with(|p| p.kind = "raw\u{1b}[31m".into()),
        ),
        fails("r1-mode-unknown", Round1, "unknown mode", "mode \"both\"", |b| {
            b.r1_with(|p| p.mode = "both".into())
        }),
        fails(
            "r1-protocol-oprf",
            Round1,
            "is not one `respond` answers",
            "protocol \"oprf\"",
            |b| b.r1_with(|p| p.protocol = "oprf".into()),
        ),
        fails("r1-round-4", Round1, "round-4 bundle", "round 4", |b| {
            b.r1_with(|p| p.round = 4)
        }),
        fails(
            "r1-answers",
            Round1,
            "carries no answered hash",
            "round 1 naming an answered bundle",
            |b| b.r1_with(|p| p.answers = vec![1; 32]),
        ),
        fails("r1-empty", Round1, "round 1 holds no elements", "no points", |b| {
            b.r1_with(|p| {
                p.n_points = 0;
                p.points.clear();
            })
        }),
        // Points.
        fails(
            "point-identity",
            Points,
            "element 2 is the identity element",
            "third point is the identity (all zero)",
            |b| b.r1_with(|p| p.points[64..96].fill(0)),
        ),
        fails(
            "point-invalid",
            Points,
            "element 1 is not a valid ristretto255 point",
            "second point all 0xff",
            |b| b.r1_with(|p| p.points[32..64].fill(0xff)),
        ),
        fails(
            "point-noncanonical",
            Points,
            "element 0 is not a valid ristretto255 point",
            "first point's field element + p (non-canonical)",
            |b| {
                b.r1_with(|p| {
                    // 1 + p = 2^255 - 18 in little endian: not the canonical encoding of 1.
                    let mut e = [0xffu8; 32];
                    e[0] = 0xee;
                    e[31] = 0x7f;
                    p.points[..32].copy_from_slice(&e);
                })
            },
        ),
        fails(
            "point-negative",
            Points,
            "element 3 is not a valid ristretto255 point",
            "fourth point with the sign bit of s set (negative s)",
            |b| b.r1_with(|p| p.points[96] |= 1),
        ),
    ]
}

/// Replace the signature's S (the last 32 bytes) by S + L, the group order.
fn add_group_order(b: &mut [u8]) {
    let n = b.len();
    // The group order L, little endian.
    let mut l = [0u8; 32];
    l[..16].copy_from_slice(&[
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    ]);
    l[31] = 0x10;
    let mut carry = 0u16;
    for i in 0..32 {
        let s = b[n - 32 + i] as u16 + l[i] as u16 + carry;
        b[n - 32 + i] = s as u8;
        carry = s >> 8;
    }
}

fn test_identity(who: &str, name: &str) -> Identity {
    let path = dir().join(format!("{who}.id"));
    if path.exists() {
        return identity(who);
    }
    let id = Identity::generate(name).unwrap();
    let text = format!("{TEST_ONLY}{}", &*id.to_file_text("2026-01-01T00:00:00Z"));
    fs::write(&path, text).unwrap();
    fs::write(
        dir().join(format!("{who}.pub")),
        format!("{TEST_ONLY}{}\n", id.public().line()),
    )
    .unwrap();
    id
}

fn points(n: usize) -> Vec<u8> {
    (0..n as u32)
        .flat_map(|i| {
            cosect::group::hash_to_group(&[b"cosect test vector point", &i.to_be_bytes()], b"cosect-test-vectors")
                .compress()
                .to_bytes()
        })
        .collect()
}

fn payload(round: u8, from: &PublicIdentity, to: &PublicIdentity) -> Payload {
    let (n_points, n_doubled, trunc) = match round {
        1 => (4, 0, 0),
        2 => (3, 4, 6),
        _ => (0, 3, 6),
    };
    Payload {
        cosect: FORMAT_VERSION,
        protocol: PROTOCOL_PSI.into(),
        round,
        session: vec![0x5e; 16],
        sender: from.line(),
        from: from.fingerprint().to_vec(),
        to: to.fingerprint().to_vec(),
        kind: "raw".into(),
        mode: "mutual".into(),
        created: CREATED,
        expires: FAR,
        answers: if round == 1 { Vec::new() } else { vec![0xa5; 32] },
        n_points,
        points: points(n_points as usize),
        trunc,
        n_doubled,
        doubled: (0..n_doubled * trunc as u64).map(|i| i as u8).collect(),
        catalog: None,
    }
}

/// Sign raw payload bytes as `signer`, with `kid`.
fn sign_raw(bytes: Vec<u8>, signer: &Identity, kid: &[u8]) -> Vec<u8> {
    cose::sign(bytes, signer.signing_key(), kid).to_vec()
}

fn sign(p: &Payload, signer: &Identity) -> Vec<u8> {
    sign_raw(p.encode(), signer, &p.from)
}

/// The payload as a CBOR map value, to reorder or extend.
fn as_map(p: &Payload) -> Vec<(ciborium::Value, ciborium::Value)> {
    match ciborium::Value::serialized(p).unwrap() {
        ciborium::Value::Map(m) => m,
        _ => unreachable!(),
    }
}

fn cbor(v: &ciborium::Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).unwrap();
    out
}

fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let i = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    [&bytes[..i], to, &bytes[i + from.len()..]].concat()
}

/// A COSE_Sign1 with a chosen protected header, signed properly.
fn sign_with_header(p: &Payload, signer: &Identity, header: coset::Header) -> Vec<u8> {
    use coset::TaggedCborSerializable;
    use ed25519_dalek::Signer;
    coset::CoseSign1Builder::new()
        .protected(header)
        .payload(p.encode())
        .create_signature(b"", |tbs| signer.signing_key().sign(tbs).to_bytes().to_vec())
        .build()
        .to_tagged_vec()
        .unwrap()
}

#[test]
#[ignore = "rewrites testdata/vectors (or $COSECT_VECTORS_DIR); run by hand"]
fn regenerate() {
    let out = vectors_dir();
    let base = Base::new();
    for e in fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|e| e == "vec") {
            fs::remove_file(p).unwrap();
        }
    }
    let cases = cases();
    for c in &cases {
        let data = [c.header().into_bytes(), (c.build)(&base)].concat();
        fs::write(out.join(format!("{}.vec", c.name)), data).unwrap();
    }
    println!("wrote {} vectors to {}", cases.len(), out.display());
}
