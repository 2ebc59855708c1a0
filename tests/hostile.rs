//! Hostile bundles, replays, limits and local safety, through the real
//! binary: two (or three) identities made with `cosect keygen`, one
//! `--state-dir` each, bundles passed as files, HOME and XDG_* pointed at a
//! temporary directory. Crafted bundles (signed by a party's real key but
//! with a chosen payload) are made with the library, then fed to the binary.

mod common;

use std::fs;
use std::process::Output;
use std::time::{Duration, Instant};

use common::{argv, has, refused as check_refusal, Env};
use cosect::bundle::{seal, Envelope, Opened, Payload};
use cosect::identity::Identity;

common::world!(
    /// One temporary world: Alice (initiator), Bob (responder), Carol (third party).
    World
);

/// A party's identity and state-dir flags.
const ALICE: [&str; 4] = ["-i", "alice.id", "--state-dir", "sa"];
const BOB: [&str; 4] = ["-i", "bob.id", "--state-dir", "sb"];

impl World {
    fn new() -> World {
        let w = World {
            env: Env::with_keys(&[("alice", "Alice CERT"), ("bob", "Bob SOC"), ("carol", "Carol")]),
        };
        // 20 entries for Alice, 15 for Bob, 5 shared (s0..s4).
        let shared: Vec<String> = (0..5).map(|i| format!("s{i}")).collect();
        let a: Vec<String> = (0..15).map(|i| format!("a{i}")).chain(shared.clone()).collect();
        let b: Vec<String> = shared.iter().cloned().chain((0..10).map(|i| format!("b{i}"))).collect();
        w.write("a.txt", (a.join("\n") + "\n").as_bytes());
        w.write("b.txt", (b.join("\n") + "\n").as_bytes());
        w
    }

    fn p(&self, name: &str) -> std::path::PathBuf {
        self.env.path(name)
    }

    fn read(&self, name: &str) -> Vec<u8> {
        self.env.bytes(name)
    }

    /// Run, expect exit 1 with a short `error:` message and no panic;
    /// return stderr.
    fn fail(&self, args: &[&str]) -> String {
        check_refusal(args, self.run(args))
    }

    /// Sessions open in a state dir.
    fn sessions(&self, state: &str) -> usize {
        self.count(&format!("{state}/sessions"))
    }

    fn identity(&self, who: &str) -> Identity {
        Identity::parse(&fs::read_to_string(self.p(&format!("{who}.id"))).unwrap()).unwrap()
    }

    /// Decode a genuine bundle, change its payload, and sign it with
    /// `signer`'s real key, addressed (and age-encrypted if `env` says so)
    /// to `to`.
    fn reseal(
        &self,
        bundle: &str,
        reader: &str,
        signer: &str,
        to: &str,
        env: Envelope,
        f: impl FnOnce(&mut Payload),
    ) -> Vec<u8> {
        let opened = Opened::open(self.read(bundle), Some(&self.identity(reader))).unwrap();
        let mut p = opened.payload.clone();
        f(&mut p);
        seal(p, &self.identity(signer), &self.identity(to).public(), env).to_vec()
    }

    /// A full genuine round 1 from Alice to Bob (unencrypted unless
    /// `extra` names an envelope: these tests alter bundles byte by byte).
    fn init(&self, out: &str, extra: &[&str]) {
        let mut args = vec!["init"];
        args.extend(ALICE);
        args.extend(["--peer", "bob.pub", "--input", "a.txt", "-o", out, "-q"]);
        args.extend(plain_unless(extra));
        self.ok(&args);
    }

    fn respond(&self, r1: &str, out: &str, extra: &[&str]) -> Output {
        let mut args = vec!["respond", r1];
        args.extend(BOB);
        args.extend(["--peer", "alice.pub", "--input", "b.txt", "-o", out, "-q"]);
        args.extend(plain_unless(extra));
        self.run(&args)
    }

    fn finish_a(&self, r2: &str, reply: &str, out: &str, extra: &[&str]) -> Output {
        let mut args = vec!["finish", r2];
        args.extend(ALICE);
        args.extend(["--reply", reply, "-o", out, "-q"]);
        args.extend(plain_unless(extra));
        self.run(&args)
    }

    fn finish_b(&self, r3: &str, out: &str) -> Output {
        let mut args = vec!["finish", r3];
        args.extend(BOB);
        args.extend(["-o", out, "-q"]);
        self.run(&args)
    }
}

const SHARED: &str = "s0\ns1\ns2\ns3\ns4\n";

