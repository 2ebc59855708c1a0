//! `finish --format stix|misp` through the binary: whole exchanges between
//! two identities with their own state, then the results read by the
//! field's own tools: the OASIS `stix2-validator` (strict: no warning
//! either) and PyMISP's `MISPEvent.load_file` (both installed by `.ci/run`).

mod common;

use common::*;
use serde_json::Value;

/// The STIX objects of a bundle file of type `ty`.
fn objects(bundle: &Value, ty: &str) -> Vec<Value> {
    bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == ty)
        .cloned()
        .collect()
}

/// Alice's and Bob's lists: each kind once, some spelled differently on
/// each side (defanged, upper case, a port), values with `'` and `\` that
/// a STIX pattern must escape, a raw entry, and entries only one side has.
const ALICE: &str = "evil[.]example\n\
    198.51.100.23\n\
    2001:DB8::1\n\
    44D88612FEA8A8F36DE82E1278ABB02F\n\
    0c4e9a1bd2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9\n\
    o'brien\\ops@Example.ORG\n\
    hxxp://evil.example/it's\n\
    TICKET-4711\n\
    only-alice.example\n";
const BOB: &str = "EVIL.example.\n\
    198.51.100.23:443\n\
    2001:db8::1\n\
    44d88612fea8a8f36de82e1278abb02f\n\
    0C4E9A1BD2E3F4A5B6C7D8E9F0A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8A9\n\
    o'brien\\ops@example.org\n\
    http://evil.example/it's\n\
    TICKET-4711\n\
    only-bob.example\n";

/// The (MISP type, value) pairs both sides must report, in Alice's order.
const SHARED: [(&str, &str); 8] = [
    ("domain", "evil.example"),
    ("ip-dst", "198.51.100.23"),
    ("ip-dst", "2001:db8::1"),
    ("md5", "44d88612fea8a8f36de82e1278abb02f"),
    (
        "sha256",
        "0c4e9a1bd2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9",
    ),
    ("email-src", "o'brien\\ops@example.org"),
    ("url", "http://evil.example/it's"),
    ("text", "TICKET-4711"),
];

