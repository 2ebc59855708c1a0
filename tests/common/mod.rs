//! Helpers for the end-to-end tests: run the built `cosect` binary the way a
//! user would, in a throwaway directory with its own HOME and XDG dirs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A scratch directory that is the working directory of every command, with
/// HOME, XDG_CONFIG_HOME and XDG_STATE_HOME inside it.
pub struct Env {
    dir: tempfile::TempDir,
}

/// What a finished command left: exit code, stdout and stderr as text.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().expect("cosect was killed by a signal"),
            stdout: String::from_utf8(o.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(o.stderr).expect("stderr is UTF-8"),
        }
    }
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::Builder::new().prefix("cosect-cli-").tempdir().unwrap();
        for d in ["home", "config", "state"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        Env { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A `cosect` command run in the scratch directory.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cosect"));
        c.args(args)
            .current_dir(self.root())
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args).output().unwrap().into()
    }

    /// Run and require exit 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "cosect {args:?} failed:\n{}", r.stderr);
        r
    }

    /// Run and require a failure with exit `code`; returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let r = self.run(args);
        assert_eq!(
            r.code, code,
            "cosect {args:?}: expected exit {code}, got {}\nstdout: {}\nstderr: {}",
            r.code, r.stdout, r.stderr
        );
        if code == 1 {
            assert!(
                r.stderr.lines().any(|l| l.starts_with("error: ")),
                "cosect {args:?}: stderr: {}",
                r.stderr
            );
        }
        r.stderr
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    pub fn bytes(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.path(name).exists()
    }

    /// Assert that a failed command left neither its output nor a temporary file.
    pub fn assert_absent(&self, name: &str) {
        assert!(!self.exists(name), "{name} was left behind");
        let strays: Vec<_> = std::fs::read_dir(self.root())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".cosect-"))
            .collect();
        assert!(strays.is_empty(), "temporary files left behind: {strays:?}");
    }

    /// Create an identity with `keygen`; the public line goes to `<who>.pub`.
    pub fn party(&self, who: &str, name: &str) -> Party {
        let id = format!("{who}.id");
        let r = self.ok(&["keygen", "-o", &id, "--name", name]);
        let line = r.stdout.trim_end().to_owned();
        assert_eq!(r.stdout, format!("{line}\n"), "keygen prints exactly one line");
        self.write(&format!("{who}.pub"), &r.stdout);
        Party {
            id,
            public: format!("{who}.pub"),
            state: format!("{who}-state"),
            line,
        }
    }
}

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

/// The open sessions in a party's state directory.
pub fn sessions(env: &Env, p: &Party) -> Vec<PathBuf> {
    match std::fs::read_dir(env.path(&p.state).join("sessions")) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Whether an outside tool is usable. Missing under CI (env `CI` set) is a
/// test failure, since `.ci/run` installs them; elsewhere the test notes it
/// and skips.
pub fn have_tool(what: &str, probe: &mut Command) -> bool {
    let ok = probe
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("{what} is missing, but CI is set: .ci/run should have installed it");
        }
        eprintln!("note: {what} is not installed; skipping this interoperability check");
    }
    ok
}
