//! Load benchmark of `cosect serve` through the real binaries over loopback
//! (`cargo bench --bench serve_load`): C clients (default 32), each in a
//! loop `init --catalog` → `send` → `finish` with queries of Q entries
//! (default 1,000) for S seconds (default 60), while one mutual exchange
//! of M entries per side (default 100,000) runs through the same server.
//! Every answer is checked exact. Prints throughput (over the whole wall
//! time, and within the S seconds, before the last queries drain), p50/p99
//! of `send`, and the server's peak RSS (VmHWM). Environment: COSECT_LOAD_CLIENTS,
//! COSECT_LOAD_SECS, COSECT_LOAD_QUERY, COSECT_LOAD_MUTUAL.
//!
//! The clients, the mutual exchange and the server share the machine:
//! the figures are for all of them together on its cores.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn env_num(var: &str, default: u64) -> u64 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn cosect(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_cosect"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cosect {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn keygen(dir: &Path, who: &str) {
    let out = cosect(dir, &["keygen", "-o", &format!("{who}.id"), "--name", who]);
    std::fs::write(dir.join(format!("{who}.pub")), out.stdout).unwrap();
}

fn list(dir: &Path, name: &str, prefix: &str, range: std::ops::Range<u64>) {
    let text: String = range.map(|i| format!("{prefix}{i}.example\n")).collect();
    std::fs::write(dir.join(name), text).unwrap();
}

/// One client's loop; returns the latencies of its `send`s and when each
/// query was finished.
fn client(dir: PathBuf, url: String, c: u64, q: u64, until: Instant) -> Vec<(Duration, Instant)> {
    let who = format!("c{c}");
    let (id, st) = (format!("{who}.id"), format!("st-{who}"));
    // Half the entries are in the catalog (h0..), half are not.
    let text: String = (0..q)
        .map(|i| match i % 2 {
            0 => format!("h{}.example\n", (c * 7919 + i) % 10_000),
            _ => format!("miss-{c}-{i}.example\n"),
        })
        .collect();
    let mine = format!("{who}.txt");
    std::fs::write(dir.join(&mine), text).unwrap();
    let mut lat = Vec::new();
    let mut n = 0;
    while Instant::now() < until {
        let (qf, af) = (format!("{who}-q{n}.cbor"), format!("{who}-a{n}.cbor"));
        let init = [
            "init",
            "-q",
            "-i",
            &id,
            "--state-dir",
            &st,
            "--catalog",
            "catalog.cbor",
            "--peer",
            "srv.pub",
        ];
        cosect(&dir, &[&init[..], &["--input", &mine, "-o", &qf]].concat());
        let t = Instant::now();
        cosect(
            &dir,
            &["send", "-q", &url, &qf, "--peer", "srv.pub", "-i", &id, "-o", &af],
        );
        let took = t.elapsed();
        let out = cosect(&dir, &["finish", "-q", &af, "-i", &id, "--state-dir", &st]);
        lat.push((took, Instant::now()));
        let found = out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count() as u64;
        assert_eq!(found, q.div_ceil(2), "client {c}: wrong answer");
        let _ = std::fs::remove_file(dir.join(&qf));
        let _ = std::fs::remove_file(dir.join(&af));
        n += 1;
    }
    lat
}

