//! What carriers do to bundles, through the binary: encryption by default,
//! armor mangled by mail, saved mails (.eml made by Python's `email`),
//! bundles split into parts, and files that are no bundle at all.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{argv, have_tool, Env};
use common::{has, ok, two_lists, Party};

fn init(env: &Env, a: &Party, b: &Party, extra: &str) -> common::Run {
    let line = format!(
        "init -i {} --state-dir {} --peer {} --input alice.txt {extra}",
        a.id, a.state, b.public
    );
    env.run(&argv(&line))
}

fn respond(env: &Env, b: &Party, a: &Party, state: &str, r1: &str, extra: &str) -> common::Run {
    let line = format!(
        "respond {r1} -i {} --state-dir {state} --peer {} --input bob.txt {extra}",
        b.id, a.public
    );
    env.run(&argv(&line))
}

fn finish(env: &Env, p: &Party, state: &str, bundle: &str, extra: &str) -> common::Run {
    env.run(&argv(&format!(
        "finish {bundle} -i {} --state-dir {state} {extra}",
        p.id
    )))
}

const AGE: &[u8] = b"age-encryption.org/v1\n";

#[test]
fn defaults_only_encrypt_every_round_and_plain_age_names_are_refused() {
    let (env, a, b) = two_lists("one\ntwo\nthree\n", "three\nfour\none\n");
    ok(init(&env, &a, &b, "-o r1"), "init");
    ok(respond(&env, &b, &a, &b.state, "r1", "-o r2"), "respond");
    // An unencrypted round 3 under a name that says .age: refused first.
    let e = finish(&env, &a, &a.state, "r2", "--reply r3.age --no-encrypt -o shared.txt");
    assert_eq!(e.code, 1);
    has(
        &e.stderr,
        "refusing to write an unencrypted bundle to a name ending in .age",
    );
    env.assert_absent("r3.age");
    let r = ok(finish(&env, &a, &a.state, "r2", "--reply r3 -o shared.txt"), "finish");
    has(&r.stderr, "age-encrypted");
    ok(finish(&env, &b, &b.state, "r3", "-o shared-b.txt"), "finish r3");
    for f in ["r1", "r2", "r3"] {
        assert!(env.bytes(f).starts_with(AGE), "{f} is not age-encrypted");
    }
    assert_eq!(env.read("shared.txt"), "one\nthree\n");
    assert_eq!(env.read("shared-b.txt"), "three\none\n", "Bob's order");
    let e = init(&env, &a, &b, "--no-encrypt -o again.age");
    has(&e.stderr, "ending in .age");
    env.assert_absent("again.age");
    // --encrypt stays accepted; --no-encrypt with --armor is a usage error.
    ok(init(&env, &a, &b, "--encrypt -o r1b"), "init --encrypt");
    assert_eq!(init(&env, &a, &b, "--no-encrypt --armor -o r1c").code, 2);
}

/// The armored text `asc` as mail programs leave it.
fn mangled(asc: &str) -> Vec<(&'static str, String)> {
    let rewrap = |width: usize| -> String {
        let body: String = asc.lines().filter(|l| !l.starts_with("-----")).collect();
        let lines: Vec<String> = body
            .as_bytes()
            .chunks(width)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect();
        format!(
            "-----BEGIN AGE ENCRYPTED FILE-----\n{}\n-----END AGE ENCRYPTED FILE-----\n",
            lines.join("\n")
        )
    };
    vec![
        ("quoted", asc.lines().map(|l| format!("> {l}\n")).collect()),
        ("quoted twice", asc.lines().map(|l| format!(">> > {l}\n")).collect()),
        ("indented", asc.lines().map(|l| format!("    {l}\n")).collect()),
        (
            "trailing spaces, CRLF",
            asc.lines().map(|l| format!("{l}  \t\r\n")).collect(),
        ),
        ("re-wrapped at 76", rewrap(76)),
        ("re-wrapped at 20", rewrap(20)),
        (
            "greeting and signature",
            format!("Hi Alice,\n\nmy answer:\n\n{asc}\n-- \nBob\nBob MSSP\n"),
        ),
    ]
}

