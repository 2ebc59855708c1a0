//! The per-message checks of the pipeline: a verified payload has the
//! shape of the message expected (protocol, round, kind, mode, counts),
//! and turns into that typed message.

use crate::bundle::catalog::{CatalogExt, PROTOCOL_CATALOG, TO_ANYONE};
use crate::bundle::payload::{Payload, HASH_LEN, PROTOCOL_PSI};
use crate::bundle::BundleError::{self, Counts, Structure};
use crate::input::KindSetting;
use crate::protocol::catalog::{proofs_len, MODE, SUITE};
use crate::protocol::{mutual, Mode};
use crate::text::shown;

use super::message::{Catalog, CatalogAnswer, CatalogQuery, Round2, Round3};

/// A verified bundle is a well-formed round-1 bundle of the mutual
/// protocol; returns its kind setting and mode.
pub fn check_round1(p: &Payload) -> Result<(KindSetting, Mode), BundleError> {
    if p.protocol != PROTOCOL_PSI {
        return Err(Structure(format!(
            "protocol {:?} is not one `respond` answers",
            shown(&p.protocol)
        )));
    }
    if p.round != 1 {
        return Err(Structure(format!(
            "this is a round-{} bundle; `respond` answers round 1 (use `cosect finish` for rounds 2 and 3)",
            p.round
        )));
    }
    let kind = kind_of(p)?;
    let mode: Mode = p
        .mode
        .parse()
        .map_err(|_| Structure(format!("unknown mode {:?}", shown(&p.mode))))?;
    if !p.answers.is_empty() || p.n_doubled != 0 || p.trunc != 0 {
        return Err(Counts(
            "a round-1 bundle carries no answered hash and no double-encrypted elements".into(),
        ));
    }
    if p.n_points == 0 {
        return Err(Counts("round 1 holds no elements".into()));
    }
    if p.catalog.is_some() {
        return Err(Structure("a mutual-exchange bundle carries no catalog field".into()));
    }
    Ok((kind, mode))
}

/// What a mutual-protocol session expects of its answer.
pub struct Awaited<'a> {
    pub round: u8,
    pub mode: Mode,
    /// The session's kind setting, as stored.
    pub kind: &'a str,
    /// Hash of the bundle this side sent.
    pub sent_hash: &'a [u8],
    /// The session id's first 8 hex digits, for messages.
    pub sid: &'a str,
}

/// Session known and at this round: the bundle answers the one we sent in
/// this session, with its protocol, kind and mode.
pub fn check_answer(p: &Payload, s: &Awaited<'_>) -> Result<(), BundleError> {
    if p.protocol != PROTOCOL_PSI {
        return Err(Structure("it is not a bundle of this session's protocol".into()));
    }
    if p.round != s.round {
        return Err(Structure(format!(
            "this is a round-{} bundle, but session {} waits for round {}",
            p.round, s.sid, s.round
        )));
    }
    if p.answers[..] != s.sent_hash[..] {
        return Err(Structure(
            "it answers another bundle than the one you sent in this session (replayed or mixed up)".into(),
        ));
    }
    if p.catalog.is_some() {
        return Err(Structure("a mutual-exchange bundle carries no catalog field".into()));
    }
    // Round 2 carries the responder's blinded elements; round 3 none.
    match (s.round, p.n_points) {
        (2, 0) => return Err(Counts("round 2 holds none of the responder's elements".into())),
        (3, n) if n > 0 => return Err(Counts("round 3 carries blinded elements it never has".into())),
        _ => {}
    }
    if p.kind != s.kind || p.mode != s.mode.name() {
        return Err(Structure(format!(
            "its kind and mode ({}, {}) differ from the session's ({}, {})",
            shown(&p.kind),
            shown(&p.mode),
            s.kind,
            s.mode
        )));
    }
    Ok(())
}

/// Round 2 or 3 out of a payload `check_answer` accepted.
pub(super) fn mutual_answer(p: &mut Payload, mode: Mode) -> Result<super::Message, BundleError> {
    let kind = kind_of(p)?;
    let answers = hash_of(&p.answers);
    let doubled = std::mem::take(&mut p.doubled).into_vec();
    let trunc = p.trunc as usize;
    Ok(if p.round == 2 {
        let points = std::mem::take(&mut p.points).into_vec();
        let elements = mutual::Round2 { doubled, points, trunc };
        super::Message::Round2(Round2 {
            kind,
            mode,
            answers,
            elements,
        })
    } else {
        let elements = mutual::Round3 { doubled, trunc };
        super::Message::Round3(Round3 {
            kind,
            mode,
            answers,
            elements,
        })
    })
}

fn hash_of(bytes: &[u8]) -> [u8; 32] {
    bytes.try_into().unwrap_or([0; 32])
}

pub(super) fn kind_of(p: &Payload) -> Result<KindSetting, BundleError> {
    p.kind
        .parse()
        .map_err(|_| Structure(format!("unknown kind {:?}", shown(&p.kind))))
}

/// The catalog fields of a catalog-protocol bundle, of our suite.
pub(super) fn ext(p: &Payload) -> Result<&CatalogExt, BundleError> {
    let e = p
        .catalog
        .as_ref()
        .ok_or_else(|| Structure("a catalog-protocol bundle without its catalog fields".into()))?;
    if e.suite != SUITE {
        return Err(Structure(format!("unknown OPRF ciphersuite {:?}", shown(&e.suite))));
    }
    Ok(e)
}