/// Tampered copies of `bytes`: bit flips at a spread of positions (head,
/// middle, signature area, last byte), truncations, trailing junk.
fn tampered(bytes: &[u8], flips: &[usize]) -> Vec<(String, Vec<u8>)> {
    let n = bytes.len();
    let mut out = Vec::new();
    for (k, &pos) in flips.iter().enumerate() {
        let pos = pos.min(n - 1);
        let mut b = bytes.to_vec();
        b[pos] ^= 1 << (k % 8);
        out.push((format!("bit {} of byte {pos}", k % 8), b));
    }
    // Armored text ends in a newline that age (and mail) may drop: cut
    // through the last character that is not white space.
    let last = bytes.iter().rposition(|b| !b.is_ascii_whitespace()).unwrap();
    out.push(("cut last byte".into(), bytes[..last].to_vec()));
    out.push(("cut to half".into(), bytes[..n / 2].to_vec()));
    out.push(("empty".into(), Vec::new()));
    // Text after armor is what mail adds (a signature): it is read, so
    // only binary bundles must refuse trailing bytes.
    if !bytes.starts_with(b"-----BEGIN") {
        out.push(("trailing junk".into(), [bytes, b"junk"].concat()));
        out.push(("trailing zero".into(), [bytes, &[0u8][..]].concat()));
    }
    out
}

/// Positions spread over a COSE bundle of `n` bytes: tag and array head,
/// protected header, payload head and fields, points, signature, last byte.
fn spread(n: usize) -> Vec<usize> {
    vec![
        0,
        1,
        3,
        12,
        40,
        90,
        150,
        n / 3,
        n / 2,
        2 * n / 3,
        n - 80,
        n - 64,
        n - 30,
        n - 1,
    ]
}

/// Feed each bad copy to `run`; each must be refused and leave `no_file`
/// absent.
fn refuse_all(w: &World, genuine: &str, flips: &[usize], no_file: &str, run: impl Fn(&str) -> Output) -> usize {
    let bytes = w.read(genuine);
    let cases = tampered(&bytes, flips);
    for (what, bad) in &cases {
        w.write("bad.cbor", bad);
        let out = run("bad.cbor");
        let err = check_refusal(&[genuine, what.as_str()], out);
        assert!(!w.exists(no_file), "{genuine}, {what}: {no_file} left behind: {err}");
    }
    cases.len()
}

#[test]
fn tampered_plain_bundles_are_refused_and_the_session_still_completes() {
    let w = World::new();
    w.init("r1.cbor", &[]);
    let n1 = w.read("r1.cbor").len();
    let mut runs = refuse_all(&w, "r1.cbor", &spread(n1), "r2.cbor", |f| w.respond(f, "r2.cbor", &[]));
    assert_eq!(w.sessions("sb"), 0, "a refused round 1 must not leave state");
    assert!(w.respond("r1.cbor", "r2.cbor", &[]).status.success());

    let n2 = w.read("r2.cbor").len();
    runs += refuse_all(&w, "r2.cbor", &spread(n2), "r3.cbor", |f| {
        w.finish_a(f, "r3.cbor", "outA.txt", &[])
    });
    assert!(!w.exists("outA.txt"));
    assert_eq!(w.sessions("sa"), 1, "a refused round 2 must not touch the session");
    let out = w.finish_a("r2.cbor", "r3.cbor", "outA.txt", &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(w.read("outA.txt"), SHARED.as_bytes());

    let n3 = w.read("r3.cbor").len();
    runs += refuse_all(&w, "r3.cbor", &spread(n3), "outB.txt", |f| w.finish_b(f, "outB.txt"));
    assert_eq!(w.sessions("sb"), 1);
    assert!(w.finish_b("r3.cbor", "outB.txt").status.success());
    assert_eq!(w.read("outB.txt"), SHARED.as_bytes());
    assert_eq!((w.sessions("sa"), w.sessions("sb")), (0, 0));
    assert!(runs >= 45, "{runs}");
}

#[test]
fn tampered_encrypted_and_armored_bundles_are_refused_and_the_session_still_completes() {
    let w = World::new();
    // Round 1 age-encrypted (binary): flips in the age header, the stanza,
    // the header MAC, the payload and the last byte.
    w.init("r1.age", &["--encrypt"]);
    let n = w.read("r1.age").len();
    refuse_all(
        &w,
        "r1.age",
        &[0, 25, 60, 100, 140, n / 2, n - 20, n - 1],
        "r2.asc",
        |f| w.respond(f, "r2.asc", &["--armor"]),
    );
    assert!(w.respond("r1.age", "r2.asc", &["--armor"]).status.success());
    assert!(String::from_utf8(w.read("r2.asc"))
        .unwrap()
        .starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));

    // Round 2 armored: flips in the BEGIN line, the base64 body and the END
    // line (bit 5 flips a letter's case: still base64, other bytes).
    let n = w.read("r2.asc").len();
    refuse_all(&w, "r2.asc", &[3, 40, 80, n / 2, n - 30, n - 10], "r3.age", |f| {
        w.finish_a(f, "r3.age", "outA.txt", &["--encrypt"])
    });
    let asc = w.read("r2.asc");
    for (what, bad) in [
        ("base64 case", {
            let mut b = asc.clone();
            let i = asc.len() / 2;
            let i = i + asc[i..].iter().position(|c| c.is_ascii_alphabetic()).unwrap();
            b[i] ^= 0x20;
            b
        }),
        ("END line cut", asc[..asc.len() - 3].to_vec()),
    ] {
        w.write("bad.asc", &bad);
        check_refusal(&[what], w.finish_a("bad.asc", "r3.age", "outA.txt", &["--encrypt"]));
        assert!(!w.exists("r3.age") && !w.exists("outA.txt"), "{what}");
    }
    assert!(w
        .finish_a("r2.asc", "r3.age", "outA.txt", &["--encrypt"])
        .status
        .success());
    assert_eq!(w.read("outA.txt"), SHARED.as_bytes());

    // Round 3 age-encrypted.
    let n = w.read("r3.age").len();
    refuse_all(&w, "r3.age", &[5, 70, n / 2, n - 1], "outB.txt", |f| {
        w.finish_b(f, "outB.txt")
    });
    assert!(w.finish_b("r3.age", "outB.txt").status.success());
    assert_eq!(w.read("outB.txt"), SHARED.as_bytes());
}