#[test]
fn armor_mangled_by_mail_is_read_and_damage_gets_a_carrier_hint() {
    let (env, a, b) = two_lists("one\ntwo\nthree\n", "three\nfour\none\n");
    ok(init(&env, &a, &b, "--armor -o r1.asc"), "init");
    let asc = env.read("r1.asc");
    for (i, (how, text)) in mangled(&asc).into_iter().enumerate() {
        env.write("pasted.txt", &text);
        let st = format!("sb{i}");
        let r = respond(&env, &b, &a, &st, "pasted.txt", &format!("-o r2-{i}"));
        assert_eq!(r.code, 0, "{how}: {}", r.stderr);
    }
    // Lines lost in the middle: the hint is about the carrier, not age.
    let lines: Vec<&str> = asc.lines().collect();
    let cut = [&lines[..2], &lines[4..]].concat().join("\n");
    env.write("cut.txt", &cut);
    let r = respond(&env, &b, &a, "sbx", "cut.txt", "-o r2x");
    assert_eq!(r.code, 1);
    has(&r.stderr, "cut.txt");
    has(&r.stderr, "attach the bundle file instead of pasting it");
    env.assert_absent("r2x");
}

/// Write `name`.eml with Python's `email` package running `script`
/// (which sees `msg_file(path)`, `EmailMessage` and `policy`). False when
/// python3 is missing.
fn python_mail(env: &Env, script: &str) -> bool {
    if !have_tool("python3", Command::new("python3").arg("--version")) {
        return false;
    }
    let prelude = "from email.message import EmailMessage\nfrom email import policy\nimport email.mime.text, email.mime.multipart, email.mime.application, email.mime.message\n\
def head(m):\n    m['From'] = 'Bob <bob@example.org>'\n    m['To'] = 'Alice <alice@example.org>'\n    m['Subject'] = 'round 2'\n    return m\n";
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!("{prelude}{script}"))
        .current_dir(env.root())
        .output()
        .unwrap();
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    true
}

#[test]
fn saved_mails_are_read_and_several_bundles_are_named() {
    let (env, a, b) = two_lists("one\ntwo\nthree\n", "three\nfour\none\n");
    ok(init(&env, &a, &b, "-o r1.age"), "init");
    ok(init(&env, &a, &b, "--armor -o r1.asc"), "init armored");
    let made = python_mail(
        &env,
        r#"
m = head(EmailMessage())
m.set_content('Hi Bob, round 1 is attached.\n')
m.add_attachment(open('r1.age','rb').read(), maintype='application', subtype='octet-stream', filename='r1.age')
open('attached.eml','wb').write(m.as_bytes())

q = head(EmailMessage())
q.set_content('Gr\u00fc\u00dfe,\n\n' + open('r1.asc').read() + '\n-- \nAlice\n', cte='quoted-printable')
open('qp.eml','wb').write(q.as_bytes())

inner = head(email.mime.multipart.MIMEMultipart('mixed'))
inner.attach(email.mime.text.MIMEText('see attachment'))
inner.attach(email.mime.application.MIMEApplication(open('r1.age','rb').read(), Name='r1.age'))
alt = email.mime.multipart.MIMEMultipart('alternative')
alt.attach(email.mime.text.MIMEText('forwarded'))
alt.attach(email.mime.text.MIMEText('<p>forwarded</p>', 'html'))
outer = head(email.mime.multipart.MIMEMultipart('mixed'))
outer.attach(alt)
outer.attach(email.mime.message.MIMEMessage(inner))
open('nested.eml','wb').write(outer.as_bytes())

two = head(EmailMessage())
two.set_content('two rounds')
two.add_attachment(open('r1.age','rb').read(), maintype='application', subtype='octet-stream', filename='r1.age')
two.add_attachment(open('r1.asc','rb').read(), maintype='application', subtype='octet-stream', filename='r1.asc')
open('two.eml','wb').write(two.as_bytes())

dup = head(EmailMessage())
dup.set_content('Hi Bob, here it is, also attached:\n\n' + open('r1.asc').read())
dup.add_attachment(open('r1.asc','rb').read(), maintype='application', subtype='octet-stream', filename='r1.asc')
open('same-twice.eml','wb').write(dup.as_bytes())
"#,
    );
    if !made {
        return;
    }
    assert!(
        env.read("qp.eml").contains("quoted-printable"),
        "the body is quoted-printable"
    );
    // The same bundle armored in the text and attached counts once.
    for (i, mail) in ["attached.eml", "qp.eml", "nested.eml", "same-twice.eml"]
        .iter()
        .enumerate()
    {
        let r = respond(&env, &b, &a, &format!("sb{i}"), mail, &format!("-o r2-{i}"));
        assert_eq!(r.code, 0, "{mail}: {}", r.stderr);
    }
    let r = respond(&env, &b, &a, "sbt", "two.eml", "-o r2t");
    assert_eq!(r.code, 1);
    has(
        &r.stderr,
        "two.eml: the mail holds 2 bundles (attachment r1.age, attachment r1.asc)",
    );
    env.assert_absent("r2t");
}

