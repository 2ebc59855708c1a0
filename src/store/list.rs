//! What `cosect sessions` and the automatic clean-up see: the open
//! sessions and queries of a store, read from the `Info` at the head of
//! each file (never the secrets after it).

use std::path::{Path, PathBuf};

use super::{item, open_sealed, Info, Store};
use crate::error::{Error, Result};
use crate::identity::Identity;

/// One open session or query, or a file that could not be read.
pub struct Listed {
    pub path: PathBuf,
    pub info: std::result::Result<Info, Error>,
    /// The file is encrypted to another identity than the one listing.
    pub foreign: bool,
}

/// What an automatic clean-up destroyed.
#[derive(Default)]
pub struct Pruned {
    pub sessions: Vec<Info>,
    pub catalogs: Vec<super::Retired>,
}

impl Store {
    /// Every session and query file, oldest first.
    pub fn list(&self, me: &Identity) -> Result<Vec<Listed>> {
        let mut out = Vec::new();
        let dirs = [
            (self.sessions_dir(), super::STATE_VERSION),
            (self.catalog_dir().join("queries"), super::catalog::STATE_VERSION),
            (self.groups_dir(), super::GROUP_VERSION),
        ];
        for (dir, version) in dirs {
            for path in state_files(&dir)? {
                let info = read_info(&path, me, version);
                let foreign = info
                    .as_ref()
                    .is_err_and(|e| e.message().contains(super::ANOTHER_IDENTITY));
                out.push(Listed { path, info, foreign });
            }
        }
        out.sort_by_key(|l| l.info.as_ref().map_or(0, |i| i.created));
        Ok(out)
    }

