//! Many processes on one state directory, through the real binary: verbs
//! run at once (several processes started together, each race repeated),
//! two servers and an offline `respond` sharing one budget and one
//! journal, a server killed after it committed an answer, a client gone
//! mid-answer. Every count exact, nothing lost, nothing done twice.
#![cfg(feature = "serve")]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::serve::*;
use common::{argv, has, json, ok, Env, Run};
use cosect::bundle::{seal, Envelope, Opened, Payload};
use cosect::identity::{Identity, PublicIdentity};

/// Run every command line of `runs` at once (one process each), as `who`.
fn at_once(env: &Env, who: &str, runs: &[Vec<String>]) -> Vec<Run> {
    std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .iter()
            .map(|args| {
                s.spawn(move || {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    as_party(env, who, &args)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn line(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

/// The live catalogs of `srv`: (id, queries answered).
fn catalogs(env: &Env) -> Vec<(String, u64)> {
    let r = ok(as_party(env, "srv", &["catalogs", "--json"]), "catalogs");
    json(&r.stdout)
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["queries_answered"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn identity(env: &Env, who: &str) -> Identity {
    Identity::parse(&env.read(&format!("{who}.id"))).unwrap()
}

fn public(env: &Env, who: &str) -> PublicIdentity {
    identity(env, who).public()
}

/// The bundle `file` (to `srv`, from `who`) signed again by `who` after
/// `change`, wrapped as `env_`: with no change, the very same signed
/// bundle (Ed25519 is deterministic) in another wrapping.
fn resealed(env: &Env, file: &str, who: &str, wrap: Envelope, change: impl FnOnce(&mut Payload)) -> Vec<u8> {
    let opened = Opened::open(env.bytes(file), Some(&identity(env, "srv"))).unwrap();
    let mut p = opened.payload.clone();
    change(&mut p);
    seal(p, &identity(env, who), &public(env, "srv"), wrap).to_vec()
}

/// The hash of the COSE bytes inside `file` (as `srv` opens it).
fn signed_hash(env: &Env, file: &str) -> [u8; 32] {
    Opened::open(env.bytes(file), Some(&identity(env, "srv"))).unwrap().hash
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(60), "{what} never happened");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn concurrent_responds_count_every_query_and_publishes_keep_every_catalog() {
    let env = world();
    publish(&env);
    let cat = catalogs(&env)[0].0.clone();
    for round in 1..=3 {
        // Six queries answered by six `respond`s at once.
        let mut runs = Vec::new();
        for i in 0..6 {
            let q = format!("q{round}-{i}");
            query(&env, "carol", "carol.txt", &q);
            runs.push(line(&format!("respond {q} --peer carol.pub -o a{round}-{i} -q")));
        }
        for (i, r) in at_once(&env, "srv", &runs).into_iter().enumerate() {
            ok(r, &format!("respond {i} of round {round}"));
        }
        assert_eq!(catalogs(&env), vec![(cat.clone(), 6 * round)], "round {round}");
        let r = ok(as_party(&env, "carol", &["finish", &format!("a{round}-5")]), "finish");
        assert_eq!(r.stdout, "EVIL.example\nworse.example.\n");
    }
    // Two `publish`es at once: both catalogs live, each answers its query.
    for round in 1..=3 {
        let runs: Vec<Vec<String>> = (0..2)
            .map(|i| line(&format!("publish --input iocs.txt -o cat{round}-{i} -q")))
            .collect();
        for r in at_once(&env, "srv", &runs) {
            ok(r, "publish at once");
        }
        assert_eq!(catalogs(&env).len(), 1 + 2 * round, "round {round}");
        for i in 0..2 {
            let (c, q, a) = (
                format!("cat{round}-{i}"),
                format!("qc{round}-{i}"),
                format!("ac{round}-{i}"),
            );
            let init = [
                "init",
                "--catalog",
                &c,
                "--peer",
                "srv.pub",
                "--input",
                "carol.txt",
                "-o",
                &q,
                "-q",
            ];
            ok(as_party(&env, "carol", &init), "query the new catalog");
            ok(
                as_party(&env, "srv", &["respond", &q, "--peer", "carol.pub", "-o", &a, "-q"]),
                "respond",
            );
            let r = ok(as_party(&env, "carol", &["finish", &a]), "finish");
            assert_eq!(r.stdout, "EVIL.example\nworse.example.\n");
        }
    }
}

#[test]
fn of_two_finishes_of_one_round2_exactly_one_writes() {
    let env = world();
    for round in 0..4 {
        let r1 = format!("r1-{round}");
        let r2 = format!("r2-{round}");
        ok(
            as_party(
                &env,
                "carol",
                &["init", "--peer", "srv.pub", "--input", "carol.txt", "-o", &r1, "-q"],
            ),
            "init",
        );
        let respond = [
            "respond",
            &r1,
            "--peer",
            "carol.pub",
            "--input",
            "iocs.txt",
            "-o",
            &r2,
            "-q",
        ];
        ok(as_party(&env, "srv", &respond), "respond");
        let runs: Vec<Vec<String>> = (0..2)
            .map(|i| line(&format!("finish {r2} --reply r3-{round}-{i} -o res-{round}-{i} -q")))
            .collect();
        let runs = at_once(&env, "carol", &runs);
        let won: Vec<usize> = (0..2).filter(|&i| runs[i].code == 0).collect();
        assert_eq!(won.len(), 1, "round {round}: {runs:?}");
        let (w, l) = (won[0], 1 - won[0]);
        assert_eq!(runs[l].code, 1, "{runs:?}");
        let why = &runs[l].stderr;
        assert!(
            why.contains("finished or cancelled by another cosect while this one worked")
                || why.contains("no open session"),
            "{why}"
        );
        assert_eq!(env.read(&format!("res-{round}-{w}")), "EVIL.example\nworse.example.\n");
        env.assert_absent(&format!("res-{round}-{l}"));
        env.assert_absent(&format!("r3-{round}-{l}"));
        let r = ok(
            as_party(&env, "srv", &["finish", &format!("r3-{round}-{w}"), "-q"]),
            "finish r3",
        );
        assert_eq!(r.stdout, "evil.example\nworse.example\n");
    }
}

#[test]
fn two_servers_and_respond_share_one_budget() {
    let env = world();
    publish(&env);
    let many: String = (0..500).map(|i| format!("host{i}.example\n")).collect();
    env.write("many.txt", many);
    let budget = ["--catalog", "catalog.cbor", "--budget", "1000"];
    let (s1, s2) = (Server::start(&env, &budget), Server::start(&env, &budget));
    for i in 0..6 {
        query(&env, "carol", "many.txt", &format!("m{i}"));
    }
    let runs: Vec<Run> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..6)
            .map(|i| {
                let (env, s) = (&env, if i % 2 == 0 { &s1 } else { &s2 });
                sc.spawn(move || send(env, s, "carol", &format!("m{i}"), Some(&format!("am{i}"))))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let answered = runs.iter().filter(|r| r.code == 0).count();
    assert_eq!(answered, 2, "{runs:?}");
    for r in runs.iter().filter(|r| r.code != 0) {
        has(&r.stderr, "(429 too many requests)");
        has(&r.stderr, "over budget");
    }
    assert_eq!(catalogs(&env)[0].1, 2);
    // The offline `respond` reads and charges the same record.
    query(&env, "carol", "carol.txt", "small");
    let r = as_party(
        &env,
        "srv",
        &[
            "respond",
            "small",
            "--peer",
            "carol.pub",
            "-o",
            "as",
            "--budget",
            "1000",
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");
    has(
        &r.stderr,
        "over budget: this request has 3 entries, and 1000 of the peer's 1000",
    );
    drop((s1, s2));
}

#[test]
fn serve_and_respond_share_one_journal() {
    let env = world();
    let s = Server::start(&env, &["--input", "iocs.txt"]);
    let init = |out: &str, mode: &str| {
        let line = format!("init --peer srv.pub --input carol.txt -o {out} --mode {mode} -q");
        ok(as_party(&env, "carol", &argv(&line)), "init");
    };
    let respond = |r1: &str, out: &str| {
        let line = format!("respond {r1} --peer carol.pub --input iocs.txt -o {out} -q");
        as_party(&env, "srv", &argv(&line))
    };
    for mode in ["mutual", "one-sided"] {
        // Answered offline first: the server, given the same signed round 1
        // in another wrapping, sends the very round 2 back, opens nothing.
        let (r1, r2) = (format!("off-{mode}.r1"), format!("off-{mode}.r2"));
        init(&r1, mode);
        ok(respond(&r1, &r2), "respond");
        let (plain, again) = (format!("plain-{mode}.r1"), format!("again-{mode}.r2"));
        env.write(&plain, resealed(&env, &r1, "carol", Envelope::Plain, |_| {}));
        assert_eq!(signed_hash(&env, &plain), signed_hash(&env, &r1));
        ok(
            send(&env, &s, "carol", &plain, Some(&again)),
            "send the re-wrapped round 1",
        );
        assert_eq!(env.bytes(&again), env.bytes(&r2), "{mode}");
        let open = ok(as_party(&env, "srv", &["sessions", "--json"]), "sessions").stdout;
        // Only the mutual round 1 answered offline holds a session (a
        // one-sided one never does); the retry opened none.
        assert_eq!(json(&open).as_array().unwrap().len(), 1, "{mode}");
        // Another bundle for that session is a replay.
        let other = format!("other-{mode}.r1");
        env.write(
            &other,
            resealed(&env, &r1, "carol", Envelope::Plain, |p| p.expires += 60),
        );
        let r = send(&env, &s, "carol", &other, Some("x.r2"));
        assert_eq!(r.code, 1, "{r:?}");
        has(&r.stderr, "(409 conflict)");
        has(&r.stderr, "this is another bundle for it");

        // Answered by the server first: `respond` on its state directory
        // writes the very answer the server gave, armored or not.
        let (r1, r2) = (format!("srv-{mode}.r1"), format!("srv-{mode}.r2"));
        init(&r1, mode);
        ok(send(&env, &s, "carol", &r1, Some(&r2)), "send");
        let (armored, offline) = (format!("armored-{mode}.r1"), format!("offline-{mode}.r2"));
        env.write(&armored, resealed(&env, &r1, "carol", Envelope::Armored, |_| {}));
        let r = ok(respond(&armored, &offline), "respond to the re-wrapped round 1");
        assert_eq!(env.bytes(&offline), env.bytes(&r2), "{mode}: {r:?}");
        if mode == "mutual" {
            let r = ok(as_party(&env, "carol", &["finish", &r2, "--reply", "srv.r3"]), "finish");
            assert_eq!(r.stdout, "EVIL.example\nworse.example.\n");
            ok(send(&env, &s, "carol", "srv.r3", None), "send round 3");
        }
    }
    let journal = env.path("st-srv/answered");
    let replies = std::fs::read_dir(&journal)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "reply"));
    assert_eq!(replies.count(), 4, "one kept reply per answered round 1");
}

/// `send` started in the background; its process.
fn send_in_background(env: &Env, s: &Server, bundle: &str, out: &str) -> std::process::Child {
    env.command(&["send", &s.url, bundle, "--peer", "srv.pub", "-i", "carol.id", "-o", out])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_server_killed_after_its_commit_answers_the_retry() {
    let env = world();
    publish(&env);
    let hold = env.path("holding");
    let args = ["--catalog", "catalog.cbor", "--input", "iocs.txt"];
    // A catalog query and a round 1, each committed, then the server dies
    // before its answer leaves.
    query(&env, "carol", "carol.txt", "q");
    let r1 = ["init", "--peer", "srv.pub", "--input", "carol.txt", "-o", "r1", "-q"];
    ok(as_party(&env, "carol", &r1), "init");
    for (bundle, answer) in [("q", "a"), ("r1", "r2")] {
        let _ = std::fs::remove_file(&hold);
        let s = Server::start_with(&env, &args, &[("COSECT_TEST_HOLD_AFTER_COMMIT", hold.as_path())]);
        let client = send_in_background(&env, &s, bundle, answer);
        wait_for("the commit", || hold.exists());
        s.kill9();
        let out = client.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        env.assert_absent(answer);
        // The retry, to a new server, gets the committed answer.
        let s = Server::start(&env, &args);
        ok(send(&env, &s, "carol", bundle, Some(answer)), "the retry");
        let kept: Vec<_> = std::fs::read_dir(env.path("st-srv/answered"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "reply"))
            .filter(|p| std::fs::read(p).unwrap() == env.bytes(answer))
            .collect();
        assert_eq!(kept.len(), 1, "the retry got the kept answer");
        drop(s);
    }
    assert_eq!(catalogs(&env)[0].1, 1, "counted once");
    let r = ok(as_party(&env, "carol", &["finish", "a"]), "finish the query");
    assert_eq!(r.stdout, "EVIL.example\nworse.example.\n");
    let r = ok(
        as_party(&env, "carol", &["finish", "r2", "--reply", "r3"]),
        "finish round 2",
    );
    assert_eq!(r.stdout, "EVIL.example\nworse.example.\n");
}

#[test]
fn a_client_gone_mid_answer_is_audited_and_its_retry_answered() {
    let env = world();
    publish(&env);
    let hold = env.path("holding");
    let s = Server::start_with(
        &env,
        &["--catalog", "catalog.cbor"],
        &[("COSECT_TEST_HOLD_AFTER_COMMIT", hold.as_path())],
    );
    query(&env, "carol", "carol.txt", "q");
    let mut client = send_in_background(&env, &s, "q", "a");
    wait_for("the commit", || hold.exists());
    client.kill().unwrap();
    client.wait().unwrap();
    std::fs::remove_file(&hold).unwrap();
    let answered = || {
        std::fs::read_to_string(env.path("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .any(|l| l.contains("\"catalog-query\"") && l.contains("\"status\":200"))
    };
    wait_for("the audit line of the answer its client never got", answered);
    env.assert_absent("a");
    // The retry gets the same answer, audited as such.
    ok(send(&env, &s, "carol", "q", Some("a")), "the retry");
    wait_for("the retry's audit line", || {
        env.read("audit.jsonl").lines().count() >= 2
    });
    has(&env.read("audit.jsonl"), "\"again\":true");
    assert_eq!(catalogs(&env)[0].1, 1, "counted once");
    let r = ok(as_party(&env, "carol", &["finish", "a"]), "finish");
    assert_eq!(r.stdout, "EVIL.example\nworse.example.\n");
}

#[test]
fn a_command_that_waits_for_the_lock_says_so_once_and_loses_nothing() {
    let env = world();
    publish(&env);
    query(&env, "carol", "carol.txt", "q1");
    query(&env, "carol", "carol.txt", "q2");
    let hold = env.path("holding");
    // The first `respond` holds the lock at its commit point.
    let first = env
        .command(&[
            "respond",
            "q1",
            "--peer",
            "carol.pub",
            "-o",
            "a1",
            "-q",
            "-i",
            "srv.id",
            "--state-dir",
            "st-srv",
        ])
        .env("COSECT_TEST_HOLD_AT_COMMIT", &hold)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the first commit", || hold.exists());
    let second = env
        .command(&[
            "respond",
            "q2",
            "--peer",
            "carol.pub",
            "-o",
            "a2",
            "-i",
            "srv.id",
            "--state-dir",
            "st-srv",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1800));
    env.assert_absent("a2");
    std::fs::remove_file(&hold).unwrap();
    let (one, two) = (first.wait_with_output().unwrap(), second.wait_with_output().unwrap());
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    let said = String::from_utf8_lossy(&two.stderr).into_owned();
    assert!(two.status.success(), "{said}");
    let waiting = format!("waiting for another cosect using {}", Path::new("st-srv").display());
    assert_eq!(said.matches(&waiting).count(), 1, "{said}");
    assert_eq!(catalogs(&env)[0].1, 2);
}