#[test]
fn a_split_round_1_crosses_as_shuffled_parts() {
    let alice: String = (0..30_000).map(|i| format!("host{i}.example\n")).collect();
    let bob: String = (0..30_000).step_by(3).map(|i| format!("host{i}.example\n")).collect();
    let (env, a, b) = two_lists(&alice, &bob);
    let r = ok(init(&env, &a, &b, "--armor --split 200K -o r1.asc"), "init --split");
    let mut parts = env.names_starting("r1.asc.part-");
    assert!(parts.len() >= 5, "{parts:?}");
    let n = parts.len();
    has(
        &r.stderr,
        &format!("written to r1.asc.part-1-of-{n} … r1.asc.part-{n}-of-{n} ({n} parts)"),
    );
    for p in &parts {
        assert!(env.bytes(p).len() <= 200 * 1024, "{p} is larger than 200K");
        assert!(p.ends_with(&format!("-of-{n}")), "{p}");
    }
    // One part alone: inspect says what it is part of; respond refuses it.
    let one = env.ok(&["inspect", &format!("r1.asc.part-2-of-{n}")]);
    has(&one.stdout, &format!("part 2 of {n} of bundle"));
    let line = format!(
        "respond r1.asc.part-1-of-{n} -i {} --state-dir sb1 --peer {} --input bob.txt -o r2one",
        b.id, a.public
    );
    let r = env.run(&argv(&line));
    has(&r.stderr, &format!("this is part 1 of {n} of bundle"));
    has(&r.stderr, &format!("pass all {n} parts together"));
    // A missing part is named.
    let missing = format!("r1.asc.part-3-of-{n}");
    let some: Vec<&str> = parts.iter().map(|s| s.as_str()).filter(|p| *p != missing).collect();
    let line = format!(
        "respond {} -i {} --state-dir sbm --peer {} --input bob.txt -o r2m",
        some.join(" "),
        b.id,
        a.public
    );
    let r = env.run(&argv(&line));
    assert_eq!(r.code, 1);
    has(&r.stderr, &format!("part 3 of {n} is missing"));
    env.assert_absent("r2m");
    // Shuffled, all of them: the exchange finishes exactly.
    parts.sort();
    parts.rotate_left(2);
    parts.swap(0, n - 1);
    let line = format!(
        "respond {} -i {} --state-dir {} --peer {} --input bob.txt --split 100K -o r2",
        parts.join(" "),
        b.id,
        b.state,
        a.public
    );
    ok(env.run(&argv(&line)), "respond with parts");
    let mut r2 = env.names_starting("r2.part-");
    assert!(r2.len() >= 2, "{r2:?}");
    r2.reverse();
    let line = format!(
        "finish {} -i {} --state-dir {} --reply r3 -o shared.txt",
        r2.join(" "),
        a.id,
        a.state
    );
    ok(env.run(&argv(&line)), "finish with parts");
    assert_eq!(env.read("shared.txt"), bob);
}

