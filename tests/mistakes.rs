//! The mistakes analysts make, and the sentences cosect answers them with
//! (issue 22): each test runs the real binary on the very mistake, with
//! separate identities and state directories, and asserts the sentence
//! that names what happened and what to do.

mod common;

use common::*;

/// Alice's identity, and a list.
fn alice_and_bob() -> (Env, Party, Party) {
    two_lists("a.example\nb.example\n", "b.example\nc.example\n")
}

/// `-i` given a public identity: named as one, with what `-i` wants, before
/// and after the chmod the old message asked for.
#[test]
fn a_public_identity_as_the_identity_is_named() {
    let (env, a, b) = alice_and_bob();
    let args = [
        "init",
        "-i",
        &a.public,
        "--peer",
        &b.public,
        "--input",
        "alice.txt",
        "-o",
        "r1",
    ];
    for mode in [0o644, 0o600] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(env.path(&a.public), std::fs::Permissions::from_mode(mode)).unwrap();
        let e = env.fails(&args, 1);
        has(
            &e,
            "error: alice.pub: this is a public identity (ACME CERT, fingerprint ",
        );
        has(&e, "not an identity file");
        has(&e, "hint: -i wants your secret identity file");
        has(&e, "a public identity goes with --peer");
        assert!(!e.contains("chmod"), "{e}");
        assert!(!e.contains("X25519"), "{e}");
        env.assert_absent("r1");
    }
    // A bundle or a list given as -i is named too.
    ok(init(&env, &a, &b, "alice.txt", &["--encrypt"], "r1"), "init");
    let e = env.fails(&["sessions", "-i", "r1"], 1);
    has(&e, "r1: this is an age-encrypted file, not an identity file");
    let e = env.fails(&["sessions", "-i", "alice.txt"], 1);
    has(&e, "alice.txt: this is a text file with no AGE-SECRET-KEY-1… line");
}

/// `finish` on the round 1 one sent (encrypted to the peer), and the
/// responder's on its own round 2: named as such, with what to do.
#[test]
fn finishing_ones_own_bundle_says_so() {
    let (env, a, b) = alice_and_bob();
    for (envelope, r1) in [("--encrypt", "r1"), ("--armor", "r1.asc")] {
        ok(init(&env, &a, &b, "alice.txt", &[envelope], r1), "init");
        let e = err(finish(&env, &a, r1, &[]), "finish own round 1");
        has(&e, &format!("error: {r1}: this is the round 1 you sent to Bob MSSP ("));
        has(&e, "it is encrypted to them, not to you");
        has(
            &e,
            "hint: send this file to your peer if you have not yet; `cosect finish` takes the round 2 they send back",
        );
        assert!(!e.contains("check -i") && !e.contains("identity (-i)"), "{e}");
    }
    ok(respond(&env, &b, &a, "r1", "bob.txt", &["--encrypt"], "r2"), "respond");
    let e = err(finish(&env, &b, "r2", &[]), "finish own round 2");
    has(&e, "r2: this is the round 2 you sent to ACME CERT (");
    has(&e, "takes the round 3 they send back");
    // A catalog query one sent, fed back to finish.
    env.ok(&[
        "publish",
        "-i",
        &b.id,
        "--state-dir",
        &b.state,
        "--input",
        "bob.txt",
        "-o",
        "cat.cbor",
    ]);
    let q = [
        "init",
        "-i",
        &a.id,
        "--state-dir",
        &a.state,
        "--catalog",
        "cat.cbor",
        "--peer",
        &b.public,
    ];
    env.ok(&[&q[..], &["--input", "alice.txt", "-o", "q.age"]].concat());
    let e = err(finish(&env, &a, "q.age", &["--encrypt"]), "finish own query");
    has(&e, "q.age: this is the catalog query you sent to Bob MSSP (");
    has(&e, "takes the answer they send back");
    // Someone else's bundle is still "not encrypted to your identity".
    let carol = env.party("carol", "Carol");
    let e = err(finish(&env, &carol, "r2", &[]), "finish as carol");
    has(&e, "not encrypted to your identity");
}

