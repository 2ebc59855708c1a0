//! Bundle test vectors (testdata/vectors/, format in its README.md), run
//! through every entry point that reads bundles: the library
//! (`Opened::open` and the reader checks), `cosect inspect`, `cosect
//! respond` and `cosect finish`. Each must give the outcome the vector's
//! header names, and nothing may panic.
//!
//! `cargo test --test vectors -- --ignored regenerate` rewrites the vectors
//! (keeping the committed test identities); the cases are the table in
//! `tests/vectors/gen.rs`. With `COSECT_VECTORS_DIR=DIR` set, both the
//! generator and the runner use DIR instead of testdata/vectors.

mod common;
#[path = "vectors/gen.rs"]
mod gen;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{argv, Env};
use cosect::bundle::payload::Payload;
use cosect::bundle::Opened;
use cosect::group::{Exec, NoProgress};
use cosect::identity::Identity;
use cosect::input::{Entries, Kind};
use cosect::protocol::mutual::Round1;
use cosect::protocol::{Mode, Responder};

/// The committed vectors and test identities.
fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/vectors")
}

/// Where the vectors are read and written: `COSECT_VECTORS_DIR` if set,
/// else the committed directory.
fn vectors_dir() -> PathBuf {
    std::env::var_os("COSECT_VECTORS_DIR").map_or_else(dir, PathBuf::from)
}

/// The reader checks, in the order every reader applies them; a failing
/// vector names the first one that refuses it (`fails-at:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// Decrypt, COSE structure, payload schema, counts and lengths.
    Open,
    /// Signature by the expected peer.
    Sender,
    /// Addressed to the reader.
    Recipient,
    /// Not expired.
    Time,
    /// A well-formed round 1: protocol, round, kind, mode.
    Round1,
    /// Every point decodes and is not the identity.
    Points,
}

impl Stage {
    const ALL: [Stage; 6] = [
        Stage::Open,
        Stage::Sender,
        Stage::Recipient,
        Stage::Time,
        Stage::Round1,
        Stage::Points,
    ];

    /// The name in a vector's header.
    fn name(self) -> &'static str {
        match self {
            Stage::Open => "open",
            Stage::Sender => "sender",
            Stage::Recipient => "recipient",
            Stage::Time => "time",
            Stage::Round1 => "round1",
            Stage::Points => "points",
        }
    }

    fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.name() == s)
    }
}

struct Vector {
    name: String,
    header: BTreeMap<String, String>,
    bytes: Vec<u8>,
}

impl Vector {
    fn get(&self, k: &str) -> &str {
        self.header
            .get(k)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{}: no {k:?} in header", self.name))
    }

    fn opt(&self, k: &str) -> Option<&str> {
        self.header.get(k).map(String::as_str)
    }

    fn ok(&self) -> bool {
        match self.get("expect") {
            "ok" => true,
            "error" => false,
            other => panic!("{}: expect {other:?}", self.name),
        }
    }

    /// The stage the vector fails at (`None` when it passes them all).
    fn fails_at(&self) -> Option<Stage> {
        if self.ok() {
            return None;
        }
        let s = self.get("fails-at");
        Some(Stage::parse(s).unwrap_or_else(|| panic!("{}: stage {s:?}", self.name)))
    }

    /// Whether the vector is meant for `respond` (round 1) or `finish`.
    fn for_respond(&self) -> bool {
        self.get("for") == "respond"
    }
}

fn parse_vector(name: &str, data: &[u8]) -> Vector {
    let split = data
        .windows(2)
        .position(|w| w == b"\n\n")
        .unwrap_or_else(|| panic!("{name}: no blank line after the header"));
    let head = std::str::from_utf8(&data[..split]).unwrap();
    let mut header = BTreeMap::new();
    for line in head.lines().filter(|l| !l.starts_with('#')) {
        let (k, v) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("{name}: bad header line {line:?}"));
        assert!(header.insert(k.to_owned(), v.to_owned()).is_none(), "{name}: {k} twice");
    }
    Vector {
        name: name.to_owned(),
        header,
        bytes: data[split + 2..].to_vec(),
    }
}

