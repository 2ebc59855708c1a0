//! Mutual-protocol sessions: the secret state a side keeps between rounds,
//! and the public facts (`Info`) that `cosect sessions` lists.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::SecretList;
use crate::protocol::{Initiator, Responder};

/// 2: entries carry their kind and source id. 4: a kind byte may be 5
/// (`url`). 5: each file starts with its `Info`; sessions know when they
/// expire.
pub const STATE_VERSION: u32 = 5;

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
    pub id: ByteBuf,
    /// The peer's public identity line.
    pub peer: String,
    pub kind: String,
    /// SHA-256 of the COSE bytes of the bundle this side sent; the answer must name it.
    pub sent_hash: ByteBuf,
    /// The user's own entries, as written, in input order.
    pub entries: SecretList,
    pub step: Step,
    /// When the bundle this side sent was made.
    pub created: u64,
    /// When this state is destroyed unanswered (`keep_until`).
    pub expires: u64,
    /// When the bundle this side sent expires: the peer must answer by
    /// then (0 in state files of earlier releases).
    #[serde(default)]
    pub answer_by: u64,
    /// The user's own note (`--note`); never sent to the peer.
    #[serde(default)]
    pub note: String,
}

impl Session {
    /// A new session; `sent` is (created, expires) of the bundle sent.
    pub fn new(
        id: &[u8],
        peer: String,
        kind: String,
        sent_hash: [u8; 32],
        entries: SecretList,
        step: Step,
        sent: (u64, u64),
    ) -> Self {
        Session {
            version: STATE_VERSION,
            id: id.to_vec().into(),
            peer,
            kind,
            sent_hash: sent_hash.to_vec().into(),
            entries,
            created: sent.0,
            expires: keep_until(sent.0, sent.1, step_is_responder(&step)),
            answer_by: sent.1,
            note: String::new(),
            step,
        }
    }

    /// The same session with the user's note.
    pub fn with_note(mut self, note: Option<&str>) -> Self {
        self.note = note.unwrap_or_default().to_owned();
        self
    }

    /// What `cosect sessions` shows of it.
    pub fn info(&self) -> Info {
        let (role, awaited) = match self.step {
            Step::AwaitRound2(_) => ("initiator", "round 2"),
            Step::AwaitRound3(_) => ("responder", "round 3"),
        };
        Info {
            version: self.version,
            id: self.id.clone(),
            role: role.into(),
            peer: self.peer.clone(),
            awaited: awaited.into(),
            kind: self.kind.clone(),
            created: self.created,
            expires: self.expires,
            answer_by: self.answer_by,
            note: self.note.clone(),
            sent_mark: ByteBuf::new(),
        }
    }
}

/// How long a side keeps the state of a bundle it sent (made at `created`,
/// valid until `expires`): the answer can be made until the bundle expires
/// and is assumed valid as long again, so the state lives until
/// `expires + (expires - created)`. A responder's round 3 is valid as
/// long as its round 2, and at least an hour (`finish` makes it so):
/// `at_least_an_hour` keeps the responder's state that long.
pub fn keep_until(created: u64, expires: u64, at_least_an_hour: bool) -> u64 {
    let lifetime = expires.saturating_sub(created);
    let grace = if at_least_an_hour { lifetime.max(3600) } else { lifetime };
    expires.saturating_add(grace)
}

fn step_is_responder(step: &Step) -> bool {
    matches!(step, Step::AwaitRound3(_))
}

/// The public facts of an open session or query, written first in its
/// file so that listing and pruning never read the secrets after it.
#[derive(Serialize, Deserialize, Clone, Default, Debug)]
#[serde(default)]
pub struct Info {
    pub version: u32,
    pub id: ByteBuf,
    /// `initiator`, `responder` or `catalog client`.
    pub role: String,
    /// The peer's (or publisher's) public identity line.
    pub peer: String,
    /// `round 2`, `round 3` or `catalog answer`.
    pub awaited: String,
    pub kind: String,
    pub created: u64,
    /// When the state is destroyed unanswered.
    pub expires: u64,
    /// When the bundle sent expires: the awaited answer must be made by
    /// then (0: not known, a state file of an earlier release).
    pub answer_by: u64,
    /// The user's note (`--note`), never sent.
    pub note: String,
    /// The age header mark of the bundle sent (`envelope::header_mark`;
    /// empty when it went unencrypted or to standard output): how that
    /// bundle, fed back to its sender, is told.
    pub sent_mark: ByteBuf,
}