#[test]
fn bundles_from_or_for_the_wrong_party_are_refused() {
    let w = World::new();
    // Carol sends a round 1 to Bob; Bob expects Alice.
    w.ok(&argv(
        "init -i carol.id --state-dir sc --peer bob.pub --input a.txt -o c1.cbor -q",
    ));
    let err = w.fail(&argv(
        "respond c1.cbor -i bob.id --state-dir sb --peer alice.pub --input b.txt -o r2.cbor",
    ));
    assert!(
        err.contains("is from Carol") && err.contains("not from your peer Alice CERT") && err.contains("--peer"),
        "{err}"
    );
    // A bundle signed by Carol's key but claiming to be Alice's: the
    // signature does not verify under Alice's key.
    w.init("r1.cbor", &[]);
    let mut forged = w.read("r1.cbor");
    let c1 = w.read("c1.cbor");
    let n = forged.len();
    forged[n - 64..].copy_from_slice(&c1[c1.len() - 64..]);
    w.write("forged.cbor", &forged);
    let err = w.fail(&argv(
        "respond forged.cbor -i bob.id --state-dir sb --peer alice.pub --input b.txt -o r2.cbor",
    ));
    has(&err, "signature does not verify");

    // Alice's round 1 for Carol, fed to Bob.
    w.ok(&argv(
        "init -i alice.id --state-dir sa --peer carol.pub --input a.txt -o ac.cbor -q --no-encrypt",
    ));
    let err = w.fail(&argv(
        "respond ac.cbor -i bob.id --state-dir sb --peer alice.pub --input b.txt -o r2.cbor",
    ));
    assert!(err.contains("addressed to") && err.contains("not to you"), "{err}");
    // The same, encrypted to Carol: Bob cannot even decrypt it.
    w.ok(&argv(
        "init -i alice.id --state-dir sa --peer carol.pub --input a.txt -o ac.age -q --encrypt",
    ));
    let err = w.fail(&argv(
        "respond ac.age -i bob.id --state-dir sb --peer alice.pub --input b.txt -o r2.cbor",
    ));
    has(&err, "not encrypted to your identity");
    assert!(!w.exists("r2.cbor"));

    // A round fed back to its own sender.
    let err = w.fail(&argv("finish r1.cbor -i alice.id --state-dir sa --reply r3.cbor"));
    has(&err, "you sent yourself (round 1)");
    assert!(w.respond("r1.cbor", "r2.cbor", &[]).status.success());
    let err = w.fail(&["finish", "r2.cbor", "-i", "bob.id", "--state-dir", "sb"]);
    has(&err, "you sent yourself (round 2)");
    assert!(w.finish_a("r2.cbor", "r3.cbor", "outA.txt", &[]).status.success());
    let err = w.fail(&argv("finish r3.cbor -i alice.id --state-dir sa -o x.txt"));
    has(&err, "you sent yourself (round 3)");
    assert!(!w.exists("x.txt"));
    // Bob's session is intact after all that.
    assert!(w.finish_b("r3.cbor", "outB.txt").status.success());
    assert_eq!(w.read("outB.txt"), SHARED.as_bytes());
}