    /// How many mutual sessions are open with the peer of identity line
    /// `peer` (as responder or initiator).
    pub fn open_sessions_of(&self, me: &Identity, peer: &str) -> Result<usize> {
        let mut n = 0;
        for path in state_files(&self.sessions_dir())? {
            if read_info(&path, me, super::STATE_VERSION).is_ok_and(|i| i.peer == peer) {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Destroy the open session or query whose id starts with `id` (at
    /// least 8 hex digits, naming exactly one).
    /// A record of the cancellation is kept until the state would have
    /// expired, so that the answer, if it comes, is refused by saying so.
    pub fn cancel(&self, id: &str, me: &Identity, now: u64) -> Result<Info> {
        let id = id.to_ascii_lowercase();
        let all = self.list(me)?;
        let hits: Vec<&Listed> = all.iter().filter(|l| file_id(&l.path).starts_with(&id)).collect();
        match (&hits[..], id.len() >= 8 && id.bytes().all(|b| b.is_ascii_hexdigit())) {
            ([one], true) => {
                // Under the lock: not while another process commits over it.
                let mut tx = self.begin(me)?;
                if !one.path.exists() {
                    return Err(Error::new(format!("session {id} ended while it was being cancelled"))
                        .with_hint("`cosect sessions` lists the open ones"));
                }
                let info = one.info.as_ref().map(Clone::clone).unwrap_or_else(|_| Info {
                    id: unhex(&file_id(&one.path)).into(),
                    role: "unreadable state".into(),
                    ..Info::default()
                });
                // A sightings group goes with its open queries.
                if one.path.starts_with(self.groups_dir()) {
                    if let Ok(Some(g)) = self.load_group(&info.id, me) {
                        for m in &g.members {
                            if self.query_path(&m.query).exists() {
                                tx.end_query(&m.query)?;
                            }
                        }
                    }
                }
                if one.info.is_ok() {
                    let until = if info.expires > now {
                        info.expires
                    } else {
                        now + 7 * 86400
                    };
                    tx.keep(super::Keep::Answered(&super::Answered {
                        version: super::JOURNAL_VERSION,
                        id: info.id.clone(),
                        request: Default::default(),
                        peer: info.peer.clone(),
                        answer: super::Answer::Cancelled,
                        at: now,
                        until,
                    }))?;
                }
                tx.commit_with(|| destroy(&one.path))?;
                Ok(info)
            }
            (_, false) => Err(Error::new(format!("{id}: not a session id"))
                .with_hint("give at least the first 8 hex digits, as `cosect sessions` shows them")),
            ([], true) => Err(Error::new(format!("no open session {id} in {}", self.dir().display()))
                .with_hint("`cosect sessions` lists the open ones")),
            (_, true) => {
                Err(Error::new(format!("{id} names {} sessions", hits.len()))
                    .with_hint("give more hex digits of the id"))
            }
        }
    }

    /// Destroy the sessions and queries whose state expired before `now`,
    /// forget the answered requests that expired, and retire the catalogs
    /// that expired; say what went. Looked at without the lock first (most
    /// runs have nothing to do and take no lock), then done under it.
    pub fn prune(&self, me: &Identity, now: u64) -> Result<Pruned> {
        let expired = |l: &Listed| l.info.as_ref().is_ok_and(|i| i.expires != 0 && i.expires < now);
        // Catalog keys another identity or release wrote are left alone
        // here; the verbs that use them say what is wrong.
        let keys = || self.key_path().exists().then(|| self.load_keys(me).ok()).flatten();
        let old_keys = |k: &super::KeyState| k.live.iter().any(|l| l.expires < now);
        let to_do = self.list(me)?.iter().any(expired)
            || keys().is_some_and(|k| old_keys(&k))
            || !self.expired_records(now).is_empty()
            || self.legacy_journal_path().exists();
        let mut pruned = Pruned::default();
        if !to_do {
            return Ok(pruned);
        }
        let mut tx = self.begin(me)?;
        for l in self.list(me)? {
            if expired(&l) {
                destroy(&l.path)?;
                pruned.sessions.push(l.info.expect("expired() saw an Info"));
            }
        }
        for path in self.expired_records(now) {
            let name = file_id(&path);
            let gone = match super::load_sealed::<super::Answered>(&path, me, "the record of an answered session") {
                Ok(Some(a)) if a.until < now => Some((a.has_reply(), a.id.into_vec())).map(|(r, id)| (id, r)),
                Ok(Some(_)) => None,
                // Another release's record, or one that no longer opens:
                // past its time it guards nothing.
                Ok(None) | Err(_) => match name.strip_suffix(".finished").or(name.strip_suffix(".cancelled")) {
                    Some(id) => Some((unhex(id), false)),
                    None => Some((unhex(&name), true)),
                },
            };
            if let Some((id, with_reply)) = gone {
                let reply = self.reply_path(&id);
                if with_reply && reply.exists() {
                    destroy(&reply)?;
                }
                destroy(&path)?;
            }
        }
        if self.legacy_journal_path().exists() {
            for a in self.legacy_records(me, now)? {
                if tx.answered(&a.id).ok().flatten().is_none() {
                    tx.keep(super::Keep::Answered(&a))?;
                }
            }
            tx.end_legacy_journal()?;
        }
        if let Some(mut keys) = keys() {
            pruned.catalogs = keys.retire_expired(now);
            if !pruned.catalogs.is_empty() {
                tx.keep(super::Keep::Keys(&keys))?;
            }
        }
        tx.commit()?;
        Ok(pruned)
    }

    /// The journal records whose file time (their expiry, `mark_until`)
    /// is before `now`.
    fn expired_records(&self, now: u64) -> Vec<PathBuf> {
        let before = std::time::UNIX_EPOCH + std::time::Duration::from_secs(now.min(253_402_300_799));
        state_files(&self.journal_dir())
            .unwrap_or_default()
            .into_iter()
            .filter(|p| {
                std::fs::metadata(p)
                    .and_then(|m| m.modified())
                    .map_or(true, |t| t < before)
            })
            .collect()
    }
}

/// The `Info` at the head of a state file, refused (with the sentence
/// `load` would give) when it is of another version.
fn read_info(path: &Path, me: &Identity, version: u32) -> Result<Info> {
    let info = match open_sealed(path, me, "session state")? {
        Some(mut r) => item::<Info>(&mut r, path, "session state")?,
        None => return Err(Error::new(format!("{}: vanished", path.display()))),
    };
    if info.version != version || file_id(path) != super::hex(&info.id) {
        return Err(super::stale(path, "session state"));
    }
    Ok(info)
}

/// The `.age` files of a state directory (none if it does not exist).
pub(super) fn state_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(crate::fsio::io_error(&dir.display().to_string(), "cannot read", &e)),
    };
    Ok(rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "age"))
        .collect())
}

/// The bytes of a hex string (a state file's name).
pub(super) fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// The session id a state file is named after.
pub(super) fn file_id(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Delete a state file, overwritten with zeros first (it is encrypted to
/// the owner; this keeps its blocks from outliving a later key leak).
fn destroy(path: &Path) -> Result<()> {
    use std::io::Write;
    let name = path.display().to_string();
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(path) {
        let zeros = [0u8; 1 << 16];
        let mut left = len;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            if f.write_all(&zeros[..n]).is_err() {
                break;
            }
            left -= n as u64;
        }
        let _ = f.sync_all();
    }
    std::fs::remove_file(path).map_err(|e| crate::fsio::io_error(&name, "cannot delete", &e))
}
