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

#[test]
fn three_inputs_make_one_list_with_every_source_kept() {
    let (env, a, b) = two_lists(
        "evil.example\nc2.example\n198.51.100.7\nbilling@invoice.example\n",
        "# the MSSP's text list\nevil[.]example\n",
    );
    env.write(
        "customers.csv",
        "domain,customer,contract\nc2.example,ACME Bank,gold\nEVIL.example,Globex,silver\n10.0.0.0/8,Hooli,bronze\n",
    );
    env.write(
        "misp.json",
        r#"{"Event": {"uuid": "e1", "Attribute": [
            {"type": "ip-dst", "value": "198.51.100.7", "uuid": "a-1", "event_id": "42"},
            {"type": "domain", "value": "evil.example", "uuid": "a-2", "event_id": "42"}]}}"#,
    );
    ok(init(&env, &a, &b, "alice.txt", &[], "r1"), "init");
    let r = ok(
        respond(
            &env,
            &b,
            &a,
            "r1",
            "bob.txt",
            &[
                "--input",
                "customers.csv",
                "--input",
                "misp.json",
                "--column",
                "domain",
                "--verbose",
            ],
            "r2",
        ),
        "respond with three inputs",
    );
    has(&r.stderr, "4 entries from text, CSV and MISP input");
    has(
        &r.stderr,
        "customers.csv: line 4: look like IP ranges (CIDR): 10.0.0.0/8",
    );
    has(&r.stderr, "2 duplicates merged");
    let shared = ok(finish(&env, &a, "r2", &["--reply", "r3"]), "finish").stdout;
    assert_eq!(shared, "evil.example\nc2.example\n198.51.100.7\n");
    let r = ok(finish(&env, &b, "r3", &["--format", "json"]), "finish r3");
    let j = json(&r.stdout);
    let e = &j["entries"];
    assert_eq!(e.as_array().unwrap().len(), 3, "{j}");
    assert_eq!(e[0]["value"], "evil[.]example");
    let from = e[0]["from"].as_array().unwrap();
    assert_eq!(from.len(), 3, "every source of evil.example: {j}");
    assert_eq!(from[0], serde_json::json!({"file": "bob.txt", "line": 2}));
    assert_eq!(
        from[1],
        serde_json::json!({"file": "customers.csv", "line": 3, "context": {"customer": "Globex", "contract": "silver"}})
    );
    assert_eq!(
        from[2],
        serde_json::json!({"file": "misp.json", "line": 2, "source": "a-2", "context": {"misp_type": "domain", "misp_event": "42"}})
    );
    assert_eq!(e[1]["value"], "c2.example");
    assert_eq!(e[1]["from"][0]["context"]["customer"], "ACME Bank");
    assert_eq!(e[2]["value"], "198.51.100.7");
    assert_eq!(e[2]["source"], "a-1");
    // Standard input once at most.
    let e = err(
        respond(&env, &b, &a, "r1", "-", &["--input", "-"], "r2b"),
        "respond with - twice",
    );
    has(&e, "standard input) is named more than once");
}

#[test]
fn preview_shows_how_a_defanged_list_is_read() {
    let env = Env::new();
    env.write(
        "iocs.txt",
        "# from the report\nhxxps://evil[.]example/login\nevil[.]example\nEVIL.example\n10.0.0.0/8\n\
         45.33.32.l56\nbob[at]mule[.]example\n192.0.2[.]1:443\n",
    );
    // No identity exists in this world: preview needs none, and keeps nothing.
    let r = env.ok(&["preview", "--input", "iocs.txt"]);
    let t = &r.stdout;
    has(t, "iocs.txt (text)");
    has(
        t,
        "6 entries to compare, kind auto: 1 domain, 1 email, 1 ip, 2 raw, 1 url",
    );
    has(t, "1 IP addresses with a port (compared without it)");
    has(t, "4 refanged");
    has(t, "1 duplicates merged");
    has(t, "2 near-misses, compared as written");
    has(t, "line 5: look like IP ranges (CIDR): 10.0.0.0/8");
    has(t, "line 6: look like IPv4 addresses with a typo: 45.33.32.l56");
    has(t, "domain line 3: evil[.]example (compared as evil.example)");
    assert!(!env.path("state/cosect").exists(), "preview kept state");
    assert!(!env.path("config/cosect").exists(), "preview made an identity");

    let j = json(
        env.ok(&["preview", "--input", "iocs.txt", "--json", "--expand-cidr", "256"])
            .stdout,
    );
    assert_eq!(
        j["inputs"][0],
        serde_json::json!({"file": "iocs.txt", "format": "text"})
    );
    assert_eq!(j["by_kind"]["domain"], 1);
    assert_eq!(j["adjusted"]["refanged"], 4);
    assert_eq!(j["near_misses"]["total"], 2, "{j}");
    assert_eq!(j["near_misses"]["each"][0]["at"], "line 5");
    assert_eq!(j["samples"]["email"][0]["compared_as"], "bob@mule.example");
    assert!(!j["mostly_raw"].as_bool().unwrap());
    // The same refusals as init.
    env.write("peer.pub", "cosect-v1 age1xyz abc\n");
    let e = err(env.run(&["preview", "--input", "peer.pub"]), "preview of a .pub");
    has(
        &e,
        "peer.pub: this is a public identity (a .pub file), not a list of entries",
    );
}

