//! `send`'s side: one POST of a bundle over the pinned, mutually
//! authenticated TLS, with every failure turned into one sentence.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{header, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::tls::{describe, find_rustls};
use crate::error::{Cause, Error};

/// What the server returned.
pub enum Answer {
    /// A bundle (200).
    Bundle(Vec<u8>),
    /// No bundle: the exchange is finished (204).
    Finished,
}

/// `https://HOST:PORT[/]` → (host, port).
pub fn parse_url(url: &str) -> Result<(String, u16), Error> {
    let bad = || {
        Error::new(format!("{:?} is not a server address", crate::text::shown(url)))
            .with_hint("give it as https://HOST:PORT, e.g. https://127.0.0.1:8443")
    };
    let rest = url.strip_prefix("https://").ok_or_else(bad)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port.parse().map_err(|_| bad())?;
    if host.is_empty() || host.contains('/') {
        return Err(bad());
    }
    Ok((host.to_owned(), port))
}

fn sentence(what: &str, e: &(dyn std::error::Error + 'static)) -> Error {
    match find_rustls(e) {
        Some(r) => Error::new(format!("{what}: {}", describe(r))),
        None => Error::new(format!("{what}: {e}")),
    }
}

/// Up to 400 characters of the server's text, control and invisible
/// characters escaped (it comes from the network).
fn from_server(s: &str) -> String {
    s.chars()
        .take(400)
        .flat_map(|c| match c.is_control() || crate::text::is_invisible(c) {
            true => c.escape_default().collect::<Vec<_>>(),
            false => vec![c],
        })
        .collect()
}

/// The refusal a server sent as text: its sentence and hint, escaped.
fn refused(status: StatusCode, body: &[u8]) -> Error {
    let text = String::from_utf8_lossy(body);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("").trim();
    let hint = lines.find_map(|l| l.strip_prefix("hint: "));
    let reason = status.canonical_reason().unwrap_or("refused").to_lowercase();
    let err = Error::new(format!(
        "the server refused the bundle ({} {reason}): {}",
        status.as_u16(),
        from_server(first)
    ));
    match hint {
        Some(h) => err.with_hint(from_server(h)),
        None => err,
    }
}

/// POST `body` to `host:port` and read the answer, within `timeout` in
/// all; a busy server (503) is asked again after its Retry-After (or 1, 2,
/// 4, … seconds; at most 30), for as long as `timeout` leaves room. The
/// same bundle again is never answered twice (the server's journal).
pub async fn post(
    host: &str,
    port: u16,
    cfg: Arc<rustls::ClientConfig>,
    body: Vec<u8>,
    timeout: Duration,
) -> Result<Answer, Error> {
    let body = Bytes::from(body);
    let start = std::time::Instant::now();
    let mut attempt: u32 = 0;
    loop {
        let left = timeout.saturating_sub(start.elapsed());
        let r = call(
            host,
            port,
            cfg.clone(),
            (super::http::BUNDLE_PATH, Some(body.clone())),
            left,
        )
        .await;
        let Err(e) = r else { return r };
        let Cause::Busy { retry_after } = e.cause() else {
            return Err(e);
        };
        let wait = Duration::from_secs(retry_after.unwrap_or(1 << attempt.min(5)).clamp(1, 30));
        if start.elapsed() + wait >= timeout {
            return Err(e);
        }
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// GET `path` (a served catalog) from `host:port`, within `timeout`.
pub async fn get(
    host: &str,
    port: u16,
    cfg: Arc<rustls::ClientConfig>,
    path: &str,
    timeout: Duration,
) -> Result<Answer, Error> {
    call(host, port, cfg, (path, None), timeout).await
}

/// POST `body` to `path` on `at`, or GET `path` without one.
fn request(path: &str, body: Option<Bytes>, at: &str) -> Result<Request<Full<Bytes>>, Error> {
    let req = match body {
        Some(body) => Request::post(path)
            .header(header::CONTENT_TYPE, "application/cose")
            .body(Full::new(body)),
        None => Request::get(path).body(Full::new(Bytes::new())),
    };
    let mut req = req.map_err(|e| Error::new(e.to_string()))?;
    let host_value = header::HeaderValue::from_str(at).map_err(|e| Error::new(e.to_string()))?;
    req.headers_mut().insert(header::HOST, host_value);
    Ok(req)
}

/// The server's answer: a bundle, "finished", or its refusal as an error.
async fn answer(resp: hyper::Response<hyper::body::Incoming>, at: &str) -> Result<Answer, Error> {
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let bytes = Limited::new(resp.into_body(), usize::MAX >> 1)
        .collect()
        .await
        .map_err(|e| Error::new(format!("the answer from {at} was cut short: {e}")))?
        .to_bytes();
    match status {
        StatusCode::OK => Ok(Answer::Bundle(bytes.to_vec())),
        StatusCode::NO_CONTENT => Ok(Answer::Finished),
        StatusCode::SERVICE_UNAVAILABLE => Err(refused(status, &bytes).because(Cause::Busy { retry_after })),
        s => Err(refused(s, &bytes)),
    }
}

/// One request: POST the body to the path, or GET the path without one.
async fn call(
    host: &str,
    port: u16,
    cfg: Arc<rustls::ClientConfig>,
    (path, body): (&str, Option<Bytes>),
    timeout: Duration,
) -> Result<Answer, Error> {
    let at = format!("{host}:{port}");
    let fut = async {
        let tcp = TcpStream::connect((host, port)).await.map_err(|e| {
            Error::new(format!("cannot connect to {at}: {e}")).with_hint("is `cosect serve` running there?")
        })?;
        let ip = tcp
            .peer_addr()
            .map(|a| a.ip())
            .map_err(|e| Error::new(format!("cannot connect to {at}: {e}")))?;
        let tls = TlsConnector::from(cfg)
            .connect(ServerName::IpAddress(ip.into()), tcp)
            .await
            .map_err(|e| sentence(&format!("TLS with {at} failed"), &e))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| sentence(&format!("HTTP with {at} failed"), &e))?;
        let conn_task = tokio::spawn(conn);
        let req = request(path, body, &at)?;
        // In TLS 1.3 the server checks our key after our handshake ends: a
        // refusal shows up here, as the connection task's error.
        let resp = match sender.send_request(req).await {
            Ok(r) => r,
            Err(e) => {
                return Err(match conn_task.await {
                    Ok(Err(ce)) if find_rustls(&ce).is_some() => sentence(&format!("{at} refused the connection"), &ce),
                    _ => sentence(&format!("{at} closed the connection"), &e)
                        .with_hint("the server may be stopping or have cut the request; send it again later"),
                })
            }
        };
        answer(resp, &at).await
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(Error::new(format!(
            "no answer from {at} within {}",
            humantime::format_duration(timeout)
        ))
        .with_hint("a large exchange takes time: raise --timeout")),
    }
}
