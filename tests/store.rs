//! The state directory through the real binary: sessions listed, cancelled
//! and pruned; a replayed round 1 refused naming when it was answered; an
//! interrupt at the commit point leaving the state before the command;
//! hints that fit the mistake.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

/// `sessions --json` as `p`: (id prefix, role, awaits, peer name) of each.
fn listed(env: &Env, p: &Party) -> Vec<(String, String, String, String)> {
    let r = env.ok(&["sessions", "-i", &p.id, "--state-dir", &p.state, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let f = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
            (f("id")[..8].to_owned(), f("role"), f("awaits"), f("peer_name"))
        })
        .collect()
}

/// The 8-hex session id a verb's first stderr line names.
fn sid(stderr: &str) -> String {
    let at = stderr.find("session ").unwrap() + "session ".len();
    stderr[at..at + 8].to_owned()
}

#[test]
fn sessions_are_listed_cancelled_and_pruned() {
    let (env, a, b) = two_lists("x\ny\n", "y\nz\n");
    assert!(listed(&env, &a).is_empty());
    let s1 = sid(&ok(init(&env, &a, &b, "alice.txt", &[], "r1"), "init").stderr);
    ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
    // A session whose round 1 expires in 2 s (its state is kept 2 s more)
    // and a catalog that expires in 4 s: pruned by the first command after.
    let s2 = sid(&ok(init(&env, &a, &b, "alice.txt", &["--expires", "2s"], "r1b"), "init").stderr);
    let st = ["-i", &a.id, "--state-dir", &a.state];
    let publish = ["publish", "--input", "alice.txt", "-o", "cat", "--expires", "4s"];
    let r = env.ok(&[&publish[..], &st[..]].concat());
    let line = r.stderr.lines().find(|l| l.starts_with("cosect: catalog ")).unwrap();
    let cat = line.split_whitespace().nth(2).unwrap().to_owned();
    let mut mine = listed(&env, &a);
    mine.sort();
    let mut want = vec![
        (s1.clone(), "initiator".into(), "round 2".into(), "Bob MSSP".into()),
        (s2.clone(), "initiator".into(), "round 2".into(), "Bob MSSP".into()),
    ];
    want.sort();
    assert_eq!(mine, want);
    assert_eq!(
        listed(&env, &b),
        vec![(s1.clone(), "responder".into(), "round 3".into(), "ACME CERT".into())]
    );
    let text = env.ok(&["sessions", "-i", &b.id, "--state-dir", &b.state]).stdout;
    has(&text, "AWAITS");
    has(&text, &format!("{s1}  responder"));

    // Past their expiry, the next command destroys both and says so in
    // one line.
    std::thread::sleep(Duration::from_secs(5));
    let r = env.ok(&["sessions", "-i", &a.id, "--state-dir", &a.state]);
    let said: Vec<&str> = r.stderr.lines().filter(|l| l.contains("expired")).collect();
    assert_eq!(said.len(), 1, "{}", r.stderr);
    has(said[0], &format!("{s2} (initiator, Bob MSSP)"));
    has(said[0], &format!("catalog {cat}"));
    assert_eq!(listed(&env, &a).len(), 1);
    assert_eq!(env.ok(&[&["catalogs", "--json"], &st[..]].concat()).stdout, "[]\n");

    // Cancelled by id prefix: gone, and its answer can no longer finish.
    let r = env.ok(&["sessions", "cancel", &s1, "-i", &a.id, "--state-dir", &a.state]);
    has(&r.stderr, &format!("session {s1} (initiator, Bob MSSP ("));
    has(&r.stderr, "cancelled");
    assert!(listed(&env, &a).is_empty());
    assert!(sessions(&env, &a).is_empty());
    has(
        &err(finish(&env, &a, "r2", &["--reply", "r3"]), "finish"),
        &format!("session {s1} was cancelled on "),
    );
    has(
        &env.fails(&["sessions", "cancel", "0000", "-i", &a.id, "--state-dir", &a.state], 1),
        "at least the first 8 hex digits",
    );
    has(
        &env.fails(&["sessions", "cancel", &s1, "-i", &a.id, "--state-dir", &a.state], 1),
        "no open session",
    );
}

#[test]
fn a_round1_answered_again_gets_the_same_round2_and_opens_nothing() {
    for mode in ["mutual", "one-sided"] {
        let (env, a, b) = two_lists("x\ny\n", "y\nz\n");
        ok(init(&env, &a, &b, "alice.txt", &["--mode", mode], "r1"), "init");
        ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
        let first = env.bytes("r2");
        if mode == "mutual" {
            ok(finish(&env, &a, "r2", &["--reply", "r3"]), "finish");
            ok(finish(&env, &b, "r3", &[]), "finish");
        }
        // The session is finished (or never kept, one-sided): the journal
        // still knows the round 1, and keeps its answer until it expires.
        assert!(sessions(&env, &b).is_empty());
        env.write("bob.txt", "y\nz\nx\n");
        std::fs::remove_file(env.path("r2")).unwrap();
        let r = ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond again");
        has(&r.stderr, "this very bundle was answered on 20");
        assert_eq!(env.bytes("r2"), first, "{mode}: another answer");
        assert!(sessions(&env, &b).is_empty(), "{mode}: a session was opened again");
    }
}

