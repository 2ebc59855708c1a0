//! The HTTP surface (doc/serve.md): hyper 1 over tokio-rustls, one task per
//! connection, the peer's identity taken from its TLS key, limits and
//! timeouts on every phase, and a graceful stop on SIGTERM.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::{header, Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::admit::Admission;
use super::audit::{Audit, Entry, Tally};
use super::exchange::{App, Refusal, Reply};
use super::tls::key_from_spki;
use crate::error::Error;
use crate::identity::PublicIdentity;

/// The path a bundle is posted to, and where catalogs are fetched.
pub const BUNDLE_PATH: &str = "/v1/bundle";
pub const CATALOG_PATH: &str = "/v1/catalog";

/// Time limits and the largest body.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// TLS handshake, request head, and request body, each.
    pub timeout: Duration,
    pub max_request: u64,
    /// After SIGTERM, for the requests in flight.
    pub grace: Duration,
    /// How often failed handshakes are written to the audit log.
    pub audit_every: Duration,
}

/// A served catalog: its name (16 hex digits), hash and bytes.
pub struct Served {
    pub name: String,
    pub hash: [u8; 32],
    pub bytes: Bytes,
}

/// Everything a connection needs.
pub struct Shared {
    pub app: App,
    pub admission: Arc<Admission>,
    pub audit: Arc<Audit>,
    /// Failed handshakes, counted until the next audit line.
    pub tally: Arc<Tally>,
    pub catalogs: Vec<Served>,
    pub peers: std::collections::HashMap<[u8; 32], PublicIdentity>,
    pub limits: Limits,
}

type Resp = Response<Full<Bytes>>;

/// The header that carries a refusal's machine-readable reason.
pub const REASON_HEADER: &str = "cosect-reason";

fn text(status: u16, reason: &str, err: &Error, retry_after: Option<u64>) -> Resp {
    let mut body = err.message().to_owned();
    if let Some(h) = err.hint() {
        body = format!("{body}\nhint: {h}");
    }
    let mut r = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(REASON_HEADER, reason);
    if let Some(s) = retry_after {
        r = r.header(header::RETRY_AFTER, s.to_string());
    }
    r.body(Full::new(Bytes::from(body + "\n")))
        .expect("static response parts are valid")
}

fn bundle(status: StatusCode, bytes: Bytes) -> Resp {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/cose")
        .body(Full::new(bytes))
        .expect("static response parts are valid")
}

fn refusal(status: u16, reason: &'static str, msg: impl Into<String>, hint: &str) -> Refusal {
    Refusal::new(status, reason, Error::new(msg).with_hint(hint))
}

/// Read the whole body within the limits: 413 over `max_request`, 408 too
/// slow, 400 cut short.
async fn read_body(req: Request<Incoming>, limits: Limits) -> Result<Vec<u8>, Refusal> {
    let too_large = || {
        refusal(
            413,
            "too-large",
            format!(
                "the bundle is larger than the server's limit of {} bytes",
                limits.max_request
            ),
            "the server's --max-request (or --max-query-items) limits a request; send a smaller list",
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_request) {
        return Err(too_large());
    }
    let body = Limited::new(req.into_body(), limits.max_request as usize);
    match tokio::time::timeout(limits.timeout, body.collect()).await {
        Err(_) => Err(refusal(
            408,
            "too-slow",
            format!(
                "the bundle did not arrive within {}",
                humantime::format_duration(limits.timeout)
            ),
            "check the connection and send it again",
        )),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(_)) => Err(refusal(
            400,
            "cut-short",
            "the bundle arrived cut short",
            "send it again",
        )),
        Ok(Ok(c)) => Ok(c.to_bytes().to_vec()),
    }
}

/// One request from the authenticated `peer`.
async fn handle(req: Request<Incoming>, peer: PublicIdentity, sh: Arc<Shared>) -> Result<Resp, Infallible> {
    let start = Instant::now();
    let mut e = Entry {
        peer: peer.display_name(),
        fingerprint: crate::store::hex(&peer.fingerprint()),
        kind: "request",
        ..Entry::default()
    };
    let path = req.uri().path().to_owned();
    let resp = match (req.method().clone(), path.as_str()) {
        (Method::POST, BUNDLE_PATH) => return Ok(post_bundle(req, peer, sh, e, start).await),
        (Method::GET, p) if p == CATALOG_PATH || p.starts_with("/v1/catalog/") => {
            e.kind = "catalog-get";
            get_catalog(p, &sh)
        }
        (_, BUNDLE_PATH) | (_, CATALOG_PATH) => Err(refusal(
            405,
            "method",
            "method not allowed",
            "POST /v1/bundle, GET /v1/catalog",
        )),
        _ => Err(refusal(
            404,
            "no-such-path",
            format!("no such path {:?}", crate::text::shown(&path)),
            "POST /v1/bundle, GET /v1/catalog",
        )),
    };
    Ok(respond(&sh, e, resp, start))
}

