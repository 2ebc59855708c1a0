//! The one harness for the end-to-end tests: run the built `cosect` binary
//! the way a user would, in a throwaway directory with its own HOME and XDG
//! dirs, standard input closed unless a test feeds it, no RUST_BACKTRACE.
//! Every binary-level test goes through [`Env`].

#![allow(dead_code)]

mod exchange;
#[cfg(feature = "serve")]
pub mod serve;
mod tools;

pub use exchange::*;
#[allow(unused_imports)]
pub use tools::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A scratch directory that is the working directory of every command, with
/// HOME and the XDG config, state, data and cache dirs inside it.
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

/// The scratch sub-directories and the variables that point at them.
const HOMES: [(&str, &str); 5] = [
    ("HOME", "home"),
    ("XDG_CONFIG_HOME", "config"),
    ("XDG_STATE_HOME", "state"),
    ("XDG_DATA_HOME", "data"),
    ("XDG_CACHE_HOME", "cache"),
];

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::Builder::new().prefix("cosect-cli-").tempdir().unwrap();
        for (_, d) in HOMES {
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

    /// A `cosect` command run in the scratch directory, stdin closed.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cosect"));
        c.args(args).current_dir(self.root()).env_remove("RUST_BACKTRACE");
        for (var, d) in HOMES {
            c.env(var, self.path(d));
        }
        c.stdin(Stdio::null());
        c
    }

    /// Run and return the raw output (bytes).
    pub fn output(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.output(args).into()
    }

    /// Run with `input` on standard input (written from another thread, so
    /// a command that stops reading early does not block the test).
    pub fn feed_output(&self, args: &[&str], input: Vec<u8>) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            use std::io::Write as _;
            // A command that stops reading closes the pipe: that is fine.
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        out
    }

    pub fn feed(&self, args: &[&str], input: &[u8]) -> Run {
        self.feed_output(args, input.to_vec()).into()
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

    pub fn write(&self, name: &str, text: impl AsRef<[u8]>) {
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

    /// How many entries a directory under the scratch dir holds (0 if absent).
    pub fn count(&self, dir: &str) -> usize {
        std::fs::read_dir(self.path(dir)).map(|d| d.count()).unwrap_or(0)
    }

    /// Assert that a failed command left neither its output nor a temporary file.
    pub fn assert_absent(&self, name: &str) {
        assert!(!self.exists(name), "{name} was left behind");
        let strays = self.names_starting(".cosect-");
        assert!(strays.is_empty(), "temporary files left behind: {strays:?}");
    }

    /// The names in the scratch directory that start with `prefix`.
    pub fn names_starting(&self, prefix: &str) -> Vec<String> {
        std::fs::read_dir(self.root())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(prefix))
            .collect()
    }

    /// A scratch directory with these identities (`<who>.id`, `<who>.pub`).
    pub fn with_keys(keys: &[(&str, &str)]) -> Env {
        let env = Env::new();
        for (who, name) in keys {
            env.party(who, name);
        }
        env
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

/// Declares a test's own world: a struct around an [`Env`] that derefs to
/// it, so the test adds its verbs beside the harness's
/// (`common::world!(World);`, then `World { env: Env::new() }`). Its `run`
/// and `ok` give the raw [`Output`] (bytes) instead of a [`Run`].
#[allow(unused_macros)]
macro_rules! world {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        struct $name {
            env: $crate::common::Env,
        }

        impl std::ops::Deref for $name {
            type Target = $crate::common::Env;
            fn deref(&self) -> &Self::Target {
                &self.env
            }
        }

        impl $name {
            /// Run; the raw output.
            fn run(&self, args: &[&str]) -> std::process::Output {
                self.env.output(args)
            }

            /// Run and require exit 0; the raw output.
            fn ok(&self, args: &[&str]) -> std::process::Output {
                $crate::common::succeeded(args, self.run(args))
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use world;

/// Require exit 0 of a raw output, showing stderr otherwise.
pub fn succeeded(args: &[&str], out: Output) -> Output {
    assert!(
        out.status.success(),
        "cosect {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Require a refusal: exit 1, stderr opening with `error: `, at most four
/// lines, no panic or backtrace. Returns stderr.
pub fn refused(args: &[&str], out: Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "cosect {args:?} should fail with exit 1: {err}"
    );
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    assert!(err.lines().count() <= 4, "{args:?}: message too long: {err}");
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!err.contains(bad), "{args:?}: {err}");
    }
    err
}

/// The stdout of a raw output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// The stderr of a raw output as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// A file under `testdata/`.
pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(name)
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

/// Deliver signal `sig` (`TERM`, `INT`) to process `pid` with kill(1).
pub fn signal(pid: u32, sig: &str) {
    let sent = Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{sig} {pid} failed");
}

/// The words of a command line, split on white space (for arguments that
/// hold none): `env.run(&argv("init -i alice.id --peer bob.pub"))`.
pub fn argv(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}
