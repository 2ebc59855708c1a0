//! The steps both carriers run: answer a round 1, answer a catalog query,
//! finish a session with a round 2 or a round 3. Each step is two halves:
//! the work (list in, protocol, a sealed reply) done without the state
//! directory's lock, then one commit under it that re-checks what the
//! work read (the journal, the session, the catalog, the budget), keeps
//! the state, the reply and the journal's record, and writes the outputs.
//! `commands/` (files and the terminal) and `serve/` (sockets) only wire
//! their carrier to these steps; neither reaches into the other.
//!
//! The rules every carrier shares (doc/bundle-format.md, "The state
//! directory"): a request is answered once; the same signed request again
//! gets the same reply, byte for byte, until it expires (`Kept::Again`);
//! another bundle for an answered session is a replay; budgets and counts
//! are charged in the commit that gives the answer, so a request that is
//! never answered is never charged.

pub mod answer;
pub mod deliver;
pub mod finish;
pub mod list;

pub use answer::{
    admit, admit_session, answer_query, answer_round1, answer_round1_first, answer_round1_rest, commit_answer,
    Committed, FirstHalf, Policy, Prepared, Reply, Size,
};
pub use deliver::{part_path, Delivery};
pub use finish::{commit_finish, finish_round2, finish_round3, Finished, Results};

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::engine::{Expect, Reader, Received};
use crate::error::Result;
use crate::identity::Identity;
use crate::store::{Answered, KeyState, QueryState, Session, Store};

/// Who runs a step, and on which state directory.
#[derive(Clone, Copy)]
pub struct Party<'a> {
    pub me: &'a Identity,
    pub store: &'a Store,
}

/// A party reads its kept state through the engine's `Lookup`: the
/// store, opened with its identity.
impl crate::engine::Lookup for Party<'_> {
    fn session(&self, id: &[u8]) -> Result<Option<Session>> {
        self.store.load(id, self.me)
    }

    fn query(&self, id: &[u8]) -> Result<Option<QueryState>> {
        self.store.load_query(id, self.me)
    }

    fn keys(&self) -> Result<KeyState> {
        self.store.load_keys(self.me)
    }

    fn answered(&self, id: &[u8]) -> Result<Option<Answered>> {
        self.store.answered(id, self.me)
    }

    fn finished(&self, id: &[u8]) -> Result<Option<Answered>> {
        self.store.finished(id, self.me)
    }

    fn sent(&self, mark: &[u8; 32]) -> Result<Option<crate::store::Info>> {
        Ok(self
            .store
            .list(self.me)?
            .into_iter()
            .filter_map(|l| l.info.ok())
            .find(|i| i.sent_mark[..] == mark[..]))
    }

    fn cancelled(&self, id: &[u8]) -> Result<Option<Answered>> {
        self.store.cancelled(id, self.me)
    }

    fn place(&self) -> String {
        self.store.dir().display().to_string()
    }
}

impl Party<'_> {
    /// Run the engine's pipeline on the bundle `name` as this party, now.
    pub fn read(&self, name: &str, bytes: Vec<u8>, expect: Expect<'_>) -> Result<Received> {
        let reader = Reader {
            me: self.me,
            now: now(),
            store: self,
        };
        reader.read(name, bytes, expect)
    }

    /// A catalog by whichever of `publishers` signed it (`Reader::catalog_by`).
    pub fn read_catalog_by(
        &self,
        name: &str,
        bytes: Vec<u8>,
        publishers: &[crate::identity::PublicIdentity],
    ) -> Result<(usize, Received)> {
        let reader = Reader {
            me: self.me,
            now: now(),
            store: self,
        };
        reader.catalog_by(name, bytes, publishers)
    }
}

/// Unix seconds now.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `now` plus `d`, saturating.
pub fn expiry(now: u64, d: Duration) -> u64 {
    now.saturating_add(d.as_secs())
}