fn vectors() -> Vec<Vector> {
    let mut v: Vec<Vector> = fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "vec"))
        .map(|p| parse_vector(&p.file_name().unwrap().to_string_lossy(), &fs::read(&p).unwrap()))
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn identity(who: &str) -> Identity {
    Identity::parse(&fs::read_to_string(dir().join(format!("{who}.id"))).unwrap()).unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The round-1 checks `respond` applies after the envelope ones: its
/// meaning (protocol, round, kind, mode, answered hash, element count),
/// then every point, by answering it.
/// The round-1 meaning (the engine's shape check) and the point check.
fn check_round1(p: &Payload) -> Result<(), (Stage, String)> {
    let meaning = cosect::engine::check_round1(p);
    meaning.map_err(|e| (Stage::Round1, e.to_string()))?;
    let entries = Entries::from_canonical([(Kind::Raw, "x"), (Kind::Raw, "y")]);
    let r1 = Round1 {
        points: p.points.to_vec(),
    };
    let rng = &mut rand::rngs::OsRng;
    let answer = Responder::respond(r1, &entries, Mode::Mutual, None, Exec::Serial, &NoProgress, rng);
    answer.map(|_| ()).map_err(|e| (Stage::Points, e.to_string()))
}

/// The library path: open, then each check in order. Returns the stage
/// that failed and its message.
fn library(v: &Vector) -> Result<(), (Stage, String)> {
    let me = identity(v.get("identity"));
    let peer = identity(v.get("peer")).public();
    let at = |stage: Stage| move |e: cosect::bundle::BundleError| (stage, e.to_string());
    let mut b = Opened::open(v.bytes.clone(), Some(&me)).map_err(at(Stage::Open))?;
    b.check_sender(&peer).map_err(at(Stage::Sender))?;
    b.check_recipient(&me.public()).map_err(at(Stage::Recipient))?;
    b.check_time(now()).map_err(at(Stage::Time))?;
    if !v.for_respond() {
        return Ok(());
    }
    check_round1(&b.payload)
}

/// A scratch directory with the test identities (0600), their public
/// lines and a two-line list.
fn place() -> Env {
    let env = Env::new();
    for who in ["alice", "bob", "carol"] {
        let id = env.path(&format!("{who}.id"));
        fs::copy(dir().join(format!("{who}.id")), &id).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&id, fs::Permissions::from_mode(0o600)).unwrap();
        }
        fs::copy(dir().join(format!("{who}.pub")), env.path(&format!("{who}.pub"))).unwrap();
    }
    env.write("list.txt", "x\ny\n");
    env
}

/// Exit 1 with a short message containing `want`, or exit 0 when `want` is None.
fn check(v: &Vector, what: &str, out: &Output, want: Option<&str>) -> Result<(), String> {
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("panicked") {
        return Err(format!("{}: {what} panicked: {err}", v.name));
    }
    match (want, out.status.code()) {
        (None, Some(0)) => Ok(()),
        (Some(w), Some(1)) if err.starts_with("error: ") && err.contains(w) && err.lines().count() <= 4 => Ok(()),
        _ => Err(format!(
            "{}: {what}: expected {}, got exit {:?}: {err}",
            v.name,
            want.map_or("success".to_owned(), |w| format!("an error containing {w:?}")),
            out.status.code()
        )),
    }
}

