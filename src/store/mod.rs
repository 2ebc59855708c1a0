//! The session store: the secret per-session state between rounds, one file
//! per session under `<state dir>/sessions/`, age-encrypted to the owner's
//! own identity, created 0600 and atomically, deleted when the session
//! finishes. The catalog protocol's state (a publisher's key, a client's
//! open queries) lives beside it (`catalog`); every step that keeps state
//! saves it through one transaction (`Store::transaction`).

pub mod budget;
pub mod catalog;

pub use catalog::{CurrentKey, KeyState, QueryState, Retired};

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bundle::envelope;
use crate::error::{Error, Result};
use crate::fsio::{self, Dest};
use crate::identity::Identity;
use crate::input::{Entries, Kind, StrList};
use crate::output::Shared;
use crate::protocol::{Initiator, Responder};

/// 2: entries carry their kind and source id. 4: a kind byte may be 5 (`url`).
const STATE_VERSION: u32 = 4;

/// Where the session stands.
#[derive(Serialize, Deserialize)]
pub enum Step {
    /// Initiator sent round 1 and waits for round 2.
    AwaitRound2(Initiator),
    /// Responder sent round 2 and waits for round 3.
    AwaitRound3(Responder),
}

/// Everything a side keeps between rounds.
#[derive(Serialize, Deserialize)]
pub struct Session {
    pub version: u32,
    #[serde(with = "serde_bytes")]
    pub id: Vec<u8>,
    /// The peer's public identity line.
    pub peer: String,
    pub kind: String,
    /// SHA-256 of the COSE bytes of the bundle this side sent; the answer must name it.
    #[serde(with = "serde_bytes")]
    pub sent_hash: Vec<u8>,
    /// The user's own entries, as written, in input order.
    pub entries: SecretList,
    pub step: Step,
}

impl Session {
    pub fn new(id: &[u8], peer: String, kind: String, sent_hash: [u8; 32], entries: SecretList, step: Step) -> Self {
        Session {
            version: STATE_VERSION,
            id: id.to_vec(),
            peer,
            kind,
            sent_hash: sent_hash.to_vec(),
            entries,
            step,
        }
    }
}

/// The user's entries, wiped from memory when dropped: the spelling from
/// the input, the kind each was compared as, and its source id (STIX id,
/// MISP uuid) when the input named one.
#[derive(Serialize, Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct SecretList {
    pub values: StrList,
    /// Index into `Kind::ALL` of each entry.
    #[serde(with = "serde_bytes")]
    pub kinds: Vec<u8>,
    /// Empty when no entry has a source id, else one per entry.
    pub sources: Vec<Option<String>>,
}

impl SecretList {
    /// Move the user's spellings, kinds and source ids out of `e` (its
    /// canonical bytes, counts and skip reports stay).
    pub fn from_entries(e: &mut Entries) -> Self {
        let (values, kinds, sources) = e.take_display();
        let has_sources = sources.iter().any(Option::is_some);
        SecretList {
            values,
            kinds: kinds.into_iter().map(|k| k as u8).collect(),
            sources: if has_sources {
                sources.into_iter().map(|s| s.map(String::from)).collect()
            } else {
                Vec::new()
            },
        }
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Whether the input named source ids.
    pub fn has_sources(&self) -> bool {
        !self.sources.is_empty()
    }

    /// Entry `i` for output.
    pub fn shared(&self, i: usize) -> Shared<'_> {
        Shared {
            kind: self
                .kinds
                .get(i)
                .and_then(|&k| Kind::ALL.get(k as usize))
                .map_or("raw", |k| k.name()),
            value: self.values.get(i),
            source: self.sources.get(i).and_then(|s| s.as_deref()),
            label: None,
        }
    }
}

/// A state directory.
pub struct Store {
    dir: PathBuf,
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    pub fn new(dir: PathBuf) -> Self {
        Store { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &[u8]) -> PathBuf {
        self.dir.join("sessions").join(format!("{}.age", hex(id)))
    }

    /// Save a new session (never replaces one).
    pub fn save(&self, session: &Session, me: &Identity) -> Result<()> {
        save_sealed(&self.path(&session.id), session, me, false)
    }

    /// Load a session by id, if this store has it.
    pub fn load(&self, id: &[u8], me: &Identity) -> Result<Option<Session>> {
        let path = self.path(id);
        let fits = |s: &Session| s.version == STATE_VERSION && s.id == id;
        load_fitting(&path, me, "session state", fits, || {
            Error::new(format!(
                "{}: session state is of another version or session",
                path.display()
            ))
            .with_hint("it was written by another cosect release; finish the exchange with that release or start anew")
        })
    }

    /// Destroy a finished session's state.
    pub fn remove(&self, id: &[u8]) -> Result<()> {
        let path = self.path(id);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(fsio::io_error(
                &path.display().to_string(),
                "cannot delete session state",
                &e,
            )),
        }
    }

    /// Destroy a finished query's state.
    pub fn remove_query(&self, id: &[u8]) -> Result<()> {
        let path = self.query_path(id);
        fs::remove_file(&path).map_err(|e| fsio::io_error(&path.display().to_string(), "cannot delete query state", &e))
    }

