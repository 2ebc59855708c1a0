//! End to end through the real binary, as a user runs it: identities made
//! with `keygen`, public lines passed as files, each side with its own
//! `--state-dir`, bundles passed as files, HOME and XDG dirs in a scratch
//! directory.

mod common;

use std::process::Command;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use common::{
    answer_and_finish, argv, err, finish, has, have_tool, init, json, ok, respond, respond_refused, round1, sessions,
    two_lists, two_parties, Env, Party,
};
use serde_json::Value;

/// How bundles travel.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Wrap {
    Plain,
    Encrypt,
    Armor,
}

impl Wrap {
    fn flags(self) -> &'static [&'static str] {
        match self {
            Wrap::Plain => &["--no-encrypt"],
            Wrap::Encrypt => &["--encrypt"],
            Wrap::Armor => &["--armor"],
        }
    }

    /// The file really is what the flags asked for.
    fn check(self, env: &Env, name: &str) {
        let b = env.bytes(name);
        match self {
            // A tagged COSE_Sign1: tag 18, array of 4.
            Wrap::Plain => assert_eq!(&b[..2], &[0xd2, 0x84], "{name} is not a plain COSE_Sign1"),
            Wrap::Encrypt => assert!(
                b.starts_with(b"age-encryption.org/v1\n"),
                "{name} is not a binary age file"
            ),
            Wrap::Armor => {
                assert!(b.is_ascii(), "{name} is not ASCII");
                let t = String::from_utf8(b).unwrap();
                assert!(t.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"), "{name}: {t}");
                assert!(
                    t.trim_end().ends_with("-----END AGE ENCRYPTED FILE-----"),
                    "{name}: {t}"
                );
            }
        }
    }
}

/// A whole mutual exchange: init → respond → finish --reply → finish, every
/// bundle wrapped as `wrap`. Returns what Alice and Bob print on stdout.
fn mutual(kind: &str, alice: &str, bob: &str, wrap: Wrap, formats: [&str; 2]) -> (String, String) {
    let (env, a, b) = two_lists(alice, bob);
    let w = wrap.flags();

    ok(
        init(&env, &a, &b, "alice.txt", &[&["--kind", kind], w].concat(), "r1"),
        "init",
    );
    wrap.check(&env, "r1");
    let open = sessions(&env, &a);
    assert_eq!(open.len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&open[0]), 0o600, "session state file");
        assert_eq!(mode(&env.path(&a.state)), 0o700, "state directory");
        // Encrypted to its owner: an age file.
        let state = std::fs::read(&open[0]).unwrap();
        assert!(
            state.starts_with(b"age-encryption.org/v1\n"),
            "session state is not age-encrypted"
        );
    }
    ok(respond(&env, &b, &a, "r1", "bob.txt", w, "r2"), "respond");
    wrap.check(&env, "r2");
    assert_eq!(sessions(&env, &b).len(), 1);

    let fa = ["--reply", "r3", "--format", formats[0]];
    let ra = ok(finish(&env, &a, "r2", &[&fa[..], w].concat()), "alice finish");
    wrap.check(&env, "r3");
    assert!(sessions(&env, &a).is_empty(), "Alice's session outlived finish");
    let rb = ok(finish(&env, &b, "r3", &["--format", formats[1]]), "bob finish");
    assert!(sessions(&env, &b).is_empty(), "Bob's session outlived finish");
    (ra.stdout, rb.stdout)
}

/// A JSON result: exactly this count and these entries, all of `kind`,
/// each from a line of one file.
fn assert_json(out: &str, kind: &str, entries: &[&str]) {
    let v = json(out);
    assert_eq!(v["count"], entries.len(), "{out}");
    let want: Vec<Value> = entries
        .iter()
        .map(|e| serde_json::json!({"kind": kind, "value": e}))
        .collect();
    let got: Vec<Value> = (v["entries"].as_array().unwrap().iter())
        .map(|e| serde_json::json!({"kind": e["kind"], "value": e["value"]}))
        .collect();
    assert_eq!(got, want, "{out}");
    for e in v["entries"].as_array().unwrap() {
        let from = &e["from"][0];
        assert!(
            from["file"].as_str().unwrap().ends_with(".txt") && from["line"].as_u64().unwrap() > 0,
            "{out}"
        );
    }
}

/// A CSV result: `kind,value,file,line` rows, from `file` at these lines.
fn csv(kind: &str, file: &str, entries: &[(&str, u64)]) -> String {
    let mut s = "kind,value,file,line\r\n".to_owned();
    for (e, line) in entries {
        s.push_str(&format!("{kind},{e},{file},{line}\r\n"));
    }
    s
}

fn lines(entries: &[&str]) -> String {
    entries.iter().map(|e| format!("{e}\n")).collect()
}

// ---------------------------------------------------------------- keygen