#[test]
fn finish_repeats_the_near_misses_of_ones_own_list() {
    let (env, a, b) = two_lists("evil.example\n10.0.0.0/8\n45.33.32.l56\n", "evil.example\n");
    ok(init(&env, &a, &b, "alice.txt", &[], "r1"), "init");
    ok(respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
    let r = ok(finish(&env, &a, "r2", &["--reply", "r3"]), "finish");
    has(
        &r.stderr,
        "warning: 2 entries of your list were compared as written, not as indicators",
    );
    has(&r.stderr, "1 look like IP ranges (CIDR)");
    has(
        &r.stderr,
        "`cosect preview --input alice.txt` lists them with their line",
    );
    let r = ok(finish(&env, &b, "r3", &[]), "finish r3");
    assert!(!r.stderr.contains("compared as written"), "{}", r.stderr);
}

/// `--url-hosts` on either side: the peer's domain meets a URL's host,
/// reported against the URL's own line.
#[test]
fn url_hosts_both_ways() {
    let urls = "# seen in the proxy\nhxxps://evil[.]example/path\nhttps://198.51.100.9:8443/x\n";
    let hosts = "evil.example\n198.51.100.9\nother.example\n";
    for initiator_widens in [true, false] {
        let (alice, bob) = if initiator_widens { (urls, hosts) } else { (hosts, urls) };
        let (env, a, b) = two_lists(alice, bob);
        let (wa, wb): (&[&str], &[&str]) = if initiator_widens {
            (&["--url-hosts"], &[])
        } else {
            (&[], &["--url-hosts"])
        };
        // Without it nothing meets: a URL is not a domain.
        ok(init(&env, &a, &b, "alice.txt", &[], "r0"), "init");
        ok(respond(&env, &b, &a, "r0", "bob.txt", &[], "r0b"), "respond");
        assert_eq!(ok(finish(&env, &a, "r0b", &["--reply", "r0c"]), "finish").stdout, "");
        let r = ok(init(&env, &a, &b, "alice.txt", wa, "r1"), "init");
        if initiator_widens {
            has(
                &r.stderr,
                "2 URLs whose host was added as a domain or IP entry (--url-hosts)",
            );
        }
        ok(respond(&env, &b, &a, "r1", "bob.txt", wb, "r2"), "respond");
        let ra = ok(finish(&env, &a, "r2", &["--reply", "r3", "--format", "json"]), "finish");
        let rb = ok(finish(&env, &b, "r3", &["--format", "json"]), "finish r3");
        let (widened, plain) = if initiator_widens {
            (json(ra.stdout), json(rb.stdout))
        } else {
            (json(rb.stdout), json(ra.stdout))
        };
        assert_eq!(widened["count"], 2, "{widened}");
        let e = &widened["entries"];
        assert_eq!(
            (&e[0]["kind"], &e[0]["value"]),
            (&"domain".into(), &"hxxps://evil[.]example/path".into())
        );
        assert_eq!(e[0]["from"][0]["line"], 2);
        assert_eq!(
            (&e[1]["kind"], &e[1]["value"]),
            (&"ip".into(), &"https://198.51.100.9:8443/x".into())
        );
        assert_eq!(e[1]["from"][0]["line"], 3);
        let p = &plain["entries"];
        assert_eq!(
            (&p[0]["value"], &p[1]["value"]),
            (&"evil.example".into(), &"198.51.100.9".into())
        );
    }
}

/// `--expand-cidr N` on either side: an address inside a /28 meets,
/// reported against the range's line; a larger range stays a near-miss.
#[test]
fn expand_cidr_both_ways() {
    let ranges = "203.0.113.32/28\n10.0.0.0/8\n";
    let addrs = "203.0.113.40\n203.0.113.47\n203.0.113.48\n10.1.2.3\n";
    for initiator_widens in [true, false] {
        let (alice, bob) = if initiator_widens {
            (ranges, addrs)
        } else {
            (addrs, ranges)
        };
        let (env, a, b) = two_lists(alice, bob);
        let flag: &[&str] = &["--expand-cidr", "256"];
        let (wa, wb): (&[&str], &[&str]) = if initiator_widens { (flag, &[]) } else { (&[], flag) };
        let r = ok(init(&env, &a, &b, "alice.txt", wa, "r1"), "init");
        let r2 = ok(respond(&env, &b, &a, "r1", "bob.txt", wb, "r2"), "respond");
        let said = if initiator_widens { r.stderr } else { r2.stderr };
        has(&said, "1 look like IP ranges (CIDR): compared as raw");
        has(&said, "1 IP ranges (CIDR) compared as their addresses (--expand-cidr)");
        let ra = ok(finish(&env, &a, "r2", &["--reply", "r3", "--format", "csv"]), "finish").stdout;
        let rb = ok(finish(&env, &b, "r3", &["--format", "csv"]), "finish r3").stdout;
        let (widened, plain) = if initiator_widens { (ra, rb) } else { (rb, ra) };
        let file = if initiator_widens { "alice.txt" } else { "bob.txt" };
        assert_eq!(
            widened,
            format!(
                "kind,value,file,line\r\nip,203.0.113.40 in 203.0.113.32/28,{file},1\r\n\
                 ip,203.0.113.47 in 203.0.113.32/28,{file},1\r\n"
            )
        );
        let other = if initiator_widens { "bob.txt" } else { "alice.txt" };
        assert_eq!(
            plain,
            format!("kind,value,file,line\r\nip,203.0.113.40,{other},1\r\nip,203.0.113.47,{other},2\r\n")
        );
    }
}

#[test]
fn csv_results_carry_each_rows_columns() {
    let (env, a, b) = two_lists("shop.example\nbank.example\nnobody.example\n", "");
    env.write(
        "customers.csv",
        "domain,customer,since\nbank.example,ACME Bank,2024\nshop.example,\"Globex, Inc.\",2025\nbank.example,Initech,2026\n",
    );
    ok(init(&env, &a, &b, "alice.txt", &[], "r1"), "init");
    ok(
        respond(&env, &b, &a, "r1", "customers.csv", &["--column", "domain"], "r2"),
        "respond",
    );
    ok(finish(&env, &a, "r2", &["--reply", "r3"]), "finish");
    let r = ok(finish(&env, &b, "r3", &["--format", "csv"]), "finish r3");
    assert_eq!(
        r.stdout,
        "kind,value,file,line,customer,since\r\n\
         domain,bank.example,customers.csv,2,ACME Bank,2024\r\n\
         domain,bank.example,customers.csv,4,Initech,2026\r\n\
         domain,shop.example,customers.csv,3,\"Globex, Inc.\",2025\r\n"
    );
    has(&r.stderr, "you share 2 of your 2 entries");
    // Where the entries came from stays home: in no bundle, in any form.
    for bundle in ["r1", "r2", "r3"] {
        let bytes = env.bytes(bundle);
        for secret in [
            "ACME Bank",
            "Globex",
            "Initech",
            "customers.csv",
            "alice.txt",
            "customer",
            "2024",
        ] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{bundle} holds {secret:?}"
            );
        }
    }
}