fn run_vector(v: &Vector) -> Result<(), String> {
    let fails = v.fails_at();
    let want = v.opt("error").unwrap_or("");
    if !v.ok() {
        assert!(!want.is_empty(), "{}: an error vector needs `error:`", v.name);
    }
    // Library.
    let lib = std::panic::catch_unwind(|| library(v)).map_err(|_| format!("{}: the library panicked", v.name))?;
    match (fails, lib) {
        (None, Ok(())) => {}
        (Some(s), Err((got, msg))) if s == got && msg.contains(want) => {}
        (_, r) => {
            return Err(format!(
                "{}: library: expected {:?}, got {r:?}",
                v.name,
                fails.map(Stage::name)
            ))
        }
    }

    let place = place();
    place.write("v.bin", &v.bytes);
    let id = format!("{}.id", v.get("identity"));
    let peer = format!("{}.pub", v.get("peer"));

    // inspect: only an `open` failure is an error; otherwise it shows the
    // signature status and expiry.
    let out = place.output(&["inspect", "v.bin", "-i", &id, "--peer", &peer, "--json"]);
    if fails == Some(Stage::Open) {
        check(v, "inspect", &out, Some(want))?;
    } else {
        check(v, "inspect", &out, None)?;
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let sig = if fails == Some(Stage::Sender) {
            "invalid"
        } else {
            "valid"
        };
        if j["signature"] != sig || j["expired"] != (fails == Some(Stage::Time)) {
            return Err(format!("{}: inspect shows {j}", v.name));
        }
        // The engine types every bundle whose shape is right (the points are
        // checked by the protocol step); one that fails the round-1 checks
        // is shown as malformed, with the reason.
        let malformed = fails == Some(Stage::Round1) && v.for_respond();
        if (j["message"] == "malformed") != malformed || j["malformed"].is_string() != malformed {
            return Err(format!(
                "{}: inspect types it as {} ({})",
                v.name, j["message"], j["malformed"]
            ));
        }
    }

    // respond.
    let out = place.output(&argv(&format!(
        "respond v.bin -i {id} --peer {peer} --input list.txt --state-dir s -o out.bin -q"
    )));
    let want_respond = match fails {
        Some(s) if s <= Stage::Time => Some(v.opt("respond-error").unwrap_or(want)),
        _ if !v.for_respond() => Some("`respond` takes a round 1"),
        Some(_) => Some(v.opt("respond-error").unwrap_or(want)),
        None => None,
    };
    check(v, "respond", &out, want_respond)?;
    if want_respond.is_some() && place.exists("out.bin") {
        return Err(format!("{}: respond failed but left its output", v.name));
    }

    // finish, with no open session: only failures before the session
    // lookup (structure, addressee) name their cause.
    let out = place.output(&argv(&format!(
        "finish v.bin -i {id} --state-dir s2 --reply r3.bin -o res.txt"
    )));
    let want_finish = v
        .opt("finish-error")
        // `finish` checks the addressee before the session: a bundle not
        // for you says so rather than "no open session".
        .unwrap_or(if matches!(fails, Some(Stage::Open | Stage::Recipient)) {
            want
        } else if v.for_respond() && fails != Some(Stage::Round1) {
            // A round 1 given to `finish`: named, with the verb that takes it.
            "this is a round 1, and `finish` takes"
        } else {
            "no open session"
        });
    // A malformed round 1 may still say round 1 (then it is named as
    // such), or another round (then no session has it).
    if v.for_respond() && fails == Some(Stage::Round1) && v.opt("finish-error").is_none() {
        return check(v, "finish", &out, Some("this is a round 1, and `finish` takes"))
            .or_else(|_| check(v, "finish", &out, Some("no open session")));
    }
    check(v, "finish", &out, Some(want_finish))?;
    Ok(())
}

#[test]
fn every_vector_through_every_reader() {
    let all = vectors();
    assert!(all.len() >= 40, "only {} vectors", all.len());
    let failing = all.iter().filter(|v| !v.ok()).count();
    assert!(failing * 4 >= all.len() * 3, "most vectors must be failure cases");
    for stage in Stage::ALL {
        assert!(
            all.iter().any(|v| v.fails_at() == Some(stage)),
            "no vector fails at {}",
            stage.name()
        );
    }
    let errors: Vec<String> = all.iter().filter_map(|v| run_vector(v).err()).collect();
    assert!(
        errors.is_empty(),
        "{} of {} vectors:\n{}",
        errors.len(),
        all.len(),
        errors.join("\n")
    );
}

/// Every committed vector is one row of the generator's table and the
/// other way round, with the same header (name, expected outcome, reader,
/// comment); the bytes are checked by `every_vector_through_every_reader`.
#[test]
fn the_table_names_every_vector() {
    let on_disk: BTreeMap<String, String> = fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "vec"))
        .map(|p| {
            let data = fs::read(&p).unwrap();
            let split = data.windows(2).position(|w| w == b"\n\n").unwrap();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, String::from_utf8(data[..split + 2].to_vec()).unwrap())
        })
        .collect();
    let table: BTreeMap<String, String> = gen::cases().iter().map(|c| (c.name.to_owned(), c.header())).collect();
    assert_eq!(table, on_disk);
}
