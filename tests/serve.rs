//! `cosect serve` and `cosect send` through the real binaries over
//! loopback: the server and each client are separate processes with their
//! own identities and state directories; the server picks a free port
//! (`--listen 127.0.0.1:0`) and says which on stderr.
#![cfg(feature = "serve")]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::serve::*;
use common::{has, ok, signal, Env, Run};

fn refused(r: Run, what: &str) -> String {
    assert_eq!(r.code, 1, "{what} should fail: {}", r.stderr);
    assert!(r.stderr.starts_with("error: "), "{what}: {}", r.stderr);
    assert!(!r.stderr.contains("HTTP/1.1"), "{what}: an HTTP dump: {}", r.stderr);
    r.stderr
}

/// Carol's round 1 of a mutual exchange (`r1.cbor`) sent; round 2 back in
/// `r2.cbor`.
fn round1(env: &Env, s: &Server, extra: &[&str]) {
    let args = [
        "init",
        "--peer",
        "srv.pub",
        "--input",
        "carol.txt",
        "-o",
        "r1.cbor",
        "-q",
    ];
    ok(as_party(env, "carol", &[&args[..], extra].concat()), "init");
    ok(send(env, s, "carol", "r1.cbor", Some("r2.cbor")), "send r1");
}

#[test]
fn catalog_and_mutual_exchanges_through_serve_and_send() {
    let env = world();
    publish(&env);
    let s = Server::start(&env, &["--catalog", "catalog.cbor", "--input", "iocs.txt"]);

    // The served catalog downloads byte for byte through the pinned TLS.
    let cmd = [
        "send",
        &s.url,
        "--fetch-catalog",
        "--peer",
        "srv.pub",
        "-i",
        "carol.id",
        "-o",
        "fetched.cbor",
    ];
    ok(env.run(&cmd), "send --fetch-catalog");
    assert_eq!(
        std::fs::read(env.path("fetched.cbor")).unwrap(),
        std::fs::read(env.path("catalog.cbor")).unwrap()
    );

    // Catalog query: init → send → finish, exact.
    query(&env, "carol", "carol.txt", "q.cbor");
    let r = ok(send(&env, &s, "carol", "q.cbor", Some("a.cbor")), "send query");
    has(&r.stderr, "its answer written to a.cbor");
    let r = ok(as_party(&env, "carol", &["finish", "a.cbor"]), "finish");
    assert_eq!(r.stdout, "EVIL.example\nworse.example.\n");

    // A query split into parts crosses as its parts, given in any order.
    query_with(
        &env,
        "carol",
        "carol.txt",
        "qs.cbor",
        &["--pad-to", "100", "--split", "1K"],
    );
    let mut parts = env.names_starting("qs.cbor.part-");
    assert!(parts.len() > 1, "{parts:?}");
    parts.sort();
    parts.reverse();
    let mut cmd = vec!["send", &s.url];
    cmd.extend(parts.iter().map(String::as_str));
    cmd.extend(["--peer", "srv.pub", "-i", "carol.id", "-o", "as.cbor"]);
    let r = ok(env.run(&cmd), "send parts");
    has(&r.stderr, "parts)");
    let r = ok(as_party(&env, "carol", &["finish", "as.cbor"]), "finish split query");
    assert_eq!(r.stdout, "EVIL.example\nworse.example.\n");

    // Mutual: init → send (round 2 back) → finish (round 3) → send (nothing back).
    round1(&env, &s, &["--encrypt"]);
    let r = ok(
        as_party(&env, "carol", &["finish", "r2.cbor", "--reply", "r3.cbor", "--encrypt"]),
        "finish r2",
    );
    assert_eq!(r.stdout, "EVIL.example\nworse.example.\n");
    let r = ok(send(&env, &s, "carol", "r3.cbor", None), "send r3");
    has(
        &r.stderr,
        "the server finished the exchange, there is no bundle to return",
    );
    let results: Vec<_> = std::fs::read_dir(env.path("st-srv/results"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(results.len(), 1);
    assert_eq!(
        std::fs::read_to_string(&results[0]).unwrap(),
        "evil.example\nworse.example\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&results[0]).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The same round 3 retried (its answer lost): finished again, with
    // no second results file.
    let r = ok(send(&env, &s, "carol", "r3.cbor", None), "retried r3");
    has(&r.stderr, "the server finished the exchange");
    assert_eq!(std::fs::read_dir(env.path("st-srv/results")).unwrap().count(), 1);

    // The audit log: one JSON line per request, never an entry.
    let audit = env.read("audit.jsonl");
    let lines: Vec<serde_json::Value> = audit.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "catalog-get",
            "catalog-query",
            "catalog-query",
            "round1",
            "round3",
            "round3"
        ]
    );
    assert_eq!(lines[5]["again"], true);
    assert_eq!(lines[5]["status"], 204);
    assert_eq!(lines[1]["peer"], "carol");
    assert_eq!(lines[1]["elements_in"], 3);
    assert_eq!(lines[2]["elements_in"], 100);
    assert_eq!(lines[4]["shared"], 2);
    for secret in ["evil", "worse", "fine", "example"] {
        assert!(!audit.contains(secret), "{secret} in the audit log");
    }
    let (code, log) = s.terminate();
    assert_eq!(code, 0, "{log}");
}

#[test]
fn unknown_clients_and_bad_requests_are_refused_and_others_served() {
    let env = world();
    publish(&env);
    let s = Server::start(
        &env,
        &["--catalog", "catalog.cbor", "--max-request", "4000", "--timeout", "2s"],
    );
    query(&env, "carol", "carol.txt", "q.cbor");

    // Eve is not among the peers: refused at the handshake.
    let err = refused(send(&env, &s, "eve", "q.cbor", Some("a.cbor")), "eve");
    has(
        &err,
        "does not accept your identity (it is not among the server's --peers)",
    );
    // A server whose key is not the pinned one.
    let id = "carol.id";
    let r = env.run(&["send", &s.url, "q.cbor", "--peer", "dave.pub", "-i", id, "-o", "x.cbor"]);
    has(&refused(r, "wrong pin"), "the server's key is not the key of dave");
    // Garbage.
    env.write("junk.cbor", "not a bundle at all");
    has(
        &refused(send(&env, &s, "carol", "junk.cbor", Some("x.cbor")), "garbage"),
        "(400 bad request)",
    );
    // Oversized: a query of 200 elements is over 4000 bytes.
    let many: String = (0..200).map(|i| format!("host{i}.example\n")).collect();
    env.write("many.txt", many);
    query(&env, "carol", "many.txt", "big.cbor");
    let err = refused(send(&env, &s, "carol", "big.cbor", Some("x.cbor")), "oversized");
    assert!(err.contains("413") || err.contains("--max-request"), "{err}");
    // Signed by Carol but sent by Dave: refused by the engine.
    let err = refused(send(&env, &s, "dave", "q.cbor", Some("x.cbor")), "not dave's");
    has(&err, "(400 bad request)");
    // Slow loris: a connection that sends nothing is closed after --timeout.
    let t = Instant::now();
    let mut tcp = TcpStream::connect(s.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 64];
    let _ = tcp.read(&mut buf);
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "idle connection kept {:?}",
        t.elapsed()
    );
    // A truncated upload: half a request, then the connection closes.
    let mut tcp = TcpStream::connect(s.addr()).unwrap();
    let _ = tcp.write_all(b"\x16\x03\x01\x00\x10half");
    drop(tcp);
    // Carol is still served.
    ok(
        send(&env, &s, "carol", "q.cbor", Some("a.cbor")),
        "carol after the bad ones",
    );
    let r = ok(as_party(&env, "carol", &["finish", "a.cbor"]), "finish");
    assert_eq!(r.stdout, "EVIL.example\nworse.example.\n");
    // Refused handshakes are counted, and written per source when the
    // server stops (or every --audit-every).
    let (code, log) = s.terminate();
    assert_eq!(code, 0, "{log}");
    let audit = env.read("audit.jsonl");
    has(&audit, "\"source\":\"127.0.0.1\",\"count\":1,\"kind\":\"handshake\"");
    has(&audit, "refused: the key is not among --peers");
    has(&audit, "\"status\":400");
}