/// `respond` refuses `file` naming `why`, well within a generous bound (a
/// refusal, not a speed test: before the fix these took minutes).
fn refused_at_once(env: &Env, a: &Party, b: &Party, file: &str, why: &str) {
    let t = Instant::now();
    let r = respond(env, b, a, &b.state, file, "-o r2");
    assert!(t.elapsed() < Duration::from_secs(10), "took {:?}", t.elapsed());
    assert_eq!(r.code, 1);
    has(&r.stderr, why);
    env.assert_absent("r2");
}

#[test]
fn a_huge_age_header_and_a_large_non_bundle_are_refused_at_once() {
    let (env, a, b) = two_lists("one\n", "one\n");
    // One stanza with a 130 KB body: age alone would spend many seconds.
    let mut f = b"age-encryption.org/v1\n-> X25519 aaaa\n".to_vec();
    let line = [&[b'A'; 64][..], b"\n"].concat();
    while f.len() < 130_000 {
        f.extend_from_slice(&line);
    }
    f.extend_from_slice(b"--- abcd\nxxxx");
    env.write("huge.age", &f);
    let why = "huge.age: cannot decrypt the bundle: its age header is larger than 16 KiB";
    refused_at_once(&env, &a, &b, "huge.age", why);
    let r = env.run(&["inspect", "huge.age", "-i", &b.id]);
    has(&r.stderr, "larger than 16 KiB");

    // 4 GiB of zeros (sparse): refused from its first bytes.
    let big = std::fs::File::create(env.path("big.bin")).unwrap();
    big.set_len(4 << 30).unwrap();
    let why = "big.bin: not a valid cosect bundle: it is not a COSE_Sign1 message";
    refused_at_once(&env, &a, &b, "big.bin", why);
    // 65 MB of text that holds no bundle: refused after its first MiB.
    env.write("text.txt", "not a bundle\n".repeat(5 << 20));
    let r = env.run(&["inspect", "text.txt", "-i", &a.id]);
    has(&r.stderr, "text.txt: this is a text file (a list?), not a bundle");
}

#[test]
fn a_catalog_encrypted_to_several_clients_is_read_by_each() {
    let env = Env::new();
    let cert = env.party("cert", "CERT");
    let carol = env.party("carol", "Carol");
    let dave = env.party("dave", "Dave");
    let eve = env.party("eve", "Eve");
    env.write("cat.txt", "a.example\nb.example\nc.example\n");
    env.write("mine.txt", "b.example\nz.example\n");
    let line = format!(
        "publish -i {} --state-dir {} --input cat.txt --encrypt-to {} --encrypt-to {} -o catalog.age",
        cert.id, cert.state, carol.public, dave.public
    );
    let r = ok(env.run(&argv(&line)), "publish --encrypt-to");
    has(&r.stderr, "age-encrypted to 2 recipient(s) and you");
    assert!(env.bytes("catalog.age").starts_with(AGE));
    for (p, ok_) in [(&carol, true), (&dave, true), (&eve, false)] {
        let q = format!("q-{}", p.state);
        let line = format!(
            "init -i {} --state-dir {} --catalog catalog.age --peer {} --input mine.txt -o {q}",
            p.id, p.state, cert.public
        );
        let r = env.run(&argv(&line));
        assert_eq!(r.code == 0, ok_, "{}: {}", p.id, r.stderr);
        if !ok_ {
            has(&r.stderr, "not encrypted to your identity");
        }
    }
    // A plain catalog under .age is refused.
    let line = format!(
        "publish -i {} --state-dir {} --input cat.txt -o plain.age",
        cert.id, cert.state
    );
    has(&env.run(&argv(&line)).stderr, "ending in .age");
}

