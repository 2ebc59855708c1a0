//! The published-catalog protocol through the real binary: one publisher,
//! separate identities and state directories, bundles passed as files.

mod common;

use std::process::Output;

use common::{argv, has, refused, stdout, Env};

common::world!(
    /// A publisher (`srv`) and two clients (`carol`, `dave`) in one scratch dir.
    World
);

impl World {
    fn new() -> Self {
        World {
            env: Env::with_keys(&[("srv", "srv"), ("carol", "carol"), ("dave", "dave")]),
        }
    }

    /// Run and expect exit 1 with `needle` in the error.
    fn fails(&self, args: &[&str], needle: &str) -> String {
        let err = refused(args, self.run(args));
        assert!(err.contains(needle), "cosect {args:?}: expected {needle:?} in: {err}");
        err
    }

    /// `verb` as `who` (`<who>.id`, state in `st-<who>`), then `rest`; must succeed.
    fn as_party(&self, who: &str, verb: &[&str], rest: &[&str]) -> Output {
        let (id, st) = (format!("{who}.id"), format!("st-{who}"));
        self.ok(&[verb, &["-i", &id, "--state-dir", &st], rest].concat())
    }

    fn publish(&self, input: &str, out: &str, extra: &[&str]) {
        self.as_party("srv", &["publish"], &[&["--input", input, "-o", out], extra].concat());
    }

    fn query(&self, who: &str, catalog: &str, input: &str, out: &str, extra: &[&str]) {
        let flags = ["--catalog", catalog, "--peer", "srv.pub", "--input", input, "-o", out];
        self.as_party(who, &["init"], &[&flags, extra].concat());
    }

    fn answer(&self, who: &str, query: &str, out: &str) {
        let p = format!("{who}.pub");
        self.as_party("srv", &["respond", query], &["--peer", &p, "-o", out]);
    }

    fn finish(&self, who: &str, answer: &str, extra: &[&str]) -> String {
        stdout(&self.as_party(who, &["finish", answer], extra))
    }
}

const IOCS: &str = "# indicators\n\
    evil.example\tfirst seen 2026-01-02; confidence high\n\
    Bad.Example.\tcampaign \"Owl\", wave 2\n\
    worse.example\n\
    evil.example\tlater duplicate, ignored\n";

