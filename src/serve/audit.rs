//! The audit log: one JSON object per line and per request, appended to a
//! 0600 file. It names the peer, the request and what happened, with
//! counts, sizes and times; never an entry, a label or a secret.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

use crate::error::Result;

/// One line of the audit log.
#[derive(Serialize, Debug, Default, Clone)]
pub struct Entry {
    /// RFC 3339, UTC.
    pub time: String,
    /// The peer's name and fingerprint (hex), as authenticated by TLS.
    pub peer: String,
    pub fingerprint: String,
    /// Where a refused handshake came from (an aggregated line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// How many such handshakes since the last line (an aggregated line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Session or query id (hex), when the bundle was read that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// `catalog-query`, `round1`, `round3`, `catalog-get`, `handshake`, `request`.
    pub kind: &'static str,
    /// Elements in the request, and elements returned.
    pub elements_in: u64,
    pub elements_out: u64,
    /// The very request was answered before: its kept answer was sent again.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub again: bool,
    /// For a finished exchange: the shared entries' count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared: Option<u64>,
    /// `answered`, `finished`, or `refused: <reason>`.
    pub outcome: String,
    /// HTTP status returned.
    pub status: u16,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub duration_ms: u64,
}

/// Where the lines go (nowhere without --audit).
pub struct Audit {
    path: Option<std::path::PathBuf>,
    file: Option<Mutex<std::fs::File>>,
}

fn open_append(path: &Path) -> Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
        .map_err(|e| crate::fsio::io_error(&path.display().to_string(), "cannot open the audit log", &e))
}

impl Audit {
    pub fn open(path: Option<&Path>) -> Result<Audit> {
        let Some(path) = path else {
            return Ok(Audit { path: None, file: None });
        };
        Ok(Audit {
            path: Some(path.to_path_buf()),
            file: Some(Mutex::new(open_append(path)?)),
        })
    }

    /// Open the file again by its name (after logrotate moved it: SIGHUP).
    pub fn reopen(&self) -> Result<()> {
        if let (Some(path), Some(file)) = (&self.path, &self.file) {
            let new = open_append(path)?;
            *file.lock().unwrap_or_else(|p| p.into_inner()) = new;
        }
        Ok(())
    }

    /// Append one line; a failing write is reported on stderr, not fatal.
    pub fn write(&self, mut e: Entry) {
        e.time = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        let Some(file) = &self.file else { return };
        let mut line = serde_json::to_vec(&e).expect("an audit entry serializes");
        line.push(b'\n');
        let mut f = file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(err) = f.write_all(&line) {
            let _ = writeln!(
                std::io::stderr().lock(),
                "cosect serve: cannot write the audit log: {err}"
            );
        }
    }
}

/// Handshakes that did not authenticate, counted per source address and
/// reason until the next audit line: a stranger can flood the server with
/// handshakes, not the audit log (one line per source and reason per
/// interval, with the count). Claimed peers (a peer's key presented
/// without its proof) are counted per peer too.
#[derive(Default)]
pub struct Tally {
    by_source: Mutex<std::collections::HashMap<(String, &'static str), u64>>,
    claimed: Mutex<std::collections::HashMap<String, u64>>,
}

/// Distinct sources remembered between two lines; the rest are counted
/// together as "other sources".
const MAX_SOURCES: usize = 4096;

impl Tally {
    /// A handshake from `source` failed for `why`.
    pub fn failed(&self, source: std::net::IpAddr, why: &'static str) {
        let mut m = self.by_source.lock().unwrap_or_else(|p| p.into_inner());
        let mut key = (source.to_string(), why);
        if m.len() >= MAX_SOURCES && !m.contains_key(&key) {
            key.0 = "other sources".into();
        }
        *m.entry(key).or_default() += 1;
    }

    /// Someone presented `peer`'s key without its proof.
    pub fn claimed(&self, peer: String) {
        let mut m = self.claimed.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() < MAX_SOURCES || m.contains_key(&peer) {
            *m.entry(peer).or_default() += 1;
        }
    }

    /// One audit line per source and reason, and per claimed peer, since
    /// the last flush.
    pub fn flush(&self, audit: &Audit) {
        let sources = std::mem::take(&mut *self.by_source.lock().unwrap_or_else(|p| p.into_inner()));
        let claimed = std::mem::take(&mut *self.claimed.lock().unwrap_or_else(|p| p.into_inner()));
        for ((source, why), n) in sources {
            audit.write(Entry {
                kind: "handshake",
                source: Some(source),
                count: Some(n),
                outcome: why.into(),
                ..Entry::default()
            });
        }
        for (peer, n) in claimed {
            audit.write(Entry {
                kind: "impersonation",
                peer,
                count: Some(n),
                outcome: "refused: the peer's key was presented without its proof".into(),
                ..Entry::default()
            });
        }
    }
}
