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
        let h = coset::HeaderBuilder::new().key_id(self.r1.from.to_vec());
        sign_with_header(&self.r1, &self.alice, f(h).build())
    }

    /// The signed round 1 as a COSE_Sign1 structure, changed by `f`.
    fn r1_cose_with(&self, f: impl FnOnce(&mut coset::CoseSign1)) -> Vec<u8> {
        use coset::TaggedCborSerializable;
        let mut m = coset::CoseSign1::from_tagged_slice(&self.r1_cose).unwrap();
        f(&mut m);
        m.to_tagged_vec().unwrap()
    }

    /// The signed round 1 with the signature's byte-string head (2 bytes)
    /// replaced by `head`, keeping the last `tail` bytes of the signature.
    fn r1_sig_head(&self, head: &[u8], tail: usize) -> Vec<u8> {
        let n = self.r1_cose.len();
        [&self.r1_cose[..n - 66], head, &self.r1_cose[n - tail..]].concat()
    }

    /// Alice's public line with `name` instead of her name.
    fn alice_named(&self, name: &str) -> String {
        let base = self.pa.line().splitn(4, ' ').take(3).collect::<Vec<_>>().join(" ");
        format!("{base} {name}")
    }

    /// The armored round 1 with blank lines before it and CRLF line ends.
    fn pasted(&self) -> Vec<u8> {
        let crlf = String::from_utf8(self.r1_asc.clone()).unwrap().replace('\n', "\r\n");
        [&b"\r\n\n  \n"[..], crlf.as_bytes()].concat()
    }

    /// Alice's round 1 with kind "ip" under the signature of the genuine one.
    fn kind_changed_after_signing(&self) -> Vec<u8> {
        let good = &self.r1_cose;
        let other = self.r1_with(|p| p.kind = "ip".into());
        let n = other.len();
        [&other[..n - 64], &good[good.len() - 64..]].concat()
    }
}

/// The first `n` bytes minus `back`.
fn cut(bytes: &[u8], back: usize) -> Vec<u8> {
    bytes[..bytes.len() - back].to_vec()
}

/// `bytes` with `mask` xored into the byte `back` from the end.
fn flip(bytes: &[u8], back: usize, mask: u8) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let n = b.len();
    b[n - back] ^= mask;
    b
}

/// `bytes` with byte `at` set to `to`.
fn set(bytes: &[u8], at: usize, to: u8) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at] = to;
    b
}

/// 1 + p = 2^255 - 18 in little endian: not the canonical encoding of 1.
const ONE_PLUS_P: [u8; 32] = {
    let mut e = [0xff; 32];
    e[0] = 0xee;
    e[31] = 0x7f;
    e
};

const OWN_R1: &[(&str, &str)] = &[
    ("respond-error", "you sent yourself (round 1)"),
    ("finish-error", "you sent yourself (round 1)"),
];
const OWN_R3: &[(&str, &str)] = &[
    ("respond-error", "you sent yourself (round 3)"),
    ("finish-error", "you sent yourself (round 3)"),
];

const DEC: &str = "cannot decrypt";
const NOT_COSE: &str = "not a COSE_Sign1";
const CANON: &str = "not in canonical form";
const NOT_MAP: &str = "not a CBOR map";
const BAD_SENDER: &str = "sender's public identity is malformed";
const BAD_FROM: &str = "sender fingerprint does not match";
const BAD_SIG: &str = "signature does not verify";
const CT: &str = cose::CONTENT_TYPE;

