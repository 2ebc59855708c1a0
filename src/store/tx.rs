//! The store's one transaction: every verb that keeps or ends state saves
//! it, writes its outputs and reaches one commit point through `Tx`. Until
//! the commit, every change is undone on an error and on an interrupt
//! (Ctrl-C, SIGTERM: the handler calls `fsio::remove_in_flight`), so a
//! stopped command leaves the store and its files as they were before it
//! or as they are after it, never a mix.
//!
//! A transaction holds the state directory's lock (`lock.rs`) from
//! `begin` to its commit or drop: what it re-reads through `Tx` is what it
//! commits over, whatever other processes do. Begin it only when the
//! arithmetic is done.

use std::io::Write;

use super::budget::{BudgetLog, Refused};
use super::journal::mark_until;
use super::{cbor, save_sealed, Answered, GroupState, KeyState, QueryState, Session, StateLock, Store};
use crate::error::Result;
use crate::fsio::{self, Dest};
use crate::identity::{Identity, PublicIdentity};

/// What a step keeps between rounds. A new kind of record is one more
/// variant here, with its path and whether it replaces the previous file.
pub enum Keep<'a> {
    /// A new mutual-protocol session (never replaces one).
    Session(&'a Session),
    /// A new catalog query (never replaces one).
    Query(&'a QueryState),
    /// The catalog key state (replaces the previous one).
    Keys(&'a KeyState),
    /// A sightings group's record (replaces the previous one).
    Group(&'a GroupState),
    /// A peer's budget record (replaces the previous one).
    Budget(&'a PublicIdentity, &'a BudgetLog),
    /// A request answered now, remembered until it expires (the replay
    /// journal). Keep it last: with it in place, the answer counts as given.
    Answered(&'a Answered),
}

/// One transaction on a store, opened with `Store::begin`.
#[must_use = "a transaction that is not committed is undone"]
pub struct Tx<'a> {
    store: &'a Store,
    me: &'a Identity,
    // Dropped after `pending` (fields drop in order): an uncommitted
    // transaction is undone before the lock is released.
    pending: fsio::Pending,
    _lock: StateLock,
    /// The mark of the bundle this transaction sent, kept in the `Info`
    /// of the session or query it keeps.
    mark: Option<[u8; 32]>,
}

impl Store {
    /// Start a transaction as `me`: take the state directory's lock
    /// (waiting for another process's commit, if one is under way).
    pub fn begin<'a>(&'a self, me: &'a Identity) -> Result<Tx<'a>> {
        let lock = self.lock()?;
        Ok(Tx {
            store: self,
            me,
            pending: fsio::Pending::new(),
            _lock: lock,
            mark: None,
        })
    }
}

impl<'a> Tx<'a> {
    /// Who the transaction's state is encrypted to.
    pub fn me(&self) -> &'a Identity {
        self.me
    }

    /// Note the mark of the bundle sent (`Sealed::mark`), for the session
    /// or query kept after it.
    pub fn mark_sent(&mut self, mark: Option<[u8; 32]>) {
        self.mark = mark;
    }

    /// Save state: undone unless the transaction commits.
    pub fn keep(&mut self, keep: Keep<'_>) -> Result<()> {
        let (s, me) = (self.store, self.me);
        let p = &mut self.pending;
        let marked = |mut i: super::Info| {
            i.sent_mark = self.mark.map(|m| m.to_vec()).unwrap_or_default().into();
            i
        };
        match keep {
            Keep::Session(v) => save_sealed(p, &s.path(&v.id), me, false, |w| {
                cbor(&marked(v.info()), w)?;
                cbor(v, w)
            }),
            Keep::Query(v) => save_sealed(p, &s.query_path(&v.id), me, false, |w| {
                cbor(&marked(v.info()), w)?;
                cbor(v, w)
            }),
            Keep::Keys(v) => save_sealed(p, &s.key_path(), me, true, |w| cbor(v, w)),
            Keep::Group(v) => save_sealed(p, &s.group_path(&v.id), me, true, |w| {
                cbor(&v.info(), w)?;
                cbor(v, w)
            }),
            Keep::Budget(peer, log) => save_sealed(p, &s.budget_path(peer), me, true, |w| cbor(log, w)),
            Keep::Answered(a) => {
                let path = s.record_path(&a.id, a.answer);
                save_sealed(p, &path, me, true, |w| cbor(a, w))?;
                mark_until(&path, a.until);
                Ok(())
            }
        }
    }

    /// The catalog key state, read under the lock.
    pub fn keys(&self) -> Result<KeyState> {
        self.store.load_keys(self.me)
    }

    /// A sightings group's record, read under the lock.
    pub fn group(&self, id: &[u8]) -> Result<Option<GroupState>> {
        self.store.load_group(id, self.me)
    }

    /// Whether session `id` is still open, read under the lock.
    pub fn session_open(&self, id: &[u8]) -> bool {
        self.store.path(id).exists()
    }

    /// Whether query `id` is still open, read under the lock.
    pub fn query_open(&self, id: &[u8]) -> bool {
        self.store.query_path(id).exists()
    }

    /// The journal's record of the request of session `id` answered, read
    /// under the lock.
    pub fn answered(&self, id: &[u8]) -> Result<Option<Answered>> {
        self.store.answered(id, self.me)
    }

    /// Charge `entries` to `peer`'s budget (read under the lock; saved
    /// with the transaction): the entries used in the window after it, or
    /// why it was refused.
    pub fn charge(
        &mut self,
        peer: &PublicIdentity,
        entries: u64,
        now: u64,
        (budget, window): (Option<u64>, u64),
    ) -> Result<std::result::Result<u64, Refused>> {
        let mut log = self.store.load_budget(peer, self.me)?;
        if let Err(r) = log.charge(entries, now, window, budget) {
            return Ok(Err(r));
        }
        self.keep(Keep::Budget(peer, &log))?;
        Ok(Ok(log.used()))
    }

    /// Write the reply to the request of session `id` where the journal
    /// keeps it (`answered/<session>.reply`, 0600): the file a retry of
    /// the same request is answered from. Returns its path.
    pub fn keep_reply(
        &mut self,
        id: &[u8],
        fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<std::path::PathBuf> {
        let path = self.store.reply_path(id);
        fsio::create_private_dir(&self.store.journal_dir())?;
        self.pending.write(&Dest::File(path.clone()), true, true, fill)?;
        Ok(path)
    }

    /// Write an output file (results, a round 3; 0600 with `secret`):
    /// removed again, or its previous content put back, unless the
    /// transaction commits.
    pub fn write(
        &mut self,
        dest: &Dest,
        (force, secret): (bool, bool),
        fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<()> {
        self.pending.write(dest, force, secret, fill)
    }

    /// Destroy a session's state: put back unless the transaction commits.
    pub fn end_session(&mut self, id: &[u8]) -> Result<()> {
        self.pending.remove(&self.store.path(id), "session state")
    }

    /// Remove the journal of release 1 (its records were carried over):
    /// put back unless the transaction commits.
    pub(super) fn end_legacy_journal(&mut self) -> Result<()> {
        self.pending
            .remove(&self.store.legacy_journal_path(), "the journal of answered sessions")
    }

    /// Destroy a query's state: put back unless the transaction commits.
    pub fn end_query(&mut self, id: &[u8]) -> Result<()> {
        self.pending.remove(&self.store.query_path(id), "query state")
    }

    /// Destroy a sightings group's record: put back unless the
    /// transaction commits.
    pub fn end_group(&mut self, id: &[u8]) -> Result<()> {
        self.pending.remove(&self.store.group_path(id), "sightings group")
    }

    /// The commit point: run `last` (a deletion that cannot be undone),
    /// and keep every change if it succeeds.
    pub fn commit_with(self, last: impl FnOnce() -> Result<()>) -> Result<()> {
        let Tx { pending, _lock, .. } = self;
        pending.commit_with(last)?;
        drop(_lock);
        fsio::hold_after_for_test();
        Ok(())
    }

    /// The commit point when the last step was already written.
    pub fn commit(self) -> Result<()> {
        let Tx { pending, _lock, .. } = self;
        pending.commit_with(|| Ok(()))?;
        drop(_lock);
        fsio::hold_after_for_test();
        Ok(())
    }
}