#[test]
fn keygen_writes_an_age_identity_and_pubkey_repeats_it() {
    let env = Env::new();
    let a = env.party("alice", "ACME CERT");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path("alice.id")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "identity file mode {mode:o}");
    }
    let text = env.read("alice.id");
    let all: Vec<&str> = text.lines().collect();
    assert!(all[0].starts_with('#'), "{text}");
    let keys: Vec<&str> = all.iter().copied().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(keys.len(), 1, "one key line and only comments besides:\n{text}");
    assert!(keys[0].starts_with("AGE-SECRET-KEY-1"), "{text}");

    // pubkey prints keygen's line again.
    let line = env.ok(&["pubkey", "-i", "alice.id"]).stdout;
    assert_eq!(line, format!("{}\n", a.line));
    assert!(
        a.line.starts_with("cosect-v1 age1") && a.line.ends_with(" ACME CERT"),
        "{}",
        a.line
    );

    let v = json(&env.ok(&["pubkey", "-i", "alice.id", "--json"]).stdout);
    let recipient = v["age_recipient"].as_str().unwrap();
    assert!(recipient.starts_with("age1"), "{v}");
    assert_eq!(recipient, a.recipient());
    let ed = B64.decode(v["ed25519"].as_str().unwrap()).expect("standard base64");
    assert_eq!(ed.len(), 32);
    assert_eq!(a.line.split(' ').nth(2).unwrap(), v["ed25519"].as_str().unwrap());
    let fp = v["fingerprint"].as_str().unwrap();
    assert!(fp.len() >= 16, "{v}");
    has(&text, &format!("# fingerprint: {fp}"));
    assert_eq!(v["name"], "ACME CERT");

    // Two identities differ, even with the same name; the secret is never
    // printed; an existing identity is never replaced silently.
    let r = env.ok(&["keygen", "-o", "bob.id", "--name", "ACME CERT"]);
    assert_ne!(r.stdout.trim_end(), a.line);
    assert!(!r.stdout.contains("AGE-SECRET-KEY") && !r.stderr.contains("AGE-SECRET-KEY"));
    let e = env.fails(&["keygen", "-o", "alice.id", "--name", "x"], 1);
    has(&e, "alice.id: an identity file already exists");
    has(&e, "every open session");
    assert_eq!(env.read("alice.id"), text);

    // The outside age CLI reads the file as it is.
    if have_tool("age-keygen", Command::new("age-keygen").arg("--version")) {
        let out = Command::new("age-keygen")
            .args(["-y", "alice.id"])
            .current_dir(env.root())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{recipient}\n"));
    }
}

// ---------------------------------------------------------------- kinds

#[test]
fn raw_entries_match_exactly() {
    let (a, b) = mutual(
        "raw",
        "alpha\nBeta\n spaced \ngamma\nonly-alice\n",
        "gamma\nbeta\n spaced \nalpha\nonly-bob\n",
        Wrap::Plain,
        ["text", "text"],
    );
    assert_eq!(a, lines(&["alpha", " spaced ", "gamma"]));
    assert_eq!(b, lines(&["gamma", " spaced ", "alpha"]));
}

#[test]
fn domains_meet_across_spellings() {
    let (a, b) = mutual(
        "domain",
        "# Alice's domains\nExample.COM\nmail.acme.test.\nonly-alice.example\n\nBücher.example\nexample.com\n",
        "xn--bcher-kva.example\nonly-bob.example\nexample.com.\nMAIL.ACME.TEST\n",
        Wrap::Armor,
        ["json", "csv"],
    );
    assert_json(&a, "domain", &["Example.COM", "mail.acme.test.", "Bücher.example"]);
    assert_eq!(json(&a)["mode"], "mutual");
    assert_eq!(
        b,
        csv(
            "domain",
            "bob.txt",
            &[("xn--bcher-kva.example", 1), ("example.com.", 3), ("MAIL.ACME.TEST", 4)]
        )
    );
}

#[test]
fn ips_meet_across_spellings() {
    let (a, b) = mutual(
        "ip",
        "192.0.2.1\n2001:0DB8:0000:0000:0000:0000:0000:0001\n10.0.0.1\n::ffff:198.51.100.7\n",
        "2001:db8::1\n198.51.100.7\n10.0.0.2\n192.0.2.1\n",
        Wrap::Encrypt,
        ["csv", "json"],
    );
    assert_eq!(
        a,
        csv(
            "ip",
            "alice.txt",
            &[
                ("192.0.2.1", 1),
                ("2001:0DB8:0000:0000:0000:0000:0000:0001", 2),
                ("::ffff:198.51.100.7", 4)
            ]
        )
    );
    assert_json(&b, "ip", &["2001:db8::1", "198.51.100.7", "192.0.2.1"]);
}

#[test]
fn hashes_meet_across_case() {
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let sha1_mixed = "DA39a3ee5e6b4b0d3255BFEF95601890afd80709";
    let alice = format!(
        "{}\n{sha256}\n{sha1_mixed}\n0cc175b9c0f1b6a831c399e269772661\n",
        md5.to_uppercase()
    );
    let bob = format!(
        "{sha1}\n92eb5ffee6ae2fec3ad71c777531578f\n{md5}\n{}\n",
        sha256.to_uppercase()
    );
    let (a, b) = mutual("hash", &alice, &bob, Wrap::Plain, ["text", "text"]);
    assert_eq!(a, lines(&[&md5.to_uppercase(), sha256, sha1_mixed]));
    assert_eq!(b, lines(&[sha1, md5, &sha256.to_uppercase()]));
}

