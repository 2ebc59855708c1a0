//! Sightings through the real binary: one list looked up in three
//! publishers' catalogs in one step (`init --catalog A --catalog B
//! --catalog C`), each publisher (its own identity and state directory)
//! answering only its own query, and `finish` reporting, for each entry,
//! exactly the publishers that hold it. The lists are built so that every
//! entry's `seen_by` is known by construction.

mod common;

use common::{has, json, ok, Env, Run};
use serde_json::Value;

/// The publishers: who, organization name, catalog list (`entry<TAB>label`
/// lines for the labelled one). `p1` publishes with labels.
const PUBS: [(&str, &str, &str); 3] = [
    (
        "p1",
        "ACME CERT",
        "only1.example\tC2\none-two.example\tphish kit\nall.example\tC2 server\none-three.example\n",
    ),
    (
        "p2",
        "Bob MSSP",
        "one-two.example\ntwo.example\nall.example\nunrelated.example\n",
    ),
    ("p3", "Carol ISAC", "all.example\n198.51.100.7\none-three.example\n"),
];

/// The client's list: seen by p1 only, p1+p2, p2 only, all three, p3
/// only, p1+p3, nobody.
const LIST: &str =
    "only1.example\none-two.example\ntwo.example\nall.example\n198.51.100.7\none-three.example\nnobody.example\n";

/// Who sees an entry: (name, short fingerprint, label).
type SeenBy = Vec<(String, String, Option<String>)>;
/// A report's entries: (value, kind, who sees it).
type Rows = Vec<(String, String, SeenBy)>;

struct World {
    env: Env,
    /// Short fingerprint of each publisher, in `PUBS` order.
    fps: Vec<String>,
}

impl World {
    /// Three publishers with their catalogs `c-WHO.cbor`, and the client `dana`.
    fn new() -> World {
        let env = Env::new();
        let mut fps = Vec::new();
        for (who, name, list) in PUBS {
            env.party(who, name);
            env.write(&format!("{who}.txt"), list);
            let mut args = vec!["publish", "--input"];
            let input = format!("{who}.txt");
            let out = format!("c-{who}.cbor");
            args.extend([input.as_str(), "-o", out.as_str(), "-q"]);
            if who == "p1" {
                args.push("--labels");
            }
            ok(as_party(&env, who, &args), "publish");
            let pk = env.ok(&["pubkey", "--json", "-i", &format!("{who}.id")]);
            fps.push(json(&pk.stdout)["fingerprint"].as_str().unwrap().to_owned());
        }
        env.party("dana", "Dana SOC");
        env.write("dana.txt", LIST);
        World { env, fps }
    }

    /// `init` against the three catalogs (the `--peer`s in another order
    /// than the catalogs), writing the queries into `dir`.
    fn init(&self, dir: &str, extra: &[&str]) -> Run {
        let mut args = vec![
            "init",
            "--catalog",
            "c-p1.cbor",
            "--catalog",
            "c-p2.cbor",
            "--catalog",
            "c-p3.cbor",
        ];
        args.extend(["--peer", "p3.pub", "--peer", "p1.pub", "--peer", "p2.pub"]);
        args.extend(["--input", "dana.txt", "-o", dir]);
        args.extend(extra);
        as_party(&self.env, "dana", &args)
    }

    /// The query file of publisher `who` in `dir`.
    fn query(&self, dir: &str, who: &str) -> String {
        let name = PUBS.iter().find(|p| p.0 == who).unwrap().1;
        let prefix = name.to_ascii_lowercase().replace(' ', "-") + "-";
        let hits: Vec<String> = std::fs::read_dir(self.env.path(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&prefix) && n.ends_with(".query"))
            .collect();
        assert_eq!(hits.len(), 1, "{dir}: one query for {who}: {hits:?}");
        format!("{dir}/{}", hits[0])
    }

    /// Publisher `who` answers its query in `dir`, writing `X.answer` beside it.
    fn respond(&self, dir: &str, who: &str) -> String {
        let q = self.query(dir, who);
        let a = q.replace(".query", ".answer");
        ok(
            as_party(&self.env, who, &["respond", &q, "--peer", "dana.pub", "-o", &a, "-q"]),
            "respond",
        );
        a
    }

