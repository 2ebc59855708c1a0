//! The catalog protocol's kept state: the publisher's catalog key and the
//! client's open queries, each age-encrypted to its owner's own identity,
//! 0600, written atomically.
//!
//! Layout under the state directory:
//! - `catalog/key.age`: the keys of the live catalogs (each answers the
//!   queries made against it until it expires or is retired) and the
//!   public facts of retired ones, so a stale query is refused by name.
//! - `catalog/queries/<session>.age`: a client's blinds and entries until
//!   `finish`, then deleted (its `Info` first, as for sessions).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use zeroize::Zeroize;

use super::{hex, load_sealed, load_with_info, Info, SecretList, Store};
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::protocol::catalog::Client;

/// 2: several live catalogs, each with its expiry and its count of
/// answered queries; queries start with their `Info`.
pub const STATE_VERSION: u32 = 2;
/// Retired catalogs remembered, so that stale queries are refused by name.
const MAX_RETIRED: usize = 64;

/// A live catalog: its key and what it published with it.
#[derive(Serialize, Deserialize)]
pub struct LiveKey {
    pub sk: ByteBuf,
    pub key_id: ByteBuf,
    /// SHA-256 of the catalog's COSE bytes (its id: `catalog_name`).
    pub catalog: ByteBuf,
    pub kind: String,
    pub entries: u64,
    pub labels: u64,
    pub published: u64,
    pub expires: u64,
    /// Queries answered with this key.
    pub answered: u64,
    /// The publisher's own note (`publish --note`); never published.
    #[serde(default)]
    pub note: String,
}

impl Drop for LiveKey {
    fn drop(&mut self) {
        self.sk.zeroize();
    }
}

/// A catalog whose key was destroyed.
#[derive(Serialize, Deserialize, Clone)]
pub struct Retired {
    pub key_id: ByteBuf,
    pub catalog: ByteBuf,
    pub published: u64,
    pub retired: u64,
    /// Why: `replaced by catalog X`, `retired by hand`, `expired`.
    #[serde(default)]
    pub why: String,
}

/// `catalog/key.age`.
#[derive(Serialize, Deserialize, Default)]
pub struct KeyState {
    pub version: u32,
    #[serde(default)]
    pub live: Vec<LiveKey>,
    #[serde(default)]
    pub retired: Vec<Retired>,
}

impl KeyState {
    /// Add a new live catalog.
    pub fn add(&mut self, new: LiveKey) {
        self.live.push(new);
    }

    /// The live catalog whose id (`catalog_name`) or hash starts with `id`.
    pub fn find(&self, id: &str) -> Option<usize> {
        let id = id.to_ascii_lowercase();
        let mut hits = self
            .live
            .iter()
            .enumerate()
            .filter(|(_, k)| hex(&k.catalog).starts_with(&id));
        match (hits.next(), hits.next()) {
            (Some((i, _)), None) if id.len() >= 8 => Some(i),
            _ => None,
        }
    }

    /// Destroy the key of live catalog `i`; its public facts are kept as
    /// retired, with `why`.
    pub fn retire(&mut self, i: usize, now: u64, why: String) -> Retired {
        let old = self.live.remove(i);
        let r = Retired {
            key_id: old.key_id.clone(),
            catalog: old.catalog.clone(),
            published: old.published,
            retired: now,
            why,
        };
        self.retired.push(r.clone());
        if self.retired.len() > MAX_RETIRED {
            let drop = self.retired.len() - MAX_RETIRED;
            self.retired.drain(..drop);
        }
        r
    }

    /// Retire every live catalog that expired before `now`.
    pub fn retire_expired(&mut self, now: u64) -> Vec<Retired> {
        let mut gone = Vec::new();
        while let Some(i) = self.live.iter().position(|k| k.expires < now) {
            gone.push(self.retire(i, now, "expired".into()));
        }
        gone
    }
}

/// A client's open query.
#[derive(Serialize, Deserialize)]
pub struct QueryState {
    pub version: u32,
    pub id: ByteBuf,
    /// The publisher's public identity line.
    pub publisher: String,
    pub kind: String,
    /// Where the catalog was when the query was made (absolute if possible).
    pub catalog_path: String,
    pub catalog_hash: ByteBuf,
    pub key_id: ByteBuf,
    /// SHA-256 of the query's COSE bytes; the answer must name it.
    pub sent_hash: ByteBuf,
    pub entries: SecretList,
    pub client: Client,
    pub created: u64,
    /// When this state is destroyed unanswered (`keep_until`).
    pub expires: u64,
    /// When the query expires: the publisher must answer by then.
    #[serde(default)]
    pub answer_by: u64,
    /// The user's own note (`--note`); never sent.
    #[serde(default)]
    pub note: String,
}

impl QueryState {
    /// What `cosect sessions` shows of it.
    pub fn info(&self) -> Info {
        Info {
            version: self.version,
            id: self.id.clone(),
            role: "catalog client".into(),
            peer: self.publisher.clone(),
            awaited: "catalog answer".into(),
            kind: self.kind.clone(),
            created: self.created,
            expires: self.expires,
            answer_by: self.answer_by,
            note: self.note.clone(),
            sent_mark: ByteBuf::new(),
        }
    }
}

impl Store {
    pub(super) fn catalog_dir(&self) -> PathBuf {
        self.dir().join("catalog")
    }

    /// `catalog/key.age`.
    pub fn key_path(&self) -> PathBuf {
        self.catalog_dir().join("key.age")
    }

    /// `catalog/queries/<session>.age`.
    pub fn query_path(&self, id: &[u8]) -> PathBuf {
        self.catalog_dir().join("queries").join(format!("{}.age", hex(id)))
    }

    /// The catalog key state (empty when nothing was published here).
    pub fn load_keys(&self, me: &Identity) -> Result<KeyState> {
        let path = self.key_path();
        match load_sealed::<KeyState>(&path, me, "the catalog key")? {
            None => Ok(KeyState {
                version: STATE_VERSION,
                ..Default::default()
            }),
            Some(s) if s.version == STATE_VERSION => Ok(s),
            Some(_) => Err(Error::new(format!(
                "{}: the catalog keys are of another cosect version",
                path.display()
            ))
            .with_hint(
                "answer its queries with the release that published it, or move the file away and publish anew",
            )),
        }
    }

    /// An open query by session id, if this store has it.
    pub fn load_query(&self, id: &[u8], me: &Identity) -> Result<Option<QueryState>> {
        load_with_info(&self.query_path(id), me, "the query state", id, STATE_VERSION)
    }
}