#[test]
fn emails_meet_across_case() {
    let (a, b) = mutual(
        "email",
        "Alice@Example.COM\nbob@x.org\ncarol@mail.test.\nonly@alice.test\nuser[at]mule[.]example\n",
        "carol@MAIL.TEST\nBob@x.org\nALICE@example.com\nonly@bob.test\nUSER@Mule.Example\n",
        Wrap::Armor,
        ["text", "json"],
    );
    // The whole address is compared lower-cased (bundle format 3), as mail
    // providers and CTI platforms treat it; defanged too.
    assert_eq!(
        a,
        lines(&[
            "Alice@Example.COM",
            "bob@x.org",
            "carol@mail.test.",
            "user[at]mule[.]example"
        ])
    );
    assert_json(
        &b,
        "email",
        &["carol@MAIL.TEST", "Bob@x.org", "ALICE@example.com", "USER@Mule.Example"],
    );
}

// ---------------------------------------------------------------- modes

#[test]
fn one_sided_only_the_initiator_learns() {
    let (env, a, b) = two_lists("one\ntwo\nthree\n", "three\nfour\none\n");
    ok(
        init(&env, &a, &b, "alice.txt", &["--mode", "one-sided", "--encrypt"], "r1"),
        "init",
    );
    let r = ok(respond(&env, &b, &a, "r1", "bob.txt", &["--encrypt"], "r2"), "respond");
    has(&r.stderr, "one-sided");
    assert!(
        sessions(&env, &b).is_empty(),
        "the responder keeps no session in one-sided mode"
    );
    Wrap::Encrypt.check(&env, "r2");

    let e = err(finish(&env, &a, "r2", &["--reply", "r3"]), "finish --reply");
    has(&e, "writes no round 3");
    env.assert_absent("r3");
    assert_eq!(
        sessions(&env, &a).len(),
        1,
        "a refused finish must not consume the session"
    );

    let r = ok(finish(&env, &a, "r2", &[]), "finish");
    assert_eq!(r.stdout, "one\nthree\n");
    assert!(sessions(&env, &a).is_empty());
}

#[test]
fn cardinality_both_learn_only_the_count() {
    let (env, a, b) = two_lists("one\ntwo\nthree\nfive\n", "three\nfour\none\n");
    ok(
        init(&env, &a, &b, "alice.txt", &["--mode", "cardinality"], "r1"),
        "init",
    );
    ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
    assert_eq!(sessions(&env, &b).len(), 1);

    let r = ok(
        finish(&env, &a, "r2", &["--reply", "r3", "--format", "json"]),
        "alice finish",
    );
    let v = json(&r.stdout);
    assert_eq!(v["count"], 2, "{v}");
    assert_eq!(v["mode"], "cardinality");
    assert!(v.get("entries").is_none(), "cardinality mode printed entries: {v}");
    for entry in ["one", "two", "three", "four", "five"] {
        assert!(!r.stdout.contains(&format!("\"{entry}\"")), "{}", r.stdout);
    }

    let r = ok(finish(&env, &b, "r3", &[]), "bob finish");
    assert_eq!(r.stdout, "2\n");
    assert!(sessions(&env, &a).is_empty() && sessions(&env, &b).is_empty());
}

#[test]
fn padding_stdin_quiet_and_inspect() {
    let (env, a, b) = two_parties();
    env.write("bob.txt", "d.example\nb.example\n");
    // Alice's list from standard input, padded to 16; everything quiet.
    let r = env.feed(
        &[
            "-q",
            "init",
            "-i",
            &a.id,
            "--state-dir",
            &a.state,
            "--peer",
            &b.public,
            "--input",
            "-",
            "--kind",
            "domain",
            "--pad-to",
            "16",
            "--no-encrypt",
            "-o",
            "r1",
        ],
        b"a.example\nB.Example\nc.example\nd.example.\n",
    );
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));

    let r1 = json(&env.ok(&["inspect", "r1", "--json", "--peer", &a.public]).stdout);
    assert_eq!(r1["points"], 16, "{r1}");
    assert_eq!(r1["round"], 1);
    assert_eq!(r1["kind"], "domain");
    assert_eq!(r1["signature"], "valid");
    // Checked against the wrong peer, the signature is not Bob's.
    let r1 = json(&env.ok(&["inspect", "r1", "--json", "--peer", &b.public]).stdout);
    assert_eq!(r1["signature"], "invalid", "{r1}");

    let r = respond(&env, &b, &a, "r1", "bob.txt", &["-q", "--pad-to", "8"], "r2");
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let r2 = json(&env.ok(&["inspect", "r2", "--json"]).stdout);
    assert_eq!(
        (r2["round"].as_u64(), r2["points"].as_u64(), r2["doubled"].as_u64()),
        (Some(2), Some(8), Some(16))
    );
    assert_eq!(r2["signature"], "unchecked");

    let r = finish(&env, &a, "r2", &["-q", "--reply", "r3"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "B.Example\nd.example.\n", "")
    );
    let r = finish(&env, &b, "r3", &["-q"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "d.example\nb.example\n", "")
    );
}