/// A verified bundle is a well-formed catalog; returns it.
pub fn check_catalog(p: &mut Payload) -> Result<Catalog, BundleError> {
    if p.protocol != PROTOCOL_CATALOG || p.round != 0 {
        return Err(Structure(format!(
            "this is a round-{} bundle of protocol {:?}, not a catalog (from `cosect publish`)",
            p.round,
            shown(&p.protocol)
        )));
    }
    if p.mode != MODE {
        return Err(Structure(format!("unknown mode {:?}", shown(&p.mode))));
    }
    let kind = kind_of(p)?;
    let e = ext(p)?;
    if p.to[..] != TO_ANYONE || !p.answers.is_empty() || p.n_points != 0 || !e.proofs.is_empty() {
        return Err(Structure(
            "a catalog is addressed to no one, answers nothing and holds no blinded elements".into(),
        ));
    }
    let e = p.catalog.take().expect("checked above");
    let catalog = Catalog {
        kind,
        key_id: e.key_id.into_vec(),
        public_key: e.public_key.into_vec(),
        trunc: p.trunc,
        outputs: std::mem::take(&mut p.doubled),
        label_len: e.label_len,
        n_labels: e.n_labels,
        labels: e.labels.into_vec(),
    };
    catalog.view().check().map_err(|e| Counts(e.to_string()))?;
    Ok(catalog)
}

/// A query or answer: round `round` of the catalog protocol, with blinded
/// or evaluated elements and nothing else. Returns its kind and key id.
pub fn check_exchange(p: &Payload, round: u8) -> Result<(KindSetting, Vec<u8>), BundleError> {
    if p.protocol != PROTOCOL_CATALOG || p.round != round {
        return Err(Structure(format!(
            "this is a round-{} bundle of protocol {:?}; expected a catalog {}",
            p.round,
            shown(&p.protocol),
            if round == 1 {
                "query (from `cosect init --catalog`)"
            } else {
                "answer"
            }
        )));
    }
    if p.mode != MODE {
        return Err(Structure(format!("unknown mode {:?}", shown(&p.mode))));
    }
    let kind = kind_of(p)?;
    let e = ext(p)?;
    if p.answers.len() != HASH_LEN || p.n_doubled != 0 || p.trunc != 0 || e.n_labels != 0 || e.label_len != 0 {
        return Err(Counts(
            "a catalog query or answer names one bundle and carries only 32-byte elements".into(),
        ));
    }
    if p.n_points == 0 {
        return Err(Counts("it holds no elements".into()));
    }
    let proofs = if round == 1 { 0 } else { proofs_len(p.n_points) };
    if !e.public_key.is_empty() || e.proofs.len() as u64 != proofs {
        return Err(Counts(format!(
            "a catalog {} carries no public key and {proofs} bytes of proofs for {} elements",
            if round == 1 { "query" } else { "answer" },
            p.n_points
        )));
    }
    Ok((kind, e.key_id.to_vec()))
}

/// A checked query, its elements moved out of the payload.
pub(super) fn query(p: &mut Payload, kind: KindSetting, key_id: Vec<u8>) -> CatalogQuery {
    let (catalog, points) = (hash_of(&p.answers), std::mem::take(&mut p.points));
    CatalogQuery {
        kind,
        catalog,
        key_id,
        points: points.into_vec(),
    }
}

/// A checked answer, its elements moved out of the payload.
pub(super) fn answer(p: &mut Payload, kind: KindSetting, key_id: Vec<u8>) -> CatalogAnswer {
    let (query, points) = (hash_of(&p.answers), std::mem::take(&mut p.points));
    let proofs = p
        .catalog
        .as_mut()
        .map(|c| std::mem::take(&mut c.proofs))
        .unwrap_or_default();
    CatalogAnswer {
        kind,
        query,
        key_id,
        points: points.into_vec(),
        proofs: proofs.into_vec(),
    }
}

/// What message a payload is, checked alone: its protocol, round, kind,
/// mode and counts, as the pipeline checks them, but with no session, key
/// or peer to compare with (`inspect` shows any bundle through this). The
/// elements move out of the payload into the message.
pub fn typed(p: &mut Payload) -> Result<super::Message, BundleError> {
    use super::Message;
    match (p.protocol == PROTOCOL_CATALOG, p.round) {
        (true, 0) => check_catalog(p).map(Message::Catalog),
        (true, round @ (1 | 2)) => {
            let (kind, key_id) = check_exchange(p, round)?;
            Ok(match round {
                1 => Message::CatalogQuery(query(p, kind, key_id)),
                _ => Message::CatalogAnswer(answer(p, kind, key_id)),
            })
        }
        (false, 1) => {
            let (kind, mode) = check_round1(p)?;
            let points = std::mem::take(&mut p.points).into_vec();
            let elements = mutual::Round1 { points };
            Ok(Message::Round1(super::Round1 { kind, mode, elements }))
        }
        (false, 2 | 3) => {
            let mode: Mode = p
                .mode
                .parse()
                .map_err(|_| Structure(format!("unknown mode {:?}", shown(&p.mode))))?;
            if p.answers.len() != HASH_LEN {
                return Err(Counts("an answer names the bundle it answers".into()));
            }
            let sent = p.answers.to_vec();
            let awaited = Awaited {
                round: p.round,
                mode,
                kind: &p.kind.clone(),
                sent_hash: &sent,
                sid: "",
            };
            check_answer(p, &awaited)?;
            mutual_answer(p, mode)
        }
        _ => Err(Structure(format!(
            "round {} is no round of protocol {:?}",
            p.round,
            shown(&p.protocol)
        ))),
    }
}