#[test]
fn a_bundle_that_fits_one_part_is_read_as_the_bundle() {
    let (env, a, b) = two_lists("one\ntwo\nthree\n", "three\nfour\none\n");
    let r = ok(init(&env, &a, &b, "--armor --split 10K -o r1.asc"), "init --split");
    has(&r.stderr, "r1.asc.part-1-of-1");
    assert!(env.read("r1.asc.part-1-of-1").starts_with("cosect-part/1 "));
    // inspect shows the bundle, not "part 1 of 1".
    let i = env.ok(&["inspect", "r1.asc.part-1-of-1", "-i", &b.id]);
    has(&i.stdout, "round 1 of a mutual exchange");
    ok(
        respond(&env, &b, &a, &b.state, "r1.asc.part-1-of-1", "--split 10K -o r2"),
        "respond to a 1-of-1 part",
    );
    ok(
        finish(&env, &a, &a.state, "r2.part-1-of-1", "--reply r3 -o shared.txt"),
        "finish",
    );
    ok(finish(&env, &b, &b.state, "r3", "-o shared-b.txt"), "finish r3");
    assert_eq!(env.read("shared.txt"), "one\nthree\n");
    // A 1-of-1 part whose bytes were changed is refused, naming the part.
    ok(init(&env, &a, &b, "--split 10K -o r1x"), "init --split");
    let mut cut = env.bytes("r1x.part-1-of-1");
    cut.pop();
    env.write("cut.part-1-of-1", &cut);
    let r = respond(&env, &b, &a, "sbc", "cut.part-1-of-1", "-o r2c");
    assert_eq!(r.code, 1);
    has(&r.stderr, "cut.part-1-of-1: this is part 1 of 1 of bundle");
    has(&r.stderr, "do not match the size and SHA-256 its header names");
    env.assert_absent("r2c");
}

#[test]
fn parts_sent_one_per_mail_are_joined() {
    let alice: String = (0..3_000).map(|i| format!("host{i}.example\n")).collect();
    let bob: String = (0..3_000).step_by(3).map(|i| format!("host{i}.example\n")).collect();
    let (env, a, b) = two_lists(&alice, &bob);
    ok(init(&env, &a, &b, "--split 40K -o r1.age"), "init --split");
    let parts = env.names_starting("r1.age.part-");
    let n = parts.len();
    assert!(n >= 2, "{parts:?}");
    let made = python_mail(
        &env,
        r#"
import glob
ps = sorted(glob.glob('r1.age.part-*'))
for p in ps:
    m = head(EmailMessage())
    m.set_content('Hi Bob, here is ' + p + '.\n')
    m.add_attachment(open(p,'rb').read(), maintype='application', subtype='octet-stream', filename=p)
    open(p.replace('r1.age.', 'mail-') + '.eml','wb').write(m.as_bytes())
for name, some in [('all.eml', ps), ('first-two.eml', ps[:2]), ('rest.eml', ps[2:])]:
    m = head(EmailMessage())
    m.set_content('Hi Bob, parts attached.\n')
    for p in some:
        m.add_attachment(open(p,'rb').read(), maintype='application', subtype='octet-stream', filename=p)
    open(name,'wb').write(m.as_bytes())
"#,
    );
    if !made {
        return;
    }
    let mails = env.names_starting("mail-part-");
    assert_eq!(mails.len(), n);
    // inspect on one mail says what it carries.
    let one = env.ok(&["inspect", &format!("mail-part-2-of-{n}.eml")]);
    has(&one.stdout, &format!("part 2 of {n} of bundle"));
    let mut shuffled = mails.clone();
    shuffled.reverse();
    let r = respond(&env, &b, &a, &b.state, &shuffled.join(" "), "-o r2");
    assert_eq!(r.code, 0, "{}", r.stderr);
    ok(finish(&env, &a, &a.state, "r2", "--reply r3 -o shared.txt"), "finish");
    assert_eq!(env.read("shared.txt"), bob);
    // Every part attached to one mail: the mail is the bundle. Some parts
    // in one mail, the others in another: joined alike.
    assert!(n >= 3, "{n} parts");
    let r = respond(&env, &b, &a, "sb-all", "all.eml", "-o r2all");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = respond(&env, &b, &a, "sb-two", "rest.eml first-two.eml", "-o r2two");
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A part missing from a mail of parts is named.
    let r = respond(&env, &b, &a, "sb-miss", "first-two.eml", "-o r2miss");
    assert_eq!(r.code, 1);
    let missing: Vec<String> = (3..=n).map(|i| i.to_string()).collect();
    has(&r.stderr, &format!("part {} of {n} is missing", missing.join(", ")));
    // A mail with no part among parts is named.
    env.write("hello.eml", "From: a@example.org\nSubject: hi\n\nno part here\n");
    let r = respond(&env, &b, &a, "sb4", &format!("hello.eml {}", mails.join(" ")), "-o r2d");
    assert_eq!(r.code, 1);
    has(
        &r.stderr,
        "hello.eml: not a part of a split bundle, but given with parts",
    );
    env.assert_absent("r2d");
}