#[test]
fn damaged_bundles_are_errors_not_panics() {
    let (env, a, b) = two_lists("x\ny\n", "y\n");
    ok(init(&env, &a, &b, "alice.txt", &[], "plain"), "init");
    ok(init(&env, &a, &b, "alice.txt", &["--encrypt"], "sealed"), "init");
    ok(init(&env, &a, &b, "alice.txt", &["--armor"], "armored"), "init");
    let cut = |from: &str, to: &str, keep: usize| {
        let b = env.bytes(from);
        std::fs::write(env.path(to), &b[..keep.min(b.len())]).unwrap();
    };
    cut("plain", "plain.cut", 300);
    cut("sealed", "sealed.cut", 150);
    cut("armored", "armored.cut", 150);
    env.write("empty", "");
    env.write("text", "hello, this is not a bundle\n");
    for (file, why) in [
        ("plain.cut", "not a valid cosect bundle"),
        ("empty", "this is an empty file"),
        ("text", "this is a text file (a list?), not a bundle"),
        ("sealed.cut", "cannot decrypt the bundle"),
        ("armored.cut", "cannot decrypt the bundle"),
    ] {
        let e = err(respond(&env, &b, &a, file, "bob.txt", &[], "r2"), file);
        has(&e, &format!("{file}: {why}"));
        env.assert_absent("r2");
        let e = err(finish(&env, &a, file, &["--reply", "r3"]), file);
        has(&e, &format!("{file}: {why}"));
        env.assert_absent("r3");
        // inspect reports, never panics.
        let r = env.run(&["inspect", file, "-i", &b.id]);
        assert_eq!(r.code, 1, "inspect {file}: {}", r.stderr);
    }
    assert!(sessions(&env, &b).is_empty());
    assert_eq!(sessions(&env, &a).len(), 3);
}

// ---------------------------------------------------------------- envelopes and interop

