//! The typed messages of both protocols, and the one place a message
//! becomes a payload (`Message::into_payload`) and a sealed bundle
//! (`seal_message`). Each message carries only its own fields; the fields
//! every bundle has (session, sender, times) are in `Header`.

use serde_bytes::ByteBuf;

use crate::bundle::catalog::{CatalogExt, PROTOCOL_CATALOG, TO_ANYONE};
use crate::bundle::payload::{Payload, PROTOCOL_PSI, SESSION_LEN};
use crate::bundle::{seal, Envelope, Sealed};
use crate::group::POINT_LEN;
use crate::identity::{Identity, PublicIdentity};
use crate::input::KindSetting;
use crate::protocol::catalog::{CatalogView, CATALOG_VERSION, MODE, SUITE};
use crate::protocol::{mutual, Mode};

/// The checked fields every bundle has.
#[derive(Debug, Clone)]
pub struct Header {
    pub session: [u8; SESSION_LEN],
    /// The sender, whose signature verified.
    pub sender: PublicIdentity,
    /// Unix seconds.
    pub created: u64,
    pub expires: u64,
    /// SHA-256 of this bundle's COSE bytes: what its answer names.
    pub hash: [u8; 32],
    pub envelope: Envelope,
    /// Which of several bundles in the file this is, when there were
    /// several (a sentence for the reader).
    pub picked: Option<String>,
}

/// Round 1 of the mutual protocol: the initiator's blinded elements.
#[derive(Debug)]
pub struct Round1 {
    pub kind: KindSetting,
    pub mode: Mode,
    pub elements: mutual::Round1,
}

/// Round 2 of the mutual protocol: the responder's answer.
#[derive(Debug)]
pub struct Round2 {
    pub kind: KindSetting,
    pub mode: Mode,
    /// Hash of the round 1 it answers.
    pub answers: [u8; 32],
    pub elements: mutual::Round2,
}

/// Round 3 of the mutual protocol: the initiator's last answer.
#[derive(Debug)]
pub struct Round3 {
    pub kind: KindSetting,
    pub mode: Mode,
    /// Hash of the round 2 it answers.
    pub answers: [u8; 32],
    pub elements: mutual::Round3,
}

/// A client's query against a catalog: blinded elements.
#[derive(Debug)]
pub struct CatalogQuery {
    pub kind: KindSetting,
    /// Hash of the catalog queried.
    pub catalog: [u8; 32],
    pub key_id: Vec<u8>,
    pub points: Vec<u8>,
}

/// The publisher's answer to a query: evaluated elements.
#[derive(Debug)]
pub struct CatalogAnswer {
    pub kind: KindSetting,
    /// Hash of the query it answers.
    pub query: [u8; 32],
    pub key_id: Vec<u8>,
    pub points: Vec<u8>,
    /// The batched DLEQ proofs, one per `PROOF_CHUNK` elements.
    pub proofs: Vec<u8>,
}

/// A published catalog: truncated PRF outputs and sealed labels.
#[derive(Debug)]
pub struct Catalog {
    pub kind: KindSetting,
    pub key_id: Vec<u8>,
    /// The publisher's public key `pkS`.
    pub public_key: Vec<u8>,
    /// Bytes kept of each output.
    pub trunc: u8,
    pub outputs: Vec<u8>,
    pub label_len: u32,
    pub n_labels: u64,
    pub labels: Vec<u8>,
}

impl Catalog {
    /// Entries in the catalog.
    pub fn len(&self) -> u64 {
        count(&self.outputs, self.trunc as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The message of a catalog the protocol layer built with `key_id`.
    pub fn published(kind: KindSetting, key_id: Vec<u8>, cat: crate::protocol::catalog::Catalog) -> Self {
        Catalog {
            kind,
            key_id,
            public_key: cat.public_key.to_vec(),
            trunc: cat.trunc as u8,
            outputs: cat.outputs,
            label_len: cat.label_len as u32,
            n_labels: cat.n_labels as u64,
            labels: cat.labels,
        }
    }

    /// The protocol layer's view of it.
    pub fn view(&self) -> CatalogView<'_> {
        CatalogView {
            key_id: &self.key_id,
            public_key: &self.public_key,
            trunc: self.trunc as usize,
            outputs: &self.outputs,
            label_len: self.label_len as usize,
            labels: &self.labels,
        }
    }
}

/// Any message of either protocol.
#[derive(Debug)]
pub enum Message {
    Round1(Round1),
    Round2(Round2),
    Round3(Round3),
    CatalogQuery(CatalogQuery),
    CatalogAnswer(CatalogAnswer),
    Catalog(Catalog),
}

/// Who sends a new bundle to whom, in which session, valid when.
pub struct Addressed<'a> {
    pub session: [u8; SESSION_LEN],
    pub me: &'a Identity,
    /// The recipient (a catalog is addressed to anyone, sealed for `to`).
    pub to: &'a PublicIdentity,
    pub created: u64,
    pub expires: u64,
}