#[test]
fn one_publisher_two_clients_with_labels() {
    let w = World::new();
    w.write("iocs.txt", IOCS);
    w.write("carol.txt", "fine.example\nEVIL.example\nworse.example.\nbad.example\n");
    w.write("dave.txt", "nothing.example\nfine.example\n");
    w.publish("iocs.txt", "catalog.cbor", &["--kind", "domain", "--labels"]);

    // The catalog holds neither the entries nor their plain hashes.
    let cat = std::fs::read(w.path("catalog.cbor")).unwrap();
    for e in ["evil.example", "bad.example", "worse.example", "first seen", "Owl"] {
        assert!(!cat.windows(e.len()).any(|x| x == e.as_bytes()), "{e} in the catalog");
    }
    use sha2::Digest;
    let h = sha2::Sha256::digest(b"evil.example");
    assert!(!cat.windows(8).any(|x| x == &h[..8]));
    // The catalog key is private state.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let m = std::fs::metadata(w.path("st-srv/catalog/key.age"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(m & 0o777, 0o600);
    }

    // inspect shows the catalog facts.
    let out = w.ok(&["inspect", "catalog.cbor", "--peer", "srv.pub", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["protocol"], "catalog");
    assert_eq!(j["to_fingerprint"], "anyone (a public catalog)");
    assert_eq!(j["signature"], "valid");
    assert_eq!(j["catalog"]["entries"], 3);
    assert_eq!(j["catalog"]["bytes_each"], 9);
    assert_eq!(j["catalog"]["labels"], 2);
    assert!(j["catalog"]["false_match_log2_per_2_24_query"].as_f64().unwrap() <= -40.0);
    let human = String::from_utf8(w.ok(&["inspect", "catalog.cbor"]).stdout).unwrap();
    has(&human, "3 entries, truncated PRF outputs of 9 B each");
    has(&human, "2 encrypted labels");

    // Carol holds three of the entries, Dave none; queries are encrypted
    // by default (Dave's is not, so anyone can inspect it).
    w.query("carol", "catalog.cbor", "carol.txt", "q-carol.cbor", &["--encrypt"]);
    w.query(
        "dave",
        "catalog.cbor",
        "dave.txt",
        "q-dave.cbor",
        &["--pad-to", "50", "--no-encrypt"],
    );
    let j: serde_json::Value = serde_json::from_slice(&w.ok(&["inspect", "q-dave.cbor", "--json"]).stdout).unwrap();
    assert_eq!(j["points"], 50, "padding hides Dave's list size");
    w.answer("carol", "q-carol.cbor", "a-carol.cbor");
    w.answer("dave", "q-dave.cbor", "a-dave.cbor");
    // Each answer is for its own client only: encrypted to Carol by
    // default, Dave cannot even open it.
    w.fails(
        &["finish", "a-carol.cbor", "-i", "dave.id", "--state-dir", "st-dave"],
        "not encrypted to your identity",
    );

    let carol = w.finish("carol", "a-carol.cbor", &["--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&carol).unwrap();
    assert_eq!(j["count"], 3);
    assert_eq!(
        j["entries"],
        serde_json::json!([
            {"kind": "domain", "value": "EVIL.example", "label": "first seen 2026-01-02; confidence high",
             "from": [{"file": "carol.txt", "line": 2}]},
            {"kind": "domain", "value": "worse.example.", "from": [{"file": "carol.txt", "line": 3}]},
            {"kind": "domain", "value": "bad.example", "label": "campaign \"Owl\", wave 2",
             "from": [{"file": "carol.txt", "line": 4}]},
        ])
    );
    assert_eq!(w.finish("dave", "a-dave.cbor", &[]), "");
    // Sessions are destroyed.
    assert_eq!(w.count("st-carol/catalog/queries"), 0);
    w.fails(
        &["finish", "a-carol.cbor", "-i", "carol.id", "--state-dir", "st-carol"],
        "no open catalog query",
    );

    // Text and CSV carry the labels beside the matches.
    w.query("carol", "catalog.cbor", "carol.txt", "q2.cbor", &[]);
    w.answer("carol", "q2.cbor", "a2.cbor");
    assert_eq!(
        w.finish("carol", "a2.cbor", &["--format", "csv"]),
        "kind,value,file,line,label\r\ndomain,EVIL.example,carol.txt,2,first seen 2026-01-02; confidence high\r\n\
         domain,worse.example.,carol.txt,3,\r\ndomain,bad.example,carol.txt,4,\"campaign \"\"Owl\"\", wave 2\"\r\n"
    );
    w.query("carol", "catalog.cbor", "carol.txt", "q3.cbor", &[]);
    w.answer("carol", "q3.cbor", "a3.cbor");
    w.finish("carol", "a3.cbor", &["-o", "m.txt"]);
    assert_eq!(
        w.read("m.txt"),
        "EVIL.example\tfirst seen 2026-01-02; confidence high\nworse.example.\t\nbad.example\tcampaign \"Owl\", wave 2\n"
    );
}

#[test]
fn without_labels_rotation_and_limits() {
    let w = World::new();
    w.write("list.txt", "alpha\nbeta\ngamma\n");
    w.write("carol.txt", "beta\ndelta\ngamma\n");
    w.publish("list.txt", "cat1.cbor", &[]);
    w.query("carol", "cat1.cbor", "carol.txt", "q1.cbor", &[]);
    w.answer("carol", "q1.cbor", "a1.cbor");
    assert_eq!(w.finish("carol", "a1.cbor", &[]), "beta\ngamma\n");
    let j: serde_json::Value = serde_json::from_slice(&w.ok(&["inspect", "cat1.cbor", "--json"]).stdout).unwrap();
    assert_eq!(j["catalog"]["labels"], 0);
    let cat1 = j["catalog"]["catalog"].as_str().unwrap().to_owned();

    // A query of more elements than --max-query-items is refused.
    w.query("carol", "cat1.cbor", "carol.txt", "big.cbor", &["--pad-to", "10"]);
    w.fails(
        &argv("respond big.cbor -i srv.id --state-dir st-srv --peer carol.pub -o x.cbor --max-query-items 9"),
        "more than --max-query-items 9",
    );
    assert!(!w.path("x.cbor").exists());

    // A new catalog keeps the earlier one live; `--replace` retires it,
    // and queries against it are then refused by name.
    w.query("carol", "cat1.cbor", "carol.txt", "stale.cbor", &[]);
    w.publish("list.txt", "cat2.cbor", &["--replace", &cat1]);
    let err = w.fails(
        &argv("respond stale.cbor -i srv.id --state-dir st-srv --peer carol.pub -o x.cbor"),
        "was retired",
    );
    has(&err, &format!("catalog {cat1}"));
    assert!(!w.path("x.cbor").exists());
    // The new catalog works; the old one can no longer be answered.
    w.query("carol", "cat2.cbor", "carol.txt", "q2.cbor", &[]);
    w.answer("carol", "q2.cbor", "a2.cbor");
    assert_eq!(
        w.finish("carol", "a2.cbor", &["--format", "csv"]),
        "kind,value,file,line\r\nraw,beta,carol.txt,1\r\nraw,gamma,carol.txt,3\r\n"
    );

    // A server without a key refuses; respond needs no --input for a query.
    w.fails(
        &argv("respond q2.cbor -i srv.id --state-dir st-none --peer carol.pub -o x.cbor"),
        "no live catalog",
    );
    // A catalog is not a query.
    w.fails(
        &argv("respond cat2.cbor -i srv.id --state-dir st-srv --peer carol.pub -o x.cbor"),
        "this is a catalog, not a query",
    );
    // A catalog signed by someone else than --peer is refused.
    w.fails(
        &argv("init -i carol.id --state-dir st-carol --catalog cat2.cbor --peer dave.pub --input carol.txt -o x.cbor"),
        "not from your peer",
    );
    // A mutual round 1 still needs --input.
    w.fails(
        &argv("init -i carol.id --state-dir st-carol --peer srv.pub -o x.cbor"),
        "--input FILE is required",
    );
    assert!(!w.path("x.cbor").exists());
}

/// Labels from a CSV column (`--column` for the entries, `--label-column`
/// for the labels), with a quoted field, a row without a label, and a
/// duplicate whose first label is kept.
#[test]
fn labels_from_a_csv_column() {
    let w = World::new();
    w.write(
        "iocs.csv",
        "domain,note,source\r\n\
         EVIL.example,\"first seen 2026-01-02, high\",feed-a\r\n\
         quiet.example,,feed-b\r\n\
         evil.example.,a later duplicate,feed-c\r\n\
         other.example,campaign Owl,feed-a\r\n",
    );
    w.publish(
        "iocs.csv",
        "cat.cbor",
        &["--kind", "domain", "--column", "domain", "--label-column", "note"],
    );
    w.write("carol.txt", "evil.example\nquiet.example\nnot.example\n");
    w.query("carol", "cat.cbor", "carol.txt", "q.cbor", &[]);
    w.answer("carol", "q.cbor", "a.cbor");
    assert_eq!(
        w.finish("carol", "a.cbor", &[]),
        "evil.example\tfirst seen 2026-01-02, high\nquiet.example\t\n"
    );
    // --labels with --column but no --label-column says what is missing;
    // --label-column without --column is a usage error.
    w.fails(
        &argv("publish -i srv.id --state-dir st-srv --input iocs.csv --column domain --labels -o x.cbor"),
        "--labels with --column needs --label-column",
    );
    let out = w.run(&argv(
        "publish -i srv.id --state-dir st-srv --input iocs.csv --label-column note -o x.cbor",
    ));
    assert_eq!(out.status.code(), Some(2));
    assert!(!w.path("x.cbor").exists());
}

/// `catalogs --json` of the publisher: (id, entries, queries answered).
fn catalog_rows(w: &World) -> Vec<(String, u64, u64)> {
    let out = w.as_party("srv", &["catalogs"], &["--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = |c: &serde_json::Value| {
        let n = |k: &str| c[k].as_u64().unwrap();
        (
            c["id"].as_str().unwrap().to_owned(),
            n("entries"),
            n("queries_answered"),
        )
    };
    list.as_array().unwrap().iter().map(row).collect()
}

/// Two live catalogs answer the queries made against each; `catalogs`
/// lists both under the one id stderr and `inspect` show, counts the
/// queries each answered, and `catalogs retire` retires one by that id.
#[test]
fn two_live_catalogs_answer_their_own_queries() {
    let w = World::new();
    w.write("one.txt", "alpha\nbeta\n");
    w.write("two.txt", "gamma\ndelta\n");
    w.write("carol.txt", "beta\ngamma\n");
    let line = |out: Output| {
        let err = String::from_utf8(out.stderr).unwrap();
        // The first line that is not a warning (raw words are warned about).
        let said = err.lines().find(|l| l.starts_with("cosect:")).unwrap();
        said.split_whitespace().nth(2).unwrap().trim_end_matches(':').to_owned()
    };
    let id1 = line(w.as_party("srv", &["publish"], &["--input", "one.txt", "-o", "cat1.cbor"]));
    let id2 = line(w.as_party("srv", &["publish"], &["--input", "two.txt", "-o", "cat2.cbor"]));
    assert_ne!(id1, id2);
    // inspect names the catalog by the same id, and by no other 16-hex id.
    let shown = stdout(&w.ok(&["inspect", "cat1.cbor"]));
    has(&shown, &format!("catalog:   {id1}: 2 entries"));
    w.query("carol", "cat1.cbor", "carol.txt", "q1.cbor", &[]);
    w.query("carol", "cat2.cbor", "carol.txt", "q2.cbor", &[]);
    w.answer("carol", "q2.cbor", "a2.cbor");
    w.answer("carol", "q1.cbor", "a1.cbor");
    assert_eq!(w.finish("carol", "a1.cbor", &[]), "beta\n");
    assert_eq!(w.finish("carol", "a2.cbor", &[]), "gamma\n");

    let rows = catalog_rows(&w);
    assert_eq!(rows, vec![(id1.clone(), 2, 1), (id2.clone(), 2, 1)]);
    let text = stdout(&w.as_party("srv", &["catalogs"], &[]));
    has(&text, &id1);
    has(&text, "ANSWERED");

    // Retired by its id (a prefix will do): its queries are refused by name.
    w.query("carol", "cat1.cbor", "carol.txt", "q3.cbor", &[]);
    let out = w.as_party("srv", &["catalogs", "retire"], &[&id1[..8]]);
    has(
        &String::from_utf8(out.stderr).unwrap(),
        &format!("catalog {id1} retired"),
    );
    let err = w.fails(
        &argv("respond q3.cbor -i srv.id --state-dir st-srv --peer carol.pub -o x.cbor"),
        "was retired",
    );
    has(&err, &format!("catalog {id1}"));
    has(&err, &id2);
    let text = stdout(&w.as_party("srv", &["catalogs"], &[]));
    assert!(!text.contains(&id1) && text.contains(&id2), "{text}");
    // An unknown id is refused, for retire and for --replace.
    w.fails(
        &argv("catalogs retire -i srv.id --state-dir st-srv 00000000"),
        "not one of your live catalogs",
    );
    w.fails(
        &argv("publish -i srv.id --state-dir st-srv --input one.txt -o cat4.cbor --replace 00000000"),
        "not one of your live catalogs",
    );
    assert!(!w.path("cat4.cbor").exists());
}

/// A publisher that answers with elements its proof does not cover (here:
/// two elements swapped, signed with its real key) is refused by `finish`,
/// and the query stays open for the genuine answer.
#[test]
fn forged_answer_is_refused_by_its_proof() {
    use cosect::bundle::{seal, Envelope, Opened};
    use cosect::identity::Identity;
    let w = World::new();
    let id = |who: &str| Identity::parse(&w.read(&format!("{who}.id"))).unwrap();
    w.write("iocs.txt", "evil.example\nbad.example\n");
    w.write("carol.txt", "evil.example\nfine.example\nbad.example\n");
    w.publish("iocs.txt", "catalog.cbor", &[]);
    w.query("carol", "catalog.cbor", "carol.txt", "query.cbor", &[]);
    w.answer("carol", "query.cbor", "answer.cbor");

    let opened = Opened::open(w.bytes("answer.cbor"), Some(&id("carol"))).unwrap();
    let mut p = opened.payload.clone();
    let (first, second) = (p.points[..32].to_vec(), p.points[32..64].to_vec());
    p.points[..32].copy_from_slice(&second);
    p.points[32..64].copy_from_slice(&first);
    let forged = seal(p, &id("srv"), &id("carol").public(), Envelope::Plain).to_vec();
    w.write("forged.cbor", forged);
    let err = w.fails(
        &["finish", "forged.cbor", "-i", "carol.id", "--state-dir", "st-carol"],
        "does not verify",
    );
    has(&err, "not evaluated with the catalog's key");
    has(&err, "do not trust it");
    // The genuine answer still finishes.
    let out = w.finish("carol", "answer.cbor", &[]);
    assert_eq!(out, "evil.example\nbad.example\n");
}
