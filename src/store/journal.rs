//! The replay journal, one for every carrier: each request this store
//! answered (a round 1 of any mode, a catalog query) and each round 3 it
//! finished, kept until the request expires, in
//! `answered/<session>.age` (age-encrypted to the owner, 0600). A record
//! keys on what the peer signed: the session id and the SHA-256 of the
//! request's COSE bytes, so re-wrapping a bundle (plain, age, armor,
//! parts) does not make it new. The exact reply sent is kept beside it,
//! `answered/<session>.reply`, so that the same request retried gets the
//! same answer, byte for byte; another request for the same session is a
//! replay.
//!
//! A state file's modification time is set to the record's expiry, so a
//! clean-up finds what expired from the directory listing alone.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::{hex, load_sealed, Store};
use crate::error::{Error, Result};
use crate::identity::Identity;

/// 2: one record per session, keyed on the signed request, its reply kept.
pub const JOURNAL_VERSION: u32 = 2;

/// What was answered.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A round 1 answered with a round 2 (kept as the reply).
    Round2,
    /// A catalog query answered (kept as the reply).
    CatalogAnswer,
    /// A round 3 read and the session finished (no reply).
    Finished,
    /// An open session or query cancelled by hand (`sessions cancel`; no
    /// reply): kept so that its answer, when it comes, is refused by
    /// saying so.
    Cancelled,
}

/// One answered request.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Answered {
    pub version: u32,
    /// Its session (or query) id.
    pub id: ByteBuf,
    /// SHA-256 of the request's COSE bytes (empty: unknown, carried over
    /// from the journal of an older release).
    pub request: ByteBuf,
    /// The public identity line of the peer that signed it.
    pub peer: String,
    pub answer: Answer,
    /// When it was answered.
    pub at: u64,
    /// When the request expires: forgotten after that (it is refused as
    /// expired anyway).
    pub until: u64,
}

impl Answered {
    /// Whether `request` (the SHA-256 of a bundle's COSE bytes) is the
    /// very request this record answered.
    pub fn is_request(&self, request: &[u8]) -> bool {
        self.request[..] == request[..]
    }

    /// Whether a reply is kept beside the record.
    pub fn has_reply(&self) -> bool {
        !matches!(self.answer, Answer::Finished | Answer::Cancelled)
    }
}

/// `answered.age` of journal version 1: one list of session ids.
#[derive(Deserialize)]
struct Legacy {
    version: u32,
    answered: Vec<LegacyEntry>,
}

#[derive(Deserialize)]
struct LegacyEntry {
    #[serde(with = "serde_bytes")]
    id: Vec<u8>,
    at: u64,
    until: u64,
}

impl Store {
    pub(super) fn journal_dir(&self) -> PathBuf {
        self.dir().join("answered")
    }

    /// `answered/<session>.age` for a request answered,
    /// `answered/<session>.finished.age` for the round 3 that finished it.
    pub(super) fn record_path(&self, id: &[u8], answer: Answer) -> PathBuf {
        match answer {
            Answer::Finished => self.journal_dir().join(format!("{}.finished.age", hex(id))),
            Answer::Cancelled => self.journal_dir().join(format!("{}.cancelled.age", hex(id))),
            _ => self.journal_dir().join(format!("{}.age", hex(id))),
        }
    }

    /// `answered/<session>.reply`: the exact bytes answered.
    pub fn reply_path(&self, id: &[u8]) -> PathBuf {
        self.journal_dir().join(format!("{}.reply", hex(id)))
    }

    /// The journal of release 1, read (and then removed) by `prune`.
    pub(super) fn legacy_journal_path(&self) -> PathBuf {
        self.dir().join("answered.age")
    }

    /// The record of session `id`, if this store answered a request of it.
    pub fn answered(&self, id: &[u8], me: &Identity) -> Result<Option<Answered>> {
        self.record(id, Answer::Round2, me)
    }

    /// The record of the round 3 that finished session `id` here, if any.
    pub fn finished(&self, id: &[u8], me: &Identity) -> Result<Option<Answered>> {
        self.record(id, Answer::Finished, me)
    }

    /// The record of session or query `id` cancelled here, if any.
    pub fn cancelled(&self, id: &[u8], me: &Identity) -> Result<Option<Answered>> {
        self.record(id, Answer::Cancelled, me)
    }

    fn record(&self, id: &[u8], answer: Answer, me: &Identity) -> Result<Option<Answered>> {
        let path = self.record_path(id, answer);
        // Records of a request answered (Round2, CatalogAnswer) share a path.
        let same = |a: Answer| match answer {
            Answer::Finished | Answer::Cancelled => a == answer,
            _ => !matches!(a, Answer::Finished | Answer::Cancelled),
        };
        match load_sealed::<Answered>(&path, me, "the record of an answered session")? {
            Some(a) if a.version == JOURNAL_VERSION && a.id[..] == id[..] && same(a.answer) => Ok(Some(a)),
            Some(_) => Err(Error::new(format!(
                "{}: the record of an answered session is of another cosect version or session",
                path.display()
            ))
            .with_hint("delete it: it only guards against answering a request twice")),
            None => Ok(None),
        }
    }

    /// The exact reply kept for the record `a`.
    pub fn kept_reply(&self, a: &Answered) -> Result<Vec<u8>> {
        let path = self.reply_path(&a.id);
        std::fs::read(&path).map_err(|e| {
            crate::fsio::io_error(&path.display().to_string(), "cannot read the answer kept", &e)
                .with_hint("the answer kept for a retry is gone; ask your peer to start a new exchange")
        })
    }

    /// The unexpired entries of the release-1 journal, as records of an
    /// unknown request (any request of those sessions is refused).
    pub(super) fn legacy_records(&self, me: &Identity, now: u64) -> Result<Vec<Answered>> {
        let path = self.legacy_journal_path();
        let Some(old) = load_sealed::<Legacy>(&path, me, "the journal of answered sessions")? else {
            return Ok(Vec::new());
        };
        if old.version != 1 {
            return Err(Error::new(format!(
                "{}: the journal of answered sessions is of another cosect version",
                path.display()
            ))
            .with_hint("delete it: it only guards against answering a round 1 twice"));
        }
        Ok(old
            .answered
            .into_iter()
            .filter(|e| e.until >= now)
            .map(|e| Answered {
                version: JOURNAL_VERSION,
                id: e.id.into(),
                request: ByteBuf::new(),
                peer: String::new(),
                answer: Answer::Round2,
                at: e.at,
                until: e.until,
            })
            .collect())
    }
}

/// Set a journal file's modification time to `until`, so that a clean-up
/// sees its expiry without opening it (best effort: a file whose time
/// could not be set is opened instead).
pub(super) fn mark_until(path: &Path, until: u64) {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(until.min(253_402_300_799));
    if let Ok(f) = std::fs::OpenOptions::new().write(true).open(path) {
        let _ = f.set_modified(t);
    }
}
