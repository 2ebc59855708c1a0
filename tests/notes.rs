//! `--note TEXT` on `init`, `respond` and `publish`: kept with the state
//! (encrypted like the rest), shown by `sessions` and `catalogs`, and never
//! in a bundle: asserted on the bytes of every bundle of the exchange.

mod common;

use common::*;

const NOTE_A: &str = "ticket INC-4711: phishing wave";
const NOTE_B: &str = "Alice's CERT, asked by phone";
const NOTE_Q: &str = "weekly lookup, ticket 99";
const NOTE_C: &str = "catalog for members, Q4";

/// No file under `dir` (recursively) holds `needle`.
fn nowhere_in(env: &Env, dir: &str, needle: &str) {
    let mut todo = vec![env.path(dir)];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} holds the note {needle:?} in clear",
                    p.display()
                );
            }
        }
    }
}

fn holds(env: &Env, file: &str, needle: &str) -> bool {
    env.bytes(file).windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn notes_are_shown_and_never_sent() {
    let (env, a, b) = two_lists("a.example\nb.example\n", "b.example\nc.example\n");
    // Unencrypted bundles, so that their bytes can be searched.
    ok(
        init(&env, &a, &b, "alice.txt", &["--note", NOTE_A], "r1"),
        "init --note",
    );
    ok(
        respond(&env, &b, &a, "r1", "bob.txt", &["--note", NOTE_B], "r2"),
        "respond --note",
    );
    for (p, note) in [(&a, NOTE_A), (&b, NOTE_B)] {
        let table = env.ok(&["sessions", "-i", &p.id, "--state-dir", &p.state]).stdout;
        let mut lines = table.lines();
        assert!(lines.next().unwrap().ends_with("NOTE"), "{table}");
        assert!(lines.next().unwrap().ends_with(note), "{table}");
        let listed = json(
            env.ok(&["sessions", "-i", &p.id, "--state-dir", &p.state, "--json"])
                .stdout,
        );
        assert_eq!(listed[0]["note"], note);
        // Encrypted like the rest of the state.
        nowhere_in(&env, &p.state, note);
    }
    ok(finish(&env, &a, "r2", &["--reply", "r3"]), "finish");
    ok(finish(&env, &b, "r3", &[]), "finish r3");
    // The catalog side: publish --note, and a client's query with --note.
    let r = env.ok(&[
        "publish",
        "-i",
        &b.id,
        "--state-dir",
        &b.state,
        "--input",
        "bob.txt",
        "-o",
        "cat.cbor",
        "--note",
        NOTE_C,
    ]);
    let id = r.stderr.split_whitespace().nth(2).unwrap().to_owned();
    let table = env.ok(&["catalogs", "-i", &b.id, "--state-dir", &b.state]).stdout;
    let row = table.lines().nth(1).unwrap();
    assert!(row.starts_with(&id) && row.ends_with(NOTE_C), "{table}");
    let listed = json(
        env.ok(&["catalogs", "-i", &b.id, "--state-dir", &b.state, "--json"])
            .stdout,
    );
    assert_eq!(listed[0]["note"], NOTE_C);
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
    env.ok(&[
        &q[..],
        &["--input", "alice.txt", "--no-encrypt", "-o", "q1", "--note", NOTE_Q],
    ]
    .concat());
    let listed = json(
        env.ok(&["sessions", "-i", &a.id, "--state-dir", &a.state, "--json"])
            .stdout,
    );
    assert_eq!(listed[0]["role"], "catalog client");
    assert_eq!(listed[0]["note"], NOTE_Q);
    // Answering a query keeps nothing to note on: refused, nothing written.
    let e = env.fails(
        &[
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
            "--note",
            "x",
        ],
        1,
    );
    has(&e, "--note: answering a catalog query keeps no state");
    env.assert_absent("a1");
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
        "--no-encrypt",
    ]);
    env.ok(&["finish", "a1", "-i", &a.id, "--state-dir", &a.state]);
    // No note in any bundle of either exchange.
    for file in ["r1", "r2", "r3", "cat.cbor", "q1", "a1"] {
        for note in [NOTE_A, NOTE_B, NOTE_Q, NOTE_C] {
            assert!(!holds(&env, file, note), "{file} carries the note {note:?}");
        }
    }
    for p in [&a, &b] {
        for note in [NOTE_A, NOTE_B, NOTE_Q, NOTE_C] {
            nowhere_in(&env, &p.state, note);
        }
    }
}

#[test]
fn notes_are_bounded_and_kept_where_there_is_state() {
    let (env, a, b) = two_lists("a.example\n", "a.example\n");
    let long = "x".repeat(201);
    for bad in [long.as_str(), "two\nlines", "bidi \u{202e} trick"] {
        let r = init(&env, &a, &b, "alice.txt", &["--note", bad], "r1");
        assert_eq!(r.code, 2, "{}", r.stderr);
        has(&r.stderr, "--note");
        env.assert_absent("r1");
    }
    ok(
        init(&env, &a, &b, "alice.txt", &["--note", &"y".repeat(200)], "r1"),
        "200 characters",
    );
    // One-sided: the responder keeps no session, so no note; refused first.
    ok(
        init(&env, &a, &b, "alice.txt", &["--mode", "one-sided"], "r1o"),
        "init one-sided",
    );
    let e = err(
        respond(&env, &b, &a, "r1o", "bob.txt", &["--note", "n"], "r2"),
        "respond one-sided --note",
    );
    has(&e, "--note: this one-sided exchange keeps no session");
    env.assert_absent("r2");
}
