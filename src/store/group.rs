//! A sightings group: one list queried against several catalogs in one
//! step (`init --catalog A --catalog B …`). Each query is an ordinary
//! catalog query (`catalog/queries/<session>.age`); the group record ties
//! them together and keeps, for each publisher that has answered, which of
//! the user's entries it holds, so that a later `finish` with the other
//! answers reports all of them.
//!
//! `catalog/groups/<group>.age`: age-encrypted to the owner, 0600, its
//! `Info` first (as sessions and queries), written atomically through the
//! store's transaction. The group id never goes on the wire: each query is
//! bound to its publisher and catalog as any query is.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::{hex, load_with_info, Info, Store};
use crate::error::Result;
use crate::identity::Identity;

/// 1: the first version.
pub const GROUP_VERSION: u32 = 1;

/// One of the user's entries that a publisher holds, as the user wrote it.
#[derive(Serialize, Deserialize, Clone, Debug, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct Held {
    /// Position of the entry in the user's list.
    pub index: u64,
    pub kind: String,
    pub value: String,
    pub source: Option<String>,
    /// The publisher's label for it (escaped), if its catalog has one.
    pub label: Option<String>,
}

/// One publisher of the group: its query and, once answered, what it holds.
#[derive(Serialize, Deserialize)]
pub struct Member {
    /// The query's session id.
    pub query: ByteBuf,
    /// The publisher's public identity line.
    pub publisher: String,
    /// SHA-256 of the catalog's COSE bytes.
    pub catalog: ByteBuf,
    /// Whether the catalog has labels.
    pub labelled: bool,
    /// The query file's name in the group's directory.
    pub file: String,
    /// When its answer was added (Unix seconds); `None` while pending.
    pub answered: Option<u64>,
    /// The user's entries it holds, in list order (empty while pending).
    pub held: Vec<Held>,
}

/// The group record.
#[derive(Serialize, Deserialize)]
pub struct GroupState {
    pub version: u32,
    pub id: ByteBuf,
    /// The directory the queries were written to (absolute if possible).
    pub dir: String,
    /// How many entries the user's list had.
    pub entries: u64,
    pub members: Vec<Member>,
    pub created: u64,
    /// When this record is destroyed with publishers still pending
    /// (the last of its queries' `keep_until`).
    pub expires: u64,
}

impl GroupState {
    /// What `cosect sessions` shows of it.
    pub fn info(&self) -> Info {
        let answered = self.members.iter().filter(|m| m.answered.is_some()).count();
        Info {
            version: self.version,
            id: self.id.clone(),
            role: "sightings".into(),
            peer: String::new(),
            awaited: format!("{} of {} answers", self.members.len() - answered, self.members.len()),
            kind: String::new(),
            created: self.created,
            expires: self.expires,
            ..Info::default()
        }
    }

    /// The member whose query is `id`.
    pub fn member(&self, query: &[u8]) -> Option<usize> {
        self.members.iter().position(|m| m.query[..] == query[..])
    }
}

impl Store {
    /// `catalog/groups/`.
    pub(super) fn groups_dir(&self) -> PathBuf {
        self.catalog_dir().join("groups")
    }

    /// `catalog/groups/<group>.age`.
    pub fn group_path(&self, id: &[u8]) -> PathBuf {
        self.groups_dir().join(format!("{}.age", hex(id)))
    }

    /// A group record by id, if this store has it.
    pub fn load_group(&self, id: &[u8], me: &Identity) -> Result<Option<GroupState>> {
        load_with_info(&self.group_path(id), me, "the sightings group", id, GROUP_VERSION)
    }

    /// Every readable group record (a damaged one is left to `sessions`,
    /// which lists it as such).
    pub fn groups(&self, me: &Identity) -> Result<Vec<GroupState>> {
        let mut out = Vec::new();
        for path in super::list::state_files(&self.groups_dir())? {
            let id = super::list::file_id(&path);
            if let Ok(Some(g)) = self.load_group(&super::list::unhex(&id), me) {
                out.push(g);
            }
        }
        out.sort_by_key(|g| g.created);
        Ok(out)
    }

    /// The group the query `id` belongs to, if any.
    pub fn group_of(&self, query: &[u8], me: &Identity) -> Result<Option<GroupState>> {
        Ok(self.groups(me)?.into_iter().find(|g| g.member(query).is_some()))
    }
}