    /// Save the state, then write the bundle it belongs to: state first,
    /// since a bundle whose state was not saved could never be finished; if
    /// `write` fails, the state is put back as it was (a new file removed,
    /// a replaced one restored).
    pub fn transaction<T>(&self, keep: Keep<'_>, me: &Identity, write: impl FnOnce() -> Result<T>) -> Result<T> {
        let (path, replace) = match &keep {
            Keep::Session(s) => (self.path(&s.id), false),
            Keep::Query(q) => (self.query_path(&q.id), false),
            Keep::Keys(_) => (self.key_path(), true),
        };
        let before = if replace { fs::read(&path).ok() } else { None };
        match keep {
            Keep::Session(s) => save_sealed(&path, s, me, replace),
            Keep::Query(q) => save_sealed(&path, q, me, replace),
            Keep::Keys(k) => save_sealed(&path, k, me, replace),
        }?;
        write().inspect_err(|_| restore(&path, before))
    }

    /// This store opened with `me`, as the engine looks state up.
    pub fn unlocked<'a>(&'a self, me: &'a Identity) -> Unlocked<'a> {
        Unlocked { store: self, me }
    }
}

/// What a step keeps between rounds, saved by `Store::transaction`.
pub enum Keep<'a> {
    /// A new mutual-protocol session (never replaces one).
    Session(&'a Session),
    /// A new catalog query (never replaces one).
    Query(&'a QueryState),
    /// The catalog key state (replaces the previous one).
    Keys(&'a KeyState),
}

/// Put a state file back as it was before a failed transaction.
fn restore(path: &Path, before: Option<Vec<u8>>) {
    let _ = match before {
        Some(b) => fsio::write_atomic(&Dest::File(path.to_path_buf()), &b, true, true),
        None => fs::remove_file(path).map_err(|e| fsio::io_error("", "", &e)),
    };
}

/// A store and the identity that opens its files: what the engine reads
/// kept state through.
pub struct Unlocked<'a> {
    store: &'a Store,
    me: &'a Identity,
}

impl crate::engine::Lookup for Unlocked<'_> {
    fn session(&self, id: &[u8]) -> Result<Option<Session>> {
        self.store.load(id, self.me)
    }

    fn query(&self, id: &[u8]) -> Result<Option<QueryState>> {
        self.store.load_query(id, self.me)
    }

    fn keys(&self) -> Result<KeyState> {
        self.store.load_keys(self.me)
    }

    fn place(&self) -> String {
        self.store.dir().display().to_string()
    }
}

/// Write `value` as CBOR, age-encrypted to `me`, to `path` (0600, atomic;
/// replacing an existing file only with `replace`). Streamed: CBOR goes
/// straight into age's encryptor (which wipes its plaintext chunk buffer)
/// and on to disk, so no whole plaintext or ciphertext copy is held.
pub fn save_sealed<T: Serialize>(path: &Path, value: &T, me: &Identity, replace: bool) -> Result<()> {
    fsio::create_private_dir(path.parent().expect("state paths have a parent"))?;
    fsio::write_atomic_with(&Dest::File(path.to_path_buf()), replace, true, |w| {
        envelope::encrypt_with(&me.public().recipient, w, |plain| {
            ciborium::into_writer(value, plain).map_err(|e| match e {
                ciborium::ser::Error::Io(e) => e,
                ciborium::ser::Error::Value(v) => std::io::Error::other(v),
            })
        })
    })
}

/// `load_sealed`, refusing a file that does not `fit` (another version,
/// or another session's id) with the error `stale` makes.
fn load_fitting<T: serde::de::DeserializeOwned>(
    path: &Path,
    me: &Identity,
    what: &str,
    fits: impl FnOnce(&T) -> bool,
    stale: impl FnOnce() -> Error,
) -> Result<Option<T>> {
    match load_sealed::<T>(path, me, what)? {
        Some(v) if !fits(&v) => Err(stale()),
        v => Ok(v),
    }
}

/// Read back what `save_sealed` wrote, streamed the same way; `None` when
/// there is no such file. `what` names it in messages ("session state").
pub fn load_sealed<T: serde::de::DeserializeOwned>(path: &Path, me: &Identity, what: &str) -> Result<Option<T>> {
    let name = path.display().to_string();
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fsio::io_error(&name, &format!("cannot read {what}"), &e)),
    };
    if fsio::too_open(path) {
        return Err(Error::new(format!("{name}: {what} is readable by other users"))
            .with_hint(format!("run `chmod 600 {name}` if you trust it, or delete it")));
    }
    let plain = envelope::decrypt_reader(std::io::BufReader::new(file), me.age_identity()).map_err(|e| {
        Error::new(format!("{name}: cannot open {what}: {e}"))
            .with_hint("it can only be opened with the identity (-i) that wrote it")
    })?;
    ciborium::from_reader(plain)
        .map(Some)
        .map_err(|_| Error::new(format!("{name}: {what} is damaged")).with_hint("delete it and start again"))
}