/// A whole exchange; Alice's results as STIX (twice, from two copies of
/// her state: the same bytes), Bob's as a MISP event; the validator and
/// PyMISP read them.
#[test]
fn exchange_into_stix_and_misp() {
    let (env, a, b) = round1(ALICE, BOB);
    ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
    // A copy of Alice's state before she finishes: finishing it again must
    // write the very same bundle.
    copy_dir(&env.path(&a.state), &env.path("alice-state-copy"));
    let r = ok(
        finish(
            &env,
            &a,
            "r2",
            &["--reply", "r3", "--format", "stix", "-o", "alice.stix.json"],
        ),
        "finish stix",
    );
    has(&r.stderr, "warning: 1 raw entry is left out of the stix results");
    let again = env.run(&argv(
        "finish r2 -i alice.id --state-dir alice-state-copy --no-encrypt --reply r3-again --format stix -o again.stix.json",
    ));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        env.bytes("alice.stix.json"),
        env.bytes("again.stix.json"),
        "not deterministic"
    );
    let r = ok(
        finish(&env, &b, "r3", &["--format", "misp", "-o", "bob.misp.json"]),
        "finish misp",
    );
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    #[cfg(unix)]
    for f in ["alice.stix.json", "bob.misp.json"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f} holds the shared entries");
    }

    // Alice's bundle: her identity made every object, Bob is where each
    // entry was sighted, one indicator per entry with a STIX pattern.
    let bundle = json(env.bytes("alice.stix.json"));
    let ids = objects(&bundle, "identity");
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0]["name"], "ACME CERT");
    assert_eq!(ids[1]["name"], "Bob MSSP");
    let patterns: Vec<String> = objects(&bundle, "indicator")
        .iter()
        .map(|i| {
            assert_eq!(i["created_by_ref"], ids[0]["id"]);
            i["pattern"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        patterns,
        [
            "[domain-name:value = 'evil.example']",
            "[ipv4-addr:value = '198.51.100.23']",
            "[ipv6-addr:value = '2001:db8::1']",
            "[file:hashes.'MD5' = '44d88612fea8a8f36de82e1278abb02f']",
            "[file:hashes.'SHA-256' = '0c4e9a1bd2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9']",
            r"[email-addr:value = 'o\'brien\\ops@example.org']",
            r"[url:value = 'http://evil.example/it\'s']",
        ]
    );
    let indicators = objects(&bundle, "indicator");
    let sightings = objects(&bundle, "sighting");
    assert_eq!(sightings.len(), 7);
    for (s, i) in sightings.iter().zip(&indicators) {
        assert_eq!(s["sighting_of_ref"], i["id"]);
        assert_eq!(s["where_sighted_refs"], serde_json::json!([ids[1]["id"]]));
        assert_eq!(s["created_by_ref"], ids[0]["id"]);
        assert_eq!(s["count"], 1);
    }
    // What Alice wrote, kept beside the canonical value.
    has(
        indicators[0]["description"].as_str().unwrap(),
        "spells it \"evil[.]example\"",
    );
    // Nothing of Bob's spelling or of entries only one side has.
    let text = env.read("alice.stix.json");
    for absent in ["only-alice", "only-bob", "EVIL.example", ":443", "TICKET-4711"] {
        assert!(!text.contains(absent), "{absent} in Alice's STIX results");
    }

    // Bob's event: one attribute per shared entry, of its MISP type.
    let event = json(env.bytes("bob.misp.json"));
    has(
        event["Event"]["info"].as_str().unwrap(),
        "8 entries shared with ACME CERT (",
    );
    let file_pairs: Vec<(String, String)> = event["Event"]["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["type"].as_str().unwrap().into(), a["value"].as_str().unwrap().into()))
        .collect();
    let want: Vec<(String, String)> = SHARED.iter().map(|(t, v)| (t.to_string(), v.to_string())).collect();
    assert_eq!(file_pairs, want);
    assert!(
        !env.read("bob.misp.json").contains("only-"),
        "an unshared entry in Bob's event"
    );

    if have_python("stix2validator", "stix2-validator") {
        if let Err(e) = stix_validate(&env, "alice.stix.json") {
            panic!("stix2-validator refused Alice's bundle:\n{e}");
        }
    }
    if have_python("pymisp", "pymisp") {
        let e = pymisp_load(&env, "bob.misp.json");
        has(e["info"].as_str().unwrap(), "shared with ACME CERT");
        assert_eq!(e["tags"], serde_json::json!(["cosect"]));
        assert_eq!(e["distribution"], 0);
        let got: Vec<(String, String)> = e["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                assert_eq!(a[4], serde_json::json!(["cosect"]), "{a}");
                assert_eq!(a[3], false, "{a}");
                (a[0].as_str().unwrap().into(), a[2].as_str().unwrap().into())
            })
            .collect();
        assert_eq!(got, want);
    }
}

/// Entries read from a STIX feed: the sightings name the feed's own
/// indicators, which the platform holds already; the validator still
/// accepts the bundle, and Bob's MISP event (from a text list) loads.
#[test]
fn sightings_of_the_inputs_own_indicators() {
    let (env, a, b) = two_parties();
    std::fs::copy(testdata("feed.stix.json"), env.path("feed.json")).unwrap();
    std::fs::copy(testdata("mixed-iocs.txt"), env.path("bob.txt")).unwrap();
    ok(init(&env, &a, &b, "feed.json", &["--encrypt"], "r1"), "init");
    ok(respond(&env, &b, &a, "r1", "bob.txt", &["--encrypt"], "r2"), "respond");
    ok(
        finish(
            &env,
            &a,
            "r2",
            &["--reply", "r3", "--encrypt", "--format", "stix", "-o", "a.json"],
        ),
        "finish",
    );
    ok(finish(&env, &b, "r3", &["--format", "misp", "-o", "b.json"]), "finish");

    let bundle = json(env.bytes("a.json"));
    let feed = json(std::fs::read(testdata("feed.stix.json")).unwrap());
    let feed_indicators: Vec<Value> = objects(&feed, "indicator").iter().map(|i| i["id"].clone()).collect();
    let sightings = objects(&bundle, "sighting");
    assert_eq!(sightings.len(), 5);
    for s in &sightings {
        assert!(feed_indicators.contains(&s["sighting_of_ref"]), "{s}");
        has(s["description"].as_str().unwrap(), "Matched value: ");
    }
    assert!(
        objects(&bundle, "indicator").is_empty(),
        "the feed's indicators were repeated"
    );
    // Two shared values of one OR pattern: two sightings of one indicator.
    let login = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    assert!(sightings.iter().any(|s| s["sighting_of_ref"] == login));

    if have_python("stix2validator", "stix2-validator") {
        if let Err(e) = stix_validate(&env, "a.json") {
            panic!("stix2-validator refused the bundle:\n{e}");
        }
    }
    if have_python("pymisp", "pymisp") {
        let e = pymisp_load(&env, "b.json");
        let types: Vec<&str> = e["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a[0].as_str().unwrap())
            .collect();
        assert_eq!(types, ["domain", "ip-dst", "md5", "email-src", "url"]);
    }
}

/// A catalog lookup as STIX and MISP: the publisher is where the entries
/// were sighted; its labels travel in the descriptions and comments.
#[test]
fn catalog_matches_into_stix_and_misp() {
    let env = Env::with_keys(&[("srv", "Northwind CERT"), ("carol", "Carol Bank")]);
    env.write("iocs.txt", "evil.example\tcampaign Owl\n198.51.100.7\n");
    env.write("carol.txt", "EVIL.example\n198.51.100.7\nfine.example\n");
    env.ok(&argv(
        "publish -i srv.id --state-dir st-srv --input iocs.txt --labels -o catalog.cbor",
    ));
    for (format, out) in [("stix", "m.stix.json"), ("misp", "m.misp.json")] {
        let q = format!("q-{format}");
        let ans = format!("a-{format}");
        env.ok(&argv(&format!(
            "init -i carol.id --state-dir st-carol --catalog catalog.cbor --peer srv.pub --input carol.txt -o {q}"
        )));
        env.ok(&argv(&format!(
            "respond {q} -i srv.id --state-dir st-srv --peer carol.pub -o {ans}"
        )));
        env.ok(&argv(&format!(
            "finish {ans} -i carol.id --state-dir st-carol --format {format} -o {out}"
        )));
    }
    let bundle = json(env.bytes("m.stix.json"));
    let ids = objects(&bundle, "identity");
    assert_eq!(ids[0]["name"], "Carol Bank");
    assert_eq!(ids[1]["name"], "Northwind CERT");
    let sightings = objects(&bundle, "sighting");
    assert_eq!(sightings.len(), 2);
    has(
        sightings[0]["description"].as_str().unwrap(),
        "in the catalog of Northwind CERT",
    );
    has(
        sightings[0]["description"].as_str().unwrap(),
        "The catalog's label: campaign Owl",
    );
    let event = json(env.bytes("m.misp.json"));
    has(
        event["Event"]["info"].as_str().unwrap(),
        "cosect: 2 entries in the catalog of Northwind CERT (",
    );
    has(
        event["Event"]["Attribute"][0]["comment"].as_str().unwrap(),
        "the catalog's label: campaign Owl",
    );
    if have_python("stix2validator", "stix2-validator") {
        if let Err(e) = stix_validate(&env, "m.stix.json") {
            panic!("stix2-validator refused the bundle:\n{e}");
        }
    }
    if have_python("pymisp", "pymisp") {
        let e = pymisp_load(&env, "m.misp.json");
        assert_eq!(e["attributes"][0][2], "evil.example");
        assert_eq!(e["attributes"][1][0], "ip-dst");
    }
}

/// A cardinality session yields a count: `--format stix` is refused before
/// any work, the session stays open, and a plain format finishes it.
#[test]
fn a_count_is_no_stix_bundle() {
    let (env, a, b) = two_lists("a.example\nb.example\n", "b.example\n");
    ok(
        init(&env, &a, &b, "alice.txt", &["--mode", "cardinality"], "r1"),
        "init",
    );
    ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
    for format in ["stix", "misp"] {
        let e = err(
            finish(&env, &a, "r2", &["--reply", "r3", "--format", format, "-o", "out.json"]),
            "finish",
        );
        has(
            &e,
            &format!("--format {format} lists the shared entries, and a cardinality session yields only their count"),
        );
        has(&e, "--format text, json or csv");
        env.assert_absent("out.json");
        env.assert_absent("r3");
        assert_eq!(sessions(&env, &a).len(), 1, "the session was touched");
    }
    let r = ok(finish(&env, &a, "r2", &["--reply", "r3"]), "finish");
    assert_eq!(r.stdout, "1\n");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// `serve --results-format misp`: each mutual exchange the server finishes
/// leaves a MISP event in its results directory (a cardinality one, its
/// count as text).
#[cfg(feature = "serve")]
#[test]
fn serve_writes_its_results_as_misp_events() {
    use common::serve::{as_party, send, world, Server};
    let env = world();
    let s = Server::start(&env, &["--input", "iocs.txt", "--results-format", "misp"]);
    let mut names = Vec::new();
    for mode in ["mutual", "cardinality"] {
        let [r1, r2, r3, out] = ["r1", "r2", "r3", "out"].map(|f| format!("{mode}-{f}"));
        let init = [
            "init",
            "--peer",
            "srv.pub",
            "--input",
            "carol.txt",
            "--mode",
            mode,
            "-o",
            &r1,
            "-q",
        ];
        ok(as_party(&env, "carol", &init), "init");
        ok(send(&env, &s, "carol", &r1, Some(&r2)), "send r1");
        let fin = ["finish", &r2, "--reply", &r3, "-o", &out, "-q"];
        ok(as_party(&env, "carol", &fin), "finish");
        ok(send(&env, &s, "carol", &r3, None), "send r3");
        let mut now: Vec<String> = std::fs::read_dir(env.path("st-srv/results"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !names.contains(n))
            .collect();
        assert_eq!(now.len(), 1, "{now:?}");
        names.push(now.pop().unwrap());
    }
    assert!(names[0].ends_with(".misp.json"), "{names:?}");
    assert!(names[1].ends_with(".txt"), "{names:?}");
    assert_eq!(env.read(&format!("st-srv/results/{}", names[1])), "2\n");
    let file = format!("st-srv/results/{}", names[0]);
    let event = json(env.bytes(&file));
    has(
        event["Event"]["info"].as_str().unwrap(),
        "2 entries shared with carol (",
    );
    let values: Vec<&str> = event["Event"]["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["evil.example", "worse.example"]);
    if have_python("pymisp", "pymisp") {
        let e = pymisp_load(&env, &file);
        assert_eq!(e["attributes"][0][0], "domain");
        assert_eq!(e["attributes"].as_array().unwrap().len(), 2);
    }
}
