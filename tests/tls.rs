//! What `cosect serve` does with TLS clients other than `cosect send`
//! (doc/serve.md §1 and §6): one without ALPN, one that offers only
//! another protocol, and one that closes its side (close_notify) right
//! after its request, as `gnutls-cli` does at the end of its input.
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
    drop(s);
}