/// Run an outside tool in the scratch directory; require success.
fn tool(env: &Env, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(env.root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn age_cli_decrypts_our_bundles_with_the_identity_file() {
    if !have_tool("the age CLI", Command::new("age").arg("--version")) {
        return;
    }
    let (env, a, b) = two_lists("x\ny\n", "y\nz\n");
    ok(init(&env, &a, &b, "alice.txt", &["--encrypt"], "r1.age"), "init");
    Wrap::Encrypt.check(&env, "r1.age");
    tool(&env, "age", &["-d", "-i", "bob.id", "-o", "r1.cose", "r1.age"]);
    Wrap::Plain.check(&env, "r1.cose");
    // Alice cannot read what she encrypted to Bob.
    let out = Command::new("age")
        .args(["-d", "-i", "alice.id", "r1.age"])
        .current_dir(env.root())
        .output()
        .unwrap();
    assert!(!out.status.success());

    // The decrypted bundle is the same bundle: Bob answers it, and the
    // exchange completes.
    ok(
        respond(&env, &b, &a, "r1.cose", "bob.txt", &["--armor"], "r2.asc"),
        "respond",
    );
    tool(&env, "age", &["-d", "-i", "alice.id", "-o", "r2.cose", "r2.asc"]);
    Wrap::Plain.check(&env, "r2.cose");
    let r = ok(finish(&env, &a, "r2.asc", &["--reply", "r3"]), "finish");
    assert_eq!(r.stdout, "y\n");
}

#[test]
fn bundles_encrypted_by_hand_with_age_are_accepted() {
    if !have_tool("the age CLI", Command::new("age").arg("--version")) {
        return;
    }
    let (env, a, b) = two_lists("x\ny\nw\n", "w\ny\nz\n");
    for (n, armor) in [(1, false), (2, true)] {
        let plain = format!("s{n}.r1");
        let sealed = format!("s{n}.r1.age");
        ok(init(&env, &a, &b, "alice.txt", &[], &plain), "init");
        let mut args = vec!["-r", b.recipient(), "-o", sealed.as_str()];
        if armor {
            args.insert(0, "-a");
        }
        args.push(&plain);
        tool(&env, "age", &args);
        if armor {
            Wrap::Armor.check(&env, &sealed);
        } else {
            Wrap::Encrypt.check(&env, &sealed);
        }
        let r2 = format!("s{n}.r2");
        let r3 = format!("s{n}.r3");
        ok(respond(&env, &b, &a, &sealed, "bob.txt", &[], &r2), "respond");
        let ra = ok(finish(&env, &a, &r2, &["--reply", &r3]), "alice finish");
        let rb = ok(finish(&env, &b, &r3, &[]), "bob finish");
        assert_eq!((ra.stdout.as_str(), rb.stdout.as_str()), ("y\nw\n", "w\ny\n"));
    }
}

/// Verify a COSE_Sign1 file with pycose under the Ed25519 key of `pubkey_json`.
/// `flip`: index of a byte to flip first. Returns what pycose decided.
fn pycose_verifies(env: &Env, bundle: &str, pubkey_json: &str, flip: Option<usize>) -> bool {
    const SCRIPT: &str = r#"
import base64, json, sys
import cbor2
from pycose.messages import Sign1Message
from pycose.keys import OKPKey
from pycose.keys.curves import Ed25519
data = open(sys.argv[1], "rb").read()
key = base64.b64decode(json.load(open(sys.argv[2]))["ed25519"])
if len(sys.argv) > 3:
    i = int(sys.argv[3])
    data = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
try:
    m = Sign1Message.decode(data)
except TypeError:
    # pycose 1.1 with cbor2 >= 6 (arrays decoded as tuples, pycose issue
    # #141): decode the tag-18 message and hand pycose the parts it expects.
    t = cbor2.loads(data)
    assert t.tag == 18, t.tag
    parts = list(t.value)
    parts[1] = dict(parts[1])
    m = Sign1Message.from_cose_obj(parts, True)
m.key = OKPKey(crv=Ed25519, x=key)
try:
    ok = m.verify_signature()
except Exception as e:
    print("error:", e, file=sys.stderr)
    ok = False
print("valid" if ok else "invalid")
"#;
    env.write("verify.py", SCRIPT);
    let flip = flip.map(|i| i.to_string());
    let mut args = vec!["verify.py", bundle, pubkey_json];
    if let Some(f) = &flip {
        args.push(f);
    }
    match tool(env, "python3", &args).trim() {
        "valid" => true,
        "invalid" => false,
        other => panic!("verify.py printed {other:?}"),
    }
}

#[test]
fn pycose_verifies_our_signature() {
    if !have_tool(
        "python3 with pycose",
        Command::new("python3").args(["-c", "import pycose, cbor2"]),
    ) {
        return;
    }
    let (env, a, b) = two_lists("x\ny\nz\n", "y\n");
    env.write("alice.json", &env.ok(&["pubkey", "-i", "alice.id", "--json"]).stdout);
    env.write("bob.json", &env.ok(&["pubkey", "-i", "bob.id", "--json"]).stdout);
    ok(init(&env, &a, &b, "alice.txt", &[], "r1"), "init");
    ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");

    assert!(pycose_verifies(&env, "r1", "alice.json", None));
    assert!(pycose_verifies(&env, "r2", "bob.json", None));
    assert!(
        !pycose_verifies(&env, "r1", "bob.json", None),
        "verified under the wrong key"
    );
    let len = env.bytes("r1").len();
    // A byte inside the payload's elements (they end the payload, right
    // before the 64-byte signature), and the last byte of the signature.
    assert!(!pycose_verifies(&env, "r1", "alice.json", Some(len - 120)));
    assert!(!pycose_verifies(&env, "r1", "alice.json", Some(len - 1)));
}

#[test]
fn altered_bundle_is_refused() {
    let (env, a, b) = round1("x\ny\nz\n", "y\n");
    let mut bytes = env.bytes("r1");
    let i = bytes.len() - 120; // inside the blinded elements
    bytes[i] ^= 1;
    std::fs::write(env.path("r1.bad"), bytes).unwrap();
    respond_refused(
        &env,
        &b,
        &a,
        "r1.bad",
        "bob.txt",
        &[],
        "r1.bad: the signature does not verify",
    );
}

// ---------------------------------------------------------------- failures

/// A party's short fingerprint as `pubkey --json` shows it.
fn fingerprint(env: &Env, p: &Party) -> String {
    json(&env.ok(&["pubkey", "-i", &p.id, "--json"]).stdout)["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn bundle_from_someone_other_than_the_peer_is_refused() {
    let (env, a, b) = two_lists("x\ny\n", "y\n");
    let c = env.party("carol", "Carol");
    ok(init(&env, &a, &b, "alice.txt", &["--encrypt"], "r1"), "init");
    // Bob expects Carol; the bundle is Alice's.
    let e = respond_refused(&env, &b, &c, "r1", "bob.txt", &[], "r1: the bundle is from ACME CERT");
    has(&e, &format!("not from your peer Carol ({})", fingerprint(&env, &c)));
    has(&e, "signed with their key, not from your peer");
    has(&e, "check your --peer file");
}

#[test]
fn bundle_addressed_to_another_identity_is_refused() {
    let (env, a, b) = two_parties();
    let c = env.party("carol", "Carol");
    env.write("alice.txt", "x\ny\n");
    env.write("carol.txt", "y\n");
    // Plain: Carol can read it, but it is addressed to Bob.
    ok(init(&env, &a, &b, "alice.txt", &[], "plain.r1"), "init");
    let e = err(respond(&env, &c, &a, "plain.r1", "carol.txt", &[], "r2"), "respond");
    has(
        &e,
        &format!(
            "plain.r1: the bundle is addressed to fingerprint {}, not to you",
            fingerprint(&env, &b)
        ),
    );
    env.assert_absent("r2");
    // Encrypted to Bob: Carol cannot even decrypt it.
    ok(init(&env, &a, &b, "alice.txt", &["--armor"], "sealed.r1"), "init");
    respond_refused(
        &env,
        &c,
        &a,
        "sealed.r1",
        "carol.txt",
        &[],
        "sealed.r1: cannot decrypt the bundle",
    );
}

#[test]
fn rounds_cannot_be_replayed_or_fed_back() {
    let (env, a, b) = round1("x\ny\n", "y\nx\n");
    // Round 1 answered twice: the same round 2 again, byte for byte
    // (a lost mail loses nothing), and no second session.
    ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
    let r = ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2.again"), "respond again");
    has(&r.stderr, "this very bundle was answered on 20");
    has(&r.stderr, "nothing was computed or charged");
    assert_eq!(env.bytes("r2.again"), env.bytes("r2"));
    assert_eq!(sessions(&env, &b).len(), 1);

    // Mutual mode: finishing round 2 without --reply is refused and keeps the session.
    let e = err(finish(&env, &a, "r2", &[]), "finish without --reply");
    has(&e, "mutual mode: your peer needs round 3");
    assert_eq!(sessions(&env, &a).len(), 1);

    let r = ok(finish(&env, &a, "r2", &["--reply", "r3"]), "finish");
    assert_eq!(r.stdout, "x\ny\n");
    // The same round 2 finished twice: the session is gone.
    let e = err(finish(&env, &a, "r2", &["--reply", "r3.again"]), "finish again");
    has(&e, "r2: no open session");
    env.assert_absent("r3.again");
    // Round 3 fed back to its sender: recognized as her own bundle.
    let e = err(finish(&env, &a, "r3", &[]), "alice finish r3");
    has(
        &e,
        "r3: this is a bundle you sent yourself (round 3), not one from your peer",
    );
    // Round 1 fed to `finish` by its addressee, and round 3 to `respond`.
    let e = err(finish(&env, &b, "r1", &[]), "bob finish r1");
    has(
        &e,
        "r1: this is a round 1, and `finish` takes a round 2, a round 3 or a catalog answer",
    );
    let e = err(respond(&env, &b, &a, "r2", "bob.txt", &[], "r4"), "respond to r2");
    has(
        &e,
        "r2: this is a bundle you sent yourself (round 2), not one from your peer",
    );
    env.assert_absent("r4");

    let r = ok(finish(&env, &b, "r3", &[]), "bob finish");
    assert_eq!(r.stdout, "y\nx\n");
    // The journal knows the round 3 that finished the session.
    let e = err(finish(&env, &b, "r3", &[]), "bob finish again");
    has(&e, "r3: session ");
    has(&e, "was finished on 20");
    has(&e, "with this very round 3");
}

#[test]
fn expired_bundle_is_refused() {
    let (env, a, b) = two_lists("x\ny\n", "y\n");
    ok(init(&env, &a, &b, "alice.txt", &["--expires", "1s"], "r1"), "init");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    respond_refused(&env, &b, &a, "r1", "bob.txt", &[], "r1: the bundle expired at ");
}

#[test]
fn outputs_are_never_replaced_without_force() {
    let (env, a, b) = two_lists("x\ny\n", "y\n");
    env.write("r1", "keep me\n");
    let e = err(init(&env, &a, &b, "alice.txt", &[], "r1"), "init");
    has(&e, "r1: file exists");
    has(&e, "--force");
    assert_eq!(env.read("r1"), "keep me\n");
    assert!(sessions(&env, &a).is_empty(), "a refused init left a session");
    ok(init(&env, &a, &b, "alice.txt", &["--force"], "r1"), "init --force");
    Wrap::Plain.check(&env, "r1");

    ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
    env.write("shared.txt", "old results\n");
    let e = err(finish(&env, &a, "r2", &["--reply", "r3", "-o", "shared.txt"]), "finish");
    has(&e, "shared.txt: file exists");
    env.assert_absent("r3");
    assert_eq!(env.read("shared.txt"), "old results\n");
    assert_eq!(sessions(&env, &a).len(), 1, "a refused finish consumed the session");
    let r = ok(
        finish(&env, &a, "r2", &["--reply", "r3", "-o", "shared.txt", "--force"]),
        "finish --force",
    );
    assert_eq!(r.stdout, "");
    assert_eq!(env.read("shared.txt"), "y\n");
}

/// `finish` checks round 2's signature before it loads the session (so
/// the bundle's bytes are released first): an altered signature is still
/// refused as before, the session stays open, and the genuine round 2
/// then finishes.
#[test]
fn finish_refuses_a_round2_whose_signature_was_altered() {
    let (env, a, b) = round1("x\ny\nz\n", "y\nq\n");
    ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
    let mut bytes = env.bytes("r2");
    let n = bytes.len();
    bytes[n - 1] ^= 1; // inside the signature
    std::fs::write(env.path("r2.bad"), bytes).unwrap();
    let e = err(finish(&env, &a, "r2.bad", &["--reply", "r3"]), "finish");
    has(&e, "r2.bad: the signature does not verify");
    env.assert_absent("r3");
    assert_eq!(sessions(&env, &a).len(), 1, "the session must stay open");
    assert_eq!(ok(finish(&env, &a, "r2", &["--reply", "r3"]), "finish").stdout, "y\n");
}

/// `respond` reads its list while it answers round 1: a list that fails
/// stops that work and is the error given (no round 2, no session); a
/// list on standard input is read the same way, and the result is exact.
#[test]
fn respond_reads_its_list_while_answering_round1() {
    let alice: String = (0..20_000).map(|i| format!("10.1.{}.{}\n", i / 250, i % 250)).collect();
    let (env, a, b) = two_lists(&alice, "10.1.0.7\n10.1.3.9\nnot-an-ip\n");
    ok(init(&env, &a, &b, "alice.txt", &["--kind", "ip"], "r1"), "init");
    let e = respond_refused(
        &env,
        &b,
        &a,
        "r1",
        "bob.txt",
        &[],
        "bob.txt: line 3: not an IPv4 or IPv6 address",
    );
    has(&e, "--skip-invalid");

    let mut args = vec![
        "respond",
        "r1",
        "-i",
        &b.id,
        "--state-dir",
        &b.state,
        "--peer",
        &a.public,
    ];
    args.extend(["--input", "-", "-o", "r2", "--no-encrypt"]);
    let r = env.feed(&args, b"10.1.0.7\n192.0.2.1\n10.1.3.9\n");
    assert_eq!(r.code, 0, "respond from standard input: {}", r.stderr);
    let shared = ok(finish(&env, &a, "r2", &["--reply", "r3"]), "finish").stdout;
    assert_eq!(shared, "10.1.0.7\n10.1.3.9\n");
    assert_eq!(ok(finish(&env, &b, "r3", &[]), "finish").stdout, "10.1.0.7\n10.1.3.9\n");
}

#[test]
fn invalid_lines_name_file_and_line_or_are_skipped() {
    let (env, a, b) = two_parties();
    env.write(
        "ips.txt",
        "# IPs\n192.0.2.1\n999.1.1.1\n\n10.0.0.1\nnot-an-ip\n192.0.2.1\n",
    );
    let e = err(init(&env, &a, &b, "ips.txt", &["--kind", "ip"], "r1"), "init");
    has(&e, "ips.txt: line 3: not an IPv4 or IPv6 address: 999.1.1.1");
    has(&e, "--skip-invalid");
    env.assert_absent("r1");
    assert!(sessions(&env, &a).is_empty());

    let r = ok(
        init(&env, &a, &b, "ips.txt", &["--kind", "ip", "--skip-invalid"], "r1"),
        "init --skip-invalid",
    );
    has(&r.stderr, "ips.txt: skipped 2: 2 invalid entries (first: line 3, ");
    let v = json(&env.ok(&["inspect", "r1", "--json"]).stdout);
    assert_eq!(v["points"], 2, "{v}");
    assert_eq!(v["kind"], "ip");

    // The responder's list is checked the same way, against the kind of round 1.
    env.write("bob.txt", "10.0.0.1\nexample.com\n");
    let e = err(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
    has(&e, "bob.txt: line 2: not an IPv4 or IPv6 address: example.com");
    env.assert_absent("r2");
    assert_eq!(answer_and_finish(&env, &a, &b, &["--skip-invalid"]), "10.0.0.1\n");
}

#[test]
fn empty_input_is_refused() {
    let (env, a, b) = two_parties();
    env.write("empty.txt", "");
    env.write("comments.txt", "# nothing here\n\n   \n# still nothing\n");
    for list in ["empty.txt", "comments.txt"] {
        let e = err(init(&env, &a, &b, list, &["--kind", "domain"], "r1"), "init");
        has(&e, &format!("{list}: no entries of kind domain to compare"));
        env.assert_absent("r1");
    }
    // Every line invalid and skipped leaves nothing either.
    env.write("bad.txt", "-bad-\n..\n");
    let e = err(
        init(&env, &a, &b, "bad.txt", &["--kind", "hash", "--skip-invalid"], "r1"),
        "init",
    );
    has(&e, "bad.txt: no entries of kind hash to compare");
    env.assert_absent("r1");
    assert!(sessions(&env, &a).is_empty());

    env.write("alice.txt", "x\n");
    ok(init(&env, &a, &b, "alice.txt", &[], "r1"), "init");
    respond_refused(
        &env,
        &b,
        &a,
        "r1",
        "comments.txt",
        &[],
        "comments.txt: no entries of kind auto to compare",
    );
}

#[test]
fn responder_caps_the_peer_set() {
    let (env, a, b) = round1("1\n2\n3\n4\n5\n", "5\n6\n");
    let why = "r1: the peer's set has 5 elements, more than --max-peer-items 4";
    respond_refused(&env, &b, &a, "r1", "bob.txt", &["--max-peer-items", "4"], why);
    // Exactly at the cap is fine.
    assert_eq!(answer_and_finish(&env, &a, &b, &["--max-peer-items", "5"]), "5\n");
}

/// Ctrl-C (SIGINT) stops a command with exit status 130 and a one-line
/// message, and leaves no file: here `init` is waiting for its list on
/// standard input when it is interrupted.
#[test]
fn an_interrupt_exits_130_and_leaves_nothing() {
    let (env, a, b) = two_parties();
    let mut child = env
        .command(&[
            "init",
            "-i",
            &a.id,
            "--peer",
            &b.public,
            "--state-dir",
            &a.state,
            "--input",
            "-",
            "-o",
            "r1",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"a.example\n").unwrap();
    // Interrupt it once its handler is installed (Linux lists caught
    // signals in /proc: bit 1 of SigCgt is SIGINT) while it waits for input.
    let caught = || {
        std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("SigCgt:").map(|v| v.trim().to_owned()))
            })
            .and_then(|v| u64::from_str_radix(&v, 16).ok())
            .is_some_and(|mask| mask & 0b10 != 0)
    };
    for _ in 0..1000 {
        if caught() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    common::signal(child.id(), "INT");
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.code(), Some(130));
    let err = String::from_utf8_lossy(&out.stderr);
    has(&err, "interrupted");
    env.assert_absent("r1");
    assert!(sessions(&env, &a).is_empty());
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    env.party("alice", "A");
    env.write("x.txt", "x\n");
    for args in [
        &["frobnicate"][..],
        &["init", "-i", "alice.id", "--input", "x.txt"][..], // no --peer
        &argv("init -i alice.id --peer alice.pub --input x.txt --kind nope")[..],
        &argv("init -i alice.id --peer alice.pub --input x.txt --expires 0s")[..],
        &["finish", "--format", "xml", "r2"][..],
        &["respond"][..],
    ] {
        let e = env.fails(args, 2);
        assert!(e.starts_with("error:"), "{args:?}: {e}");
        assert!(e.contains("Usage:") || e.contains("--help"), "{args:?}: {e}");
    }
    assert_eq!(std::fs::read_dir(env.path("state")).unwrap().count(), 0);
}

#[test]
fn default_paths_come_from_xdg_dirs() {
    // No -i and no --state-dir: identity in $XDG_CONFIG_HOME/cosect, state
    // in $XDG_STATE_HOME/cosect, never the real home.
    let env = Env::new();
    let r = env.ok(&["keygen", "--name", "Default"]);
    assert!(env.path("config/cosect/identity.txt").exists());
    env.write("me.pub", &r.stdout);
    env.party("bob", "Bob");
    env.write("x.txt", "x\n");
    env.ok(&["init", "--peer", "bob.pub", "--input", "x.txt", "-o", "r1"]);
    let dir = env.path("state/cosect/sessions");
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1);
}

// ---------------------------------------------------------------- demo

/// testdata/feed.stix.json (Alice) ∩ testdata/misp-event.json (Bob), kinds
/// detected per entry: Alice's spelling in Alice's order, Bob's in his.
/// Each line has its twin in the other list under the normalization of its
/// kind (case, trailing dot, expanded IPv6, upper-case hashes, e-mail domain);
/// the URL is compared exactly.
const DEMO_ALICE: &str = "LOGIN-MicrosoftOnline.example-auth.com.
c2-beacon-17.example.ru
198.51.100.23
2001:0db8:85a3:0000:0000:8a2e:0370:7334
44D88612FEA8A8F36DE82E1278ABB02F
275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f
billing@Invoice-Portal.example.biz
http://secure-paypal-verify.example.net/login.php
";
const DEMO_BOB: &str = "login-microsoftonline.example-auth.com
C2-BEACON-17.EXAMPLE.RU.
198.51.100.23
2001:db8:85a3::8a2e:370:7334
billing@invoice-portal.example.biz
http://secure-paypal-verify.example.net/login.php
44d88612fea8a8f36de82e1278abb02f
275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F
";

#[test]
fn demo_prints_the_shared_entries() {
    let env = Env::new();
    let r = env.ok(&["demo"]);
    assert_eq!(r.stdout, DEMO_ALICE);
    has(&r.stderr, "Alice");

    let r = env.ok(&["-q", "demo", "--dir", "kept"]);
    assert_eq!(r.stdout, DEMO_ALICE);
    assert_eq!(r.stderr, "");
    assert_eq!(env.read("kept/alice-shared.txt"), DEMO_ALICE);
    assert_eq!(env.read("kept/bob-shared.txt"), DEMO_BOB);
    // Nothing leaked into the default places.
    assert_eq!(std::fs::read_dir(env.path("config")).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(env.path("state")).unwrap().count(), 0);
}

#[test]
fn version_names_the_arithmetic_backend() {
    let env = Env::new();
    let short = env.ok(&["-V"]);
    assert_eq!(short.stdout, format!("cosect {}\n", env!("CARGO_PKG_VERSION")));
    for args in [&["--version"][..], &["--version", "--verbose"]] {
        let long = env.ok(args);
        let mut lines = long.stdout.lines();
        assert_eq!(lines.next(), short.stdout.lines().next());
        let backend = lines.next().expect("a second line names the backend");
        let named = ["AVX-512 IFMA", "AVX2", "serial (portable 64-bit)"].iter().find(|b| {
            backend == format!("arithmetic: curve25519-dalek 5, {b} backend (chosen at run time for this CPU)")
        });
        assert!(named.is_some(), "unexpected backend line: {backend}");
        // A CPU with AVX2 gets a vector backend, never the serial code.
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            assert!(!backend.contains("serial"), "{backend}");
        }
    }
}
