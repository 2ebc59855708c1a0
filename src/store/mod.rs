//! The session store: the secret per-session state between rounds, one file
//! per session under `<state dir>/sessions/`, age-encrypted to the owner's
//! own identity, created 0600 and atomically, deleted when the session
//! finishes. The catalog protocol's state (a publisher's key, a client's
//! open queries) lives beside it (`catalog`); every step that keeps state
//! saves it through one transaction (`Store::transaction`).

pub mod budget;
pub mod catalog;
pub mod group;
mod journal;
mod list;
mod lock;
mod session;
mod tx;

pub use catalog::{KeyState, LiveKey, QueryState, Retired};
pub use group::{GroupState, Held, Member, GROUP_VERSION};
pub use journal::{Answer, Answered, JOURNAL_VERSION};
pub use list::{Listed, Pruned};
pub use lock::StateLock;
pub use session::{keep_until, Info, Session, Step, STATE_VERSION};
pub use tx::{Keep, Tx};

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bundle::envelope;
use crate::error::{Error, Result};
use crate::fsio::{self, Dest};
use crate::identity::Identity;
use crate::input::{Also, Entries, InputFile, Kind, StrList};
use crate::output::{Origin, Shared};

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
    /// Where each entry came from in the user's input, for results:
    /// line (or item number) of each entry; files (each with the index of
    /// its first entry, so no per-entry file index); context values (a CSV
    /// row's other fields, a MISP type and event: empty when none); the
    /// other places of merged duplicates. Absent from earlier releases'
    /// state (read as empty).
    /// (u32: 4 bytes an entry; a line beyond 2^32 - 1 is shown as that.)
    #[serde(default, with = "crate::serde_le::u32s")]
    pub lines: Vec<u32>,
    #[serde(default)]
    pub files: Vec<InputFile>,
    #[serde(default)]
    pub context: StrList,
    #[serde(default)]
    pub also: Vec<Also>,
    /// The near-misses of the list compared as raw, by reason (counts
    /// only), for `finish` to repeat.
    #[serde(default)]
    #[zeroize(skip)]
    pub near_misses: Vec<(String, u64)>,
}

impl SecretList {
    /// Move the user's spellings, kinds and source ids out of `e` (its
    /// canonical bytes, counts and skip reports stay).
    pub fn from_entries(e: &mut Entries) -> Self {
        let d = e.take_display();
        let has_sources = d.sources.iter().any(Option::is_some);
        SecretList {
            values: d.values,
            kinds: d.kinds.into_iter().map(|k| k as u8).collect(),
            sources: if has_sources {
                d.sources.into_iter().map(|s| s.map(String::from)).collect()
            } else {
                Vec::new()
            },
            lines: d.lines.into_iter().map(|l| l.min(u32::MAX as u64) as u32).collect(),
            files: d.files,
            context: d.context,
            also: {
                let mut also = d.also;
                also.sort_by_key(|a| a.entry);
                also
            },
            near_misses: e.near_miss_counts.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect(),
        }
    }

    /// Where entry `i` came from: its first occurrence, then every merged
    /// duplicate kept (another file, row or object).
    pub fn origins(&self, i: usize) -> Vec<Origin<'_>> {
        if self.files.is_empty() {
            return Vec::new();
        }
        fn context<'a>(c: Option<&'a str>, file: Option<&'a InputFile>) -> Vec<(&'a str, &'a str)> {
            match (c, file) {
                (Some(c), Some(f)) => crate::input::named_context(&f.keys, c),
                _ => Vec::new(),
            }
        }
        let first_file = crate::input::file_of(&self.files, i).and_then(|f| self.files.get(f));
        let mut out = vec![Origin {
            file: first_file.map_or("", |f| f.name.as_str()),
            line: self.lines.get(i).copied().unwrap_or(0).into(),
            source: self.sources.get(i).and_then(|s| s.as_deref()),
            context: context((!self.context.is_empty()).then(|| self.context.get(i)), first_file),
        }];
        let start = self.also.partition_point(|a| (a.entry as usize) < i);
        for a in self.also[start..].iter().take_while(|a| a.entry as usize == i) {
            let file = self.files.get(a.file as usize);
            out.push(Origin {
                file: file.map_or("", |f| f.name.as_str()),
                line: a.line,
                source: a.source.as_deref(),
                context: context(a.context.as_deref(), file),
            });
        }
        out
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
            from: self.origins(i),
        }
    }
}

/// How a state file encrypted to another identity is refused.
pub const ANOTHER_IDENTITY: &str = "is encrypted to another identity";

/// Told once when a commit waits for another process's lock.
pub type Notice = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// A state directory.
pub struct Store {
    dir: PathBuf,
    notice: Option<Notice>,
}

pub use crate::text::hex;

impl Store {
    pub fn new(dir: PathBuf) -> Self {
        Store { dir, notice: None }
    }

