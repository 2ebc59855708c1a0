//! How a user's list is read, through the real binary: files that are not
//! lists refused before anything is kept, several `--input`s as one list,
//! `preview`, the local matching options, and results with the context of
//! each entry. Two identities, two state directories, real files.

mod common;

use common::*;

/// Every file in a party's state directory (sessions, journal records,
/// replies), relative to it.
fn state_files(env: &Env, p: &Party) -> Vec<String> {
    fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    let base = env.path(&p.state);
    walk(&base, &base, &mut out);
    out.retain(|f| !f.ends_with(".lock") && f != "lock");
    out
}

#[test]
fn files_that_are_not_lists_are_refused_before_a_session_exists() {
    let (env, a, b) = two_lists("evil.example\n192.0.2.1\n", "evil.example\n");
    // init: a public identity, an identity file.
    for (file, what, goes) in [
        (
            "bob.pub",
            "this is a public identity (a .pub file), not a list of entries",
            "--peer FILE",
        ),
        (
            "alice.id",
            "this is an identity file (a secret key), not a list of entries",
            "-i/--identity",
        ),
    ] {
        let e = err(init(&env, &a, &b, file, &[], "r1"), "init with a non-list");
        has(&e, &format!("error: {file}: {what}"));
        has(&e, goes);
        assert!(!e.contains("AGE-SECRET-KEY"), "the secret is never shown: {e}");
        env.assert_absent("r1");
        assert!(state_files(&env, &a).is_empty(), "{:?}", state_files(&env, &a));
    }
    // A real round 1, then every wrong file bob could pass as his list.
    ok(init(&env, &a, &b, "alice.txt", &[], "r1"), "init");
    ok(init(&env, &a, &b, "alice.txt", &["--armor"], "r1.asc"), "init --armor");
    ok(
        init(&env, &a, &b, "alice.txt", &["--encrypt"], "r1.age"),
        "init --encrypt",
    );
    let armor = env.read("r1.asc");
    env.write(
        "round1-inbox.eml",
        format!(
            "From: Alice <alice@cert.example>\r\nTo: bob@mssp.example\r\nSubject: round 1\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n{armor}"
        ),
    );
    ok(
        env.run(&[
            "init",
            "-i",
            &a.id,
            "--state-dir",
            &a.state,
            "--peer",
            &b.public,
            "--input",
            "alice.txt",
            "--no-encrypt",
            "--split",
            "1K",
            "-o",
            "r1s",
        ]),
        "init --split",
    );
    let part = env.names_starting("r1s.part-")[0].clone();
    let before = state_files(&env, &b);
    for (file, what) in [
        ("r1", "a signed cosect bundle"),
        ("r1.asc", "an ASCII-armored cosect bundle"),
        ("r1.age", "an age-encrypted file (a cosect bundle?)"),
        ("round1-inbox.eml", "a saved mail"),
        (part.as_str(), "a part of a split cosect bundle"),
        ("alice.pub", "a public identity (a .pub file)"),
        ("bob.id", "an identity file (a secret key)"),
    ] {
        let e = respond_refused(
            &env,
            &b,
            &a,
            "r1",
            file,
            &[],
            &format!("{file}: this is {what}, not a list"),
        );
        has(&e, "hint: ");
        assert_eq!(
            state_files(&env, &b),
            before,
            "respond --input {file} left state behind"
        );
    }
    // The same file as the second of several inputs, and on standard input.
    respond_refused(
        &env,
        &b,
        &a,
        "r1",
        "bob.txt",
        &["--input", "r1"],
        "r1: this is a signed cosect bundle",
    );
    let args = [
        "respond",
        "r1",
        "-i",
        &b.id,
        "--state-dir",
        &b.state,
        "--peer",
        &a.public,
        "--input",
        "-",
        "--no-encrypt",
        "-o",
        "r2",
    ];
    let e = err(env.feed(&args, &env.bytes("bob.pub")), "respond --input - with a .pub");
    has(
        &e,
        "standard input: this is a public identity (a .pub file), not a list of entries",
    );
    assert!(sessions(&env, &b).is_empty());
    // Nothing was burned: the right list still answers round 1.
    ok(
        respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"),
        "respond with the right list",
    );
    let shared = ok(finish(&env, &a, "r2", &["--reply", "r3"]), "finish").stdout;
    assert_eq!(shared, "evil.example\n");
}

#[test]
fn a_list_mostly_raw_is_warned_about_and_a_dotted_quad_typo_is_a_near_miss() {
    let (env, a, b) = two_lists(
        "45.33.32.l56\n45.33.32.156\nsome words\nmore words\nyet more\n",
        "45.33.32.156\n",
    );
    let r = ok(init(&env, &a, &b, "alice.txt", &["--verbose"], "r1"), "init");
    has(
        &r.stderr,
        "warning: alice.txt: 1 look like IPv4 addresses with a typo: compared as raw",
    );
    has(&r.stderr, "line 1: look like IPv4 addresses with a typo: 45.33.32.l56");
    has(&r.stderr, "warning: alice.txt: 4 of 5 entries are raw");
    has(&r.stderr, "cosect preview");
    let r = ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
    assert!(!r.stderr.contains("are raw"), "{}", r.stderr);
}
