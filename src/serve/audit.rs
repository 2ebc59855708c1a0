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
    file: Option<Mutex<std::fs::File>>,
}

impl Audit {
    pub fn open(path: Option<&Path>) -> Result<Audit> {
        let Some(path) = path else {
            return Ok(Audit { file: None });
        };
        let mut o = std::fs::OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let f = o
            .open(path)
            .map_err(|e| crate::fsio::io_error(&path.display().to_string(), "cannot open the audit log", &e))?;
        Ok(Audit {
            file: Some(Mutex::new(f)),
        })
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