#[test]
fn of_several_armored_bundles_the_one_for_the_reader_is_read() {
    let (env, a, b) = two_lists("one\ntwo\nthree\n", "three\nfour\none\n");
    ok(init(&env, &a, &b, "--armor -o r1.asc"), "init");
    ok(
        respond(&env, &b, &a, &b.state, "r1.asc", "--armor -o r2.asc"),
        "respond",
    );
    // Bob's reply quotes Alice's mail: round 2 (for Alice) above round 1
    // (for Bob), quoted.
    let quoted: String = env.read("r1.asc").lines().map(|l| format!("> {l}\n")).collect();
    let reply = format!(
        "Hi Alice,\n\nmy answer:\n\n{}\n-- \nBob\n\nOn Monday, Alice wrote:\n> Hi Bob,\n>\n{quoted}",
        env.read("r2.asc")
    );
    env.write("reply.txt", &reply);
    let begins: Vec<usize> = (reply.lines().enumerate())
        .filter(|(_, l)| l.contains("BEGIN AGE"))
        .map(|(i, _)| i + 1)
        .collect();
    let [r2_line, r1_line] = begins[..] else {
        panic!("{begins:?}")
    };
    let r = ok(
        finish(&env, &a, &a.state, "reply.txt", "--reply r3.asc --armor -o shared.txt"),
        "finish",
    );
    has(
        &r.stderr,
        &format!(
            "cosect: reply.txt: it holds 2 armored bundles (at line {r2_line}, line {r1_line}); \
             reading the one at line {r2_line}, the only one addressed to you"
        ),
    );
    assert_eq!(env.read("shared.txt"), "one\nthree\n");
    // Alice answers quoting all of it: round 3 and round 1 are both for
    // Bob, and `finish` takes the one it can (round 3).
    let quoted: String = reply.lines().map(|l| format!("> {l}\n")).collect();
    env.write("reply2.txt", format!("Bob,\n\n{}\n{quoted}", env.read("r3.asc")));
    let r = ok(
        finish(&env, &b, &b.state, "reply2.txt", "-o shared-b.txt"),
        "finish round 3",
    );
    has(&r.stderr, "cosect: reply2.txt: it holds 3 armored bundles (at line 3, ");
    has(
        &r.stderr,
        "reading the one at line 3, the only one addressed to you that this command takes",
    );
    assert_eq!(env.read("shared-b.txt"), "three\none\n");
    // Read by Bob, the same reply holds Alice's round 1 for him: respond
    // takes that one.
    let r = respond(&env, &b, &a, "sb-other", "reply.txt", "-o r2x");
    assert_eq!(r.code, 0, "{}", r.stderr);
    has(&r.stderr, &format!("reading the one at line {r1_line}"));
    // A third party opens neither: refused, naming both and the identity.
    let c = env.party("carol", "Carol");
    let r = env.run(&argv(&format!(
        "respond reply.txt -i {} --state-dir sc --peer {} --input bob.txt -o r2c",
        c.id, a.public
    )));
    assert_eq!(r.code, 1);
    has(
        &r.stderr,
        &format!(
            "reply.txt: it holds 2 armored bundles (at line {r2_line}, line {r1_line}), \
             and none of them is encrypted and addressed to you"
        ),
    );
    has(
        &r.stderr,
        "hint: check that you use the identity (-i) the sender encrypted to",
    );
    assert!(!r.stderr.contains("changed on the way"), "{}", r.stderr);
    env.assert_absent("r2c");
    // Two for the same reader: refused, naming how many are his.
    ok(init(&env, &a, &b, "--armor -o r1b.asc"), "init again");
    env.write("both.txt", format!("{}\n{}", env.read("r1.asc"), env.read("r1b.asc")));
    let r = respond(&env, &b, &a, "sb-both", "both.txt", "-o r2y");
    assert_eq!(r.code, 1);
    has(
        &r.stderr,
        "and 2 of them are addressed to you: cosect reads one at a time",
    );
    env.assert_absent("r2y");
    // More than a handful: refused without opening any.
    let five: Vec<String> = (0..5).map(|_| env.read("r1.asc")).collect();
    env.write("five.txt", five.join("\n"));
    let r = respond(&env, &b, &a, "sb-five", "five.txt", "-o r2z");
    assert_eq!(r.code, 1);
    has(&r.stderr, "it holds 5 armored bundles");
    has(&r.stderr, "and cosect reads one at a time");
}

