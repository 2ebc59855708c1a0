//! What `cosect serve` does with TLS clients other than `cosect send`
//! (doc/serve.md §1 and §6): one without ALPN, one that offers only
//! another protocol, one that closes its side (close_notify) right after
//! its request, and GnuTLS's `gnutls-cli`, another TLS stack that speaks
//! RFC 7250 raw public keys, with the key derived as bundle-format.md §9.3
//! says.
#![cfg(feature = "serve")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::serve::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Carol's TLS client configuration, with `alpn` offered.
fn carol(env: &common::Env, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
    let me = cosect::identity::Identity::parse(&env.read("carol.id")).unwrap();
    let srv = cosect::identity::PublicIdentity::parse(&env.read("srv.pub")).unwrap();
    let mut cfg = cosect::serve::tls::client_config(me.signing_key(), &srv).unwrap();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(cfg)
}

/// Send `request` over TLS to `addr` (closing our side at once when
/// `close` is set) and read what comes back until the server closes; the
/// handshake's error instead, if it fails.
async fn exchange(cfg: Arc<rustls::ClientConfig>, addr: &str, request: &[u8], close: bool) -> Result<Vec<u8>, String> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::IpAddress(tcp.peer_addr().unwrap().ip().into());
    let mut tls = tokio_rustls::TlsConnector::from(cfg)
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    tls.write_all(request).await.unwrap();
    if close {
        tls.shutdown().await.unwrap();
    } else {
        tls.flush().await.unwrap();
    }
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut got)).await;
    Ok(got)
}

#[test]
fn clients_without_alpn_and_with_a_half_close_are_answered() {
    let env = world();
    publish(&env);
    let s = Server::start(&env, &["--catalog", "catalog.cbor"]);
    let addr = s.addr();
    let get = format!("GET /v1/catalog HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let catalog = env.bytes("catalog.cbor");
    let answered = |got: &[u8]| got.starts_with(b"HTTP/1.1 200") && got.ends_with(&catalog);
    // No ALPN at all: HTTP/1.1 is spoken.
    let got = rt
        .block_on(exchange(carol(&env, &[]), &addr, get.as_bytes(), false))
        .unwrap();
    assert!(
        answered(&got),
        "{}",
        String::from_utf8_lossy(&got[..got.len().min(200)])
    );
    // Only h2 offered: refused in the handshake (no_application_protocol).
    let e = rt
        .block_on(exchange(carol(&env, &[b"h2"]), &addr, get.as_bytes(), false))
        .unwrap_err();
    assert!(e.contains("NoApplicationProtocol"), "{e}");
    // http/1.1 and close_notify right after the request: the answer still comes.
    let keep = get.replace("connection: close\r\n", "");
    let got = rt
        .block_on(exchange(carol(&env, &[b"http/1.1"]), &addr, keep.as_bytes(), true))
        .unwrap();
    assert!(
        answered(&got),
        "{}",
        String::from_utf8_lossy(&got[..got.len().min(200)])
    );
    // A catalog query posted, then close_notify: answered, and the answer
    // is a bundle `finish` reads.
    query(&env, "carol", "carol.txt", "q.cbor");
    let body = env.bytes("q.cbor");
    let mut post = format!(
        "POST /v1/bundle HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    post.extend_from_slice(&body);
    let got = rt.block_on(exchange(carol(&env, &[]), &addr, &post, true)).unwrap();
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&got[..got.len().min(300)])
    );
    let at = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    env.write("answer.cbor", &got[at..]);
    let r = as_party(&env, "carol", &["finish", "answer.cbor"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    common::has(&r.stdout, "EVIL.example");
    // close_notify before the body is whole: refused as cut short.
    let cut = &post[..post.len() - 10];
    let got = rt.block_on(exchange(carol(&env, &[]), &addr, cut, true)).unwrap();
    assert!(got.starts_with(b"HTTP/1.1 400"), "{}", String::from_utf8_lossy(&got));
    common::has(&String::from_utf8_lossy(&got), "cosect-reason: cut-short");
    drop(s);
}

/// A DER key in PEM.
fn pem(kind: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN {kind}-----\n{b64}\n-----END {kind}-----\n")
}

#[test]
fn gnutls_cli_gets_a_catalog_with_a_cosect_identity() {
    use std::process::{Command, Stdio};
    if !common::have_tool("gnutls-cli", Command::new("gnutls-cli").arg("--version")) {
        return;
    }
    let env = world();
    publish(&env);
    // Carol's Ed25519 key as PKCS#8 (RFC 8410) and her raw public key.
    let me = cosect::identity::Identity::parse(&env.read("carol.id")).unwrap();
    let seed = me.signing_key().to_bytes();
    let pkcs8 = [&hex("302e020100300506032b657004220420")[..], &seed[..]].concat();
    let spki = [&hex("302a300506032b6570032100")[..], me.public().ed25519.as_bytes()].concat();
    env.write("carol-key.pem", pem("PRIVATE KEY", &pkcs8));
    env.write("carol-pub.pem", pem("PUBLIC KEY", &spki));
    let s = Server::start(&env, &["--catalog", "catalog.cbor"]);
    let addr = s.addr();
    let (host, port) = addr.rsplit_once(':').unwrap();
    let mut child = Command::new("gnutls-cli")
        .args([
            "--priority",
            "NORMAL:-VERS-ALL:+VERS-TLS1.3:+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK",
            "--rawpkkeyfile",
            "carol-key.pem",
            "--rawpkfile",
            "carol-pub.pem",
            "--no-ca-verification",
            "--print-cert",
            "-p",
            port,
            host,
        ])
        .current_dir(env.root())
        .env("HOME", env.path("home"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // No `connection: close`: gnutls-cli sends close_notify at the end of
    // its input, and the server answers, then closes.
    let get = format!("GET /v1/catalog HTTP/1.1\r\nhost: {addr}\r\n\r\n");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), get.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("HTTP/1.1 200 OK"), "{stdout}");
    let catalog = env.bytes("catalog.cbor");
    assert!(
        out.stdout.windows(catalog.len()).any(|w| w == catalog),
        "the catalog did not arrive whole"
    );
    // What gnutls-cli printed as the server's key is the one in srv.pub:
    // how a client without a pinning hook checks it.
    let srv = cosect::identity::PublicIdentity::parse(&env.read("srv.pub")).unwrap();
    let srv_spki = [&hex("302a300506032b6570032100")[..], srv.ed25519.as_bytes()].concat();
    common::has(&stdout, &pem("PUBLIC KEY", &srv_spki));
    drop(s);
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