impl<'a> Addressed<'a> {
    /// From `me` to `to` in `session`, created at `created` (Unix
    /// seconds), valid for `lifetime`.
    pub fn new(
        session: [u8; SESSION_LEN],
        me: &'a Identity,
        to: &'a PublicIdentity,
        created: u64,
        lifetime: std::time::Duration,
    ) -> Self {
        let expires = created.saturating_add(lifetime.as_secs());
        Addressed {
            session,
            me,
            to,
            created,
            expires,
        }
    }
}

fn count(bytes: &[u8], each: usize) -> u64 {
    bytes.len().checked_div(each).unwrap_or(0) as u64
}

fn exchange_ext(key_id: Vec<u8>, proofs: Vec<u8>) -> Option<CatalogExt> {
    Some(CatalogExt {
        version: CATALOG_VERSION,
        suite: SUITE.into(),
        key_id: key_id.into(),
        public_key: ByteBuf::new(),
        label_len: 0,
        n_labels: 0,
        labels: ByteBuf::new(),
        proofs: proofs.into(),
    })
}

impl Message {
    /// Protocol name and round number on the wire.
    pub fn wire(&self) -> (&'static str, u8) {
        match self {
            Message::Round1(_) => (PROTOCOL_PSI, 1),
            Message::Round2(_) => (PROTOCOL_PSI, 2),
            Message::Round3(_) => (PROTOCOL_PSI, 3),
            Message::Catalog(_) => (PROTOCOL_CATALOG, 0),
            Message::CatalogQuery(_) => (PROTOCOL_CATALOG, 1),
            Message::CatalogAnswer(_) => (PROTOCOL_CATALOG, 2),
        }
    }

    /// The payload of this message from `a.me` to `a.to`: the one builder.
    pub fn into_payload(self, a: &Addressed<'_>) -> Payload {
        let (protocol, round) = self.wire();
        let to = match self {
            Message::Catalog(_) => TO_ANYONE.to_vec(),
            _ => a.to.fingerprint().to_vec(),
        };
        let base = Payload {
            created: a.created,
            expires: a.expires,
            ..Payload::addressed(protocol, round, &a.session, &a.me.public(), &to)
        };
        match self {
            Message::Round1(m) => mutual_payload(base, m.kind, m.mode, Vec::new(), m.elements.points, None),
            Message::Round2(m) => mutual_payload(
                base,
                m.kind,
                m.mode,
                m.answers.to_vec(),
                m.elements.points,
                Some((m.elements.doubled, m.elements.trunc)),
            ),
            Message::Round3(m) => mutual_payload(
                base,
                m.kind,
                m.mode,
                m.answers.to_vec(),
                Vec::new(),
                Some((m.elements.doubled, m.elements.trunc)),
            ),
            Message::CatalogQuery(m) => {
                exchange_payload(base, m.kind, m.catalog, m.points, exchange_ext(m.key_id, Vec::new()))
            }
            Message::CatalogAnswer(m) => {
                exchange_payload(base, m.kind, m.query, m.points, exchange_ext(m.key_id, m.proofs))
            }
            Message::Catalog(m) => catalog_payload(base, m),
        }
    }
}

fn mutual_payload(
    base: Payload,
    kind: KindSetting,
    mode: Mode,
    answers: Vec<u8>,
    points: Vec<u8>,
    doubled: Option<(Vec<u8>, usize)>,
) -> Payload {
    let (doubled, trunc) = doubled.unwrap_or_default();
    Payload {
        kind: kind.name().into(),
        mode: mode.name().into(),
        answers: answers.into(),
        n_points: count(&points, POINT_LEN),
        points: points.into(),
        trunc: trunc as u8,
        n_doubled: count(&doubled, trunc),
        doubled: doubled.into(),
        ..base
    }
}

fn exchange_payload(
    base: Payload,
    kind: KindSetting,
    answers: [u8; 32],
    points: Vec<u8>,
    catalog: Option<CatalogExt>,
) -> Payload {
    Payload {
        kind: kind.name().into(),
        mode: MODE.into(),
        answers: answers.to_vec().into(),
        n_points: count(&points, POINT_LEN),
        points: points.into(),
        catalog,
        ..base
    }
}

fn catalog_payload(base: Payload, m: Catalog) -> Payload {
    Payload {
        kind: m.kind.name().into(),
        mode: MODE.into(),
        trunc: m.trunc,
        n_doubled: m.len(),
        doubled: m.outputs.into(),
        catalog: Some(CatalogExt {
            version: CATALOG_VERSION,
            suite: SUITE.into(),
            key_id: m.key_id.into(),
            public_key: m.public_key.into(),
            label_len: m.label_len,
            n_labels: m.n_labels,
            labels: m.labels.into(),
            proofs: ByteBuf::new(),
        }),
        ..base
    }
}

/// Sign a message as `a.me` and wrap it as asked for `a.to`.
pub fn seal_message(message: Message, a: &Addressed<'_>, envelope: Envelope) -> Sealed {
    seal(message.into_payload(a), a.me, a.to, envelope)
}