#[test]
fn replays_and_mixed_sessions_are_refused() {
    let w = World::new();
    // Session 1, complete.
    w.init("s1r1.cbor", &[]);
    assert!(w.respond("s1r1.cbor", "s1r2.cbor", &[]).status.success());
    // The same round 1 again, re-wrapped in age: the same signed bundle,
    // so the same round 2, byte for byte.
    let wrapped = w.reseal("s1r1.cbor", "bob", "alice", "bob", Envelope::Age, |_| {});
    assert_eq!(
        Opened::open(wrapped.clone(), Some(&w.identity("bob"))).unwrap().hash,
        Opened::open(w.read("s1r1.cbor"), None).unwrap().hash
    );
    w.write("s1r1.age", &wrapped);
    assert!(w.respond("s1r1.age", "again.cbor", &[]).status.success());
    assert_eq!(w.read("again.cbor"), w.read("s1r2.cbor"));
    // Another bundle for the answered session (re-signed by Alice with
    // another expiry) is a replay.
    let other = w.reseal("s1r1.cbor", "bob", "alice", "bob", Envelope::Plain, |p| p.expires += 60);
    w.write("other.cbor", &other);
    let err = check_refusal(
        &["respond to another bundle"],
        w.respond("other.cbor", "again2.cbor", &[]),
    );
    has(&err, "was already answered on 20");
    has(&err, "and this is another bundle for it");
    assert!(!w.exists("again2.cbor"));
    assert!(w.finish_a("s1r2.cbor", "s1r3.cbor", "s1a.txt", &[]).status.success());
    // The finished session's state is gone.
    assert_eq!(w.sessions("sa"), 0);
    let err = check_refusal(&["finish twice"], w.finish_a("s1r2.cbor", "x3.cbor", "x.txt", &[]));
    has(&err, "no open session");
    assert!(!w.exists("x3.cbor") && !w.exists("x.txt"));

    // Session 2 open; session 1's round 2 is refused, session 2 completes.
    w.init("s2r1.cbor", &[]);
    assert!(w.respond("s2r1.cbor", "s2r2.cbor", &[]).status.success());
    let err = check_refusal(&["replay"], w.finish_a("s1r2.cbor", "x3.cbor", "x.txt", &[]));
    has(&err, "no open session");
    // Bob (signing with his real key) mixes: session 2's id, but answering
    // session 1's round 1.
    let s1_hash = Opened::open(w.read("s1r1.cbor"), None).unwrap().hash;
    let mixed = w.reseal("s2r2.cbor", "alice", "bob", "alice", Envelope::Plain, |p| {
        p.answers = s1_hash.to_vec().into()
    });
    w.write("mixed.cbor", &mixed);
    let err = check_refusal(&["mixed"], w.finish_a("mixed.cbor", "x3.cbor", "x.txt", &[]));
    has(&err, "answers another bundle");
    // A round 2 presented as round 3 to Alice's waiting session.
    let as_r3 = w.reseal("s2r2.cbor", "alice", "bob", "alice", Envelope::Plain, |p| p.round = 3);
    w.write("asr3.cbor", &as_r3);
    let err = check_refusal(&["wrong round"], w.finish_a("asr3.cbor", "x3.cbor", "x.txt", &[]));
    has(&err, "round-3 bundle, but session");
    assert!(w.finish_a("s2r2.cbor", "s2r3.cbor", "s2a.txt", &[]).status.success());
    assert_eq!(w.read("s2a.txt"), SHARED.as_bytes());
    // Bob finishes session 2 with its round 3; session 1's round 3 then
    // still finishes session 1 (they are independent), but not twice.
    assert!(w.finish_b("s2r3.cbor", "s2b.txt").status.success());
    assert!(w.finish_b("s1r3.cbor", "s1b.txt").status.success());
    let err = check_refusal(&["round 3 twice"], w.finish_b("s1r3.cbor", "again.txt"));
    has(&err, "with this very round 3");
    assert_eq!((w.sessions("sa"), w.sessions("sb")), (0, 0));
}