#[test]
fn budget_is_exceeded_then_freed() {
    let env = world();
    publish(&env);
    let args = ["--catalog", "catalog.cbor", "--budget", "4", "--budget-window", "3s"];
    let s = Server::start(&env, &args);
    query(&env, "carol", "carol.txt", "q1.cbor");
    query(&env, "carol", "carol.txt", "q2.cbor");
    query(&env, "dave", "carol.txt", "qd.cbor");
    ok(send(&env, &s, "carol", "q1.cbor", Some("a1.cbor")), "first query");
    let err = refused(send(&env, &s, "carol", "q2.cbor", Some("a2.cbor")), "over budget");
    has(
        &err,
        "(429 too many requests): the bundle: over budget: this request has 3 entries, and 3 of the peer's 4",
    );
    has(&err, "hint: the budget frees up enough for this request at ");
    // Another peer has its own budget.
    ok(send(&env, &s, "dave", "qd.cbor", Some("ad.cbor")), "dave");
    // The window (3 s) and one slot of it (1 s: a charge leaves with its slot).
    std::thread::sleep(Duration::from_millis(4200));
    ok(send(&env, &s, "carol", "q2.cbor", Some("a2.cbor")), "after the window");
    let r = ok(as_party(&env, "carol", &["finish", "a2.cbor"]), "finish");
    assert_eq!(r.stdout, "EVIL.example\nworse.example.\n");

    // `respond --budget` offline keeps the same record in the store: Carol
    // has 3 entries charged through the server (q2; q1 left its window).
    query(&env, "carol", "carol.txt", "q3.cbor");
    query(&env, "carol", "carol.txt", "q4.cbor");
    let respond = |q: &str, out: &str| {
        let args = ["respond", q, "--peer", "carol.pub", "-o", out, "--budget", "8", "-q"];
        as_party(&env, "srv", &args)
    };
    drop(s);
    ok(respond("q3.cbor", "a3.cbor"), "respond within budget");
    let err = refused(respond("q4.cbor", "a4.cbor"), "respond over budget");
    has(
        &err,
        "q4.cbor: over budget: this request has 3 entries, and 6 of the peer's 8",
    );
}