/// The response for `resp`, with its audit line written.
fn respond(sh: &Shared, mut e: Entry, resp: Result<Resp, Refusal>, start: Instant) -> Resp {
    let resp = match resp {
        Ok(r) => {
            e.outcome = if r.status() == StatusCode::NO_CONTENT {
                "finished"
            } else {
                "answered"
            }
            .into();
            r
        }
        Err(r) => {
            // The operator's sentence (it may name paths or other
            // catalogs) goes to the audit log and stderr; the peer's to the
            // peer.
            let own = r.operator.as_deref().unwrap_or(&r.error);
            e.outcome = format!("refused ({}): {}", r.reason, crate::text::shown(own.message()));
            if r.operator.is_some() {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "cosect serve: refused a request of {} ({}): {}",
                    e.peer,
                    r.status,
                    crate::text::escape(own.message())
                );
            }
            text(r.status, r.reason, &r.error, r.retry_after)
        }
    };
    e.status = resp.status().as_u16();
    e.bytes_out = hyper::body::Body::size_hint(resp.body()).exact().unwrap_or(0);
    e.duration_ms = start.elapsed().as_millis() as u64;
    sh.audit.write(e);
    resp
}

/// POST /v1/bundle. The answer is made, committed and audited on a
/// blocking thread that runs to its end even when the client goes away:
/// a committed answer is always audited, and its retry gets it again.
async fn post_bundle(
    req: Request<Incoming>,
    peer: PublicIdentity,
    sh: Arc<Shared>,
    mut e: Entry,
    start: Instant,
) -> Resp {
    // Admitted before the body is read: a count of requests in flight (in
    // all, and of this peer) and the body's room in memory.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let room = declared.unwrap_or(sh.limits.max_request).min(sh.limits.max_request);
    let ticket = match sh.admission.request(peer.ed25519.to_bytes(), room) {
        Ok(t) => t,
        Err(full) => {
            let busy = Refusal {
                retry_after: Some(2),
                ..refusal(503, "busy", full.sentence(), "send it again after Retry-After seconds")
            };
            return respond(&sh, e, Err(busy), start);
        }
    };
    let body = match read_body(req, sh.limits).await {
        Ok(b) => b,
        Err(r) => return respond(&sh, e, Err(r), start),
    };
    e.bytes_in = body.len() as u64;
    // Queued for a worker in arrival order; a client gone while queued
    // drops its request here, before any work.
    let worker = sh.admission.worker().await;
    let sh2 = sh.clone();
    let work = tokio::task::spawn_blocking(move || {
        let _held = (ticket, worker);
        let r = sh2.app.exchange(&peer, body, &mut e).map(|r| match r {
            Reply::Bundle(b) => bundle(StatusCode::OK, Bytes::from(b)),
            Reply::Finished => Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Full::new(Bytes::new()))
                .expect("static response parts are valid"),
        });
        respond(&sh2, e, r, start)
    });
    work.await.unwrap_or_else(|_| {
        let e = Error::new("the server failed while answering").with_hint("tell the server's operator");
        text(500, "internal", &e, None)
    })
}

/// GET /v1/catalog: the current catalog (the one the store's key made);
/// GET /v1/catalog/NAME: the served catalog of that name.
fn get_catalog(path: &str, sh: &Shared) -> Result<Resp, Refusal> {
    let found = match path.strip_prefix("/v1/catalog/") {
        Some(name) => sh.catalogs.iter().find(|c| c.name == name),
        None => {
            let cur = sh
                .app
                .store
                .load_keys(&sh.app.me)
                .ok()
                .and_then(|k| k.live.last().map(|c| c.catalog.clone()));
            sh.catalogs
                .iter()
                .find(|c| cur.as_deref().map(|h| &h[..]) == Some(&c.hash[..]))
                .or(sh.catalogs.first())
        }
    };
    match found {
        Some(c) => Ok(bundle(StatusCode::OK, c.bytes.clone())),
        None => Err(refusal(
            404,
            "no-such-catalog",
            "this server serves no such catalog",
            "GET /v1/catalog for its current one",
        )),
    }
}

