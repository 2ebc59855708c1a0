//! The store's one transaction: every verb that keeps or ends state saves
//! it, writes its outputs and reaches one commit point through `Tx`. Until
//! the commit, every change is undone on an error and on an interrupt
//! (Ctrl-C, SIGTERM: the handler calls `fsio::remove_in_flight`), so a
//! stopped command leaves the store and its files as they were before it
//! or as they are after it, never a mix.

use std::io::Write;

use super::{cbor, save_sealed, Answered, KeyState, QueryState, Session, Store};
use crate::error::Result;
use crate::fsio::{self, Dest};
use crate::identity::Identity;

/// What a step keeps between rounds. A new kind of record is one more
/// variant here, with its path and whether it replaces the previous file.
pub enum Keep<'a> {
    /// A new mutual-protocol session (never replaces one).
    Session(&'a Session),
    /// A new catalog query (never replaces one).
    Query(&'a QueryState),
    /// The catalog key state (replaces the previous one).
    Keys(&'a KeyState),
    /// A round 1 answered now, remembered until it expires (replay journal).
    Answered(Answered),
}

/// One transaction on a store, opened with `Store::begin`.
#[must_use = "a transaction that is not committed is undone"]
pub struct Tx<'a> {
    store: &'a Store,
    me: &'a Identity,
    pending: fsio::Pending,
}

impl Store {
    /// Start a transaction as `me`.
    pub fn begin<'a>(&'a self, me: &'a Identity) -> Tx<'a> {
        Tx {
            store: self,
            me,
            pending: fsio::Pending::new(),
        }
    }
}

impl<'a> Tx<'a> {
    /// Who the transaction's state is encrypted to.
    pub fn me(&self) -> &'a Identity {
        self.me
    }

    /// Save state: undone unless the transaction commits.
    pub fn keep(&mut self, keep: Keep<'_>) -> Result<()> {
        let (s, me) = (self.store, self.me);
        let p = &mut self.pending;
        match keep {
            Keep::Session(v) => save_sealed(p, &s.path(&v.id), me, false, |w| {
                cbor(&v.info(), w)?;
                cbor(v, w)
            }),
            Keep::Query(v) => save_sealed(p, &s.query_path(&v.id), me, false, |w| {
                cbor(&v.info(), w)?;
                cbor(v, w)
            }),
            Keep::Keys(v) => save_sealed(p, &s.key_path(), me, true, |w| cbor(v, w)),
            Keep::Answered(a) => {
                let journal = s.load_journal(me)?.with(a);
                save_sealed(p, &s.journal_path(), me, true, |w| cbor(&journal, w))
            }
        }
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

    /// Destroy a query's state: put back unless the transaction commits.
    pub fn end_query(&mut self, id: &[u8]) -> Result<()> {
        self.pending.remove(&self.store.query_path(id), "query state")
    }

    /// The commit point: write the bundle the kept state belongs to.
    pub fn commit_write(
        self,
        dest: &Dest,
        force: bool,
        fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<()> {
        self.pending.commit_write(dest, force, false, fill)
    }

    /// The commit point when the last step was already written.
    pub fn commit(self) -> Result<()> {
        self.pending.commit_with(|| Ok(()))
    }
}