    /// What the report must say of the entries, with these publishers'
    /// answers and at least `min` of them: (value, kind, [(name, fp, label)]).
    fn expected(&self, answered: &[&str], min: usize) -> Rows {
        let mut out = Vec::new();
        for value in LIST.lines() {
            let mut seen = Vec::new();
            for (i, (who, name, list)) in PUBS.iter().enumerate() {
                if !answered.contains(who) {
                    continue;
                }
                for line in list.lines() {
                    let (entry, label) = match line.split_once('\t') {
                        Some((e, l)) => (e, Some(l.to_owned())),
                        None => (line, None),
                    };
                    if entry == value {
                        seen.push((name.to_string(), self.fps[i].clone(), label));
                    }
                }
            }
            if !seen.is_empty() && seen.len() >= min {
                let kind = if value.starts_with("198.") { "ip" } else { "domain" };
                out.push((value.to_owned(), kind.to_owned(), seen));
            }
        }
        out
    }

    /// Check a JSON report against `expected(answered, min)`, and its
    /// covered and pending publishers.
    fn check(&self, report: &Value, answered: &[&str], min: usize) {
        let want = self.expected(answered, min);
        let got: Rows = report["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let seen = e["seen_by"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| {
                        (
                            s["name"].as_str().unwrap().to_owned(),
                            s["fingerprint"].as_str().unwrap().to_owned(),
                            s.get("label").map(|l| l.as_str().unwrap().to_owned()),
                        )
                    })
                    .collect::<Vec<_>>();
                assert_eq!(e["count"].as_u64().unwrap() as usize, seen.len());
                (
                    e["value"].as_str().unwrap().to_owned(),
                    e["kind"].as_str().unwrap().to_owned(),
                    seen,
                )
            })
            .collect();
        assert_eq!(got, want, "report: {report:#}");
        assert_eq!(report["count"].as_u64().unwrap() as usize, want.len());
        assert_eq!(report["entries_total"], 7);
        let names = |key: &str| -> Vec<String> {
            let mut v: Vec<String> = report[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            v.sort();
            v
        };
        let mut covers: Vec<String> = PUBS
            .iter()
            .filter(|p| answered.contains(&p.0))
            .map(|p| p.1.to_owned())
            .collect();
        covers.sort();
        let mut pending: Vec<String> = PUBS
            .iter()
            .filter(|p| !answered.contains(&p.0))
            .map(|p| p.1.to_owned())
            .collect();
        pending.sort();
        assert_eq!(names("covers"), covers);
        assert_eq!(names("pending"), pending);
    }

    /// `cosect finish` as dana.
    fn finish(&self, answers: &[&str], extra: &[&str]) -> Run {
        let args = [&["finish"][..], answers, extra].concat();
        as_party(&self.env, "dana", &args)
    }

    /// Dana's `sessions --json`.
    fn sessions(&self) -> Value {
        json(ok(as_party(&self.env, "dana", &["sessions", "--json"]), "sessions").stdout)
    }
}

fn as_party(env: &Env, who: &str, args: &[&str]) -> Run {
    let (id, st) = (format!("{who}.id"), format!("st-{who}"));
    env.run(&[args, &["-i", &id, "--state-dir", &st]].concat())
}