#[test]
fn sigterm_mid_load_loses_nothing_and_a_restarted_server_finishes_sessions() {
    let env = world();
    publish(&env);
    let many: String = (0..3000).map(|i| format!("host{i}.example\n")).collect();
    env.write("many.txt", many + "evil.example\n");
    let s = Server::start(
        &env,
        &["--catalog", "catalog.cbor", "--input", "iocs.txt", "--grace", "60s"],
    );

    // A round 1 answered, then the server is killed outright.
    round1(&env, &s, &[]);
    drop(s);
    let s = Server::start(
        &env,
        &["--catalog", "catalog.cbor", "--input", "iocs.txt", "--grace", "60s"],
    );
    ok(
        as_party(&env, "carol", &["finish", "r2.cbor", "--reply", "r3.cbor"]),
        "finish r2",
    );
    ok(send(&env, &s, "carol", "r3.cbor", None), "r3 to the restarted server");

    // Queries in flight when SIGTERM arrives are answered; the server exits 0.
    for i in 0..4 {
        query(&env, "dave", "many.txt", &format!("load{i}.cbor"));
    }
    let url = s.url.clone();
    let clients: Vec<_> = (0..4)
        .map(|i| {
            let mut c = env.command(&[
                "send",
                &url,
                &format!("load{i}.cbor"),
                "--peer",
                "srv.pub",
                "-i",
                "dave.id",
            ]);
            c.args(["-o", &format!("ans{i}.cbor")]);
            c.spawn().unwrap()
        })
        .collect();
    std::thread::sleep(Duration::from_millis(600));
    let (code, log) = s.terminate();
    assert_eq!(code, 0, "{log}");
    has(&log, "cosect: stopped");
    let mut answered = 0;
    for (i, mut c) in clients.into_iter().enumerate() {
        if c.wait().unwrap().success() {
            answered += 1;
            let r = ok(
                as_party(&env, "dave", &["finish", &format!("ans{i}.cbor")]),
                "finish a loaded answer",
            );
            assert_eq!(r.stdout, "evil.example\n");
        }
    }
    assert!(answered > 0, "no request was in flight");
}

