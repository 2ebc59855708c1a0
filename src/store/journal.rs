//! The replay journal: the round-1 sessions this store answered (one-sided
//! ones too), each kept until its round 1 expires, so that a round 1 fed
//! back after its session finished is refused instead of answered again
//! over the current list. `answered.age`, age-encrypted to the owner.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{load_sealed, Store};
use crate::error::{Error, Result};
use crate::identity::Identity;

const JOURNAL_VERSION: u32 = 1;

/// One answered round 1.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Answered {
    #[serde(with = "serde_bytes")]
    pub id: Vec<u8>,
    /// When it was answered.
    pub at: u64,
    /// When the round 1 expires: forgotten after that (it is refused as
    /// expired anyway).
    pub until: u64,
}

/// `answered.age`.
#[derive(Serialize, Deserialize, Default)]
pub struct Journal {
    pub version: u32,
    pub answered: Vec<Answered>,
}

impl Journal {
    /// The journal with `a` added and what expired before `a.at` dropped.
    pub fn with(mut self, a: Answered) -> Self {
        self.version = JOURNAL_VERSION;
        self.answered.retain(|e| e.until >= a.at && e.id != a.id);
        self.answered.push(a);
        self
    }
}

impl Store {
    pub(super) fn journal_path(&self) -> PathBuf {
        self.dir().join("answered.age")
    }

    pub(super) fn load_journal(&self, me: &Identity) -> Result<Journal> {
        let path = self.journal_path();
        match load_sealed::<Journal>(&path, me, "the journal of answered sessions")? {
            None => Ok(Journal::default()),
            Some(j) if j.version == JOURNAL_VERSION => Ok(j),
            Some(_) => Err(Error::new(format!(
                "{}: the journal of answered sessions is of another cosect version",
                path.display()
            ))
            .with_hint("delete it: it only guards against answering a round 1 twice")),
        }
    }

    /// When this store answered the round 1 of session `id`, if it did.
    pub fn answered(&self, id: &[u8], me: &Identity) -> Result<Option<Answered>> {
        Ok(self.load_journal(me)?.answered.into_iter().find(|a| a.id == id))
    }
}