#[test]
fn an_html_only_mail_is_read_for_its_armor() {
    let (env, a, b) = two_lists("one\ntwo\nthree\n", "three\nfour\none\n");
    ok(init(&env, &a, &b, "--armor -o r1.asc"), "init");
    let made = python_mail(
        &env,
        r#"
import html
asc = open('r1.asc').read()
lines = asc.splitlines()
m = head(EmailMessage())
body = '<html><head><style>p {margin:0}</style></head><body><p>Hi&nbsp;Bob,</p><div>' + '<br>\n'.join(html.escape(l) for l in lines) + '</div><p>--&nbsp;<br>Alice &amp; co</p></body></html>'
m.set_content(body, subtype='html', cte='quoted-printable')
open('html.eml','wb').write(m.as_bytes())
p = head(EmailMessage())
body = '<html><body><blockquote><pre>' + '\n'.join('&gt; ' + html.escape(l) for l in lines) + '</pre></blockquote></body></html>'
p.set_content(body, subtype='html')
open('pre.eml','wb').write(p.as_bytes())
e = head(EmailMessage())
body = '<html><body><p>' + ''.join('&#' + str(ord(ch)) + ';' if ch == '+' else ch for ch in asc).replace('\n', '<BR/>') + '</p></body></html>'
e.set_content(body, subtype='html', cte='base64')
open('entities.eml','wb').write(e.as_bytes())
"#,
    );
    if !made {
        return;
    }
    for (i, mail) in ["html.eml", "pre.eml", "entities.eml"].iter().enumerate() {
        let r = respond(&env, &b, &a, &format!("sb{i}"), mail, &format!("-o r2-{i}"));
        assert_eq!(r.code, 0, "{mail}: {}", r.stderr);
    }
    ok(finish(&env, &a, &a.state, "r2-0", "-o shared.txt --reply r3"), "finish");
    assert_eq!(env.read("shared.txt"), "one\nthree\n");
}
