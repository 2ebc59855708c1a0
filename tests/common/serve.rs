//! A running `cosect serve` and its world: the server `srv`, its peers
//! `carol` and `dave`, each a separate process with its own identity and
//! state directory (`st-WHO`), talking over loopback TLS.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};

use super::{ok, Env, Run};

/// A running `cosect serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    log: std::thread::JoinHandle<String>,
}

impl Server {
    /// Start `srv` serving its peers in `peers/`, with `extra` flags.
    pub fn start(env: &Env, extra: &[&str]) -> Server {
        Server::start_with(env, extra, &[])
    }

    /// `start`, as the server `who` (`WHO.id`, state `st-WHO`, audit log
    /// `audit-WHO.jsonl`): one of several servers in one world.
    pub fn start_as(env: &Env, who: &str, extra: &[&str]) -> Server {
        let (id, st, audit) = (format!("{who}.id"), format!("st-{who}"), format!("audit-{who}.jsonl"));
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--peers", "peers", "-i", &id];
        args.extend(["--state-dir", &st, "--audit", &audit]);
        args.extend(extra);
        Server::spawn(env, &args, &[])
    }

    /// `start`, with environment variables `vars` (the test-only holds).
    pub fn start_with(env: &Env, extra: &[&str], vars: &[(&str, &std::path::Path)]) -> Server {
        Server::spawn_srv(env, &[&["--peers", "peers"], extra].concat(), vars)
    }

    /// `start_with`, with no `--peers`: the server reads its peers book.
    pub fn start_from_book(env: &Env, extra: &[&str], vars: &[(&str, &std::path::Path)]) -> Server {
        Server::spawn_srv(env, extra, vars)
    }

    /// `srv` (`srv.id`, state `st-srv`, audit log `audit.jsonl`) with `extra` flags.
    fn spawn_srv(env: &Env, extra: &[&str], vars: &[(&str, &std::path::Path)]) -> Server {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "-i", "srv.id"];
        args.extend(["--state-dir", "st-srv", "--audit", "audit.jsonl"]);
        args.extend(extra);
        Server::spawn(env, &args, vars)
    }

    /// Run `cosect ARGS` as a server and wait until it says where it listens.
    fn spawn(env: &Env, args: &[&str], vars: &[(&str, &std::path::Path)]) -> Server {
        let mut cmd = env.command(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        // Lines before "serving on https://…" (the clean-up's) are kept.
        let mut first = String::new();
        let url = loop {
            let before = first.len();
            if err.read_line(&mut first).unwrap() == 0 {
                panic!("serve did not start: {first}");
            }
            if let Some(u) = first[before..].split_whitespace().find(|w| w.starts_with("https://")) {
                break u.to_owned();
            }
        };
        let log = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = err.read_to_string(&mut rest);
            first + &rest
        });
        Server { child, url, log }
    }

    pub fn addr(&self) -> String {
        self.url.trim_start_matches("https://").to_owned()
    }

    /// SIGKILL: no clean-up, no last word; what the server said.
    pub fn kill9(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = std::mem::replace(&mut self.log, std::thread::spawn(String::new));
        log.join().unwrap()
    }

    /// SIGTERM; the exit code and everything the server said.
    pub fn terminate(mut self) -> (i32, String) {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let code = self.child.wait().unwrap().code().unwrap_or(-1);
        let log = std::mem::replace(&mut self.log, std::thread::spawn(String::new));
        (code, log.join().unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server `srv`, clients `carol` and `dave` (in peers/), `eve` (not).
pub fn world() -> Env {
    let env = Env::with_keys(&[("srv", "srv"), ("carol", "carol"), ("dave", "dave"), ("eve", "eve")]);
    std::fs::create_dir(env.path("peers")).unwrap();
    for who in ["carol", "dave"] {
        std::fs::copy(env.path(&format!("{who}.pub")), env.path(&format!("peers/{who}.pub"))).unwrap();
    }
    env.write("iocs.txt", "evil.example\nbad.example\nworse.example\n");
    env.write("carol.txt", "fine.example\nEVIL.example\nworse.example.\n");
    env
}

pub fn send(env: &Env, s: &Server, who: &str, bundle: &str, out: Option<&str>) -> Run {
    let id = format!("{who}.id");
    let mut args = vec!["send", &s.url, bundle, "--peer", "srv.pub", "-i", &id];
    if let Some(o) = out {
        args.extend(["-o", o]);
    }
    env.run(&args)
}

pub fn as_party(env: &Env, who: &str, args: &[&str]) -> Run {
    let (id, st) = (format!("{who}.id"), format!("st-{who}"));
    env.run(&[args, &["-i", &id, "--state-dir", &st]].concat())
}

pub fn publish(env: &Env) {
    ok(
        as_party(
            env,
            "srv",
            &["publish", "--input", "iocs.txt", "-o", "catalog.cbor", "-q"],
        ),
        "publish",
    );
}

pub fn query(env: &Env, who: &str, input: &str, out: &str) {
    query_with(env, who, input, out, &[]);
}

/// `query` with more `init` options.
pub fn query_with(env: &Env, who: &str, input: &str, out: &str, extra: &[&str]) {
    let args = [
        "init",
        "--catalog",
        "catalog.cbor",
        "--peer",
        "srv.pub",
        "--input",
        input,
        "-o",
        out,
        "-q",
    ];
    ok(as_party(env, who, &[&args[..], extra].concat()), "init --catalog");
}