/// `finish` on a catalog names it by its one id (as `publish` printed it)
/// and the verb that takes it.
#[test]
fn finishing_a_catalog_names_it_by_its_id() {
    let (env, a, b) = alice_and_bob();
    let r = env.ok(&[
        "publish",
        "-i",
        &b.id,
        "--state-dir",
        &b.state,
        "--input",
        "bob.txt",
        "-o",
        "catalog.cbor",
    ]);
    let id = r.stderr.split_whitespace().nth(2).unwrap().to_owned();
    assert_eq!(id.len(), 16, "{}", r.stderr);
    for p in [&a, &b] {
        let e = err(finish(&env, p, "catalog.cbor", &[]), "finish catalog");
        has(
            &e,
            &format!("error: catalog.cbor: this is catalog {id}, and `finish` takes a round 2, a round 3 or a catalog answer"),
        );
        has(&e, "hint: query it with `cosect init --catalog FILE`");
        assert!(!e.contains("no open catalog query"), "{e}");
    }
}

/// Files that are no bundle are named for what they are.
#[test]
fn a_file_that_is_no_bundle_is_named() {
    let (env, a, b) = alice_and_bob();
    env.write("empty", "");
    env.write(
        "page.html",
        "<!DOCTYPE html>\n<html><head><title>Download</title></head></html>\n",
    );
    env.write("iocs.json", r#"{"type": "bundle", "id": "bundle--1", "objects": []}"#);
    let cases = [
        (
            "alice.txt",
            "this is a text file (a list?), not a bundle",
            "a list goes with --input",
        ),
        (
            "bob.pub",
            "this is a public identity (a .pub file), not a bundle",
            "a public identity goes with --peer",
        ),
        ("empty", "this is an empty file", "did not carry the bundle"),
        (
            "page.html",
            "this is an HTML page, not a bundle",
            "download the file itself",
        ),
        (
            "iocs.json",
            "this is a STIX 2.1 bundle (a list of indicators), not a cosect bundle",
            "--input",
        ),
    ];
    for (file, what, hint) in cases {
        let e = err(finish(&env, &a, file, &[]), file);
        has(&e, &format!("error: {file}: {what}"));
        has(&e, hint);
        assert!(!e.contains("COSE"), "{e}");
        let e = env.fails(
            &[
                "respond", file, "-i", &b.id, "--peer", &a.public, "--input", "bob.txt", "-o", "r2",
            ],
            1,
        );
        has(&e, &format!("{file}: {what}"));
        if file == "bob.pub" {
            // inspect shows a public identity instead (tests/peers.rs).
            has(&env.ok(&["inspect", file]).stdout, "(a public identity)");
            continue;
        }
        let e = env.fails(&["inspect", file, "-i", &b.id], 1);
        has(&e, &format!("{file}: {what}"));
    }
    env.assert_absent("r2");
}

/// After `sessions cancel`, the answer is refused by saying it was
/// cancelled, and when.
#[test]
fn the_answer_to_a_cancelled_session_says_so() {
    let (env, a, b) = alice_and_bob();
    ok(init(&env, &a, &b, "alice.txt", &[], "r1"), "init");
    ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
    let listed = env
        .ok(&["sessions", "-i", &a.id, "--state-dir", &a.state, "--json"])
        .stdout;
    let id = json(&listed)[0]["id"].as_str().unwrap()[..8].to_owned();
    env.ok(&["sessions", "cancel", &id, "-i", &a.id, "--state-dir", &a.state]);
    let e = err(finish(&env, &a, "r2", &[]), "finish after cancel");
    has(&e, &format!("error: r2: session {id} was cancelled on 20"));
    has(&e, "(`cosect sessions cancel`)");
    has(&e, "hint: start a new exchange");
    assert!(!e.contains("already finished"), "{e}");
    // The responder's side too, and a catalog query.
    let listed = env
        .ok(&["sessions", "-i", &b.id, "--state-dir", &b.state, "--json"])
        .stdout;
    let bid = json(&listed)[0]["id"].as_str().unwrap()[..8].to_owned();
    env.ok(&["sessions", "cancel", &bid, "-i", &b.id, "--state-dir", &b.state]);
    // Carol's cancelled query.
    env.ok(&[
        "publish",
        "-i",
        &b.id,
        "--state-dir",
        &b.state,
        "--input",
        "bob.txt",
        "-o",
        "cat.cbor",
    ]);
    let q = [
        "init",
        "-i",
        &a.id,
        "--state-dir",
        &a.state,
        "--catalog",
        "cat.cbor",
        "--peer",
        &b.public,
    ];
    env.ok(&[&q[..], &["--input", "alice.txt", "-o", "q1"]].concat());
    env.ok(&[
        "respond",
        "q1",
        "-i",
        &b.id,
        "--state-dir",
        &b.state,
        "--peer",
        &a.public,
        "-o",
        "a1",
    ]);
    let listed = env
        .ok(&["sessions", "-i", &a.id, "--state-dir", &a.state, "--json"])
        .stdout;
    let qid = json(&listed)[0]["id"].as_str().unwrap()[..8].to_owned();
    env.ok(&["sessions", "cancel", &qid, "-i", &a.id, "--state-dir", &a.state]);
    let e = err(finish(&env, &a, "a1", &[]), "finish a cancelled query");
    has(&e, &format!("a1: catalog query {qid} was cancelled on 20"));
}

/// `sessions` shows when the answer is due (the sent bundle's expiry, the
/// `--expires` given), not when the state is destroyed (twice as far).
#[test]
fn sessions_show_when_the_answer_is_due() {
    let (env, a, b) = alice_and_bob();
    ok(init(&env, &a, &b, "alice.txt", &["--expires", "2h"], "r1"), "init");
    let inspected = json(env.ok(&["inspect", "r1", "--json"]).stdout);
    let expires = inspected["expires"].as_str().unwrap().to_owned();
    let created = inspected["created"].as_str().unwrap().to_owned();
    let table = env.ok(&["sessions", "-i", &a.id, "--state-dir", &a.state]).stdout;
    let mut lines = table.lines();
    let head = lines.next().unwrap();
    has(head, "ANSWER BY");
    assert!(!head.contains("EXPIRES"), "{head}");
    let row = lines.next().unwrap();
    has(row, &format!("{created}  {expires}"));
    let listed = json(
        env.ok(&["sessions", "-i", &a.id, "--state-dir", &a.state, "--json"])
            .stdout,
    );
    assert_eq!(listed[0]["answer_by"], expires.as_str());
    let kept = listed[0]["kept_until"].as_str().unwrap();
    assert!(kept > expires.as_str(), "{kept} after {expires}");
}

/// `publish` says that the earlier catalogs stay live, naming them.
#[test]
fn publish_says_the_earlier_catalogs_stay_live() {
    let (env, _a, b) = alice_and_bob();
    let st = ["-i", &b.id, "--state-dir", &b.state, "--input", "bob.txt"];
    let first = env.ok(&[&["publish"], &st[..], &["-o", "c1.cbor"]].concat());
    assert!(!first.stderr.contains("stay"), "{}", first.stderr);
    let id1 = first.stderr.split_whitespace().nth(2).unwrap().to_owned();
    let second = env.ok(&[&["publish"], &st[..], &["-o", "c2.cbor"]].concat());
    has(
        &second.stderr,
        &format!("your earlier catalog {id1} stays live: each answers the queries made against it until it expires"),
    );
    let id2 = second.stderr.split_whitespace().nth(2).unwrap().to_owned();
    let third = env.ok(&[&["publish"], &st[..], &["-o", "c3.cbor", "--replace", &id1]].concat());
    has(&third.stderr, &format!("your earlier catalog {id2} stays live"));
    assert!(!third.stderr.contains(&format!("{id1} stay")), "{}", third.stderr);
}

/// `send --fetch-catalog` names the catalog it downloaded by its id.
#[cfg(feature = "serve")]
#[test]
fn fetching_a_catalog_names_it() {
    use common::serve::*;
    let env = world();
    let r = as_party(&env, "srv", &["publish", "--input", "iocs.txt", "-o", "catalog.cbor"]);
    let id = ok(r, "publish").stderr.split_whitespace().nth(2).unwrap().to_owned();
    let s = Server::start(&env, &["--catalog", "catalog.cbor"]);
    let r = env.run(&[
        "send",
        &s.url,
        "--fetch-catalog",
        "--peer",
        "srv.pub",
        "-i",
        "carol.id",
        "-o",
        "got.cbor",
    ]);
    let r = ok(r, "send --fetch-catalog");
    has(&r.stderr, &format!("cosect: catalog {id} from srv ("));
    has(
        &r.stderr,
        "written to got.cbor; look your list up in it with `cosect init --catalog FILE`",
    );
    assert!(!r.stderr.contains("catalog  "), "{}", r.stderr);
}

/// `keygen --force` over an identity with open sessions and live catalogs
/// says first what becomes unreadable (refused without --force, with the
/// counts); afterwards `sessions` says the rows are another identity's.
#[test]
fn replacing_an_identity_says_what_it_opened() {
    let (env, _a, b) = alice_and_bob();
    env.ok(&["keygen", "--name", "Default Me"]);
    env.ok(&["init", "--peer", &b.public, "--input", "alice.txt", "-o", "r1"]);
    env.ok(&["init", "--peer", &b.public, "--input", "alice.txt", "-o", "r1b"]);
    env.ok(&["publish", "--input", "alice.txt", "-o", "cat.cbor"]);
    let before = env.read("config/cosect/identity.txt");
    let e = env.fails(&["keygen", "--name", "New Me"], 1);
    has(
        &e,
        "an identity file already exists, and it opens 2 open sessions and 1 live catalog in ",
    );
    has(&e, "hint: finish or cancel them first");
    assert_eq!(env.read("config/cosect/identity.txt"), before);
    let r = env.ok(&["keygen", "--name", "New Me", "--force"]);
    has(
        &r.stderr,
        "warning: the identity you replace opens 2 open sessions and 1 live catalog in ",
    );
    has(&r.stderr, "they become unreadable");
    let warned = r.stderr.find("warning:").unwrap();
    assert!(warned < r.stderr.find("identity written").unwrap(), "{}", r.stderr);
    let table = env.ok(&["sessions"]).stdout;
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{table}");
    for row in rows {
        has(row, "belongs to another identity");
        assert!(!row.contains("cannot decrypt"), "{row}");
    }
    // The catalog key, too, is said to be another identity's.
    let e = env.fails(&["catalogs"], 1);
    has(
        &e,
        "the catalog key is encrypted to another identity than this one (-i)",
    );
    assert!(!e.contains("bundle"), "{e}");
    // A fresh identity over one that opens nothing says nothing of it.
    let r = env.ok(&["keygen", "-o", "other.id"]);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    let r = env.ok(&["keygen", "-o", "other.id", "--force"]);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
}

/// `--peer` given something else than a public identity (an identity
/// file, a bundle, a list): named for what it is.
#[test]
fn a_peer_file_that_is_no_public_identity_is_named() {
    let (env, a, b) = alice_and_bob();
    ok(init(&env, &a, &b, "alice.txt", &["--encrypt"], "r1"), "init");
    for (file, what) in [
        (
            "./bob.id",
            "this is an identity file (a secret key), not a public identity",
        ),
        ("./r1", "this is an age-encrypted file, not a public identity"),
        ("./bob.txt", "this is a text file (a list?), not a public identity"),
    ] {
        let e = env.fails(
            &[
                "init",
                "-i",
                &a.id,
                "--state-dir",
                &a.state,
                "--peer",
                file,
                "--input",
                "alice.txt",
                "-o",
                "x",
            ],
            1,
        );
        has(&e, &format!("error: {file}: {what}"));
        has(&e, "hint: give your peer's public identity");
        env.assert_absent("x");
    }
}
