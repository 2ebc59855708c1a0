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
    let at = r1.windows(3).position(|w| w == b"v=2").expect("content type");
    for (v, sentence) in [
        (
            b'1',
            "bundle format version 1 is older than this cosect's (2); it is not read",
        ),
        (b'3', "unknown bundle format version 3; upgrade cosect?"),
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
