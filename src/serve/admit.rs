//! Admission control: how much `serve` takes on at once, so that no peer
//! and no stranger can starve the others or exhaust the process.
//!
//! - Connections: at most `max_connections` open (more are closed at
//!   once); from one source address at most `per_source` still in their
//!   TLS handshake, and new connections from it at most `rate` per second
//!   (a burst of `4 × rate`): a stranger's connections are closed before
//!   any TLS work, and only its own.
//! - Requests: at most `max_in_flight` admitted at once (reading their
//!   body, queued or being answered), at most `per_peer` of one peer;
//!   beyond, 503 with Retry-After. Bodies are held against one memory
//!   budget (a request reserves its declared length, or the largest
//!   allowed). Answers are computed `workers` at a time (one per core),
//!   taken in arrival order: with the per-peer cap, no peer holds the
//!   queue.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The limits, settled at start.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    pub max_connections: usize,
    pub per_source: usize,
    pub rate: f64,
    pub max_in_flight: usize,
    pub per_peer: usize,
    pub body_memory: u64,
    pub workers: usize,
}

#[derive(Default)]
struct Source {
    handshaking: usize,
    tokens: f64,
    at: Option<Instant>,
}

#[derive(Default)]
struct Requests {
    total: usize,
    by_peer: HashMap<[u8; 32], usize>,
}

/// The admission state shared by every connection.
pub struct Admission {
    pub caps: Caps,
    connections: Arc<Semaphore>,
    sources: Mutex<HashMap<IpAddr, Source>>,
    requests: Mutex<Requests>,
    body_kib: Arc<Semaphore>,
    work: Arc<Semaphore>,
}

/// Kept while a connection is open.
pub struct Connection {
    _permit: OwnedSemaphorePermit,
}

/// Kept while a connection is in its handshake.
pub struct Handshaking {
    adm: Arc<Admission>,
    ip: IpAddr,
}

/// Kept while a request is admitted.
pub struct Ticket {
    adm: Arc<Admission>,
    peer: [u8; 32],
    _body: Option<OwnedSemaphorePermit>,
}

/// Why a connection or request was not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum Full {
    Connections,
    SourceHandshakes,
    SourceRate,
    Requests,
    PeerRequests,
    Memory,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Distinct sources remembered; beyond, idle ones are forgotten.
const MAX_SOURCES: usize = 4096;

impl Admission {
    pub fn new(caps: Caps) -> Arc<Admission> {
        let kib = (caps.body_memory / 1024).clamp(1, u32::MAX as u64) as usize;
        Arc::new(Admission {
            caps,
            connections: Arc::new(Semaphore::new(caps.max_connections)),
            sources: Mutex::new(HashMap::new()),
            requests: Mutex::new(Requests::default()),
            body_kib: Arc::new(Semaphore::new(kib)),
            work: Arc::new(Semaphore::new(caps.workers.max(1))),
        })
    }

    /// A new connection from `ip`: taken, or why not.
    pub fn connect(self: &Arc<Self>, ip: IpAddr) -> Result<(Connection, Handshaking), Full> {
        let now = Instant::now();
        let mut sources = lock(&self.sources);
        if sources.len() >= MAX_SOURCES && !sources.contains_key(&ip) {
            let full = (4.0 * self.caps.rate).max(1.0);
            sources.retain(|_, s| s.handshaking > 0 || s.tokens < full);
        }
        let s = sources.entry(ip).or_default();
        let burst = (4.0 * self.caps.rate).max(1.0);
        let since =
            s.at.map_or(burst, |t| now.duration_since(t).as_secs_f64() * self.caps.rate);
        s.tokens = (s.tokens + since).min(burst);
        s.at = Some(now);
        if s.tokens < 1.0 {
            return Err(Full::SourceRate);
        }
        if s.handshaking >= self.caps.per_source {
            return Err(Full::SourceHandshakes);
        }
        let permit = self
            .connections
            .clone()
            .try_acquire_owned()
            .map_err(|_| Full::Connections)?;
        s.tokens -= 1.0;
        s.handshaking += 1;
        Ok((Connection { _permit: permit }, Handshaking { adm: self.clone(), ip }))
    }