/// Every vector, one row each: name, expected outcome (valid for a reader,
/// or refused at a stage with this message), comment, how it is built.
/// Unless a row says `.by(…)`, Bob reads a round 1 from Alice.
#[rustfmt::skip]
pub fn cases() -> Vec<Case> {
    use coset::iana::Algorithm::{EdDSA, ES256};
    use Reader::*;
    vec![
        // Valid bundles.
        valid("r1-ok-plain", BobResponds, "valid round 1, Alice to Bob, 4 points, expires 2100", |b| b.r1_cose.clone()),
        valid("r1-ok-age", BobResponds, "the same, age-encrypted to Bob", |b| b.r1_age.clone()),
        valid("r1-ok-armor", BobResponds, "the same, age-encrypted and armored", |b| b.r1_asc.clone()),
        // White space a mail client may add or drop around armored text:
        // the decrypted bundle is the same bytes, so these are accepted.
        valid("r1-ok-armor-pasted", BobResponds, "armored with blank lines before it and CRLF line endings (as pasted from a mail)", |b| b.pasted()),
        valid("r2-ok-plain", AliceFinishes, "valid round 2, Bob to Alice (no session exists)", |b| sign(&b.r2, &b.bob)),
        valid("r2-ok-armor", AliceFinishes, "valid round 2, armored", |b| envelope::encrypt(&sign(&b.r2, &b.bob), &b.pa.recipient, true)),
        valid("r3-ok-age", BobFinishes, "valid round 3, Alice to Bob, age-encrypted", |b| envelope::encrypt(&sign(&b.r3, &b.alice), &b.pb.recipient, false)),

        // Envelope.
        fails("age-truncated", Open, DEC, "age file cut in the middle of the payload", |b| cut(&b.r1_age, 40)),
        fails("age-header-only", Open, DEC, "age file cut after its header and payload nonce", |b| cut(&b.r1_age, b.r1_cose.len() + 16)),
        fails("age-trailing-junk", Open, DEC, "bytes after the last age chunk", |b| [&b.r1_age[..], b"junk"].concat()),
        fails("age-flipped-payload", Open, DEC, "one bit of the encrypted payload flipped", |b| flip(&b.r1_age, 20, 0x04)),
        fails("age-to-carol", Open, "not encrypted to your identity", "encrypted to Carol, read by Bob", |b| envelope::encrypt(&b.r1_cose, &b.pc.recipient, false)),
        fails("age-version-2", Open, DEC, "age header names version v2", |b| replace(&b.r1_age, b"age-encryption.org/v1", b"age-encryption.org/v2")),
        fails("armor-bad-base64", Open, DEC, "a '!' in the armored base64", |b| set(&b.r1_asc, 60, b'!')),
        fails("armor-truncated", Open, DEC, "armored file without its END line", |b| cut(&b.r1_asc, 40)),
        fails("age-not-cose", Open, NOT_COSE, "age file whose content is not a bundle", |b| envelope::encrypt(b"hello", &b.pb.recipient, false)),

        // COSE structure.
        fails("empty", Open, "this is an empty file", "zero bytes", |_| Vec::new()),
        fails("cose-truncated", Open, "cut short", "plain bundle without its last byte", |b| cut(&b.r1_cose, 1)),
        fails("cose-trailing-junk", Open, "trailing bytes", "one byte after the COSE_Sign1", |b| [&b.r1_cose[..], &[0]].concat()),
        fails("cose-untagged", Open, NOT_COSE, "COSE_Sign1 without tag 18 (signature still valid)", |b| b.r1_cose[1..].to_vec()),
        fails("cose-tag-17", Open, NOT_COSE, "tag 17 (COSE_Mac0) instead of 18", |b| [&[0xd1], &b.r1_cose[1..]].concat()),
        fails("cose-unprotected-kid", Open, "unprotected header is not empty", "kid added to the unsigned header (signature still valid)", |b| b.r1_cose_with(|m| m.unprotected.key_id = b"x".to_vec())),
        fails("cose-protected-extra", Open, "protected header holds other fields", "a crit-free extra label in the signed header", |b| b.r1_header(|h| h.algorithm(EdDSA).content_type(CT.into()).value(99, 1.into()))),
        fails("cose-alg-es256", Open, "not EdDSA", "alg ES256 in the protected header", |b| b.r1_header(|h| h.algorithm(ES256).content_type(CT.into()))),
        fails("cose-content-type-v4", Open, "unknown bundle format version 4; upgrade cosect?", "content type of a future format", |b| b.r1_header(|h| h.algorithm(EdDSA).content_type("application/cosect-bundle+cbor; v=4".into()))),
        fails("cose-content-type-v2", Open, "bundle format version 2 is older than this cosect's (3), which compares e-mail addresses case-insensitively", "content type of format 2 (e-mail local parts compared as written)", |b| b.r1_header(|h| h.algorithm(EdDSA).content_type("application/cosect-bundle+cbor; v=2".into()))),
        fails("cose-content-type-v1", Open, "bundle format version 1 is older than this cosect's (3)", "content type of format 1 (ℓ bytes from byte 0)", |b| b.r1_header(|h| h.algorithm(EdDSA).content_type("application/cosect-bundle+cbor; v=1".into()))),
        fails("cose-no-content-type", Open, "content type is not a cosect bundle", "no content type", |b| b.r1_header(|h| h.algorithm(EdDSA))),
        fails("cose-detached", Open, "no payload", "payload nil (detached)", |b| b.r1_cose_with(|m| m.payload = None)),
        fails("cose-sig-63", Open, "signature is not 64 bytes", "63-byte signature", |b| b.r1_sig_head(&[0x58, 63], 63)),
        fails("cose-sig-long-head", Open, CANON, "signature length written as 0x59 0x00 0x40", |b| b.r1_sig_head(&[0x59, 0x00, 0x40], 64)),

        // Payload.
        fails("payload-version-4", Open, "unknown bundle format version 4", "\"cosect\": 4", |b| b.r1_with(|p| p.cosect = 4)),
        fails("payload-version-2", Open, "bundle format version 2 is older than this cosect's (3)", "\"cosect\": 2 (a peer that compares e-mail local parts as written)", |b| b.r1_with(|p| p.cosect = 2)),
        fails("payload-version-1", Open, "bundle format version 1 is older", "\"cosect\": 1", |b| b.r1_with(|p| p.cosect = 1)),
        fails("payload-version-0", Open, "bundle format version 0 is older", "\"cosect\": 0", |b| b.r1_with(|p| p.cosect = 0)),
        fails("payload-no-version", Open, "no \"cosect\" version field", "the version field left out", |b| b.r1_map(|m| m.retain(|(k, _)| k.as_text() != Some("cosect")))),
        fails("payload-unknown-field", Open, "does not match the bundle schema", "an extra field \"extra\" at the end", |b| b.r1_map(|m| m.push(("extra".into(), 1.into())))),
        fails("payload-field-order", Open, CANON, "\"protocol\" and \"round\" swapped", |b| b.r1_map(|m| m.swap(1, 2))),
        fails("payload-long-int", Open, CANON, "round 1 written as 0x18 0x01", |b| b.alice_raw(replace(&b.r1.encode(), b"\x65round\x01", b"\x65round\x18\x01"))),
        fails("payload-trailing", Open, CANON, "a byte after the payload map (inside the signature)", |b| b.alice_raw([b.r1.encode(), vec![0]].concat())),
        fails("payload-array", Open, NOT_MAP, "the fields as an array instead of a map", |b| b.alice_raw(cbor(&ciborium::Value::Array(as_map(&b.r1).into_iter().map(|(_, v)| v).collect())))),
        fails("payload-not-cbor", Open, NOT_MAP, "the payload is text", |b| b.alice_raw(b"hello".to_vec())),
        fails("payload-session-15", Open, "session id is not 16 bytes", "15-byte session id", |b| b.r1_with(|p| p.session.truncate(15))),
        fails("payload-to-31", Open, "a fingerprint is not 32 bytes", "31-byte recipient fingerprint", |b| b.r1_with(|p| p.to.truncate(31))),
        fails("payload-answers-31", Open, "hash is not 32 bytes", "31-byte answered hash", |b| b.r1_with(|p| p.answers = vec![1; 31].into())),
        fails("payload-count-high", Open, "n_points says 5 elements but points holds 128 bytes", "n_points 5, four points", |b| b.r1_with(|p| p.n_points = 5)),
        fails("payload-count-huge", Open, "exceeds 2^32 - 1", "n_points 2^63, four points (no allocation)", |b| b.r1_with(|p| p.n_points = 1 << 63)),
        fails("payload-points-ragged", Open, "but points holds 127 bytes", "points one byte short", |b| b.r1_with(|p| p.points.truncate(127))),
        fails("payload-trunc-33", Open, "trunc is larger than 32", "trunc 33", |b| b.r1_with(|p| { p.trunc = 33; p.n_doubled = 1; p.doubled = vec![0; 33].into() })),
        fails("payload-doubled-mismatch", Open, "n_doubled says 2 elements of 6 bytes but doubled holds 6 bytes", "n_doubled 2, one element", |b| b.r1_with(|p| { p.trunc = 6; p.n_doubled = 2; p.doubled = vec![0; 6].into() })),
        fails("payload-trunc-zero", Open, "trunc is 0 but doubled", "n_doubled 1 with trunc 0", |b| b.r1_with(|p| p.n_doubled = 1)),
        fails("payload-expires-first", Time, "before it was created (2026-01-01T00:00:00Z)", "expires < created (checked after the signature)", |b| b.r1_with(|p| p.expires = CREATED - 1)),
        fails("payload-sender-garbage", Open, BAD_SENDER, "sender line not a public identity", |b| b.r1_with(|p| p.sender = "hello".into())),
        fails("payload-sender-escape", Open, BAD_SENDER, "sender name with a terminal escape", |b| b.r1_with(|p| p.sender = b.alice_named("Alice\u{1b}[2J"))),
        fails("payload-sender-bidi", Open, BAD_SENDER, "sender name with a right-to-left override", |b| b.r1_with(|p| p.sender = b.alice_named("Alice\u{202e}gpj"))),
        fails("payload-from-mismatch", Open, BAD_FROM, "from is Carol's fingerprint, sender line and kid Alice's", |b| b.alice_raw(Payload { from: b.pc.fingerprint().to_vec().into(), ..b.r1.clone() }.encode())),
        fails("cose-kid-mismatch", Open, BAD_FROM, "kid is Carol's fingerprint", |b| sign_raw(b.r1.encode(), &b.alice, &b.pc.fingerprint())),

        // Signature and sender.
        fails("sig-flipped", Sender, BAD_SIG, "one bit of the signature flipped", |b| flip(&b.r1_cose, 10, 1)),
        fails("sig-by-carol", Sender, BAD_SIG, "claims to be Alice, signed with Carol's key", |b| sign(&b.r1, &b.carol)),
        fails("sig-s-plus-l", Sender, BAD_SIG, "signature S replaced by S + L (malleable form)", |b| add_group_order(&b.r1_cose)),
        fails("sig-payload-changed", Sender, BAD_SIG, "kind changed after signing, signature kept", |b| b.kind_changed_after_signing()),
        fails("from-carol", Sender, "is from Carol Test", "a genuine round 1 from Carol to Bob", |b| sign(&payload(1, &b.pc, &b.pb), &b.carol)),
        fails("own-round1", Sender, "is from Bob Test SOC", "Bob's own round 1 (to Alice) read by Bob", |b| sign(&payload(1, &b.pb, &b.pa), &b.bob)).with(OWN_R1),
        fails("own-round3", Sender, "is from Alice Test CERT", "Alice's round 3 fed back to Alice", |b| sign(&b.r3, &b.alice)).by(AliceFinishes).with(OWN_R3),

        // Recipient and time.
        fails("to-carol", Recipient, "not to you", "Alice's round 1 addressed to Carol, read by Bob", |b| sign(&payload(1, &b.pa, &b.pc), &b.alice)),
        fails("r2-to-carol", Recipient, "not to you", "Bob's round 2 addressed to Carol, read by Alice", |b| sign(&payload(2, &b.pb, &b.pc), &b.bob)).by(AliceFinishes),
        fails("expired", Time, "expired at 2026-01-08T00:00:00Z (created 2026-01-01T00:00:00Z)", "expired a week after 2026-01-01", |b| b.r1_with(|p| p.expires = CREATED + 7 * 86400)),
        fails("r3-expired", Time, "expired at 2026-01-01T01:00:00Z", "round 3 that expired after an hour", |b| sign(&Payload { expires: CREATED + 3600, ..b.r3.clone() }, &b.alice)).by(BobFinishes),

        // Round-1 meaning (respond only).
        fails("r1-kind-unknown", Round1, "unknown kind", "kind \"ipv6\"", |b| b.r1_with(|p| p.kind = "ipv6".into())),
        fails("r1-kind-escape", Round1, "unknown kind \"raw\\\\u{1b}[31m\"", "kind with a terminal escape (shown escaped)", |b| b.r1_with(|p| p.kind = "raw\u{1b}[31m".into())),
        fails("r1-mode-unknown", Round1, "unknown mode", "mode \"both\"", |b| b.r1_with(|p| p.mode = "both".into())),
        fails("r1-protocol-oprf", Round1, "is not one `respond` answers", "protocol \"oprf\"", |b| b.r1_with(|p| p.protocol = "oprf".into())),
        fails("r1-round-4", Round1, "round-4 bundle", "round 4", |b| b.r1_with(|p| p.round = 4)),
        fails("r1-answers", Round1, "carries no answered hash", "round 1 naming an answered bundle", |b| b.r1_with(|p| p.answers = vec![1; 32].into())),
        fails("r1-empty", Round1, "round 1 holds no elements", "no points", |b| b.r1_with(|p| { p.n_points = 0; p.points.clear() })),

        // Points.
        fails("point-identity", Points, "element 2 is the identity element", "third point is the identity (all zero)", |b| b.r1_with(|p| p.points[64..96].fill(0))),
        fails("point-invalid", Points, "element 1 is not a valid ristretto255 point", "second point all 0xff", |b| b.r1_with(|p| p.points[32..64].fill(0xff))),
        fails("point-noncanonical", Points, "element 0 is not a valid ristretto255 point", "first point's field element + p (non-canonical)", |b| b.r1_with(|p| p.points[..32].copy_from_slice(&ONE_PLUS_P))),
        fails("point-negative", Points, "element 3 is not a valid ristretto255 point", "fourth point with the sign bit of s set (negative s)", |b| b.r1_with(|p| p.points[96] |= 1)),
    ]
}

/// The signed bundle with its signature's S (the last 32 bytes) replaced
/// by S + L, L the group order.
fn add_group_order(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
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
    b
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
        session: vec![0x5e; 16].into(),
        sender: from.line(),
        from: from.fingerprint().to_vec().into(),
        to: to.fingerprint().to_vec().into(),
        kind: "raw".into(),
        mode: "mutual".into(),
        created: CREATED,
        expires: FAR,
        answers: if round == 1 { vec![] } else { vec![0xa5; 32] }.into(),
        n_points,
        points: points(n_points as usize).into(),
        trunc,
        n_doubled,
        doubled: (0..n_doubled * trunc as u64)
            .map(|i| i as u8)
            .collect::<Vec<_>>()
            .into(),
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