#[test]
fn publish_takes_several_inputs_and_column_needs_a_csv_among_them() {
    let env = Env::with_keys(&[("srv", "srv"), ("carol", "carol")]);
    env.write("a.txt", "evil.example\nshared.example\n");
    env.write(
        "b.json",
        r#"[{"type": "domain", "value": "Shared.example"}, {"type": "ip-dst", "value": "192.0.2.7"}]"#,
    );
    env.write("carol.txt", "192.0.2.7\nshared.example\nnone.example\n");
    let r = env.ok(&argv(
        "publish -i srv.id --state-dir st --input a.txt --input b.json -o cat",
    ));
    has(&r.stderr, "3 entries from text and MISP input");
    env.ok(&argv(
        "init -i carol.id --state-dir sc --catalog cat --peer srv.pub --input carol.txt -o q",
    ));
    env.ok(&argv("respond q -i srv.id --state-dir st --peer carol.pub -o ans"));
    let r = env.ok(&argv("finish ans -i carol.id --state-dir sc"));
    assert_eq!(r.stdout, "192.0.2.7\nshared.example\n");
    // Labels come from one file.
    let e = env.fails(
        &argv("publish -i srv.id --state-dir st --input a.txt --input b.json --labels -o cat2"),
        1,
    );
    has(&e, "labels are read from one --input");
    // --column with no CSV among the inputs says so.
    let e = env.fails(&argv("preview --input a.txt --input b.json --column domain"), 1);
    has(
        &e,
        "--column applies to CSV input, but none of the inputs was read as CSV",
    );
}