#[test]
fn one_list_against_three_catalogs_reports_exactly_who_sees_what() {
    let w = World::new();
    let r = ok(w.init("q", &[]), "init");
    has(&r.stderr, "3 catalog queries written to q");
    // One file per publisher, named after it, and nothing else.
    let mut files: Vec<String> = std::fs::read_dir(w.env.path("q"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    for (f, prefix) in files.iter().zip(["acme-cert-", "bob-mssp-", "carol-isac-"]) {
        assert!(f.starts_with(prefix) && f.ends_with(".query"), "{files:?}");
    }

    // A publisher answers only its own query: another's is refused, and
    // the file it was given names the publisher it is for.
    let theirs = w.query("q", "p1");
    let e = common::err(
        as_party(
            &w.env,
            "p2",
            &["respond", &theirs, "--peer", "dana.pub", "-o", "x.answer"],
        ),
        "respond to another publisher's query",
    );
    has(&e, "acme-cert-");
    has(&e, "not encrypted to your identity");
    w.env.assert_absent("x.answer");

    // Unencrypted, the refusal names the publisher's fingerprint.
    ok(w.init("plain", &["--no-encrypt"]), "init --no-encrypt");
    let theirs = w.query("plain", "p1");
    let e = common::err(
        as_party(
            &w.env,
            "p2",
            &["respond", &theirs, "--peer", "dana.pub", "-o", "x.answer"],
        ),
        "respond to another publisher's plain query",
    );
    has(
        &e,
        &format!(
            "this catalog query is for the publisher with fingerprint {}, not for you",
            w.fps[0]
        ),
    );
    w.env.assert_absent("x.answer");

    // Each answers its own; one finish with all three, in another order.
    let answers: Vec<String> = ["p3", "p1", "p2"].iter().map(|p| w.respond("q", p)).collect();
    let a: Vec<&str> = answers.iter().map(String::as_str).collect();
    let r = ok(w.finish(&a, &["--format", "json", "-o", "all.json"]), "finish");
    has(&r.stderr, "no answer is awaited any more");
    w.check(&json(w.env.read("all.json")), &["p1", "p2", "p3"], 1);
    // Its queries and the group are gone (the plain group stays open).
    let open = w.sessions();
    assert_eq!(open.as_array().unwrap().len(), 1, "{open:#}");
    assert_eq!(open[0]["role"], "sightings");
    assert_eq!(
        open[0]["dir"].as_str().unwrap(),
        w.env.path("plain").canonicalize().unwrap().to_str().unwrap()
    );
    let e = common::err(w.finish(&a[..1], &[]), "finish again");
    has(&e, "no open catalog query");
}

#[test]
fn min_seen_keeps_the_entries_seen_by_at_least_k_publishers() {
    let w = World::new();
    // The list from standard input: read once for the three catalogs.
    let mut args = vec!["init", "--catalog", "c-p1.cbor", "c-p2.cbor", "c-p3.cbor"];
    args.extend([
        "--peer", "p1.pub", "--peer", "p2.pub", "--peer", "p3.pub", "--input", "-", "-o", "q",
    ]);
    args.extend(["-i", "dana.id", "--state-dir", "st-dana"]);
    ok(w.env.feed(&args, LIST.as_bytes()), "init from stdin");
    let answers: Vec<String> = ["p1", "p2", "p3"].iter().map(|p| w.respond("q", p)).collect();
    let a: Vec<&str> = answers.iter().map(String::as_str).collect();
    let r = ok(w.finish(&a, &["--format", "json", "--min-seen", "2"]), "finish");
    let report = json(&r.stdout);
    w.check(&report, &["p1", "p2", "p3"], 2);
    let values: Vec<&str> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["one-two.example", "all.example", "one-three.example"]);
    assert_eq!(report["min_seen"], 2);
}

#[test]
fn a_subset_is_reported_with_the_others_pending_and_completed_later() {
    let w = World::new();
    ok(w.init("q", &[]), "init");
    let a1 = w.respond("q", "p1");
    let a2 = w.respond("q", "p2");
    let a3 = w.respond("q", "p3");

    // Bob's answer alone: Bob covered, the other two pending.
    let r = ok(w.finish(&[&a2], &["--format", "json"]), "finish p2");
    w.check(&json(&r.stdout), &["p2"], 1);
    has(&r.stderr, "pending: ACME CERT");
    // `sessions`: the group is one row, with its publishers under it; its
    // queries are not rows of their own.
    let s = w.sessions();
    assert_eq!(s.as_array().unwrap().len(), 1, "{s:#}");
    assert_eq!(s[0]["role"], "sightings");
    assert_eq!(s[0]["answered"], 1);
    let answered: Vec<(&str, bool)> = s[0]["publishers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), !p["answered"].is_null()))
        .collect();
    assert_eq!(
        answered,
        [("ACME CERT", false), ("Bob MSSP", true), ("Carol ISAC", false)]
    );
    let text = ok(as_party(&w.env, "dana", &["sessions"]), "sessions").stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 1 + 3, "{text}");
    has(lines[1], "sightings");
    has(lines[1], "2 of 3 answers");
    has(lines[3], &format!("Bob MSSP ({}): answered", w.fps[1]));
    has(lines[2], "ACME CERT");
    has(lines[2], "awaits its answer to acme-cert-");
    assert!(!text.contains("catalog client"), "{text}");

    // The other two at once, by two processes: each added once, none lost.
    let runs: Vec<Run> = std::thread::scope(|sc| {
        let hs: Vec<_> = [(&a1, "r1.json"), (&a3, "r3.json")]
            .into_iter()
            .map(|(a, out)| {
                let w = &w;
                sc.spawn(move || w.finish(&[a], &["--format", "json", "-o", out]))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &runs {
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let (r1, r3) = (json(w.env.read("r1.json")), json(w.env.read("r3.json")));
    // Whichever committed first covers Bob and its own publisher; the
    // other covers all three, exactly.
    let (first, last, first_is) = if r1["covers"].as_array().unwrap().len() == 2 {
        (r1, r3, "p1")
    } else {
        (r3, r1, "p3")
    };
    w.check(&first, &["p2", first_is], 1);
    w.check(&last, &["p1", "p2", "p3"], 1);
    assert_eq!(w.sessions(), serde_json::json!([]));
}

#[test]
fn the_csv_and_text_reports_name_every_publisher_of_an_entry() {
    let w = World::new();
    ok(w.init("q", &[]), "init");
    let a1 = w.respond("q", "p1");
    let a3 = w.respond("q", "p3");
    let r = ok(w.finish(&[&a1], &["--format", "csv"]), "finish csv");
    let fp1 = &w.fps[0];
    has(&r.stdout, "kind,value,count,publisher,fingerprint,catalog,label\r\n");
    has(&r.stdout, &format!("domain,all.example,1,ACME CERT,{fp1},"));
    assert!(r.stdout.contains(",C2 server\r\n"), "{}", r.stdout);
    assert_eq!(r.stdout.lines().count(), 1 + 4, "{}", r.stdout);
    let r = ok(w.finish(&[&a3], &[]), "finish text");
    has(&r.stdout, "answers of 2 of 3 publishers");
    has(&r.stdout, "pending: Bob MSSP");
    let all = r.stdout.lines().find(|l| l.starts_with("all.example")).unwrap();
    has(all, &format!("ACME CERT ({fp1}): C2 server; Carol ISAC ({})", w.fps[2]));
}

#[test]
fn init_refuses_what_would_mix_groups_or_publishers() {
    let w = World::new();
    std::fs::create_dir_all(w.env.path("busy")).unwrap();
    w.env.write("busy/old.txt", "x");
    let e = common::err(w.init("busy", &[]), "init into a non-empty directory");
    has(&e, "busy: the directory exists and is not empty");
    assert!(w.sessions().as_array().unwrap().is_empty());
    ok(w.init("busy", &["--force"]), "init --force");

    // A publisher given with --peer that signed none of the catalogs.
    w.env.party("zed", "Zed");
    let r = as_party(
        &w.env,
        "dana",
        &[
            "init",
            "--catalog",
            "c-p1.cbor",
            "--catalog",
            "c-p2.cbor",
            "--peer",
            "p1.pub",
            "--peer",
            "p2.pub",
            "--peer",
            "zed.pub",
            "--input",
            "dana.txt",
            "-o",
            "z",
        ],
    );
    has(
        &common::err(r, "init with a stray --peer"),
        "signed none of the catalogs",
    );
    w.env.assert_absent("z");
    // A catalog whose publisher is not given.
    let r = as_party(
        &w.env,
        "dana",
        &[
            "init",
            "--catalog",
            "c-p1.cbor",
            "--catalog",
            "c-p2.cbor",
            "--peer",
            "p1.pub",
            "--input",
            "dana.txt",
            "-o",
            "z",
        ],
    );
    has(
        &common::err(r, "init without a publisher"),
        "who is none of the publishers you passed with --peer",
    );
    w.env.assert_absent("z");
    // The same catalog twice, and no directory to write into.
    let r = as_party(
        &w.env,
        "dana",
        &[
            "init",
            "--catalog",
            "c-p1.cbor",
            "--catalog",
            "c-p1.cbor",
            "--peer",
            "p1.pub",
            "--input",
            "dana.txt",
            "-o",
            "z",
        ],
    );
    has(&common::err(r, "init with a catalog twice"), "is given twice");
    w.env.assert_absent("z");
    let r = as_party(
        &w.env,
        "dana",
        &[
            "init",
            "--catalog",
            "c-p1.cbor",
            "c-p2.cbor",
            "--peer",
            "p1.pub",
            "--peer",
            "p2.pub",
            "--input",
            "dana.txt",
        ],
    );
    has(
        &common::err(r, "init without -o"),
        "name a new directory for them with -o DIR",
    );
    assert_eq!(
        w.sessions().as_array().unwrap().len(),
        1,
        "only the --force group is open"
    );
    // One catalog keeps today's behaviour: one --peer, -o FILE.
    let r = as_party(
        &w.env,
        "dana",
        &[
            "init",
            "--catalog",
            "c-p1.cbor",
            "--peer",
            "p1.pub",
            "--peer",
            "p2.pub",
            "--input",
            "dana.txt",
            "-o",
            "one",
        ],
    );
    has(&common::err(r, "one catalog, two peers"), "--peer was given 2 times");
}

/// The same through `serve`/`send`: three publishers' servers on loopback,
/// each pinned to its own identity; one `send` posts each query to its
/// publisher and writes the answers beside the queries.
#[cfg(feature = "serve")]
#[test]
fn three_servers_answer_their_own_queries_through_send() {
    use common::serve::Server;
    let w = World::new();
    std::fs::create_dir(w.env.path("peers")).unwrap();
    std::fs::copy(w.env.path("dana.pub"), w.env.path("peers/dana.pub")).unwrap();
    let servers: Vec<Server> = ["p1", "p2", "p3"]
        .iter()
        .map(|who| {
            let cat = format!("c-{who}.cbor");
            Server::start_as(&w.env, who, &["--catalog", &cat])
        })
        .collect();
    ok(w.init("q", &[]), "init");
    let q3 = w.query("q", "p3");
    let to = |key: &str, s: &Server| format!("{key}={}", s.url);

    // A query sent to another publisher's server is refused (the TLS key is
    // not its publisher's), and nothing is written.
    let r = as_party(&w.env, "dana", &["send", "q", "--to", &to("ACME CERT", &servers[1])]);
    let e = common::err(r, "send to the wrong server");
    has(&e, "ACME CERT");
    assert!(!w.env.path("q").read_dir().unwrap().any(|f| f
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".answer")));

    // By name, by fingerprint, by query file.
    let r = ok(
        as_party(
            &w.env,
            "dana",
            &[
                "send",
                "q",
                "--to",
                &to("ACME CERT", &servers[0]),
                "--to",
                &to(&w.fps[1], &servers[1]),
                "--to",
                &to(&q3, &servers[2]),
            ],
        ),
        "send",
    );
    assert_eq!(r.stderr.matches("its answer written to").count(), 3, "{}", r.stderr);
    let answers: Vec<String> = ["p1", "p2", "p3"]
        .iter()
        .map(|p| w.query("q", p).replace(".query", ".answer"))
        .collect();
    for a in &answers {
        assert!(w.env.exists(a), "{a} missing");
    }
    // Sent again: the answers are there, nothing is asked.
    let again = ok(
        as_party(&w.env, "dana", &["send", "q", "--to", &to("ACME CERT", &servers[0])]),
        "send again",
    );
    has(&again.stderr, "not sent:");
    let a: Vec<&str> = answers.iter().map(String::as_str).collect();
    let r = ok(w.finish(&a, &["--format", "json"]), "finish");
    w.check(&json(&r.stdout), &["p1", "p2", "p3"], 1);
    // Each server answered one query: its own.
    for (who, _) in ["p1", "p2", "p3"].iter().zip(&servers) {
        let c = ok(as_party(&w.env, who, &["catalogs", "--json"]), "catalogs");
        assert_eq!(json(&c.stdout)[0]["queries_answered"], 1, "{who}");
    }
}

#[test]
fn cancelling_a_group_destroys_its_queries() {
    let w = World::new();
    ok(w.init("q", &[]), "init");
    let a1 = w.respond("q", "p1");
    let id = w.sessions()[0]["id"].as_str().unwrap().to_owned();
    let r = ok(as_party(&w.env, "dana", &["sessions", "cancel", &id[..8]]), "cancel");
    has(&r.stderr, "cancelled");
    assert_eq!(w.sessions(), serde_json::json!([]));
    assert_eq!(w.env.count("st-dana/catalog/queries"), 0);
    has(
        &common::err(w.finish(&[&a1], &[]), "finish after cancel"),
        "no open catalog query",
    );

    // One publisher's query cancelled alone: the group says so, and is
    // finished by the others' answers.
    ok(w.init("q2", &[]), "init");
    let (a1, a2) = (w.respond("q2", "p1"), w.respond("q2", "p2"));
    let s = w.sessions();
    let q3 = s[0]["publishers"][2]["query"].as_str().unwrap().to_owned();
    ok(
        as_party(&w.env, "dana", &["sessions", "cancel", &q3[..8]]),
        "cancel one query",
    );
    let text = ok(as_party(&w.env, "dana", &["sessions"]), "sessions").stdout;
    has(
        &text,
        &format!("Carol ISAC ({}): its query {} was cancelled", w.fps[2], &q3[..8]),
    );
    let r = ok(w.finish(&[&a1, &a2], &["--format", "json"]), "finish the others");
    has(&r.stderr, "no answer is awaited any more");
    w.check(&json(&r.stdout), &["p1", "p2"], 1);
    assert_eq!(w.sessions(), serde_json::json!([]));
}

/// Every answer of a group finished at once by its own process, one of
/// them twice, each race run three times: every report is exact for the
/// publishers it covers (nothing counted twice), the last covers all three
/// (nothing lost), and the second finish of one answer adds nothing.
#[test]
fn answers_finished_at_once_are_each_added_once() {
    let w = World::new();
    for round in 0..3 {
        let dir = format!("q{round}");
        ok(w.init(&dir, &[]), "init");
        let answers: Vec<String> = ["p1", "p2", "p3"].iter().map(|p| w.respond(&dir, p)).collect();
        let jobs = [(0, "a"), (1, "b"), (2, "c"), (1, "d")];
        let runs: Vec<(String, Run)> = std::thread::scope(|sc| {
            let hs: Vec<_> = jobs
                .iter()
                .map(|(i, tag)| {
                    let (w, a) = (&w, answers[*i].as_str());
                    let out = format!("{dir}-{tag}.json");
                    sc.spawn(move || {
                        let r = w.finish(&[a], &["--format", "json", "-o", &out]);
                        (out, r)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut widest = 0;
        let mut failed = 0;
        for (out, r) in &runs {
            if r.code != 0 {
                // Only the second finish of one answer may find it gone.
                assert!(
                    r.stderr.contains("no open catalog query") || r.stderr.contains("was finished by another cosect"),
                    "{}",
                    r.stderr
                );
                failed += 1;
                continue;
            }
            let report = json(w.env.read(out));
            let covered: Vec<&str> = report["covers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| PUBS.iter().find(|x| x.1 == p["name"]).unwrap().0)
                .collect();
            w.check(&report, &covered, 1);
            widest = widest.max(covered.len());
        }
        assert!(failed <= 1, "round {round}: {failed} finishes failed");
        assert_eq!(widest, 3, "round {round}: no report covers all three");
        assert_eq!(w.sessions(), serde_json::json!([]), "round {round}");
    }
}

/// The STIX objects of type `ty` in a bundle.
fn objects(bundle: &Value, ty: &str) -> Vec<Value> {
    let all = bundle["objects"].as_array().unwrap();
    all.iter().filter(|o| o["type"] == ty).cloned().collect()
}

#[test]
fn the_report_as_a_stix_bundle_and_a_misp_event() {
    let w = World::new();
    ok(w.init("q", &[]), "init");
    let (a1, a2, a3) = (w.respond("q", "p1"), w.respond("q", "p2"), w.respond("q", "p3"));
    // Two answers as STIX: one sighting per entry, its count the publishers
    // holding it, each of them where it was sighted.
    ok(
        w.finish(&[&a2, &a1], &["--format", "stix", "-o", "s.json"]),
        "finish stix",
    );
    let b = json(std::fs::read(w.env.path("s.json")).unwrap());
    let idents = objects(&b, "identity");
    let ident_of = |id: &Value| -> String {
        let o = idents
            .iter()
            .find(|o| o["id"] == *id)
            .expect("a sighting names a known identity");
        o["name"].as_str().unwrap().to_owned()
    };
    let mut names: Vec<String> = idents.iter().map(|o| o["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(names, ["ACME CERT", "Bob MSSP", "Dana SOC"]);
    let indicators = objects(&b, "indicator");
    let want = w.expected(&["p1", "p2"], 1);
    let sightings = objects(&b, "sighting");
    assert_eq!(sightings.len(), want.len(), "{b:#}");
    for (value, _, seen) in &want {
        let ind = indicators
            .iter()
            .find(|i| i["pattern"].as_str().unwrap().contains(&format!("'{value}'")))
            .unwrap_or_else(|| panic!("an indicator for {value}: {b:#}"));
        let s = sightings.iter().find(|s| s["sighting_of_ref"] == ind["id"]).unwrap();
        assert_eq!(s["count"].as_u64().unwrap() as usize, seen.len(), "{value}");
        let mut by: Vec<String> = s["where_sighted_refs"]
            .as_array()
            .unwrap()
            .iter()
            .map(ident_of)
            .collect();
        by.sort();
        let mut want_by: Vec<String> = seen.iter().map(|s| s.0.clone()).collect();
        want_by.sort();
        assert_eq!(by, want_by, "{value}");
    }
    if common::have_python("stix2validator", "stix2-validator") {
        common::stix_validate(&w.env, "s.json").unwrap_or_else(|e| panic!("stix2-validator: {e}"));
    }
    // The last answer as MISP: the report covers all three publishers.
    ok(w.finish(&[&a3], &["--format", "misp", "-o", "m.json"]), "finish misp");
    let raw = json(std::fs::read(w.env.path("m.json")).unwrap());
    let attrs = raw["Event"]["Attribute"].as_array().unwrap();
    let want = w.expected(&["p1", "p2", "p3"], 1);
    assert_eq!(attrs.len(), want.len(), "{raw:#}");
    for (value, _, seen) in &want {
        let a = attrs.iter().find(|a| a["value"] == value.as_str()).unwrap();
        let comment = a["comment"].as_str().unwrap();
        has(comment, &format!("seen by {} publisher(s)", seen.len()));
        for (name, fp, label) in seen {
            has(comment, &format!("{name} ({fp})"));
            if let Some(l) = label {
                has(comment, l);
            }
        }
    }
    has(raw["Event"]["info"].as_str().unwrap(), "Carol ISAC");
    if common::have_python("pymisp", "pymisp") {
        let e = common::pymisp_load(&w.env, "m.json");
        let mut got: Vec<(String, String)> = e["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a[0].as_str().unwrap().to_owned(), a[2].as_str().unwrap().to_owned()))
            .collect();
        got.sort();
        let mut expect: Vec<(String, String)> = want
            .iter()
            .map(|(v, k, _)| ((if k == "ip" { "ip-dst" } else { "domain" }).to_owned(), v.clone()))
            .collect();
        expect.sort();
        assert_eq!(got, expect);
    }
}