    /// The same store, telling `notice` when it waits for the lock.
    pub fn with_notice(mut self, notice: Notice) -> Self {
        self.notice = Some(notice);
        self
    }

    fn notice(&self, line: &str) {
        if let Some(n) = &self.notice {
            n(line);
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn sessions_dir(&self) -> PathBuf {
        self.dir.join("sessions")
    }

    fn path(&self, id: &[u8]) -> PathBuf {
        self.sessions_dir().join(format!("{}.age", hex(id)))
    }

    /// Load a session by id, if this store has it.
    pub fn load(&self, id: &[u8], me: &Identity) -> Result<Option<Session>> {
        let path = self.path(id);
        load_with_info(&path, me, "session state", id, STATE_VERSION)
    }
}

/// Write what `fill` writes, age-encrypted to `me`, to `path` as part of
/// `pending` (0600, atomic; replacing an existing file only with
/// `replace`). Streamed: CBOR goes straight into age's encryptor (which
/// wipes its plaintext chunk buffer) and on to disk.
fn save_sealed(
    pending: &mut fsio::Pending,
    path: &Path,
    me: &Identity,
    replace: bool,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<()> {
    fsio::create_private_dir(path.parent().expect("state paths have a parent"))?;
    pending.write(&Dest::File(path.to_path_buf()), replace, true, |w| {
        envelope::encrypt_with(&me.public().recipient, w, fill)
    })
}

/// One CBOR item into `w`.
fn cbor<T: Serialize>(value: &T, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    ciborium::into_writer(value, w).map_err(|e| match e {
        ciborium::ser::Error::Io(e) => e,
        ciborium::ser::Error::Value(v) => std::io::Error::other(v),
    })
}

/// A state file that starts with its `Info`, then holds `T`: `None` when
/// there is no such file; another version, or another id, is refused with
/// a plain sentence before the rest is read.
fn load_with_info<T: serde::de::DeserializeOwned>(
    path: &Path,
    me: &Identity,
    what: &str,
    id: &[u8],
    version: u32,
) -> Result<Option<T>> {
    let Some(mut r) = open_sealed(path, me, what)? else {
        return Ok(None);
    };
    let info: Info = item(&mut r, path, what)?;
    if info.version != version || info.id != id {
        return Err(stale(path, what));
    }
    item(&mut r, path, what).map(Some)
}

/// A state file of another cosect release (or renamed by hand).
fn stale(path: &Path, what: &str) -> Error {
    Error::new(format!(
        "{}: {what} is of another cosect version or another session",
        path.display()
    ))
    .with_hint("finish the exchange with the release that started it, or cancel it with `cosect sessions cancel ID`")
}

/// The next CBOR item of a state file.
fn item<T: serde::de::DeserializeOwned>(r: &mut impl Read, path: &Path, what: &str) -> Result<T> {
    ciborium::from_reader(r).map_err(|_| {
        Error::new(format!("{}: {what} is damaged", path.display())).with_hint("delete it and start again")
    })
}

/// Read back a file of one CBOR item (as `save_sealed` wrote it); `None`
/// when there is no such file. `what` names it in messages.
pub fn load_sealed<T: serde::de::DeserializeOwned>(path: &Path, me: &Identity, what: &str) -> Result<Option<T>> {
    match open_sealed(path, me, what)? {
        None => Ok(None),
        Some(mut r) => item(&mut r, path, what).map(Some),
    }
}

/// The decrypted stream of a state file, after checking that the open
/// file is not readable by others; `None` when there is no such file.
fn open_sealed(path: &Path, me: &Identity, what: &str) -> Result<Option<impl Read>> {
    let name = path.display().to_string();
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fsio::io_error(&name, &format!("cannot read {what}"), &e)),
    };
    if fsio::file_too_open(&file) {
        return Err(Error::new(format!("{name}: {what} is readable by other users"))
            .with_hint(format!("run `chmod 600 {name}` if you trust it, or delete it")));
    }
    let plain = envelope::decrypt_reader(std::io::BufReader::new(file), me.age_identity()).map_err(|e| match e {
        crate::bundle::BundleError::Decrypt(why) if why == envelope::NOT_FOR_YOU => {
            Error::new(format!("{name}: {what} {ANOTHER_IDENTITY} than this one (-i)")).with_hint(
                "use the identity that wrote it; if that identity was replaced (`keygen --force`), \
                 nothing can open it any more: move it away",
            )
        }
        e => Error::new(format!("{name}: cannot open {what}: {e}"))
            .with_hint("it can only be opened with the identity (-i) that wrote it"),
    })?;
    Ok(Some(std::io::BufReader::new(plain)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Identity {
        Identity::parse(include_str!("../../testdata/vectors/alice.id")).unwrap()
    }

    /// A session file of an older cosect (version 3: one CBOR map, no
    /// `Info` first) is refused by `load` and listed as such, with one
    /// plain sentence; `cancel` still destroys it.
    #[test]
    fn an_older_state_file_is_one_plain_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().to_path_buf());
        let id = [5u8; 16];
        #[derive(Serialize)]
        struct Old {
            version: u32,
            #[serde(with = "serde_bytes")]
            id: Vec<u8>,
            peer: String,
            kind: String,
        }
        let old = Old {
            version: 3,
            id: id.to_vec(),
            peer: String::new(),
            kind: "raw".into(),
        };
        let mut p = fsio::Pending::new();
        save_sealed(&mut p, &store.path(&id), &me(), false, |w| cbor(&old, w)).unwrap();
        p.commit_with(|| Ok(())).unwrap();
        let e = store.load(&id, &me()).err().unwrap().to_string();
        assert!(e.contains("is of another cosect version or another session"), "{e}");
        let listed = store.list(&me()).unwrap();
        assert_eq!(listed.len(), 1);
        let e = listed[0].info.as_ref().err().unwrap().to_string();
        assert!(e.contains("another cosect version"), "{e}");
        assert_eq!(store.prune(&me(), u64::MAX).unwrap().sessions.len(), 0);
        store.cancel(&hex(&id)[..8], &me(), 1000).unwrap();
        assert!(store.list(&me()).unwrap().is_empty());
    }

    /// Release 1's journal is carried over by the clean-up: its ids become
    /// records of an unknown request, and the file goes.
    #[test]
    fn the_release1_journal_is_carried_over() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().to_path_buf());
        #[derive(Serialize)]
        struct Entry {
            #[serde(with = "serde_bytes")]
            id: Vec<u8>,
            at: u64,
            until: u64,
        }
        #[derive(Serialize)]
        struct Old {
            version: u32,
            answered: Vec<Entry>,
        }
        let (live, gone) = ([1u8; 16], [2u8; 16]);
        let old = Old {
            version: 1,
            answered: vec![
                Entry {
                    id: live.to_vec(),
                    at: 100,
                    until: 5000,
                },
                Entry {
                    id: gone.to_vec(),
                    at: 100,
                    until: 200,
                },
            ],
        };
        let mut p = fsio::Pending::new();
        save_sealed(&mut p, &store.legacy_journal_path(), &me(), false, |w| cbor(&old, w)).unwrap();
        p.commit_with(|| Ok(())).unwrap();
        store.prune(&me(), 1000).unwrap();
        assert!(!store.legacy_journal_path().exists());
        let a = store.answered(&live, &me()).unwrap().expect("carried over");
        assert!(a.request.is_empty() && !a.is_request(&[0; 32]));
        assert_eq!((a.at, a.until), (100, 5000));
        assert!(store.answered(&gone, &me()).unwrap().is_none());
    }

    /// An expired record goes with its kept reply; an unexpired one stays,
    /// and so does the request's reply when only a round 3's record expires.
    #[test]
    fn expired_records_and_their_replies_are_destroyed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().to_path_buf());
        let record = |id: [u8; 16], answer: Answer, until: u64| Answered {
            version: JOURNAL_VERSION,
            id: id.to_vec().into(),
            request: vec![7; 32].into(),
            peer: String::new(),
            answer,
            at: 10,
            until,
        };
        let me = me();
        let mut tx = store.begin(&me).unwrap();
        for (id, until) in [([1u8; 16], 500u64), ([2u8; 16], 2000)] {
            tx.keep_reply(&id, |w| w.write_all(b"reply")).unwrap();
            tx.keep(Keep::Answered(&record(id, Answer::Round2, until))).unwrap();
        }
        tx.keep(Keep::Answered(&record([2u8; 16], Answer::Finished, 500)))
            .unwrap();
        tx.keep(Keep::Answered(&record([3u8; 16], Answer::Cancelled, 500)))
            .unwrap();
        tx.keep(Keep::Answered(&record([4u8; 16], Answer::Cancelled, 2000)))
            .unwrap();
        tx.commit().unwrap();
        assert!(store.cancelled(&[3u8; 16], &me).unwrap().is_some());
        assert!(store.answered(&[3u8; 16], &me).unwrap().is_none());
        store.prune(&me, 1000).unwrap();
        assert!(store.cancelled(&[3u8; 16], &me).unwrap().is_none());
        assert_eq!(store.cancelled(&[4u8; 16], &me).unwrap().unwrap().until, 2000);
        assert!(store.answered(&[1u8; 16], &me).unwrap().is_none());
        assert!(!store.reply_path(&[1u8; 16]).exists());
        assert!(store.finished(&[2u8; 16], &me).unwrap().is_none());
        let kept = store.answered(&[2u8; 16], &me).unwrap().unwrap();
        assert_eq!(store.kept_reply(&kept).unwrap(), b"reply");
    }
}
