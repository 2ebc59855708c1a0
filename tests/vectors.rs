//! Bundle test vectors (testdata/vectors/, format in its README.md), run
//! through every entry point that reads bundles: the library
//! (`Opened::open` and the reader checks), `cosect inspect`, `cosect
//! respond` and `cosect finish`. Each must give the outcome the vector's
//! header names, and nothing may panic.
//!
//! `cargo test --test vectors -- --ignored regenerate` rewrites the vectors
//! (keeping the committed test identities).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use cosect::bundle::payload::{Payload, FORMAT_VERSION, PROTOCOL_PSI};
use cosect::bundle::{cose, envelope, BundleError, Opened};
use cosect::group::{Exec, NoProgress};
use cosect::identity::{Identity, PublicIdentity};
use cosect::input::{Entries, Kind};
use cosect::protocol::mutual::Round1;
use cosect::protocol::{Mode, Responder};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/vectors")
}

/// The reader checks, in the order every reader applies them.
const STAGES: [&str; 6] = ["open", "sender", "recipient", "time", "round1", "points"];

struct Vector {
    name: String,
    header: BTreeMap<String, String>,
    bytes: Vec<u8>,
}

impl Vector {
    fn get(&self, k: &str) -> &str {
        self.header
            .get(k)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{}: no {k:?} in header", self.name))
    }

    fn opt(&self, k: &str) -> Option<&str> {
        self.header.get(k).map(String::as_str)
    }

    fn ok(&self) -> bool {
        match self.get("expect") {
            "ok" => true,
            "error" => false,
            other => panic!("{}: expect {other:?}", self.name),
        }
    }

    /// The stage the vector fails at (`None` when it passes them all).
    fn fails_at(&self) -> Option<usize> {
        if self.ok() {
            return None;
        }
        let s = self.get("fails-at");
        Some(
            STAGES
                .iter()
                .position(|x| *x == s)
                .unwrap_or_else(|| panic!("{}: stage {s:?}", self.name)),
        )
    }

    /// Whether the vector is meant for `respond` (round 1) or `finish`.
    fn for_respond(&self) -> bool {
        self.get("for") == "respond"
    }
}

fn parse_vector(name: &str, data: &[u8]) -> Vector {
    let split = data
        .windows(2)
        .position(|w| w == b"\n\n")
        .unwrap_or_else(|| panic!("{name}: no blank line after the header"));
    let head = std::str::from_utf8(&data[..split]).unwrap();
    let mut header = BTreeMap::new();
    for line in head.lines().filter(|l| !l.starts_with('#')) {
        let (k, v) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("{name}: bad header line {line:?}"));
        assert!(header.insert(k.to_owned(), v.to_owned()).is_none(), "{name}: {k} twice");
    }
    Vector {
        name: name.to_owned(),
        header,
        bytes: data[split + 2..].to_vec(),
    }
}