#[test]
fn replies_to_peers_name_nothing_of_the_server() {
    let env = world();
    publish(&env);
    query(&env, "carol", "carol.txt", "q.cbor");
    let ids = |env: &Env| -> Vec<String> {
        let r = ok(as_party(env, "srv", &["catalogs", "--json"]), "catalogs");
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let old = ids(&env).remove(0);
    let args = [
        "publish",
        "--input",
        "iocs.txt",
        "-o",
        "new.cbor",
        "--replace",
        &old,
        "-q",
    ];
    ok(as_party(&env, "srv", &args), "publish --replace");
    let new = ids(&env).remove(0);
    let s = Server::start(&env, &["--catalog", "new.cbor"]);
    // A query against the retired catalog: 410, one sentence that names
    // neither the server's directory nor its live catalog.
    let err = refused(send(&env, &s, "carol", "q.cbor", Some("a.cbor")), "stale query");
    has(
        &err,
        "(410 gone): the query is against a catalog this server no longer answers",
    );
    has(&err, "--fetch-catalog");
    for secret in ["st-srv", new.as_str(), env.root().to_str().unwrap()] {
        assert!(!err.contains(secret), "{secret} in {err}");
    }
    // The operator's whole sentence is in the audit log, with the reason.
    let audit = env.read("audit.jsonl");
    has(&audit, "refused (stale-catalog)");
    has(&audit, &format!("catalog {old}"));
    let (code, log) = s.terminate();
    assert_eq!(code, 0, "{log}");
    has(&log, "cosect serve: refused a request of carol (410)");
}

/// `n` TCP connections to `addr` from the loopback address `from`, held
/// open and silent.
async fn idle(from: &str, addr: &str, n: usize) -> Vec<tokio::net::TcpStream> {
    let mut held = Vec::new();
    for _ in 0..n {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind(format!("{from}:0").parse().unwrap()).unwrap();
        if let Ok(c) = sock.connect(addr.parse().unwrap()).await {
            held.push(c);
        }
    }
    held
}

/// `n` requests as `who` over TLS that announce a body of `len` bytes and
/// send none of it; each connection's first bytes back (if any, within
/// a second).
async fn stalled(env: &Env, addr: &str, who: &str, n: usize, len: u64) -> (Vec<impl Sized>, Vec<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let me = cosect::identity::Identity::parse(&env.read(&format!("{who}.id"))).unwrap();
    let srv = cosect::identity::PublicIdentity::parse(&env.read("srv.pub")).unwrap();
    let cfg = std::sync::Arc::new(cosect::serve::tls::client_config(me.signing_key(), &srv).unwrap());
    let mut held = Vec::new();
    let mut said = Vec::new();
    for _ in 0..n {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let ip = tcp.peer_addr().unwrap().ip();
        let name = rustls::pki_types::ServerName::IpAddress(ip.into());
        let mut tls = tokio_rustls::TlsConnector::from(cfg.clone())
            .connect(name, tcp)
            .await
            .unwrap();
        let head = format!("POST /v1/bundle HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {len}\r\n\r\n");
        tls.write_all(head.as_bytes()).await.unwrap();
        tls.flush().await.unwrap();
        let mut buf = vec![0u8; 512];
        let got = tokio::time::timeout(Duration::from_millis(1000), tls.read(&mut buf)).await;
        said.push(match got {
            Ok(Ok(k)) => String::from_utf8_lossy(&buf[..k]).into_owned(),
            _ => String::new(),
        });
        held.push(tls);
    }
    (held, said)
}

#[test]
fn strangers_and_a_stalling_peer_do_not_stop_another_peer() {
    let env = world();
    publish(&env);
    let s = Server::start(
        &env,
        &["--catalog", "catalog.cbor", "--timeout", "20s", "--max-in-flight", "8"],
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // This test holds over a thousand sockets itself.
    let nofile = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    let _ = rustix::process::setrlimit(
        rustix::process::Resource::Nofile,
        rustix::process::Rlimit {
            current: nofile.maximum,
            maximum: nofile.maximum,
        },
    );
    // A stranger's 1,000 silent connections from another address: at most
    // 64 wait for their handshake at once, the rest are closed at once.
    let strangers = rt.block_on(idle("127.0.0.2", &s.addr(), 1000));
    // Carol announces twenty 40 MB uploads and sends nothing: two are
    // admitted (a quarter of --max-in-flight 8), the others get 503.
    let (uploads, said) = rt.block_on(stalled(&env, &s.addr(), "carol", 20, 40 << 20));
    let busy = said.iter().filter(|r| r.starts_with("HTTP/1.1 503")).count();
    assert_eq!(busy, 18, "{said:?}");
    let first_busy = said.iter().find(|r| r.starts_with("HTTP/1.1 503")).unwrap();
    has(&first_busy.to_ascii_lowercase(), "retry-after: 2");
    has(&first_busy.to_ascii_lowercase(), "cosect-reason: busy");
    // Dave is answered meanwhile.
    query(&env, "dave", "carol.txt", "qd.cbor");
    let start = std::time::Instant::now();
    ok(send(&env, &s, "dave", "qd.cbor", Some("ad.cbor")), "dave's query");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "dave waited {:?}",
        start.elapsed()
    );
    drop((strangers, uploads));
    let (code, log) = s.terminate();
    assert_eq!(code, 0, "{log}");
    has(&log, "up to ");
    let audit = env.read("audit.jsonl");
    has(&audit, "\"source\":\"127.0.0.2\"");
    has(&audit, "closed: too many handshakes at once from this source");
    let lines = audit.lines().filter(|l| l.contains("127.0.0.2")).count();
    assert!(
        lines <= 3,
        "one line per source and reason, not per connection: {audit}"
    );
}

#[test]
fn a_round1_flood_stops_at_the_budget_and_the_session_cap() {
    let env = world();
    env.write("one.txt", "evil.example\n");
    let init = |out: &str, mode: &str| {
        let line = format!("init --peer srv.pub --input one.txt -o {out} --mode {mode} -q");
        ok(as_party(&env, "carol", &common::argv(&line)), "init");
    };
    // Each one-element round 1 costs the server its whole list (3) too.
    let s = Server::start(&env, &["--input", "iocs.txt", "--budget", "10"]);
    for i in 0..3 {
        init(&format!("b{i}"), "one-sided");
    }
    ok(send(&env, &s, "carol", "b0", Some("b0.r2")), "first");
    ok(send(&env, &s, "carol", "b1", Some("b1.r2")), "second");
    let err = refused(send(&env, &s, "carol", "b2", Some("b2.r2")), "third");
    has(&err, "(429 too many requests)");
    has(&err, "over budget: this request has 4 entries, and 8 of the peer's 10");
    drop(s);
    // Open sessions per peer are capped.
    let s = Server::start(&env, &["--input", "iocs.txt", "--max-sessions-per-peer", "2"]);
    for i in 0..3 {
        init(&format!("m{i}"), "mutual");
    }
    ok(send(&env, &s, "carol", "m0", Some("m0.r2")), "first session");
    ok(send(&env, &s, "carol", "m1", Some("m1.r2")), "second session");
    let err = refused(send(&env, &s, "carol", "m2", Some("m2.r2")), "third session");
    has(&err, "(429 too many requests)");
    has(
        &err,
        "open exchanges with this server, as many as it keeps for one peer",
    );
    // Finishing one makes room.
    ok(
        as_party(&env, "carol", &["finish", "m0.r2", "--reply", "m0.r3"]),
        "finish",
    );
    ok(send(&env, &s, "carol", "m0.r3", None), "round 3");
    ok(send(&env, &s, "carol", "m2", Some("m2.r2")), "the third, now");
}

#[test]
fn impersonation_is_audited_as_such_and_sighup_reopens_the_audit_log() {
    use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
    let env = world();
    publish(&env);
    let s = Server::start(&env, &["--catalog", "catalog.cbor"]);
    // Carol's public key, presented with a proof made by another key.
    let carol = cosect::identity::PublicIdentity::parse(&env.read("carol.pub")).unwrap();
    let srv = cosect::identity::PublicIdentity::parse(&env.read("srv.pub")).unwrap();
    let mut spki = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
    spki.extend(carol.ed25519.to_bytes());
    let mut pkcs8 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ];
    pkcs8.extend([7u8; 32]);
    let other = rustls::crypto::ring::sign::any_eddsa_type(&PrivatePkcs8KeyDer::from(pkcs8)).unwrap();
    let key = std::sync::Arc::new(rustls::sign::CertifiedKey::new(vec![CertificateDer::from(spki)], other));
    let mallory = cosect::identity::Identity::parse(&env.read("eve.id")).unwrap();
    let mut cfg = cosect::serve::tls::client_config(mallory.signing_key(), &srv).unwrap();
    cfg.client_auth_cert_resolver = std::sync::Arc::new(rustls::client::AlwaysResolvesClientRawPublicKeys::new(key));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cfg = std::sync::Arc::new(cfg);
    for _ in 0..5 {
        rt.block_on(async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let tcp = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
            let name = rustls::pki_types::ServerName::IpAddress(tcp.peer_addr().unwrap().ip().into());
            if let Ok(mut tls) = tokio_rustls::TlsConnector::from(cfg.clone()).connect(name, tcp).await {
                let _ = tls.write_all(b"GET /v1/catalog HTTP/1.1\r\nhost: x\r\n\r\n").await;
                let _ = tls.flush().await;
                let mut buf = [0u8; 64];
                let got = tls.read(&mut buf).await;
                assert!(!matches!(got, Ok(n) if n > 0), "the impersonator was answered");
            }
        });
    }
    // logrotate moves the log away and sends SIGHUP: the server writes on
    // in a new file of the same name.
    std::fs::rename(env.path("audit.jsonl"), env.path("audit.jsonl.1")).unwrap();
    signal(s.child.id(), "HUP");
    std::thread::sleep(Duration::from_millis(300));
    query(&env, "carol", "carol.txt", "q.cbor");
    ok(send(&env, &s, "carol", "q.cbor", Some("a.cbor")), "carol herself");
    let (code, log) = s.terminate();
    assert_eq!(code, 0, "{log}");
    let audit = env.read("audit.jsonl");
    has(&audit, "\"catalog-query\"");
    has(&audit, "\"kind\":\"impersonation\"");
    has(&audit, &format!("\"peer\":\"carol ({})\"", carol.short_fingerprint()));
    has(&audit, "\"count\":5");
    has(&audit, "a peer's key without its proof (impersonation)");
}