    /// Admit a request of `peer` whose body is at most `bytes` long.
    pub fn request(self: &Arc<Self>, peer: [u8; 32], bytes: u64) -> Result<Ticket, Full> {
        {
            let mut r = lock(&self.requests);
            if r.total >= self.caps.max_in_flight {
                return Err(Full::Requests);
            }
            let mine = r.by_peer.get(&peer).copied().unwrap_or(0);
            if mine >= self.caps.per_peer {
                return Err(Full::PeerRequests);
            }
            r.total += 1;
            *r.by_peer.entry(peer).or_default() += 1;
        }
        let mut t = Ticket {
            adm: self.clone(),
            peer,
            _body: None,
        };
        let kib = (bytes / 1024 + 1).min((self.caps.body_memory / 1024).max(1)) as u32;
        t._body = Some(
            self.body_kib
                .clone()
                .try_acquire_many_owned(kib)
                .map_err(|_| Full::Memory)?,
        );
        Ok(t)
    }

    /// Wait for a worker (answers are computed one per core at a time).
    pub async fn worker(&self) -> OwnedSemaphorePermit {
        self.work
            .clone()
            .acquire_owned()
            .await
            .expect("the work semaphore is never closed")
    }
}

impl Drop for Handshaking {
    fn drop(&mut self) {
        let mut sources = lock(&self.adm.sources);
        if let Some(s) = sources.get_mut(&self.ip) {
            s.handshaking = s.handshaking.saturating_sub(1);
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut r = lock(&self.adm.requests);
        r.total = r.total.saturating_sub(1);
        if let Some(n) = r.by_peer.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                r.by_peer.remove(&self.peer);
            }
        }
    }
}

impl Full {
    /// The sentence for a refused request (503).
    pub fn sentence(&self) -> &'static str {
        match self {
            Full::Requests => "the server is answering as many requests as it takes at once",
            Full::PeerRequests => "the server is already answering as many of your requests as it takes at once",
            Full::Memory => "the server holds as many request bodies as its memory allows",
            _ => "the server is busy",
        }
    }

    /// The audit line's reason for a closed connection.
    pub fn why(&self) -> &'static str {
        match self {
            Full::Connections => "closed: the server's connection limit was reached",
            Full::SourceHandshakes => "closed: too many handshakes at once from this source",
            Full::SourceRate => "closed: too many new connections per second from this source",
            _ => "closed",
        }
    }
}

/// The descriptor limit, raised to its hard limit: (soft after, hard).
pub fn raise_descriptor_limit() -> Option<(u64, u64)> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let now = getrlimit(Resource::Nofile);
    let hard = now.maximum;
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: hard,
            maximum: hard,
        },
    );
    let after = getrlimit(Resource::Nofile);
    Some((after.current?, after.maximum.unwrap_or(u64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps() -> Caps {
        Caps {
            max_connections: 3,
            per_source: 2,
            rate: 1000.0,
            max_in_flight: 3,
            per_peer: 2,
            body_memory: 10 << 10,
            workers: 1,
        }
    }

    #[test]
    fn connections_are_capped_per_source_and_in_total() {
        let adm = Admission::new(caps());
        let (a, b) = ("127.0.0.2".parse().unwrap(), "127.0.0.1".parse().unwrap());
        let c1 = adm.connect(a).unwrap();
        let c2 = adm.connect(a).unwrap();
        assert_eq!(adm.connect(a).err(), Some(Full::SourceHandshakes));
        let c3 = adm.connect(b).unwrap();
        assert_eq!(adm.connect(b).err(), Some(Full::Connections));
        drop(c1);
        let _c4 = adm.connect(a).unwrap();
        drop((c2, c3));
    }

    #[test]
    fn requests_are_capped_per_peer_in_total_and_by_memory() {
        let adm = Admission::new(caps());
        let t1 = adm.request([1; 32], 100).unwrap();
        let t2 = adm.request([1; 32], 100).unwrap();
        assert!(matches!(adm.request([1; 32], 100), Err(Full::PeerRequests)));
        // 8 of the 10 KiB left: taken, and then the memory is full.
        let big = adm.request([2; 32], 7 << 10).unwrap();
        assert!(matches!(adm.request([3; 32], 100), Err(Full::Requests)));
        drop(t1);
        assert!(matches!(adm.request([3; 32], 1500), Err(Full::Memory)));
        drop(big);
        // A body larger than the whole budget reserves all of it.
        let _t = adm.request([3; 32], 20 << 10);
        assert!(matches!(_t, Err(Full::Memory)), "t2 still holds 1 KiB");
        drop(t2);
        let _t = adm.request([3; 32], 20 << 10).unwrap();
    }
}
