//! Where doc/bundle-format.md quotes what the binary says, the binary says
//! it word for word: each case runs the binary into one refusal, and the
//! sentence it must print is looked up in the spec (white space and line
//! breaks collapsed), so neither can change without the other.

mod common;

use common::{has, ok, round1, Env};

/// The spec's text with every run of white space as one space.
fn spec() -> String {
    let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/bundle-format.md")).unwrap();
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `sentence` is quoted in the spec and is in the binary's `stderr`.
fn agree(stderr: &str, sentence: &str) {
    let doc = spec();
    assert!(
        doc.contains(sentence),
        "doc/bundle-format.md does not quote {sentence:?}"
    );
    has(stderr, sentence);
}

fn respond(env: &Env, b: &common::Party, a: &common::Party, file: &str) -> String {
    common::err(common::respond(env, b, a, file, "bob.txt", &[], "r2x"), "respond")
}

#[test]
fn a_round_2_given_to_respond_is_named_as_the_spec_says() {
    let (env, a, b) = round1("one\ntwo\n", "two\nthree\n");
    ok(common::respond(&env, &b, &a, "r1", "bob.txt", &[], "r2"), "respond");
    // Alice feeds Bob's round 2 to respond (§8.2 step 10).
    let e = respond(&env, &a, &b, "r2");
    agree(
        &e,
        "this is a round 2, and `respond` takes a round 1 or a catalog query",
    );
    agree(
        &e,
        "the initiator finishes with it: `cosect finish` (check which file you passed)",
    );
}

#[test]
fn another_format_version_in_the_content_type_is_named_as_the_spec_says() {
    let (env, a, b) = round1("one\ntwo\n", "two\nthree\n");
    let r1 = env.bytes("r1");
    let at = r1.windows(3).position(|w| w == b"v=3").expect("content type");
    for (v, sentence) in [
        (
            b'1',
            "bundle format version 1 is older than this cosect's (3); it is not read",
        ),
        (b'4', "unknown bundle format version 4; upgrade cosect?"),
    ] {
        let mut other = r1.clone();
        other[at + 2] = v;
        env.write("other", &other);
        // §3 step 9 quotes the sentence with N for the version.
        let generic = sentence.replace(&format!("version {}", v as char), "version N");
        agree(&respond(&env, &b, &a, "other").replace(sentence, &generic), &generic);
    }
}

#[test]
fn several_bundles_and_a_one_part_bundle_are_named_as_the_spec_says() {
    let (env, a, b) = round1("one\ntwo\n", "two\nthree\n");
    let c = env.party("carol", "Carol");
    ok(
        common::init(&env, &a, &c, "alice.txt", &["--armor"], "r1c.asc"),
        "init for carol",
    );
    ok(
        common::init(&env, &a, &c, "alice.txt", &["--armor"], "r1d.asc"),
        "init for carol",
    );
    env.write("two.txt", format!("{}\n{}", env.read("r1c.asc"), env.read("r1d.asc")));
    agree(
        &respond(&env, &b, &a, "two.txt"),
        "and none of them is encrypted and addressed to you",
    );
    ok(
        common::init(&env, &a, &b, "alice.txt", &["--split", "10K"], "r1s"),
        "init --split",
    );
    let mut part = env.bytes("r1s.part-1-of-1");
    part.push(b'\n');
    env.write("changed.part-1-of-1", &part);
    agree(
        &respond(&env, &b, &a, "changed.part-1-of-1"),
        "and its bytes do not match the size and SHA-256 its header names (it was cut short or changed)",
    );
}

/// Alice's round 1 `r1` (plain), its payload changed by `f`, signed again
/// with her real key: what a peer's own code could send.
fn resealed(env: &Env, f: impl FnOnce(&mut cosect::bundle::Payload)) -> Vec<u8> {
    resealed_from(env, "r1", f)
}

/// Alice's plain bundle `file` to Bob, changed by `f` and signed again.
fn resealed_from(env: &Env, file: &str, f: impl FnOnce(&mut cosect::bundle::Payload)) -> Vec<u8> {
    use cosect::bundle::{seal, Envelope, Opened};
    use cosect::identity::Identity;
    let id = |who: &str| Identity::parse(&env.read(&format!("{who}.id"))).unwrap();
    let opened = Opened::open(env.bytes(file), None).unwrap();
    let mut p = opened.payload.clone();
    f(&mut p);
    seal(p, &id("alice"), &id("bob").public(), Envelope::Plain).to_vec()
}

#[test]
fn times_at_the_edges_behave_as_the_spec_says() {
    let (env, a, b) = round1("one\ntwo\n", "two\nthree\n");
    // Expired and expiring before it was created: the second sentence wins.
    env.write(
        "backwards",
        resealed(&env, |p| {
            p.created = 1_578_441_600; // 2020-01-08
            p.expires = 1_577_836_800; // 2020-01-01
        }),
    );
    let e = respond(&env, &b, &a, "backwards");
    has(
        &e,
        "it expires (2020-01-01T00:00:00Z) before it was created (2020-01-08T00:00:00Z)",
    );
    assert!(!e.contains("expired at"), "{e}");
    assert!(spec().contains("it expires (T1) before it was created (T2)"));
    // created = expires = 2^64 - 1: not expired, and answered.
    env.write(
        "forever",
        resealed(&env, |p| {
            p.created = u64::MAX;
            p.expires = u64::MAX;
        }),
    );
    let i = env.ok(&["inspect", "forever", "--json"]);
    let j = common::json(&i.stdout);
    assert_eq!(j["expires"], "9999-12-31T23:59:59Z", "{}", i.stdout);
    assert_eq!(j["expired"], false);
    ok(
        common::respond(&env, &b, &a, "forever", "bob.txt", &[], "r2f"),
        "respond to a bundle that never expires",
    );
    let again = ok(common::respond(&env, &b, &a, "forever", "bob.txt", &[], "r2g"), "again");
    has(&again.stderr, "this very bundle was answered on");
    assert_eq!(env.bytes("r2f"), env.bytes("r2g"));
}

#[test]
fn an_identity_element_in_a_query_is_named_as_one_of_the_query() {
    let (env, a, b) = common::two_lists("one.example\ntwo.example\n", "two.example\nthree.example\n");
    ok(
        env.run(&common::argv(&format!(
            "publish -i {} --state-dir {} --input bob.txt -o catalog.cbor",
            b.id, b.state
        ))),
        "publish",
    );
    ok(
        env.run(&common::argv(&format!(
            "init -i {} --state-dir {} --catalog catalog.cbor --peer {} --input alice.txt --no-encrypt -o q",
            a.id, a.state, b.public
        ))),
        "init --catalog",
    );
    env.write("q0", resealed_from(&env, "q", |p| p.points[..32].fill(0)));
    let e = common::err(
        env.run(&common::argv(&format!(
            "respond q0 -i {} --state-dir {} --peer {}",
            b.id, b.state, a.public
        ))),
        "respond to a query with the identity",
    );
    has(&e, "q0: element 0 of the query is the identity element");
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/catalog-format.md")).unwrap();
    let doc = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(doc.contains("element I of the query is the identity element"));
}

#[test]
fn carrier_sentences_are_the_ones_the_spec_quotes() {
    let (env, a, b) = round1("one\ntwo\n", "two\nthree\n");
    let c = env.party("carol", "Carol");
    // Encrypted to Carol, read by Bob; read without an identity.
    ok(
        common::init(&env, &a, &c, "alice.txt", &["--armor"], "r1c.asc"),
        "init for carol",
    );
    agree(
        &respond(&env, &b, &a, "r1c.asc"),
        "cannot decrypt the bundle: it is not encrypted to your identity",
    );
    let r = env.run(&["inspect", "r1c.asc"]);
    agree(
        &r.stderr,
        "the bundle is encrypted; pass your identity with -i to read it",
    );
    // Armor with a character that is not base64.
    let asc = env.read("r1c.asc").replacen("-----\n", "-----\n*", 1);
    env.write("bad.asc", asc);
    agree(
        &respond(&env, &b, &a, "bad.asc"),
        "the armored text is damaged: it holds a character that is not base64",
    );
    // A mail with nothing in it.
    env.write("empty.eml", "From: a@example.org\nSubject: hi\n\nnothing here\n");
    agree(
        &respond(&env, &b, &a, "empty.eml"),
        "it is a mail with no cosect bundle in its text or attachments",
    );
    // One part of several, alone.
    let big: String = (0..400).map(|i| format!("host{i}.example\n")).collect();
    env.write("big.txt", big);
    ok(
        common::init(&env, &a, &b, "big.txt", &["--split", "4K"], "r1p"),
        "init --split",
    );
    let n = env.names_starting("r1p.part-").len();
    assert!(n >= 2, "{n} parts");
    let e = respond(&env, &b, &a, &format!("r1p.part-2-of-{n}"));
    has(&e, &format!("this is part 2 of {n} of bundle"));
    agree(&e, ", not a whole bundle");
    assert!(spec().contains("\"this is part 2 of 4 of bundle …, not a whole bundle\""));
}