fn vectors() -> Vec<Vector> {
    let mut v: Vec<Vector> = fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "vec"))
        .map(|p| parse_vector(&p.file_name().unwrap().to_string_lossy(), &fs::read(&p).unwrap()))
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn identity(who: &str) -> Identity {
    Identity::parse(&fs::read_to_string(dir().join(format!("{who}.id"))).unwrap()).unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The library path: open, then each check in order. Returns the index of
/// the stage that failed and its message.
fn library(v: &Vector) -> Result<(), (usize, String)> {
    let me = identity(v.get("identity"));
    let peer = identity(v.get("peer")).public();
    let mut b = Opened::open(v.bytes.clone(), Some(&me)).map_err(|e| (0, e.to_string()))?;
    b.check_sender(&peer).map_err(|e| (1, e.to_string()))?;
    b.check_recipient(&me.public()).map_err(|e| (2, e.to_string()))?;
    b.check_time(now()).map_err(|e| (3, e.to_string()))?;
    if !v.for_respond() {
        return Ok(());
    }
    cosect::commands::respond::check_round1(&b.payload).map_err(|e: BundleError| (4, e.to_string()))?;
    let entries = Entries::from_canonical([(Kind::Raw, "x"), (Kind::Raw, "y")]);
    let r1 = Round1 {
        points: b.payload.points.clone(),
    };
    Responder::respond(
        &r1,
        &entries,
        Mode::Mutual,
        None,
        Exec::Serial,
        &NoProgress,
        &mut rand::rngs::OsRng,
    )
    .map_err(|e| (5, e.to_string()))?;
    Ok(())
}

/// A temporary directory with the test identities (0600) and public lines.
struct Place {
    dir: tempfile::TempDir,
}

impl Place {
    fn new() -> Place {
        let p = Place {
            dir: tempfile::tempdir().unwrap(),
        };
        for who in ["alice", "bob", "carol"] {
            let id = p.dir.path().join(format!("{who}.id"));
            fs::copy(dir().join(format!("{who}.id")), &id).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&id, fs::Permissions::from_mode(0o600)).unwrap();
            }
            fs::copy(
                dir().join(format!("{who}.pub")),
                p.dir.path().join(format!("{who}.pub")),
            )
            .unwrap();
        }
        fs::write(p.dir.path().join("list.txt"), "x\ny\n").unwrap();
        for sub in ["home", "config", "state"] {
            fs::create_dir(p.dir.path().join(sub)).unwrap();
        }
        p
    }

    fn run(&self, args: &[&str]) -> Output {
        let d = self.dir.path();
        Command::new(env!("CARGO_BIN_EXE_cosect"))
            .args(args)
            .current_dir(d)
            .env("HOME", d.join("home"))
            .env("XDG_CONFIG_HOME", d.join("config"))
            .env("XDG_STATE_HOME", d.join("state"))
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

/// Exit 1 with a short message containing `want`, or exit 0 when `want` is None.
fn check(v: &Vector, what: &str, out: &Output, want: Option<&str>) -> Result<(), String> {
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("panicked") {
        return Err(format!("{}: {what} panicked: {err}", v.name));
    }
    match (want, out.status.code()) {
        (None, Some(0)) => Ok(()),
        (Some(w), Some(1)) if err.starts_with("error: ") && err.contains(w) && err.lines().count() <= 4 => Ok(()),
        _ => Err(format!(
            "{}: {what}: expected {}, got exit {:?}: {err}",
            v.name,
            want.map_or("success".to_owned(), |w| format!("an error containing {w:?}")),
            out.status.code()
        )),
    }
}

fn run_vector(v: &Vector) -> Result<(), String> {
    let fails = v.fails_at();
    let want = v.opt("error").unwrap_or("");
    if !v.ok() {
        assert!(!want.is_empty(), "{}: an error vector needs `error:`", v.name);
    }
    // Library.
    let lib = std::panic::catch_unwind(|| library(v)).map_err(|_| format!("{}: the library panicked", v.name))?;
    match (fails, lib) {
        (None, Ok(())) => {}
        (Some(s), Err((got, msg))) if s == got && msg.contains(want) => {}
        (_, r) => {
            return Err(format!(
                "{}: library: expected {:?}, got {r:?}",
                v.name,
                fails.map(|s| STAGES[s])
            ))
        }
    }

    let place = Place::new();
    fs::write(place.dir.path().join("v.bin"), &v.bytes).unwrap();
    let id = format!("{}.id", v.get("identity"));
    let peer = format!("{}.pub", v.get("peer"));

    // inspect: only an `open` failure is an error; otherwise it shows the
    // signature status and expiry.
    let out = place.run(&["inspect", "v.bin", "-i", &id, "--peer", &peer, "--json"]);
    if fails == Some(0) {
        check(v, "inspect", &out, Some(want))?;
    } else {
        check(v, "inspect", &out, None)?;
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let sig = if fails == Some(1) { "invalid" } else { "valid" };
        if j["signature"] != sig || j["expired"] != (fails == Some(3)) {
            return Err(format!("{}: inspect shows {j}", v.name));
        }
    }

    // respond.
    let out = place.run(&[
        "respond",
        "v.bin",
        "-i",
        &id,
        "--peer",
        &peer,
        "--input",
        "list.txt",
        "--state-dir",
        "s",
        "-o",
        "out.bin",
        "-q",
    ]);
    let want_respond = match fails {
        Some(s) if s <= 3 => Some(v.opt("respond-error").unwrap_or(want)),
        _ if !v.for_respond() => Some("`respond` answers round 1"),
        Some(_) => Some(v.opt("respond-error").unwrap_or(want)),
        None => None,
    };
    check(v, "respond", &out, want_respond)?;
    if want_respond.is_some() && place.dir.path().join("out.bin").exists() {
        return Err(format!("{}: respond failed but left its output", v.name));
    }

    // finish, with no open session: only failures before the session
    // lookup (structure, addressee) name their cause.
    let out = place.run(&[
        "finish",
        "v.bin",
        "-i",
        &id,
        "--state-dir",
        "s2",
        "--reply",
        "r3.bin",
        "-o",
        "res.txt",
    ]);
    let want_finish = v
        .opt("finish-error")
        // `finish` checks the addressee before the session: a bundle not
        // for you says so rather than "no open session".
        .unwrap_or(if fails == Some(0) || fails == Some(2) {
            want
        } else {
            "no open session"
        });
    check(v, "finish", &out, Some(want_finish))?;
    Ok(())
}

#[test]
fn every_vector_through_every_reader() {
    let all = vectors();
    assert!(all.len() >= 40, "only {} vectors", all.len());
    let failing = all.iter().filter(|v| !v.ok()).count();
    assert!(failing * 4 >= all.len() * 3, "most vectors must be failure cases");
    for stage in STAGES {
        assert!(
            all.iter().any(|v| v.opt("fails-at") == Some(stage)),
            "no vector fails at {stage}"
        );
    }
    let errors: Vec<String> = all.iter().filter_map(|v| run_vector(v).err()).collect();
    assert!(
        errors.is_empty(),
        "{} of {} vectors:\n{}",
        errors.len(),
        all.len(),
        errors.join("\n")
    );
}

// ---------------------------------------------------------------------------
// The generator.

const CREATED: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const FAR: u64 = 4_102_444_800; // 2100-01-01T00:00:00Z
const TEST_ONLY: &str =
    "# TEST KEY ONLY: published in the cosect repository for test vectors.\n# Never use it for a real exchange.\n";

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

fn header(kid: &[u8]) -> coset::HeaderBuilder {
    coset::HeaderBuilder::new().key_id(kid.to_vec())
}

struct Gen {
    written: Vec<String>,
}

impl Gen {
    #[allow(clippy::too_many_arguments)]
    fn write(
        &mut self,
        name: &str,
        expect: &str,
        fails_at: Option<&str>,
        error: Option<&str>,
        for_: &str,
        ids: (&str, &str),
        extra: &[(&str, &str)],
        comment: &str,
        bytes: &[u8],
    ) {
        let mut h = String::from("# cosect bundle test vector; keys are TEST ONLY (testdata/vectors/*.id)\n");
        h.push_str(&format!("expect: {expect}\n"));
        if let Some(s) = fails_at {
            h.push_str(&format!("fails-at: {s}\n"));
        }
        if let Some(e) = error {
            h.push_str(&format!("error: {e}\n"));
        }
        h.push_str(&format!("for: {for_}\nidentity: {}\npeer: {}\n", ids.0, ids.1));
        for (k, v) in extra {
            h.push_str(&format!("{k}: {v}\n"));
        }
        h.push_str(&format!("comment: {comment}\n\n"));
        let mut data = h.into_bytes();
        data.extend_from_slice(bytes);
        fs::write(dir().join(format!("{name}.vec")), data).unwrap();
        self.written.push(name.to_owned());
    }

    /// A round-1 failure read by Bob from Alice.
    fn r1(&mut self, name: &str, fails_at: &str, error: &str, comment: &str, bytes: &[u8]) {
        self.write(
            name,
            "error",
            Some(fails_at),
            Some(error),
            "respond",
            ("bob", "alice"),
            &[],
            comment,
            bytes,
        );
    }
}

#[test]
#[ignore = "rewrites testdata/vectors; run by hand"]
fn regenerate() {
    let alice = test_identity("alice", "Alice Test CERT");
    let bob = test_identity("bob", "Bob Test SOC");
    let carol = test_identity("carol", "Carol Test");
    let (pa, pb, pc) = (alice.public(), bob.public(), carol.public());
    for e in fs::read_dir(dir()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|e| e == "vec") {
            fs::remove_file(p).unwrap();
        }
    }
    let mut g = Gen { written: Vec::new() };
    let ab = ("bob", "alice");
    let ba = ("alice", "bob");

    // --- Valid bundles.
    let r1 = payload(1, &pa, &pb);
    let r1_cose = sign(&r1, &alice);
    g.write(
        "r1-ok-plain",
        "ok",
        None,
        None,
        "respond",
        ab,
        &[],
        "valid round 1, Alice to Bob, 4 points, expires 2100",
        &r1_cose,
    );
    let r1_age = envelope::encrypt(&r1_cose, &pb.recipient, false);
    g.write(
        "r1-ok-age",
        "ok",
        None,
        None,
        "respond",
        ab,
        &[],
        "the same, age-encrypted to Bob",
        &r1_age,
    );
    let r1_asc = envelope::encrypt(&r1_cose, &pb.recipient, true);
    g.write(
        "r1-ok-armor",
        "ok",
        None,
        None,
        "respond",
        ab,
        &[],
        "the same, age-encrypted and armored",
        &r1_asc,
    );
    // White space a mail client may add or drop around armored text: the
    // decrypted bundle is the same bytes, so these are accepted.
    let mut pasted = b"\r\n\n  \n".to_vec();
    pasted.extend(
        String::from_utf8(r1_asc.clone())
            .unwrap()
            .replace('\n', "\r\n")
            .into_bytes(),
    );
    g.write(
        "r1-ok-armor-pasted",
        "ok",
        None,
        None,
        "respond",
        ab,
        &[],
        "armored with blank lines before it and CRLF line endings (as pasted from a mail)",
        &pasted,
    );
    let r2 = payload(2, &pb, &pa);
    g.write(
        "r2-ok-plain",
        "ok",
        None,
        None,
        "finish",
        ba,
        &[],
        "valid round 2, Bob to Alice (no session exists)",
        &sign(&r2, &bob),
    );
    let r2_asc = envelope::encrypt(&sign(&r2, &bob), &pa.recipient, true);
    g.write(
        "r2-ok-armor",
        "ok",
        None,
        None,
        "finish",
        ba,
        &[],
        "valid round 2, armored",
        &r2_asc,
    );
    let r3 = payload(3, &pa, &pb);
    g.write(
        "r3-ok-age",
        "ok",
        None,
        None,
        "finish",
        ab,
        &[],
        "valid round 3, Alice to Bob, age-encrypted",
        &envelope::encrypt(&sign(&r3, &alice), &pb.recipient, false),
    );

    // --- Envelope.
    let n = r1_age.len();
    g.r1(
        "age-truncated",
        "open",
        "cannot decrypt",
        "age file cut in the middle of the payload",
        &r1_age[..n - 40],
    );
    g.r1(
        "age-header-only",
        "open",
        "cannot decrypt",
        "age file cut after its header and payload nonce",
        &r1_age[..n - r1_cose.len() - 16],
    );
    g.r1(
        "age-trailing-junk",
        "open",
        "cannot decrypt",
        "bytes after the last age chunk",
        &[&r1_age[..], b"junk"].concat(),
    );
    g.r1(
        "age-flipped-payload",
        "open",
        "cannot decrypt",
        "one bit of the encrypted payload flipped",
        &{
            let mut b = r1_age.clone();
            b[n - 20] ^= 0x04;
            b
        },
    );
    g.r1(
        "age-to-carol",
        "open",
        "not encrypted to your identity",
        "encrypted to Carol, read by Bob",
        &envelope::encrypt(&r1_cose, &pc.recipient, false),
    );
    g.r1(
        "age-version-2",
        "open",
        "cannot decrypt",
        "age header names version v2",
        &replace(&r1_age, b"age-encryption.org/v1", b"age-encryption.org/v2"),
    );
    g.r1(
        "armor-bad-base64",
        "open",
        "cannot decrypt",
        "a '!' in the armored base64",
        &{
            let mut b = r1_asc.clone();
            b[60] = b'!';
            b
        },
    );
    g.r1(
        "armor-truncated",
        "open",
        "cannot decrypt",
        "armored file without its END line",
        &r1_asc[..r1_asc.len() - 40],
    );
    g.r1(
        "age-not-cose",
        "open",
        "not a COSE_Sign1",
        "age file whose content is not a bundle",
        &envelope::encrypt(b"hello", &pb.recipient, false),
    );

    // --- COSE structure.
    g.r1("empty", "open", "not a COSE_Sign1", "zero bytes", b"");
    g.r1(
        "cose-truncated",
        "open",
        "cut short",
        "plain bundle without its last byte",
        &r1_cose[..r1_cose.len() - 1],
    );
    g.r1(
        "cose-trailing-junk",
        "open",
        "trailing bytes",
        "one byte after the COSE_Sign1",
        &[&r1_cose[..], &[0]].concat(),
    );
    g.r1(
        "cose-untagged",
        "open",
        "not a COSE_Sign1",
        "COSE_Sign1 without tag 18 (signature still valid)",
        &r1_cose[1..],
    );
    g.r1(
        "cose-tag-17",
        "open",
        "not a COSE_Sign1",
        "tag 17 (COSE_Mac0) instead of 18",
        &[&[0xd1], &r1_cose[1..]].concat(),
    );
    g.r1(
        "cose-unprotected-kid",
        "open",
        "unprotected header is not empty",
        "kid added to the unsigned header (signature still valid)",
        &{
            use coset::TaggedCborSerializable;
            let mut m = coset::CoseSign1::from_tagged_slice(&r1_cose).unwrap();
            m.unprotected.key_id = b"x".to_vec();
            m.to_tagged_vec().unwrap()
        },
    );
    g.r1(
        "cose-protected-extra",
        "open",
        "protected header holds other fields",
        "a crit-free extra label in the signed header",
        &sign_with_header(
            &r1,
            &alice,
            header(&r1.from)
                .algorithm(coset::iana::Algorithm::EdDSA)
                .content_type(cose::CONTENT_TYPE.into())
                .value(99, ciborium::Value::Integer(1.into()))
                .build(),
        ),
    );
    g.r1(
        "cose-alg-es256",
        "open",
        "not EdDSA",
        "alg ES256 in the protected header",
        &sign_with_header(
            &r1,
            &alice,
            header(&r1.from)
                .algorithm(coset::iana::Algorithm::ES256)
                .content_type(cose::CONTENT_TYPE.into())
                .build(),
        ),
    );
    g.r1(
        "cose-content-type-v2",
        "open",
        "unknown bundle format version 2; upgrade cosect?",
        "content type of a future format",
        &sign_with_header(
            &r1,
            &alice,
            header(&r1.from)
                .algorithm(coset::iana::Algorithm::EdDSA)
                .content_type("application/cosect-bundle+cbor; v=2".into())
                .build(),
        ),
    );
    g.r1(
        "cose-no-content-type",
        "open",
        "content type is not a cosect bundle",
        "no content type",
        &sign_with_header(
            &r1,
            &alice,
            header(&r1.from).algorithm(coset::iana::Algorithm::EdDSA).build(),
        ),
    );
    g.r1("cose-detached", "open", "no payload", "payload nil (detached)", &{
        use coset::TaggedCborSerializable;
        let mut m = coset::CoseSign1::from_tagged_slice(&r1_cose).unwrap();
        m.payload = None;
        m.to_tagged_vec().unwrap()
    });
    g.r1(
        "cose-sig-63",
        "open",
        "signature is not 64 bytes",
        "63-byte signature",
        &{
            let n = r1_cose.len();
            [&r1_cose[..n - 66], &[0x58, 63], &r1_cose[n - 63..]].concat()
        },
    );
    g.r1(
        "cose-sig-long-head",
        "open",
        "not in canonical form",
        "signature length written as 0x59 0x00 0x40",
        &{
            let n = r1_cose.len();
            [&r1_cose[..n - 66], &[0x59, 0x00, 0x40], &r1_cose[n - 64..]].concat()
        },
    );

    // --- Payload.
    let with = |f: &dyn Fn(&mut Payload)| {
        let mut p = r1.clone();
        f(&mut p);
        sign(&p, &alice)
    };
    g.r1(
        "payload-version-2",
        "open",
        "unknown bundle format version 2",
        "\"cosect\": 2",
        &with(&|p| p.cosect = 2),
    );
    g.r1(
        "payload-version-0",
        "open",
        "unknown bundle format version 0",
        "\"cosect\": 0",
        &with(&|p| p.cosect = 0),
    );
    let mut m = as_map(&r1);
    m.retain(|(k, _)| k.as_text() != Some("cosect"));
    g.r1(
        "payload-no-version",
        "open",
        "no \"cosect\" version field",
        "the version field left out",
        &sign_raw(cbor(&ciborium::Value::Map(m)), &alice, &r1.from),
    );
    let mut m = as_map(&r1);
    m.push((
        ciborium::Value::Text("extra".into()),
        ciborium::Value::Integer(1.into()),
    ));
    g.r1(
        "payload-unknown-field",
        "open",
        "does not match the bundle schema",
        "an extra field \"extra\" at the end",
        &sign_raw(cbor(&ciborium::Value::Map(m)), &alice, &r1.from),
    );
    let mut m = as_map(&r1);
    m.swap(1, 2);
    g.r1(
        "payload-field-order",
        "open",
        "not in canonical form",
        "\"protocol\" and \"round\" swapped",
        &sign_raw(cbor(&ciborium::Value::Map(m)), &alice, &r1.from),
    );
    g.r1(
        "payload-long-int",
        "open",
        "not in canonical form",
        "round 1 written as 0x18 0x01",
        &sign_raw(
            replace(&r1.encode(), b"\x65round\x01", b"\x65round\x18\x01"),
            &alice,
            &r1.from,
        ),
    );
    g.r1(
        "payload-trailing",
        "open",
        "not in canonical form",
        "a byte after the payload map (inside the signature)",
        &sign_raw([r1.encode(), vec![0]].concat(), &alice, &r1.from),
    );
    let arr = ciborium::Value::Array(as_map(&r1).into_iter().map(|(_, v)| v).collect());
    g.r1(
        "payload-array",
        "open",
        "not a CBOR map",
        "the fields as an array instead of a map",
        &sign_raw(cbor(&arr), &alice, &r1.from),
    );
    g.r1(
        "payload-not-cbor",
        "open",
        "not a CBOR map",
        "the payload is text",
        &sign_raw(b"hello".to_vec(), &alice, &r1.from),
    );
    g.r1(
        "payload-session-15",
        "open",
        "session id is not 16 bytes",
        "15-byte session id",
        &with(&|p| {
            p.session.pop();
        }),
    );
    g.r1(
        "payload-to-31",
        "open",
        "a fingerprint is not 32 bytes",
        "31-byte recipient fingerprint",
        &with(&|p| p.to.truncate(31)),
    );
    g.r1(
        "payload-answers-31",
        "open",
        "hash is not 32 bytes",
        "31-byte answered hash",
        &with(&|p| p.answers = vec![1; 31]),
    );
    g.r1(
        "payload-count-high",
        "open",
        "n_points says 5 elements but points holds 128 bytes",
        "n_points 5, four points",
        &with(&|p| p.n_points = 5),
    );
    g.r1(
        "payload-count-huge",
        "open",
        "exceeds 2^32 - 1",
        "n_points 2^63, four points (no allocation)",
        &with(&|p| p.n_points = 1 << 63),
    );
    g.r1(
        "payload-points-ragged",
        "open",
        "but points holds 127 bytes",
        "points one byte short",
        &with(&|p| {
            p.points.pop();
        }),
    );
    g.r1(
        "payload-trunc-33",
        "open",
        "trunc is larger than 32",
        "trunc 33",
        &with(&|p| {
            p.trunc = 33;
            p.n_doubled = 1;
            p.doubled = vec![0; 33];
        }),
    );
    g.r1(
        "payload-doubled-mismatch",
        "open",
        "n_doubled says 2 elements of 6 bytes but doubled holds 6 bytes",
        "n_doubled 2, one element",
        &with(&|p| {
            p.trunc = 6;
            p.n_doubled = 2;
            p.doubled = vec![0; 6];
        }),
    );
    g.r1(
        "payload-trunc-zero",
        "open",
        "trunc is 0 but doubled",
        "n_doubled 1 with trunc 0",
        &with(&|p| p.n_doubled = 1),
    );
    g.r1(
        "payload-expires-first",
        "open",
        "expires before it was created",
        "expires < created",
        &with(&|p| p.expires = CREATED - 1),
    );
    g.r1(
        "payload-sender-garbage",
        "open",
        "sender's public identity is malformed",
        "sender line not a public identity",
        &with(&|p| p.sender = "hello".into()),
    );
    let base = pa.line().splitn(4, ' ').take(3).collect::<Vec<_>>().join(" ");
    g.r1(
        "payload-sender-escape",
        "open",
        "sender's public identity is malformed",
        "sender name with a terminal escape",
        &with(&|p| p.sender = format!("{base} Alice\u{1b}[2J")),
    );
    g.r1(
        "payload-sender-bidi",
        "open",
        "sender's public identity is malformed",
        "sender name with a right-to-left override",
        &with(&|p| p.sender = format!("{base} Alice\u{202e}gpj")),
    );
    g.r1(
        "payload-from-mismatch",
        "open",
        "sender fingerprint does not match",
        "from is Carol's fingerprint, sender line and kid Alice's",
        &{
            let mut p = r1.clone();
            p.from = pc.fingerprint().to_vec();
            sign_raw(p.encode(), &alice, &r1.from)
        },
    );
    g.r1(
        "cose-kid-mismatch",
        "open",
        "sender fingerprint does not match",
        "kid is Carol's fingerprint",
        &sign_raw(r1.encode(), &alice, &pc.fingerprint()),
    );

    // --- Signature and sender.
    g.r1(
        "sig-flipped",
        "sender",
        "signature does not verify",
        "one bit of the signature flipped",
        &{
            let mut b = r1_cose.clone();
            let n = b.len();
            b[n - 10] ^= 1;
            b
        },
    );
    g.r1(
        "sig-by-carol",
        "sender",
        "signature does not verify",
        "claims to be Alice, signed with Carol's key",
        &sign(&r1, &carol),
    );
    g.r1(
        "sig-s-plus-l",
        "sender",
        "signature does not verify",
        "signature S replaced by S + L (malleable form)",
        &{
            let mut b = r1_cose.clone();
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
        },
    );
    g.r1(
        "sig-payload-changed",
        "sender",
        "signature does not verify",
        "kind changed after signing, signature kept",
        &{
            let mut p = r1.clone();
            let good = sign(&p, &alice);
            p.kind = "ip".into();
            let other = sign(&p, &alice);
            let n = other.len();
            [&other[..n - 64], &good[good.len() - 64..]].concat()
        },
    );
    g.r1(
        "from-carol",
        "sender",
        "is from Carol Test",
        "a genuine round 1 from Carol to Bob",
        &sign(&payload(1, &pc, &pb), &carol),
    );
    g.write(
        "own-round1",
        "error",
        Some("sender"),
        Some("is from Bob Test SOC"),
        "respond",
        ab,
        &[
            ("respond-error", "you sent yourself (round 1)"),
            ("finish-error", "you sent yourself (round 1)"),
        ],
        "Bob's own round 1 (to Alice) read by Bob",
        &sign(&payload(1, &pb, &pa), &bob),
    );
    g.write(
        "own-round3",
        "error",
        Some("sender"),
        Some("is from Alice Test CERT"),
        "finish",
        ba,
        &[
            ("respond-error", "you sent yourself (round 3)"),
            ("finish-error", "you sent yourself (round 3)"),
        ],
        "Alice's round 3 fed back to Alice",
        &sign(&r3, &alice),
    );

    // --- Recipient and time.
    g.r1(
        "to-carol",
        "recipient",
        "not to you",
        "Alice's round 1 addressed to Carol, read by Bob",
        &sign(&payload(1, &pa, &pc), &alice),
    );
    g.write(
        "r2-to-carol",
        "error",
        Some("recipient"),
        Some("not to you"),
        "finish",
        ba,
        &[],
        "Bob's round 2 addressed to Carol, read by Alice",
        &sign(&payload(2, &pb, &pc), &bob),
    );
    g.r1(
        "expired",
        "time",
        "expired at 2026-01-08T00:00:00Z (created 2026-01-01T00:00:00Z)",
        "expired a week after 2026-01-01",
        &with(&|p| p.expires = CREATED + 7 * 86400),
    );
    g.write(
        "r3-expired",
        "error",
        Some("time"),
        Some("expired at 2026-01-01T01:00:00Z"),
        "finish",
        ab,
        &[],
        "round 3 that expired after an hour",
        &{
            let mut p = r3.clone();
            p.expires = CREATED + 3600;
            sign(&p, &alice)
        },
    );

    // --- Round-1 meaning (respond only).
    g.r1(
        "r1-kind-unknown",
        "round1",
        "unknown kind",
        "kind \"ipv6\"",
        &with(&|p| p.kind = "ipv6".into()),
    );
    g.r1(
        "r1-kind-escape",
        "round1",
        "unknown kind \"raw\\\\u{1b}[31m\"",
        "kind with a terminal escape (shown escaped)",
        &with(&|p| p.kind = "raw\u{1b}[31m".into()),
    );
    g.r1(
        "r1-mode-unknown",
        "round1",
        "unknown mode",
        "mode \"both\"",
        &with(&|p| p.mode = "both".into()),
    );
    g.r1(
        "r1-protocol-oprf",
        "round1",
        "is not one `respond` answers",
        "protocol \"oprf\"",
        &with(&|p| p.protocol = "oprf".into()),
    );
    g.r1(
        "r1-round-4",
        "round1",
        "round-4 bundle",
        "round 4",
        &with(&|p| p.round = 4),
    );
    g.r1(
        "r1-answers",
        "round1",
        "carries no answered hash",
        "round 1 naming an answered bundle",
        &with(&|p| p.answers = vec![1; 32]),
    );
    g.r1(
        "r1-empty",
        "round1",
        "round 1 holds no elements",
        "no points",
        &with(&|p| {
            p.n_points = 0;
            p.points.clear();
        }),
    );

    // --- Points.
    g.r1(
        "point-identity",
        "points",
        "element 2 is the identity element",
        "third point is the identity (all zero)",
        &with(&|p| p.points[64..96].fill(0)),
    );
    g.r1(
        "point-invalid",
        "points",
        "element 1 is not a valid ristretto255 point",
        "second point all 0xff",
        &with(&|p| p.points[32..64].fill(0xff)),
    );
    g.r1(
        "point-noncanonical",
        "points",
        "element 0 is not a valid ristretto255 point",
        "first point's field element + p (non-canonical)",
        &with(&|p| {
            // 1 + p = 2^255 - 18 in little endian: not the canonical encoding of 1.
            let mut e = [0xffu8; 32];
            e[0] = 0xee;
            e[31] = 0x7f;
            p.points[..32].copy_from_slice(&e);
        }),
    );
    g.r1(
        "point-negative",
        "points",
        "element 3 is not a valid ristretto255 point",
        "fourth point with the sign bit of s set (negative s)",
        &with(&|p| p.points[96] |= 1),
    );

    println!("wrote {} vectors", g.written.len());
}