#[test]
fn expired_bundles_are_refused_with_their_dates() {
    let w = World::new();
    w.init("r1.cbor", &["--expires", "90m"]);
    let out = w.ok(&["inspect", "r1.cbor", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = |k: &str| humantime::parse_rfc3339(j[k].as_str().unwrap()).unwrap();
    assert_eq!(t("expires").duration_since(t("created")).unwrap().as_secs(), 5400);
    assert_eq!(j["expired"], false);
    let out = w.run(&argv(
        "init -i alice.id --state-dir sa --peer bob.pub --input a.txt -o x --expires 0s",
    ));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than zero"));

    // Alice's real key, dates in 2020.
    let (c, e) = (1_577_836_800, 1_578_441_600); // 2020-01-01, 2020-01-08
    let old = w.reseal("r1.cbor", "bob", "alice", "bob", Envelope::Plain, |p| {
        p.created = c;
        p.expires = e;
    });
    w.write("old1.cbor", &old);
    let err = check_refusal(&["expired r1"], w.respond("old1.cbor", "r2.cbor", &[]));
    assert!(
        err.contains("expired at 2020-01-08T00:00:00Z") && err.contains("created 2020-01-01T00:00:00Z"),
        "{err}"
    );
    assert!(!w.exists("r2.cbor"));
    let out = w.ok(&["inspect", "old1.cbor"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("2020-01-08T00:00:00Z (EXPIRED)"));

    // An expired round 2 (Bob's real key) does not hurt Alice's session.
    assert!(w.respond("r1.cbor", "r2.cbor", &[]).status.success());
    let old = w.reseal("r2.cbor", "alice", "bob", "alice", Envelope::Plain, |p| {
        p.created = c;
        p.expires = e;
    });
    w.write("old2.cbor", &old);
    let err = check_refusal(&["expired r2"], w.finish_a("old2.cbor", "r3.cbor", "a.out", &[]));
    has(&err, "expired at 2020-01-08");
    assert!(w.finish_a("r2.cbor", "r3.cbor", "a.out", &[]).status.success());
}

#[test]
fn peer_set_limit_is_checked_before_any_work_and_padding_hides_sizes() {
    let w = World::new();
    w.init("r1.cbor", &["--pad-to", "50"]);
    // inspect: the count comes first.
    let out = w.ok(&["inspect", "r1.cbor"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("elements:  50 blinded"), "{text}");
    // Over the limit: refused before Bob's list is even read (the list
    // named does not exist), so before any curve work; nothing written.
    let out = w.run(&argv(
        "respond r1.cbor -i bob.id --state-dir sb --peer alice.pub --input missing.txt --max-peer-items 49 -o r2.cbor",
    ));
    let err = check_refusal(&["limit"], out);
    has(&err, "50 elements, more than --max-peer-items 49");
    assert!(!w.exists("r2.cbor"));
    assert_eq!(w.sessions("sb"), 0);
    // Padding below the list size is refused on both sides.
    let err = w.fail(&argv(
        "init -i alice.id --state-dir sa --peer bob.pub --input a.txt --kind raw -o x --pad-to 19",
    ));
    has(&err, "--pad-to 19 is smaller than the 20");
    let err = check_refusal(&["pad"], w.respond("r1.cbor", "r2.cbor", &["--pad-to", "14"]));
    has(&err, "--pad-to 14 is smaller than the 15");
    assert!(!w.exists("r2.cbor"));
    // At the limit, with Bob padding too: the sizes seen are the padded
    // ones, and the result is unchanged.
    assert!(w
        .respond("r1.cbor", "r2.cbor", &["--max-peer-items", "50", "--pad-to", "40"])
        .status
        .success());
    let out = w.ok(&["inspect", "r2.cbor", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((j["points"].as_u64(), j["doubled"].as_u64()), (Some(40), Some(50)));
    assert!(w.finish_a("r2.cbor", "r3.cbor", "a.out", &[]).status.success());
    assert!(w.finish_b("r3.cbor", "b.out").status.success());
    assert_eq!(w.read("a.out"), SHARED.as_bytes());
    assert_eq!(w.read("b.out"), SHARED.as_bytes());
}

type Edit = Box<dyn Fn(&mut Payload)>;

#[test]
fn invalid_and_identity_points_and_forged_counts_are_refused() {
    let w = World::new();
    w.init("r1.cbor", &[]);
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "identity point",
            Box::new(|p| p.points[3 * 32..4 * 32].fill(0)),
            "element 3 is the identity element",
        ),
        (
            "bad encoding",
            Box::new(|p| p.points[5 * 32..6 * 32].fill(0xff)),
            "element 5 is not a valid ristretto255 point",
        ),
        (
            "count too high",
            Box::new(|p| p.n_points = 1 << 31),
            "n_points says 2147483648 elements",
        ),
        (
            "count over max",
            Box::new(|p| p.n_points = u64::MAX),
            "exceeds 2^32 - 1",
        ),
        (
            "ragged points",
            Box::new(|p| {
                p.points.pop();
            }),
            "n_points says 20 elements but points holds 639 bytes",
        ),
        (
            "no points",
            Box::new(|p| {
                p.points.clear();
                p.n_points = 0;
            }),
            "round 1 holds no elements",
        ),
        (
            "catalog field in a mutual bundle",
            Box::new(|p| {
                p.catalog = Some(cosect::bundle::catalog::CatalogExt {
                    version: 2,
                    suite: "ristretto255-SHA512".into(),
                    key_id: vec![0; 32].into(),
                    public_key: Default::default(),
                    label_len: 0,
                    n_labels: 0,
                    labels: Default::default(),
                    proofs: Default::default(),
                })
            }),
            "carries no catalog field",
        ),
    ];
    for (what, f, want) in cases {
        let bad = w.reseal("r1.cbor", "bob", "alice", "bob", Envelope::Plain, f);
        w.write("bad.cbor", &bad);
        let err = check_refusal(&[what], w.respond("bad.cbor", "r2.cbor", &[]));
        assert!(err.contains(want), "{what}: {err}");
        assert!(!w.exists("r2.cbor"));
        assert_eq!(w.sessions("sb"), 0);
    }
    assert!(w.respond("r1.cbor", "r2.cbor", &[]).status.success());
    // A crafted round 2 with a point Alice cannot decode.
    let bad = w.reseal("r2.cbor", "alice", "bob", "alice", Envelope::Plain, |p| {
        p.points[..32].fill(0)
    });
    w.write("bad2.cbor", &bad);
    let err = check_refusal(&["r2 identity"], w.finish_a("bad2.cbor", "r3.cbor", "a.out", &[]));
    has(&err, "element 0 is the identity element");
    assert!(!w.exists("r3.cbor") && !w.exists("a.out"));
    // A round 2 without the responder's elements.
    let bad = w.reseal("r2.cbor", "alice", "bob", "alice", Envelope::Plain, |p| {
        p.points.clear();
        p.n_points = 0;
    });
    w.write("bad2.cbor", &bad);
    let err = check_refusal(&["r2 empty"], w.finish_a("bad2.cbor", "r3.cbor", "a.out", &[]));
    has(&err, "round 2 holds none of the responder's elements");
    assert!(w.finish_a("r2.cbor", "r3.cbor", "a.out", &[]).status.success());
    // A round 3 that carries blinded elements it never has.
    let bad = w.reseal("r3.cbor", "bob", "alice", "bob", Envelope::Plain, |p| {
        p.points = vec![0x11; 32].into();
        p.n_points = 1;
    });
    w.write("bad3.cbor", &bad);
    let err = check_refusal(&["r3 points"], w.finish_b("bad3.cbor", "b.out"));
    has(&err, "round 3 carries blinded elements");
    assert!(w.finish_b("r3.cbor", "b.out").status.success());
}

#[cfg(unix)]
#[test]
fn secret_files_are_private_and_refused_when_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new();
    let mode = |name: &str| fs::metadata(w.p(name)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("alice.id"), 0o600);
    w.init("r1.cbor", &[]);
    let state = fs::read_dir(w.p("sa/sessions"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(fs::metadata(&state).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(w.respond("r1.cbor", "r2.cbor", &[]).status.success());

    // Identity readable by the group.
    fs::set_permissions(w.p("alice.id"), fs::Permissions::from_mode(0o640)).unwrap();
    let err = check_refusal(&["id 640"], w.finish_a("r2.cbor", "r3.cbor", "a.out", &[]));
    has(&err, "alice.id: identity file is readable by other users");
    has(&err, "hint: run `chmod 600");
    fs::set_permissions(w.p("alice.id"), fs::Permissions::from_mode(0o600)).unwrap();
    // Session state readable by others.
    fs::set_permissions(&state, fs::Permissions::from_mode(0o604)).unwrap();
    let err = check_refusal(&["state 604"], w.finish_a("r2.cbor", "r3.cbor", "a.out", &[]));
    assert!(
        err.contains("session state is readable by other users") && err.contains("hint:"),
        "{err}"
    );
    fs::set_permissions(&state, fs::Permissions::from_mode(0o600)).unwrap();
    assert!(!w.exists("r3.cbor") && !w.exists("a.out"));

    // A failure after round 3 is written (results into a missing
    // directory) leaves no round 3 and the session open; the retry works.
    let err = check_refusal(&["no dir"], w.finish_a("r2.cbor", "r3.cbor", "nodir/a.out", &[]));
    has(&err, "nodir");
    assert!(!w.exists("r3.cbor"));
    assert_eq!(w.sessions("sa"), 1);
    assert!(w.finish_a("r2.cbor", "r3.cbor", "a.out", &[]).status.success());
    assert_eq!(w.sessions("sa"), 0);
    // No stray temporary files next to the outputs.
    let stray: Vec<_> = fs::read_dir(w.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".cosect-"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn debug_output_never_shows_secrets() {
    let w = World::new();
    let text = fs::read_to_string(w.p("alice.id")).unwrap();
    let secret = text.lines().find(|l| l.starts_with("AGE-SECRET-KEY-1")).unwrap();
    let id = w.identity("alice");
    let shown = format!("{id:?} {:?}", id.public());
    assert!(!shown.contains(secret) && !shown.to_lowercase().contains(&secret.to_lowercase()[..20]));
    let seed = id.signing_key().to_bytes();
    assert!(!shown.contains(&format!("{:?}", &seed[..8])));
    // The entry list and protocol state print counts, not entries or exponents.
    let entries = cosect::input::read_list(
        &b"secret-entry-1\nsecret-entry-2\n"[..],
        cosect::input::Kind::Raw,
        false,
    )
    .unwrap();
    let shown = format!("{entries:?}");
    assert!(!shown.contains("secret-entry"), "{shown}");
    let (init, _) = cosect::protocol::Initiator::start(
        &entries,
        cosect::protocol::Mode::Mutual,
        None,
        cosect::group::Exec::Serial,
        &cosect::group::NoProgress,
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    assert_eq!(format!("{init:?}"), "Initiator { mode: Mutual, .. }");
}

#[test]
fn inspect_escapes_peer_text_and_refuses_names_with_escapes() {
    let w = World::new();
    w.init("r1.cbor", &[]);
    // Kind and mode with terminal escapes, signed by Alice's real key.
    let bad = w.reseal("r1.cbor", "bob", "alice", "bob", Envelope::Plain, |p| {
        p.kind = "raw\u{1b}[2J\u{1b}]0;pwned\u{7}".into();
        p.mode = "mutual\u{202e}txt".into();
    });
    w.write("esc.cbor", &bad);
    for json in [false, true] {
        let mut args = vec!["inspect", "esc.cbor", "--peer", "alice.pub"];
        if json {
            args.push("--json");
        }
        let out = w.ok(&args);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
            "{text:?}"
        );
        has(&text, "signed by your peer Alice CERT");
    }
    let out = w.ok(&["inspect", "esc.cbor"]);
    assert!(String::from_utf8(out.stdout).unwrap().contains(r"raw\u{1b}[2J"));
    // Responding refuses it, and the message is escaped too.
    let err = check_refusal(&["esc kind"], w.respond("esc.cbor", "r2.cbor", &[]));
    assert!(err.contains(r"unknown kind") && !err.contains('\u{1b}'), "{err:?}");

    // A sender line whose name carries escapes (or a bidi override): the
    // bundle is refused by every reader, before anything is printed.
    let line = w.identity("alice").public().line();
    let base = line.splitn(4, ' ').take(3).collect::<Vec<_>>().join(" ");
    for name in ["Alice\u{1b}[31m", "Alice\u{202e}", "Alice\u{0}", "Ali\u{9b}ce"] {
        let bad = w.reseal("r1.cbor", "bob", "alice", "bob", Envelope::Plain, |p| {
            p.sender = format!("{base} {name}");
        });
        w.write("name.cbor", &bad);
        let err = w.fail(&["inspect", "name.cbor"]);
        assert!(err.contains("sender's public identity is malformed"), "{name:?}: {err}");
        assert!(!err.contains(name), "{err:?}");
        check_refusal(&["name"], w.respond("name.cbor", "r2.cbor", &[]));
        // The same name in a peer file is refused too.
        w.write("evil.pub", format!("{base} {name}\n").as_bytes());
        let err = w.fail(&["inspect", "r1.cbor", "--peer", "evil.pub"]);
        has(&err, "name is not usable");
    }
}

#[test]
fn bad_input_files_have_defined_refusals() {
    let w = World::new();
    let init = |input: &str, extra: &[&str]| {
        let mut args = vec![
            "init",
            "-i",
            "alice.id",
            "--state-dir",
            "sa",
            "--peer",
            "bob.pub",
            "--input",
            input,
            "-o",
            "r1.cbor",
        ];
        args.extend(extra);
        w.run(&args)
    };
    w.write("ips.txt", b"# iocs\n192.0.2.1\n\nnot-an-ip\n192.0.2.2\n");
    let err = check_refusal(&["invalid"], init("ips.txt", &["--kind", "ip"]));
    has(&err, "ips.txt: line 4: not an IPv4 or IPv6 address: not-an-ip");
    has(&err, "--skip-invalid");
    let out = init("ips.txt", &["--kind", "ip", "--skip-invalid"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("skipped 1: 1 invalid entries (first: line 4"), "{err}");
    fs::remove_file(w.p("r1.cbor")).unwrap();
    fs::remove_dir_all(w.p("sa")).unwrap();

    w.write("utf8.txt", b"ok\n\xff\xfe bad\n");
    let err = check_refusal(&["utf8"], init("utf8.txt", &[]));
    assert!(
        err.contains("utf8.txt: line 2 is not valid UTF-8") && err.contains("hint: save the list as UTF-8"),
        "{err}"
    );

    for (name, text) in [("empty.txt", &b""[..]), ("comments.txt", b"# only\n\n   \n")] {
        w.write(name, text);
        let err = check_refusal(&[name], init(name, &[]));
        has(&err, "no entries of kind auto to compare");
    }

    // A 4 MiB line, streamed on stdin: refused after reading at most one
    // line's worth, naming the line.
    let mut long = b"first\n".to_vec();
    long.extend(vec![b'x'; 64 << 16]);
    let out = w.feed_output(
        &argv("init -i alice.id --state-dir sa --peer bob.pub --input - -o r1.cbor"),
        long,
    );
    let err = check_refusal(&["long line"], out);
    has(&err, "standard input: line 2 is longer than 65536 bytes");

    // Duplicates are merged and counted; the result names each entry once.
    w.write("dups.txt", b"s0\ns1\ns0\nS2\ns2\ns1\n");
    w.write("dupsb.txt", b"s1\ns2\ns2\n");
    let out = init("dups.txt", &[]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("4 entries from text input, kind auto (4 raw), 2 duplicates merged"));
    w.ok(&argv(
        "respond r1.cbor -i bob.id --state-dir sb --peer alice.pub --input dupsb.txt -o r2.cbor -q",
    ));
    w.ok(&argv(
        "finish r2.cbor -i alice.id --state-dir sa --reply r3.cbor -o a.out -q",
    ));
    assert_eq!(w.read("a.out"), b"s1\ns2\n");
    assert_eq!(w.sessions("sa"), 0);
}

/// A saved mail's headers, then `body`.
fn mail(body: &str) -> Vec<u8> {
    format!("From: Mallory <m@example.org>\nTo: Bob <bob@example.org>\nSubject: round 1\n{body}").into_bytes()
}

/// `levels` message/rfc822 parts, each the only part of the one before.
fn nested_mail(levels: usize) -> Vec<u8> {
    mail(&format!("{}body\n", "Content-Type: message/rfc822\n\n".repeat(levels)))
}

/// A multipart mail whose `n` parts each hold a tiny armored text, all different.
fn tiny_parts_mail(n: usize) -> Vec<u8> {
    let parts: String = (0..n)
        .map(|i| format!("--b\n\n-----BEGIN AGE ENCRYPTED FILE-----\nYWdl{i:06}\n-----END AGE ENCRYPTED FILE-----\n"))
        .collect();
    mail(&format!("Content-Type: multipart/mixed; boundary=b\n\n{parts}--b--\n"))
}

/// An attachment whose Content-Type is split into `n` RFC 2231 pieces.
fn pieces_mail(n: usize) -> Vec<u8> {
    let pieces: String = (0..n).map(|i| format!(";\n name*{i}=aaaaaaaa")).collect();
    mail(&format!(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/octet-stream{pieces}\n\nx\n--b--\n"
    ))
}

#[test]
fn hostile_mails_are_refused_before_they_are_parsed() {
    let w = World::new();
    w.init("r1", &[]);
    // 300,000 levels (9 MB): the parser alone would overflow the stack.
    w.write("deep.eml", nested_mail(300_000));
    // 40,000 tiny parts (3.4 MB): each would be a candidate bundle.
    w.write("tiny.eml", tiny_parts_mail(40_000));
    // 2 MB of RFC 2231 pieces in one header: the parser merges them in
    // quadratic time.
    w.write("pieces.eml", pieces_mail(140_000));
    let cases = [
        (
            "deep.eml",
            "the mail nests more than 64 multipart sections and attached messages, more than cosect reads",
        ),
        (
            "tiny.eml",
            "the mail has more than 10000 MIME parts (counted as its blank and boundary lines), \
             more than cosect reads",
        ),
        (
            "pieces.eml",
            "a Content-Type or Content-Disposition header of the mail is split into more than 64 pieces \
             (RFC 2231), more than cosect reads",
        ),
    ];
    for (file, why) in cases {
        let verbs: [Vec<&str>; 3] = [
            vec!["inspect", file, "-i", "bob.id"],
            [
                &["respond", file][..],
                &BOB,
                &["--peer", "alice.pub", "--input", "b.txt", "-o", "r2"],
            ]
            .concat(),
            [&["finish", file][..], &ALICE, &["--reply", "r3", "-o", "shared.txt"]].concat(),
        ];
        for args in verbs {
            let t = Instant::now();
            let err = w.fail(&args);
            let took = t.elapsed();
            assert!(took < Duration::from_secs(1), "{args:?} took {took:?}");
            has(&err, &format!("error: {file}: {why}\n"));
            has(&err, "hint: save the one bundle you mean as a file");
            w.assert_absent("r2");
            w.assert_absent("r3");
        }
    }
    assert_eq!(w.sessions("sb"), 0);
    assert_eq!(w.sessions("sa"), 1);

    // Under the limits, many candidates are told apart in linear time and
    // the refusal names three.
    w.write("many.eml", tiny_parts_mail(2_000));
    let t = Instant::now();
    let err = w.fail(&["inspect", "many.eml", "-i", "bob.id"]);
    assert!(t.elapsed() < Duration::from_secs(2), "took {:?}", t.elapsed());
    has(
        &err,
        "error: many.eml: the mail holds 2000 bundles (MIME part 2, MIME part 3, MIME part 4 and 1997 more), \
         and cosect reads one at a time\n",
    );
    // The same armored text 2,000 times is one bundle (here, a damaged one).
    let same: String = (0..2_000)
        .map(|_| "--b\n\n-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n")
        .collect();
    w.write(
        "same.eml",
        mail(&format!("Content-Type: multipart/mixed; boundary=b\n\n{same}--b--\n")),
    );
    let err = w.fail(&["inspect", "same.eml", "-i", "bob.id"]);
    has(&err, "the armored text does not hold an age file");

    // A forwarded message in base64 would be decoded and parsed again.
    w.write(
        "encoded.eml",
        mail(
            "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\
             Content-Transfer-Encoding: base64\n\nRnJvbTogeAoKaGkK\n--b--\n",
        ),
    );
    let err = w.fail(&["inspect", "encoded.eml", "-i", "bob.id"]);
    has(
        &err,
        "error: encoded.eml: the mail holds an attached message in base64 or quoted-printable, \
         which cosect does not unpack\n",
    );

    // The exchange goes on with the bundle itself.
    let out = w.respond("r1", "r2", &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[cfg(feature = "serve")]
#[test]
fn a_server_takes_the_bundle_itself_not_a_mail() {
    use common::serve::{as_party, send, world, Server};
    let env = world();
    let s = Server::start(&env, &["--input", "iocs.txt"]);
    let r = as_party(
        &env,
        "carol",
        &[
            "init",
            "--peer",
            "srv.pub",
            "--input",
            "carol.txt",
            "--armor",
            "-o",
            "r1.asc",
            "-q",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The armored round 1 pasted in a mail, and 50,000 nested messages
    // (1.5 MB: enough to overflow a worker thread's stack in the parser).
    env.write("r1.eml", [mail("\nHi,\n\n"), env.bytes("r1.asc")].concat());
    env.write("deep.eml", nested_mail(50_000));
    for file in ["r1.eml", "deep.eml"] {
        let r = send(&env, &s, "carol", file, Some("r2"));
        assert_eq!(r.code, 1, "{file}: {}", r.stderr);
        has(
            &r.stderr,
            "error: the server refused the bundle (400 bad request): the bundle: this is a saved mail, \
             and a server takes the bundle itself, not a mail\n",
        );
        has(&r.stderr, "hint: send the bundle file the mail carried");
        assert!(!env.exists("r2"));
    }
    // The server is still up, and the bundle itself is answered.
    let r = send(&env, &s, "carol", "r1.asc", Some("r2"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(env.exists("r2"));
}

/// `extra`, with `--no-encrypt` first unless it names an envelope.
fn plain_unless<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let asked = extra
        .iter()
        .any(|f| matches!(*f, "--encrypt" | "--armor" | "--no-encrypt"));
    let mut v = if asked { Vec::new() } else { vec!["--no-encrypt"] };
    v.extend_from_slice(extra);
    v
}