/// Serve on `listener` until `stop` resolves; then stop accepting and give
/// the requests in flight `limits.grace` to finish.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    sh: Arc<Shared>,
    stop: impl std::future::Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(tls);
    let graceful = GracefulShutdown::new();
    let upkeep = tokio::spawn(upkeep(sh.clone()));
    let mut http = hyper::server::conn::http1::Builder::new();
    // half_close: a client may close its side (TLS close_notify) right
    // after its request, as gnutls-cli does at the end of its input; the
    // answer is still sent before the connection closes.
    http.timer(TokioTimer::new())
        .header_read_timeout(sh.limits.timeout)
        .half_close(true)
        .max_buf_size(64 * 1024);
    let http = Arc::new(http);
    tokio::pin!(stop);
    loop {
        let (tcp, addr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let (conn, handshaking) = match sh.admission.connect(addr.ip()) {
            Ok(c) => c,
            Err(full) => {
                sh.tally.failed(addr.ip(), full.why());
                drop(tcp);
                continue;
            }
        };
        // The watcher is taken before the handshake, so that a connection
        // mid-handshake at SIGTERM is waited for too.
        let watcher = graceful.watcher();
        let (acceptor, http, sh) = (acceptor.clone(), http.clone(), sh.clone());
        tokio::spawn(async move {
            let _conn = conn;
            let tls = match tokio::time::timeout(sh.limits.timeout, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => return sh.tally.failed(addr.ip(), super::tls::handshake_failure(&e)),
                Err(_) => {
                    return sh
                        .tally
                        .failed(addr.ip(), "the TLS handshake did not finish within --timeout")
                }
            };
            let key = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| key_from_spki(c));
            let Some(peer) = key.and_then(|k| sh.peers.get(&k).cloned()) else {
                // In TLS 1.3 the client's key and proof arrive after the
                // server's flight: a refusal surfaces on the first read.
                let mut tls = tls;
                let mut one = [0u8; 1];
                let why = match tokio::time::timeout(sh.limits.timeout, tls.read(&mut one)).await {
                    Ok(Err(e)) => super::tls::handshake_failure(&e),
                    _ => "refused: no admitted key",
                };
                return sh.tally.failed(addr.ip(), why);
            };
            drop(handshaking);
            let svc = hyper::service::service_fn(move |req| handle(req, peer.clone(), sh.clone()));
            let conn = http.serve_connection(TokioIo::new(tls), svc);
            let _ = watcher.watch(conn).await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(sh.limits.grace, graceful.shutdown()).await;
    upkeep.abort();
    sh.tally.flush(&sh.audit);
}

/// Every `audit_every`, the failed handshakes' lines; every ten minutes,
/// the state directory's clean-up (expired sessions, journal records and
/// catalogs); on SIGHUP, the audit log opened again by its name
/// (logrotate).
async fn upkeep(sh: Arc<Shared>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = signal(SignalKind::hangup()).ok();
    let mut every = tokio::time::interval(sh.limits.audit_every);
    every.tick().await;
    let mut prune = tokio::time::interval(Duration::from_secs(600));
    prune.tick().await;
    loop {
        let reopen = async {
            match hup.as_mut() {
                Some(h) => h.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = every.tick() => sh.tally.flush(&sh.audit),
            _ = prune.tick() => {
                let sh = sh.clone();
                let pruned = tokio::task::spawn_blocking(move || sh.app.store.prune(&sh.app.me, crate::exchange::now()));
                if let Ok(Err(e)) = pruned.await {
                    let _ = writeln!(std::io::stderr().lock(), "cosect serve: cannot clean up the state directory: {e}");
                }
            }
            _ = reopen => {
                if let Err(e) = sh.audit.reopen() {
                    let _ = writeln!(std::io::stderr().lock(), "cosect serve: {e}");
                }
            }
        }
    }
}

/// SIGTERM or Ctrl-C.
pub async fn termination() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {},
                _ = tokio::signal::ctrl_c() => {},
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Bind the listening socket.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(addr).await.map_err(|e| {
        Error::new(format!("cannot listen on {addr}: {e}")).with_hint("pick another --listen address or port")
    })
}
