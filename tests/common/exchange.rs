//! Parties and the verbs of a mutual exchange, as `cli.rs` and the other
//! binary tests drive them: each party has its own identity file, public
//! line and state directory.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use super::{Env, Run};

/// One side of an exchange: `<who>.id`, `<who>.pub`, state in `<who>-state`.
pub struct Party {
    pub id: String,
    pub public: String,
    pub state: String,
    /// The public identity line keygen printed.
    pub line: String,
}

impl Party {
    /// The age recipient (`age1…`) of the public line.
    pub fn recipient(&self) -> &str {
        self.line.split(' ').nth(1).unwrap()
    }
}

/// A scratch directory with Alice and Bob in it.
pub fn two_parties() -> (Env, Party, Party) {
    let env = Env::new();
    let a = env.party("alice", "ACME CERT");
    let b = env.party("bob", "Bob MSSP");
    (env, a, b)
}

/// Alice and Bob with their lists in `alice.txt` and `bob.txt`.
pub fn two_lists(alice: &str, bob: &str) -> (Env, Party, Party) {
    let (env, a, b) = two_parties();
    env.write("alice.txt", alice);
    env.write("bob.txt", bob);
    (env, a, b)
}

/// Alice and Bob with their lists, after Alice's `init` wrote `r1`.
pub fn round1(alice: &str, bob: &str) -> (Env, Party, Party) {
    let (env, a, b) = two_lists(alice, bob);
    ok(init(&env, &a, &b, "alice.txt", &[], "r1"), "init");
    (env, a, b)
}

/// The open sessions in a party's state directory.
pub fn sessions(env: &Env, p: &Party) -> Vec<PathBuf> {
    match std::fs::read_dir(env.path(&p.state).join("sessions")) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// The `cosect init` command as `a` for `b`, writing `out` (not run yet).
pub fn init_command(env: &Env, a: &Party, b: &Party, input: &str, extra: &[&str], out: &str) -> Command {
    let mut args = vec!["init", "-i", &a.id, "--state-dir", &a.state, "--peer", &b.public];
    args.extend(["--input", input, "-o", out]);
    args.extend_from_slice(extra);
    env.command(&args)
}

/// `cosect init` as `a` for `b`, writing `out`.
pub fn init(env: &Env, a: &Party, b: &Party, input: &str, extra: &[&str], out: &str) -> Run {
    init_command(env, a, b, input, extra, out).output().unwrap().into()
}

/// `cosect respond` as `b` to `a`'s `r1`, writing `out`.
pub fn respond(env: &Env, b: &Party, a: &Party, r1: &str, input: &str, extra: &[&str], out: &str) -> Run {
    let mut args = vec!["respond", r1, "-i", &b.id, "--state-dir", &b.state, "--peer", &a.public];
    args.extend(["--input", input, "-o", out]);
    args.extend_from_slice(extra);
    env.run(&args)
}

/// `cosect finish BUNDLE` as `p`.
pub fn finish(env: &Env, p: &Party, bundle: &str, extra: &[&str]) -> Run {
    let mut args = vec!["finish", bundle, "-i", &p.id, "--state-dir", &p.state];
    args.extend_from_slice(extra);
    env.run(&args)
}

/// Bob answers `r1` from `bob.txt` (with `extra` flags) and Alice
/// finishes with `--reply r3`; both must succeed. Returns what Alice prints.
pub fn answer_and_finish(env: &Env, a: &Party, b: &Party, extra: &[&str]) -> String {
    ok(respond(env, b, a, "r1", "bob.txt", extra, "r2"), "respond");
    ok(finish(env, a, "r2", &["--reply", "r3"]), "finish").stdout
}

/// `respond` as `b` to `a`'s `r1` from `input` must be refused naming
/// `why`, and leave neither `r2` nor a session for `b`. Returns stderr.
pub fn respond_refused(env: &Env, b: &Party, a: &Party, r1: &str, input: &str, extra: &[&str], why: &str) -> String {
    let e = err(respond(env, b, a, r1, input, extra, "r2"), "respond");
    has(&e, why);
    env.assert_absent("r2");
    assert!(sessions(env, b).is_empty(), "respond left a session");
    e
}

/// Require exit 0, showing stderr otherwise.
pub fn ok(r: Run, what: &str) -> Run {
    assert_eq!(r.code, 0, "{what} failed:\n{}", r.stderr);
    r
}

/// Require exit 1 with an `error: ` line and nothing on stdout; returns stderr.
pub fn err(r: Run, what: &str) -> String {
    assert_eq!(
        r.code, 1,
        "{what}: expected exit 1, got {}\nstdout: {}\nstderr: {}",
        r.code, r.stdout, r.stderr
    );
    assert!(
        r.stderr.lines().any(|l| l.starts_with("error: ")),
        "{what}: {}",
        r.stderr
    );
    assert_eq!(r.stdout, "", "{what}: a failed command printed results");
    r.stderr
}

pub fn has(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "expected {needle:?} in:\n{haystack}");
}

pub fn json(s: impl AsRef<[u8]>) -> Value {
    let s = s.as_ref();
    serde_json::from_slice(s).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(s)))
}
