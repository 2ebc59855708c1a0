//! The catalog protocol's kept state: the publisher's catalog key and the
//! client's open queries, each age-encrypted to its owner's own identity,
//! 0600, written atomically.
//!
//! Layout under the state directory:
//! - `catalog/key.age`: the current catalog key (one at a time) and the
//!   public facts of retired catalogs, so a stale query is refused by name.
//! - `catalog/queries/<session>.age`: a client's blinds and entries until
//!   `finish`, then deleted.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::{hex, load_fitting, load_sealed, SecretList, Store};
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::protocol::catalog::Client;

pub const STATE_VERSION: u32 = 1;
/// Retired catalogs remembered, so that stale queries are refused by name.
const MAX_RETIRED: usize = 64;

/// The publisher's current catalog key and what it published with it.
#[derive(Serialize, Deserialize)]
pub struct CurrentKey {
    #[serde(with = "serde_bytes")]
    pub sk: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub key_id: Vec<u8>,
    /// SHA-256 of the catalog's COSE bytes.
    #[serde(with = "serde_bytes")]
    pub catalog: Vec<u8>,
    pub kind: String,
    pub entries: u64,
    pub published: u64,
}

impl Drop for CurrentKey {
    fn drop(&mut self) {
        self.sk.zeroize();
    }
}

/// A catalog whose key was destroyed by a later `publish`.
#[derive(Serialize, Deserialize, Clone)]
pub struct Retired {
    #[serde(with = "serde_bytes")]
    pub key_id: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub catalog: Vec<u8>,
    pub published: u64,
    pub retired: u64,
    /// The catalog that replaced it.
    #[serde(with = "serde_bytes")]
    pub replaced_by: Vec<u8>,
}

/// `catalog/key.age`.
#[derive(Serialize, Deserialize, Default)]
pub struct KeyState {
    pub version: u32,
    pub current: Option<CurrentKey>,
    pub retired: Vec<Retired>,
}

impl KeyState {
    /// Make `new` current; the previous key is destroyed and its catalog
    /// remembered as retired. Returns the retired catalog, if any.
    pub fn rotate(&mut self, new: CurrentKey, now: u64) -> Option<Retired> {
        let replaced_by = new.catalog.clone();
        let old = self.current.replace(new)?;
        let r = Retired {
            key_id: old.key_id.clone(),
            catalog: old.catalog.clone(),
            published: old.published,
            retired: now,
            replaced_by,
        };
        self.retired.push(r.clone());
        if self.retired.len() > MAX_RETIRED {
            let drop = self.retired.len() - MAX_RETIRED;
            self.retired.drain(..drop);
        }
        Some(r)
    }
}

/// A client's open query.
#[derive(Serialize, Deserialize)]
pub struct QueryState {
    pub version: u32,
    #[serde(with = "serde_bytes")]
    pub id: Vec<u8>,
    /// The publisher's public identity line.
    pub publisher: String,
    pub kind: String,
    /// Where the catalog was when the query was made (absolute if possible).
    pub catalog_path: String,
    #[serde(with = "serde_bytes")]
    pub catalog_hash: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub key_id: Vec<u8>,
    /// SHA-256 of the query's COSE bytes; the answer must name it.
    #[serde(with = "serde_bytes")]
    pub sent_hash: Vec<u8>,
    pub entries: SecretList,
    pub client: Client,
}

impl Store {
    fn catalog_dir(&self) -> PathBuf {
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
                "{}: the catalog key is of another cosect version",
                path.display()
            ))),
        }
    }

    /// An open query by session id, if this store has it.
    pub fn load_query(&self, id: &[u8], me: &Identity) -> Result<Option<QueryState>> {
        let path = self.query_path(id);
        let fits = |q: &QueryState| q.version == STATE_VERSION && q.id == id;
        load_fitting(&path, me, "the query state", fits, || {
            Error::new(format!(
                "{}: the query state is of another version or query",
                path.display()
            ))
        })
    }
}