/// One mutual exchange of `m` entries per side, `m / 2` shared.
fn mutual(dir: &Path, url: &str, m: u64) -> Duration {
    let t = Instant::now();
    let st = ["-i", "mu.id", "--state-dir", "st-mu"];
    cosect(
        dir,
        &[
            &[
                "init",
                "-q",
                "--peer",
                "srv.pub",
                "--input",
                "mu.txt",
                "-o",
                "mu-r1.cbor",
            ],
            &st[..],
        ]
        .concat(),
    );
    cosect(
        dir,
        &[
            "send",
            "-q",
            url,
            "mu-r1.cbor",
            "--peer",
            "srv.pub",
            "-i",
            "mu.id",
            "-o",
            "mu-r2.cbor",
        ],
    );
    let out = cosect(
        dir,
        &[&["finish", "-q", "mu-r2.cbor", "--reply", "mu-r3.cbor"], &st[..]].concat(),
    );
    let found = out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count() as u64;
    assert_eq!(found, m / 2, "mutual: wrong answer");
    cosect(
        dir,
        &["send", "-q", url, "mu-r3.cbor", "--peer", "srv.pub", "-i", "mu.id"],
    );
    t.elapsed()
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for the list of benchmarks
    }
    let (clients, secs) = (env_num("COSECT_LOAD_CLIENTS", 32), env_num("COSECT_LOAD_SECS", 60));
    let (q, m) = (
        env_num("COSECT_LOAD_QUERY", 1000),
        env_num("COSECT_LOAD_MUTUAL", 100_000),
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    std::fs::create_dir(dir.join("peers")).unwrap();
    keygen(&dir, "srv");
    for who in (0..clients).map(|c| format!("c{c}")).chain(["mu".to_owned()]) {
        keygen(&dir, &who);
        std::fs::copy(dir.join(format!("{who}.pub")), dir.join(format!("peers/{who}.pub"))).unwrap();
    }
    list(&dir, "catalog.txt", "h", 0..10_000);
    cosect(
        &dir,
        &[
            "publish",
            "-q",
            "-i",
            "srv.id",
            "--state-dir",
            "st-srv",
            "--input",
            "catalog.txt",
            "-o",
            "catalog.cbor",
        ],
    );
    list(&dir, "srv.txt", "m", 0..m);
    list(&dir, "mu.txt", "m", m / 2..m + m / 2);

    let mut server = Command::new(env!("CARGO_BIN_EXE_cosect"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--peers",
            "peers",
            "-i",
            "srv.id",
            "--state-dir",
            "st-srv",
        ])
        .args(["--catalog", "catalog.cbor", "--input", "srv.txt", "--timeout", "10m"])
        .current_dir(&dir)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut err = BufReader::new(server.stderr.take().unwrap());
    err.read_line(&mut first).unwrap();
    // Keep reading what the server says, so its stderr never closes.
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .unwrap()
        .to_owned();

    let start = Instant::now();
    let until = start + Duration::from_secs(secs);
    let lat = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let (dir, url, lat) = (dir.clone(), url.clone(), lat.clone());
            std::thread::spawn(move || {
                let l = client(dir, url, c, q, until);
                lat.lock().unwrap().extend(l);
            })
        })
        .collect();
    let mutual_time = if m > 0 { Some(mutual(&dir, &url, m)) } else { None };
    workers.into_iter().for_each(|w| w.join().unwrap());
    let wall = start.elapsed();
    let rss = peak_rss_kib(server.id());
    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    let code = server.wait().unwrap().code();

    let done = lat.lock().unwrap().clone();
    // Sustained throughput: queries finished within the S seconds, before
    // the clients stop starting new ones and the last ones drain.
    let in_window = done.iter().filter(|(_, at)| *at <= until).count() as f64;
    let mut lat: Vec<Duration> = done.iter().map(|(l, _)| *l).collect();
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    let n = lat.len() as f64;
    println!("serve_load: {clients} clients x queries of {q} entries for {secs} s, + mutual {m} per side");
    println!(
        "  catalog queries answered (all exact): {} in {:.1} s wall",
        lat.len(),
        wall.as_secs_f64()
    );
    println!(
        "  throughput: {:.2} queries/s, {:.0} entries/s (all, over the wall time); {:.2} queries/s \
         within the {secs} s",
        n / wall.as_secs_f64(),
        n * q as f64 / wall.as_secs_f64(),
        in_window / secs as f64
    );
    println!(
        "  send latency: p50 {:.3} s, p99 {:.3} s",
        pct(0.5).as_secs_f64(),
        pct(0.99).as_secs_f64()
    );
    if let Some(t) = mutual_time {
        println!("  mutual exchange of {m} per side (exact): {:.1} s", t.as_secs_f64());
    }
    println!(
        "  server peak RSS (VmHWM): {:.1} MiB; exit after SIGTERM: {code:?}",
        rss as f64 / 1024.0
    );
}