/// Run `args` with the test-only hold at the commit point, wait until it
/// holds, deliver SIGTERM, and return its exit code and stderr.
fn interrupted_at_commit(env: &Env, args: &[&str]) -> (i32, String) {
    let marker = env.path("holding");
    let _ = std::fs::remove_file(&marker);
    let child = env
        .command(args)
        .env("COSECT_TEST_HOLD_AT_COMMIT", &marker)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !marker.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{args:?} never reached its commit point"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(child.id(), "TERM");
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `dir` (relative name, hash of its bytes), sorted.
fn snapshot(dir: &std::path::Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "lock") {
                // The state directory's lock file: empty, never state.
                continue;
            } else {
                let name = p.strip_prefix(dir).unwrap().display().to_string();
                let mut h = std::collections::hash_map::DefaultHasher::new();
                std::hash::Hash::hash(&std::fs::read(&p).unwrap(), &mut h);
                out.push((name, std::hash::Hasher::finish(&h)));
            }
        }
    }
    out.sort();
    out
}

/// `rest` as `who`, interrupted at its commit point: exit 130, `who`'s
/// state as before, none of `outs` written; then the same command again
/// succeeds as if the first never ran.
fn interrupt_then_retry(env: &Env, who: &Party, rest: &[&str], outs: &[&str]) {
    let before = snapshot(&env.path(&who.state));
    let argv = [rest, &["-i", &who.id, "--state-dir", &who.state]].concat();
    let (code, stderr) = interrupted_at_commit(env, &argv);
    assert_eq!(code, 130, "{rest:?}: {stderr}");
    assert_eq!(snapshot(&env.path(&who.state)), before, "{rest:?} changed the state");
    for o in outs {
        env.assert_absent(o);
    }
    env.ok(&argv);
}

#[test]
fn an_interrupted_exchange_leaves_the_state_before_each_command() {
    let (env, a, b) = two_lists("x\ny\n", "y\nz\n");
    interrupt_then_retry(
        &env,
        &a,
        &["init", "--peer", &b.public, "--input", "alice.txt", "-o", "r1"],
        &["r1"],
    );
    let respond = ["respond", "r1", "--peer", &a.public, "--input", "bob.txt", "-o", "r2"];
    interrupt_then_retry(&env, &b, &respond, &["r2"]);
    let finish = ["finish", "r2", "--reply", "r3", "-o", "shared.txt"];
    interrupt_then_retry(&env, &a, &finish, &["r3", "shared.txt"]);
    interrupt_then_retry(&env, &b, &["finish", "r3", "-o", "shared-b.txt"], &["shared-b.txt"]);
    assert_eq!(env.read("shared-b.txt"), "y\n");
    assert!(sessions(&env, &a).is_empty() && sessions(&env, &b).is_empty());
}

#[test]
fn an_interrupted_publish_keeps_the_live_catalog() {
    let (env, a, b) = two_lists("x\ny\n", "y\nz\n");
    let (pa, pb) = (&a.public, &b.public);
    let (sa, sb) = (
        format!("-i {} --state-dir {}", a.id, a.state),
        format!("-i {} --state-dir {}", b.id, b.state),
    );
    env.ok(&argv(&format!("publish {sa} --input alice.txt -o cat1")));
    env.ok(&argv(&format!(
        "init {sb} --catalog cat1 --peer {pa} --input bob.txt -o q1"
    )));
    interrupt_then_retry(&env, &a, &["publish", "--input", "alice.txt", "-o", "cat2"], &["cat2"]);
    // The catalog the query was made against still answers it.
    env.ok(&argv(&format!("respond q1 {sa} --peer {pb} -o a1")));
    assert_eq!(env.ok(&argv(&format!("finish a1 {sb}"))).stdout, "y\n");
}

#[test]
fn hints_fit_the_mistake() {
    let (env, a, b) = round1("x\ny\n", "y\nz\n");
    let carol = env.party("carol", "Carol");
    // finish on a round 1 names the round and the verb that takes it.
    let e = err(finish(&env, &b, "r1", &[]), "finish");
    has(&e, "round 1");
    has(&e, "cosect respond");
    ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
    // respond on a round 2 likewise.
    let e = err(respond(&env, &a, &b, "r2", "alice.txt", &[], "x"), "respond");
    has(&e, "round 2");
    has(&e, "cosect finish");
    // A wrong --peer: who signed it, and check --peer.
    let e = err(respond(&env, &carol, &b, "r1", "bob.txt", &[], "x"), "respond");
    has(&e, "the bundle is from ACME CERT");
    has(&e, "signed with their key");
    has(&e, "--peer");
    // respond --peer given your own public identity.
    let e = err(respond(&env, &b, &b, "r1", "bob.txt", &[], "x"), "respond");
    has(&e, "your own public identity");
    // keygen over an existing identity: what is lost.
    let e = env.fails(&["keygen", "-o", &a.id], 1);
    has(&e, "every open session");
    env.assert_absent("x");
}
