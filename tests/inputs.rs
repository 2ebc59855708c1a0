//! Threat-intel inputs through the real binary: two identities, two state
//! directories, bundles passed as files. One side holds a STIX bundle, a
//! MISP export, a CSV asset list or a mixed text list; shared indicators
//! are written differently on each side; both sides must print exactly
//! the shared ones, each in its own spelling.

mod common;

use std::path::Path;
use std::process::Output;

use common::{has, stderr, stdout, succeeded, testdata, Env};

common::world!(
    /// Alice and Bob, each with a state directory, addressed by absolute paths.
    World
);

impl World {
    fn new() -> World {
        let w = World {
            env: Env::with_keys(&[("alice", "alice"), ("bob", "bob")]),
        };
        for d in ["alice-state", "bob-state"] {
            std::fs::create_dir(w.path(d)).unwrap();
        }
        w
    }

    fn p(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// `cosect HEAD… -i <who>.id --state-dir <who>-state REST…`, every file
    /// named by its absolute path.
    fn as_party(&self, who: &str, head: &[&str], rest: &[&str]) -> Output {
        let (id, st) = (self.p(&format!("{who}.id")), self.p(&format!("{who}-state")));
        self.run(&[head, &["-i", &id, "--state-dir", &st], rest].concat())
    }

    /// Alice's `init` for Bob from `input`, writing `r1.cbor`; must succeed.
    fn init(&self, input: &Path, extra: &[&str]) -> Output {
        succeeded(&["init"], self.init_run(input, extra))
    }

    /// Alice's `init` for Bob from `input`, writing `r1.cbor`.
    fn init_run(&self, input: &Path, extra: &[&str]) -> Output {
        let (peer, out, input) = (self.p("bob.pub"), self.p("r1.cbor"), input.display().to_string());
        let flags = ["--peer", &peer, "-o", &out, "--input", &input, "--no-encrypt"];
        self.as_party("alice", &["init"], &[&flags, extra].concat())
    }

    /// Bob's `respond` to `r1.cbor` from `input`, writing `r2.cbor`.
    fn respond(&self, input: &Path, extra: &[&str]) -> Output {
        let (r1, peer, out) = (self.p("r1.cbor"), self.p("alice.pub"), self.p("r2.cbor"));
        let input = input.display().to_string();
        let flags = ["--peer", &peer, "-o", &out, "--input", &input, "--no-encrypt"];
        self.as_party("bob", &["respond", &r1], &[&flags, extra].concat())
    }

    /// `finish` as `who` with `bundle`, printing `format`; must succeed.
    fn finish(&self, who: &str, bundle: &str, extra: &[&str], format: &str) -> Output {
        let bundle = self.p(bundle);
        let out = self.as_party(who, &["finish", &bundle], &[extra, &["--format", format]].concat());
        succeeded(&["finish", &bundle], out)
    }

    /// A whole exchange of the `testdata/` files `a` (Alice) and `b` (Bob);
    /// returns (Alice's output, Bob's output, Alice's init stderr, Bob's
    /// respond stderr).
    /// Each exchange in a world of its own.
    fn exchange(a: &str, a_extra: &[&str], b: &str, b_extra: &[&str], format: &str) -> [String; 4] {
        let w = World::new();
        w.exchange_here(a, a_extra, b, b_extra, format)
    }

    fn exchange_here(&self, a: &str, a_extra: &[&str], b: &str, b_extra: &[&str], format: &str) -> [String; 4] {
        let init = self.init(&testdata(a), a_extra);
        let resp = succeeded(&["respond"], self.respond(&testdata(b), b_extra));
        let fa = self.finish("alice", "r2.cbor", &["--reply", &self.p("r3.cbor")], format);
        let fb = self.finish("bob", "r3.cbor", &[], format);
        [stdout(&fa), stdout(&fb), stderr(&init), stderr(&resp)]
    }
}

/// Exit status 1; stderr returned.
fn exit_1(args: &[&str], out: Output) -> String {
    assert_eq!(out.status.code(), Some(1), "cosect {args:?}: {out:?}");
    String::from_utf8(out.stderr).unwrap()
}

fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

const STIX_SHARED: [&str; 8] = [
    "LOGIN-MicrosoftOnline.example-auth.com.",
    "c2-beacon-17.example.ru",
    "198.51.100.23",
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "44D88612FEA8A8F36DE82E1278ABB02F",
    "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
    "billing@Invoice-Portal.example.biz",
    "http://secure-paypal-verify.example.net/login.php",
];

#[test]
fn stix_against_misp_event() {
    let [a, b, init_err, resp_err] = World::exchange("feed.stix.json", &[], "misp-event.json", &[], "text");
    assert_eq!(lines(&a), STIX_SHARED);
    assert_eq!(
        lines(&b),
        [
            "login-microsoftonline.example-auth.com",
            "C2-BEACON-17.EXAMPLE.RU.",
            "198.51.100.23",
            "2001:db8:85a3::8a2e:370:7334",
            "billing@invoice-portal.example.biz",
            "http://secure-paypal-verify.example.net/login.php",
            "44d88612fea8a8f36de82e1278abb02f",
            "275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F",
        ]
    );
    // The stderr summaries: format, kinds, and what was skipped.
    has(
        &init_err,
        "12 entries from STIX 2.1 input, kind auto (4 domain, 3 ip, 1 url, 3 hash, 1 email)",
    );
    has(&init_err, "skipped 2: 2 unusable STIX patterns");
    has(&resp_err, "entries from MISP input, kind auto");
    has(&resp_err, "1 deleted MISP attributes");
    has(&resp_err, "2 MISP attributes of types not compared");
}

#[test]
fn json_output_names_kind_and_source() {
    let [a, b, ..] = World::exchange(
        "misp-event.json",
        &["--input-format", "misp"],
        "feed.stix.json",
        &["--input-format", "stix", "--verbose"],
        "json",
    );
    let a: serde_json::Value = serde_json::from_str(&a).unwrap();
    let b: serde_json::Value = serde_json::from_str(&b).unwrap();
    assert_eq!(a["count"], 8);
    assert_eq!(b["count"], 8);
    assert_eq!(a["kind"], "auto");
    assert_eq!(
        a["entries"][0],
        serde_json::json!({"kind": "domain", "value": "login-microsoftonline.example-auth.com",
                           "source": "c0a1b2c3-d4e5-4f60-8a71-b2c3d4e5f601",
                           "from": [{"file": testdata("misp-event.json").display().to_string(), "line": 1,
                                     "source": "c0a1b2c3-d4e5-4f60-8a71-b2c3d4e5f601",
                                     "context": {"misp_type": "domain"}}]})
    );
    assert_eq!(
        b["entries"][5]["source"], "indicator--a9b7d3c1-2e4f-4a6b-8c9d-0e1f2a3b4c03",
        "{b}"
    );
    assert_eq!(
        b["entries"][5]["value"],
        "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
    );
    assert_eq!(
        b["entries"][5]["from"][0]["source"],
        "indicator--a9b7d3c1-2e4f-4a6b-8c9d-0e1f2a3b4c03"
    );
    let kinds: Vec<&str> = b["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["domain", "domain", "ip", "ip", "hash", "hash", "email", "url"]);
}

#[test]
fn stix_against_csv_and_csv_against_misp() {
    let [a, b, _, resp_err] = World::exchange("feed.stix.json", &[], "assets.csv", &["--column", "ip"], "csv");
    let td = |s: &str| {
        s.replace(
            &format!("{}/", testdata("").display().to_string().trim_end_matches('/')),
            "TD/",
        )
    };
    assert_eq!(
        td(&a),
        "kind,value,source,file,line\r\n\
         ip,198.51.100.23,indicator--1f6e0c0a-5b8e-4a53-9d8f-3c0c7f1e9a01,TD/feed.stix.json,4\r\n\
         ip,2001:0db8:85a3:0000:0000:8a2e:0370:7334,indicator--f3a1cb4e-9a7a-4a5c-8c0b-2d9a7c1e6b02,TD/feed.stix.json,5\r\n"
    );
    // The CSV's other columns come back with each shared address: whose it is.
    assert_eq!(
        td(&b),
        "kind,value,file,line,hostname,owner,notes\r\n\
         ip,198.51.100.23,TD/assets.csv,3,Login-MicrosoftOnline.Example-Auth.COM,\"Payroll, Inc.\",\
         \"lookalike we registered; \"\"parked\"\"\"\r\n\
         ip,2001:DB8:85A3:0:0:8A2E:370:7334,TD/assets.csv,4,mail.acme-corp.example.com.,ACME,mail relay\r\n"
    );
    has(&resp_err, "5 entries from CSV input, kind auto (5 ip)");

    // A fixed --kind on the initiator; the MISP responder adopts it and
    // reports the entries of other kinds it skipped.
    let [a, b, _, resp_err] = World::exchange(
        "assets.csv",
        &["--column", "hostname", "--kind", "domain"],
        "misp-event.json",
        &[],
        "text",
    );
    assert_eq!(a, "Login-MicrosoftOnline.Example-Auth.COM\n");
    assert_eq!(b, "login-microsoftonline.example-auth.com\n");
    has(&resp_err, "entries of another kind than --kind");
}

#[test]
fn mixed_text_against_stix_and_misp() {
    let shared_text = [
        "Login-MicrosoftOnline.Example-Auth.COM",
        "198.51.100.23",
        "44D88612FEA8A8F36DE82E1278ABB02F",
        "billing@INVOICE-PORTAL.example.biz",
        "http://secure-paypal-verify.example.net/login.php",
    ];
    let [a, b, init_err, _] = World::exchange("mixed-iocs.txt", &[], "feed.stix.json", &[], "text");
    assert_eq!(lines(&a), shared_text);
    assert_eq!(
        lines(&b),
        [
            STIX_SHARED[0],
            STIX_SHARED[2],
            STIX_SHARED[4],
            STIX_SHARED[6],
            STIX_SHARED[7]
        ]
    );
    has(
        &init_err,
        "12 entries from text input, kind auto (2 domain, 3 ip, 1 url, 2 hash, 2 email, 2 raw)",
    );
    let [a, b, ..] = World::exchange("misp-event.json", &[], "mixed-iocs.txt", &[], "text");
    assert_eq!(
        lines(&a),
        [
            "login-microsoftonline.example-auth.com",
            "198.51.100.23",
            "billing@invoice-portal.example.biz",
            "http://secure-paypal-verify.example.net/login.php",
            "44d88612fea8a8f36de82e1278abb02f",
        ]
    );
    assert_eq!(lines(&b), shared_text);
}

#[test]
fn misp_attribute_list_against_stix() {
    let [a, b, ..] = World::exchange("misp-attributes.json", &[], "feed.stix.json", &[], "text");
    assert_eq!(
        lines(&a),
        [
            "Login-MicrosoftOnline.Example-Auth.com",
            "203.0.113.77",
            "3395856ce81f2b7382dee72602f798b642f14140"
        ]
    );
    assert_eq!(
        lines(&b),
        [
            "LOGIN-MicrosoftOnline.example-auth.com.",
            "203.0.113.77",
            "3395856CE81F2B7382DEE72602F798B642F14140"
        ]
    );
}

#[test]
fn kind_mismatch_is_refused_at_respond() {
    let w = World::new();
    let list = w.path("list.txt");
    std::fs::write(&list, "evil.example\n192.0.2.1\n").unwrap();
    w.init(&list, &["--kind", "raw"]);
    let inspect = w.ok(&["inspect", &w.p("r1.cbor"), "--json"]);
    let inspect: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(inspect["kind"], "raw");
    let err = exit_1(&["respond"], w.respond(&list, &["--kind", "auto"]));
    has(&err, "your peer built round 1 with --kind raw, you passed --kind auto");
    has(&err, "hint: drop --kind");
    assert!(!w.path("r2.cbor").exists());

    let w = World::new();
    w.init(&list, &[]);
    let inspect = w.ok(&["inspect", &w.p("r1.cbor")]);
    assert!(String::from_utf8_lossy(&inspect.stdout).contains("kind auto"));
    let err = exit_1(&["respond"], w.respond(&list, &["--kind", "domain"]));
    has(&err, "with --kind auto, you passed --kind domain");
    // The same setting is accepted.
    succeeded(&["respond"], w.respond(&list, &["--kind", "auto"]));
}

#[test]
fn bad_json_and_csv_name_file_and_position() {
    let w = World::new();
    let init_err = |input: &Path, extra: &[&str]| {
        let err = exit_1(&["init"], w.init_run(input, extra));
        assert!(!w.path("r1.cbor").exists());
        err
    };
    let event = std::fs::read_to_string(testdata("misp-event.json")).unwrap();
    let json = w.path("cut.json");
    std::fs::write(
        &json,
        event.replace("\"uuid\": \"c0a1b2c3-d4e5-4f60-8a71-b2c3d4e5f603\",", "\"uuid\" \"x\","),
    )
    .unwrap();
    let err = init_err(&json, &[]);
    assert!(
        err.contains(&format!("{}: invalid JSON at line 18, column", json.display())),
        "{err}"
    );
    let csv = w.path("bad.csv");
    std::fs::write(&csv, b"host,ip\na.example,192.0.2.1\nb.example,192.0.2.300\n").unwrap();
    let err = init_err(&csv, &["--column", "ip", "--kind", "ip"]);
    assert!(
        err.contains(&format!(
            "{}: line 3: not an IPv4 or IPv6 address: 192.0.2.300",
            csv.display()
        )),
        "{err}"
    );
    std::fs::write(&csv, b"host,ip\na.example,192.0.2.1\n\xffb.example,192.0.2.3\n").unwrap();
    let err = init_err(&csv, &["--column", "2"]);
    has(&err, "bad.csv: line 3 is not valid UTF-8");
    let err = init_err(&csv, &[]);
    has(&err, "this looks like CSV");
    let err = init_err(&testdata("feed.stix.json"), &["--input-format", "misp"]);
    has(&err, "this is STIX 2.1 JSON, not MISP");
    let err = init_err(&testdata("feed.stix.json"), &["--column", "hostname"]);
    has(
        &err,
        "--column applies to CSV input, but this input is read as JSON (STIX or MISP)",
    );
}

#[test]
fn completions_for_each_shell() {
    let w = World::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = w.ok(&["completions", shell]);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("input-format"), "{shell}");
    }
    assert_eq!(w.run(&["completions", "tcsh"]).status.code(), Some(2));
}
