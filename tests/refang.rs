//! Indicators as analysts write them, through the real binary: defanged
//! forms refanged, URLs normalized, IPs with ports, near-misses reported
//! and never silently raw.

mod common;

use common::{err, finish, has, init, ok, respond, two_lists, Env, Party};

/// Every defanged notation on Alice's side; the same indicators, spelled
/// plainly and differently, on Bob's.
const DEFANGED: &str = "\
evil[.]example
bad(.)example
c2{.}example
one[dot]example
two(DOT)example
three{dot}example
hxxp://phish[.]example/login
hxxps[://]secure[.]example/a/./b/../c
hXXp[:]//mixed.example:80/%7Euser
hxxxp://x3.example/
fxp://files.example/pub
sxxp://sftp.example/
192.0.2[.]10
198.51.100.7[:]443
[2001:db8::1]:443
mallory[@]example.org
eve[at]example.net
trent(AT)example.com
evil\\.backslash.example
nomatch[.]example
";

const PLAIN: &str = "\
EVIL.example.
bad.example
c2.example
one.example
two.example
three.example
http://PHISH.example:80/login#frag
https://secure.example/a/c
http://mixed.example/~user
http://x3.example
ftp://files.example/pub
sftp://sftp.example
192.0.2.10
198.51.100.7
2001:db8:0::1
mallory@example.org
eve@example.net
trent@example.com
evil.backslash.example
only-bob.example
";

/// A whole mutual exchange; returns (Alice's results, Bob's results,
/// Alice's init stderr, Bob's respond stderr).
fn exchange(env: &Env, a: &Party, b: &Party, extra: &[&str]) -> [String; 4] {
    let i = ok(init(env, a, b, "alice.txt", extra, "r1"), "init");
    let r = ok(respond(env, b, a, "r1", "bob.txt", extra, "r2"), "respond");
    let fa = ok(finish(env, a, "r2", &["--reply", "r3"]), "alice finish");
    let fb = ok(finish(env, b, "r3", &[]), "bob finish");
    [fa.stdout, fb.stdout, i.stderr, r.stderr]
}

fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

#[test]
fn defanged_list_meets_the_plain_one() {
    let (env, a, b) = two_lists(DEFANGED, PLAIN);
    let [ra, rb, ia, _] = exchange(&env, &a, &b, &[]);
    // Each side gets exactly the shared indicators, in its own spelling.
    let defanged: Vec<&str> = DEFANGED.lines().collect();
    let plain: Vec<&str> = PLAIN.lines().collect();
    assert_eq!(lines(&ra), defanged[..19]);
    assert_eq!(lines(&rb), plain[..19]);
    has(
        &ia,
        "20 entries from text input, kind auto (8 domain, 3 ip, 6 url, 3 email), \
         2 IP addresses with a port (compared without it), 19 refanged",
    );
    assert!(!ia.contains("compared as raw"), "{ia}");
}

#[test]
fn fixed_kinds_refang_their_own_kind_only() {
    let (env, a, b) = two_lists("evil[.]example\nhxxp://evil[.]example\n", "evil.example\n");
    let r = ok(
        init(&env, &a, &b, "alice.txt", &["--kind", "url", "--skip-invalid"], "r1"),
        "init --kind url",
    );
    has(&r.stderr, "1 entries from text input, kind url, 1 refanged, 1 skipped");
    has(
        &r.stderr,
        "not a URL (scheme://host...): evil[.]example (refanged: evil.example)",
    );
    let e = err(
        init(&env, &a, &b, "alice.txt", &["--kind", "domain"], "r1x"),
        "init --kind domain",
    );
    has(&e, "line 2: ");
    has(&e, "hxxp://evil[.]example (refanged: http://evil.example)");
    let r = ok(
        init(
            &env,
            &a,
            &b,
            "alice.txt",
            &["--kind", "domain", "--skip-invalid"],
            "r1y",
        ),
        "init --kind domain --skip-invalid",
    );
    has(
        &r.stderr,
        "1 entries from text input, kind domain, 1 refanged, 1 skipped",
    );
    has(&r.stderr, "skipped 1: 1 invalid entries");
    // Refanged into something still invalid: line number and both spellings.
    env.write("bad.txt", "good.example\nevil[.]ex!ample\n");
    let e = err(init(&env, &a, &b, "bad.txt", &["--kind", "domain"], "r1z"), "init bad");
    has(&e, "line 2: ");
    has(&e, "evil[.]ex!ample (refanged: evil.ex!ample)");
}

#[test]
fn no_refang_makes_defanged_entries_invalid() {
    let (env, a, b) = two_lists("good.example\nevil[.]example\n", "evil.example\n");
    let e = err(
        init(&env, &a, &b, "alice.txt", &["--no-refang"], "r1"),
        "init --no-refang",
    );
    has(&e, "line 2: a defanged indicator, and --no-refang is given");
    has(&e, "evil[.]example (refanged: evil.example)");
    let e = err(
        init(&env, &a, &b, "alice.txt", &["--no-refang", "--kind", "domain"], "r1"),
        "init --no-refang --kind domain",
    );
    has(&e, "line 2: ");
    let r = ok(
        init(&env, &a, &b, "alice.txt", &["--no-refang", "--skip-invalid"], "r1"),
        "init --no-refang --skip-invalid",
    );
    has(&r.stderr, "1 entries from text input, kind auto (1 domain), 1 skipped");
    assert!(!r.stderr.contains("refanged,"), "{}", r.stderr);
}

const NEAR_MISSES: &str = "\
good.example
10.0.0.0/8
010.1.2.3
evil!.example.com
0123456789abcdef0123456789abcde
http://
hxxp://bad[.]exa mple/
note[.]to self
";

#[test]
fn near_misses_are_reported_and_listed() {
    let (env, a, b) = two_lists(NEAR_MISSES, "good.example\n");
    let r = ok(init(&env, &a, &b, "alice.txt", &[], "r1"), "init");
    let e = &r.stderr;
    has(e, "8 entries from text input, kind auto (1 domain, 7 raw)");
    for line in [
        "1 look like IP ranges (CIDR): compared as raw",
        "1 look like IPv4 addresses with leading zeros (octal or decimal?): compared as raw",
        "1 look like domain names with invalid characters or labels: compared as raw",
        "1 look like hashes of an unusual length: compared as raw",
        "2 look like URLs but are broken or truncated: compared as raw",
        "1 are defanged but not valid after refanging: compared as raw",
        "--verbose lists them",
    ] {
        has(e, line);
    }
    assert!(!e.contains("line 2:"), "{e}");
    let r = ok(init(&env, &a, &b, "alice.txt", &["--verbose"], "r1v"), "init --verbose");
    for line in [
        "line 2: look like IP ranges (CIDR): 10.0.0.0/8",
        "line 3: look like IPv4 addresses with leading zeros (octal or decimal?): 010.1.2.3",
        "line 4: look like domain names with invalid characters or labels: evil!.example.com",
        "line 5: look like hashes of an unusual length: 0123456789abcdef0123456789abcde",
        "line 6: look like URLs but are broken or truncated: http://",
        "line 7: look like URLs but are broken or truncated: hxxp://bad[.]exa mple/ (refanged: http://bad.exa mple/)",
        "line 8: are defanged but not valid after refanging: note[.]to self (refanged: note.to self)",
    ] {
        has(&r.stderr, line);
    }
}

#[test]
fn publish_takes_the_input_options() {
    let (env, a, _) = two_lists("evil[.]example\n10.0.0.0/8\n", "");
    let st = &a.state;
    let args = ["publish", "-i", &a.id, "--state-dir", st, "--input", "alice.txt"];
    let r = env.ok(&[&args[..], &["-o", "cat1", "--verbose", "--input-format", "text"]].concat());
    has(&r.stderr, "1 refanged");
    has(&r.stderr, "line 2: look like IP ranges (CIDR): 10.0.0.0/8");
    let e = env.fails(&[&args[..], &["-o", "cat2", "--no-refang"]].concat(), 1);
    has(&e, "line 1: a defanged indicator, and --no-refang is given");
    let r = env.ok(&[&args[..], &["-o", "cat3", "--no-refang", "--skip-invalid", "-v"]].concat());
    has(&r.stderr, "line 1: invalid entries: a defanged indicator");
}
