//! The signed payload: one CBOR map with text keys in a fixed order.
//! Decoding is canonical-only: the bytes must equal the re-encoding of what
//! they decode to, so every payload has exactly one valid encoding.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::BundleError;
use crate::group::POINT_LEN;

/// The payload format version this build writes and reads. 3: e-mail
/// addresses are compared lower-cased as a whole (2 kept the local part
/// as written), so a format-2 peer's e-mail entries would silently never
/// meet ours: its bundles are refused by name instead.
pub const FORMAT_VERSION: u32 = 3;
/// `protocol` value of the mutual PSI protocol.
pub const PROTOCOL_PSI: &str = "psi";
/// Length of a session id.
pub const SESSION_LEN: usize = 16;
/// Length of a hash naming another bundle (SHA-256).
pub const HASH_LEN: usize = 32;
/// Most elements of one kind a bundle may declare (2^32 - 1): a declared
/// count above this is refused before anything is allocated.
pub const MAX_COUNT: u64 = u32::MAX as u64;

/// The payload map. Field order is the encoding order (see doc/bundle-format.md).
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// Magic and format version at once.
    pub cosect: u32,
    pub protocol: String,
    pub round: u8,
    pub session: ByteBuf,
    /// Sender's public identity line (its fingerprint must equal `from`).
    pub sender: String,
    pub from: ByteBuf,
    pub to: ByteBuf,
    pub kind: String,
    pub mode: String,
    /// Unix seconds.
    pub created: u64,
    pub expires: u64,
    /// SHA-256 of the COSE bytes of the bundle this one answers; empty in round 1.
    pub answers: ByteBuf,
    /// Number of 32-byte elements in `points`.
    pub n_points: u64,
    pub points: ByteBuf,
    /// Bytes kept of each double-encrypted element (ℓ); 0 when there are none.
    pub trunc: u8,
    /// Number of `trunc`-byte elements in `doubled`.
    pub n_doubled: u64,
    pub doubled: ByteBuf,
    /// Protocol "catalog" only (doc/catalog-format.md); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<super::catalog::CatalogExt>,
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payload")
            .field("round", &self.round)
            .field("kind", &self.kind)
            .field("mode", &self.mode)
            .field("n_points", &self.n_points)
            .field("trunc", &self.trunc)
            .field("n_doubled", &self.n_doubled)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct VersionProbe {
    cosect: Option<u64>,
    protocol: Option<String>,
    mode: Option<String>,
}

impl Payload {
    pub fn encode(&self) -> Vec<u8> {
        let extra = self.catalog.as_ref().map_or(0, |c| c.labels.len());
        let mut out = Vec::with_capacity(self.points.len() + self.doubled.len() + extra + 1024);
        ciborium::into_writer(self, &mut out).expect("writing CBOR to memory cannot fail");
        out
    }

    /// The encoding of `self` as consecutive pieces whose concatenation is
    /// `encode()`'s output, consuming `self`: the large byte strings
    /// (`points`, `doubled`) become pieces of their own, moved rather than
    /// copied, so sealing a large round never holds its elements twice.
    pub fn encode_pieces(mut self) -> Vec<Vec<u8>> {
        /// Cuts the encoding where a large field's bytes are written (ciborium
        /// writes a byte string's contents in one call, after its head);
        /// anything else is copied into the current small piece.
        struct Cut<'a> {
            large: [&'a [u8]; 2],
            pieces: Vec<Result<Vec<u8>, usize>>,
            small: Vec<u8>,
        }
        impl std::io::Write for Cut<'_> {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let same = |l: &&[u8]| !l.is_empty() && std::ptr::eq(*l, buf);
                match self.large.iter().position(same) {
                    Some(k) => {
                        self.pieces.push(Ok(std::mem::take(&mut self.small)));
                        self.pieces.push(Err(k));
                    }
                    None => self.small.extend_from_slice(buf),
                }
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let extra = self.catalog.as_ref().map_or(0, |c| c.labels.len());
        let mut cut = Cut {
            large: [&self.points, &self.doubled],
            pieces: Vec::new(),
            small: Vec::with_capacity(extra + 1024),
        };
        ciborium::into_writer(&self, &mut cut).expect("writing CBOR to memory cannot fail");
        let Cut { pieces, small, .. } = cut;
        let mut large = [std::mem::take(&mut self.points), std::mem::take(&mut self.doubled)];
        drop(self);
        let mut out: Vec<Vec<u8>> = pieces
            .into_iter()
            .map(|p| p.unwrap_or_else(|k| std::mem::take(&mut large[k]).into_vec()))
            .collect();
        out.push(small);
        out.retain(|p| !p.is_empty());
        out
    }

    /// Whether encoding `self` gives exactly `bytes`, compared as it is
    /// written (no second copy of a large payload).
    fn encodes_to(&self, bytes: &[u8]) -> bool {
        struct Compare<'a>(&'a [u8]);
        impl std::io::Write for Compare<'_> {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                match self.0.strip_prefix(buf) {
                    Some(rest) => {
                        self.0 = rest;
                        Ok(buf.len())
                    }
                    None => Err(std::io::ErrorKind::InvalidData.into()),
                }
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut c = Compare(bytes);
        ciborium::into_writer(self, &mut c).is_ok() && c.0.is_empty()
    }

    /// Decode and check the payload's own consistency (not its meaning for
    /// a session: see `check_*` in the protocol layer).
    pub fn decode(bytes: &[u8]) -> Result<Self, BundleError> {
        let probe: VersionProbe =
            ciborium::from_reader(bytes).map_err(|_| BundleError::Structure("the payload is not a CBOR map".into()))?;
        match probe.cosect {
            Some(v) if v == FORMAT_VERSION as u64 => {}
            Some(v) => return Err(BundleError::Version(v)),
            None => {
                return Err(BundleError::Structure(
                    "the payload has no \"cosect\" version field".into(),
                ))
            }
        }
        if probe.protocol.as_deref() == Some(super::catalog::PROTOCOL_CATALOG)
            && probe.mode.as_deref() == Some(crate::protocol::catalog::OLD_MODE)
        {
            return Err(BundleError::Structure(
                "this is a bundle of catalog format 1 (RFC 9497 OPRF mode, from an older cosect); \
                 this cosect reads catalog format 2 (VOPRF): the publisher must publish again"
                    .into(),
            ));
        }
        let p: Payload = ciborium::from_reader(bytes).map_err(|e| {
            // serde says e.g. "unknown field `x`, expected one of …" or
            // "missing field `round`": keep its first clause only.
            let why = match &e {
                ciborium::de::Error::Semantic(_, msg) => msg.split(", expected").next().unwrap_or(msg).to_owned(),
                _ => "it is damaged or cut short".to_owned(),
            };
            BundleError::Structure(format!("the payload does not match the bundle schema: {}", short(&why)))
        })?;
        if !p.encodes_to(bytes) {
            return Err(BundleError::Structure(
                "the payload is not in canonical form (extra bytes, or fields out of order or in a longer encoding)"
                    .into(),
            ));
        }
        p.check_lengths()?;
        Ok(p)
    }

    /// Counts and lengths agree; fixed-size fields have their size.
    pub fn check_lengths(&self) -> Result<(), BundleError> {
        let bad = |what: &str| Err(BundleError::Counts(what.to_owned()));
        if self.session.len() != SESSION_LEN {
            return bad("session id is not 16 bytes");
        }
        if self.from.len() != 32 || self.to.len() != 32 {
            return bad("a fingerprint is not 32 bytes");
        }
        if !(self.answers.is_empty() || self.answers.len() == HASH_LEN) {
            return bad("the answered-bundle hash is not 32 bytes");
        }
        if self.n_points > MAX_COUNT || self.n_doubled > MAX_COUNT {
            return bad("a declared count exceeds 2^32 - 1");
        }
        if (self.points.len() as u64) != self.n_points * POINT_LEN as u64 {
            return Err(BundleError::Counts(format!(
                "n_points says {} elements but points holds {} bytes",
                self.n_points,
                self.points.len()
            )));
        }
        if self.trunc as usize > POINT_LEN {
            return bad("trunc is larger than 32");
        }
        if (self.doubled.len() as u64) != self.n_doubled * self.trunc as u64 {
            return Err(BundleError::Counts(format!(
                "n_doubled says {} elements of {} bytes but doubled holds {} bytes",
                self.n_doubled,
                self.trunc,
                self.doubled.len()
            )));
        }
        if self.n_doubled > 0 && self.trunc == 0 {
            return bad("trunc is 0 but doubled elements are present");
        }
        if let Some(c) = &self.catalog {
            c.check_lengths()?;
        }
        Ok(())
    }
}

fn short(e: &dyn std::fmt::Display) -> String {
    crate::text::shown(&e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_join_to_the_encoding_and_move_the_large_fields() {
        let mut p = Payload {
            n_points: 3000,
            points: (0..3000 * POINT_LEN).map(|i| i as u8).collect::<Vec<u8>>().into(),
            trunc: 11,
            n_doubled: 700,
            doubled: vec![7u8; 700 * 11].into(),
            answers: vec![1u8; HASH_LEN].into(),
            ..Payload::addressed(
                PROTOCOL_PSI,
                2,
                &[3u8; SESSION_LEN],
                &crate::identity::Identity::generate("a").unwrap().public(),
                &[4u8; 32],
            )
        };
        p.kind = "raw".into();
        p.mode = "mutual".into();
        let whole = p.encode();
        let (points, doubled) = (p.points.as_ptr(), p.doubled.as_ptr());
        let pieces = p.clone().encode_pieces();
        assert_eq!(pieces.concat(), whole);
        let pieces = p.encode_pieces();
        assert_eq!(pieces.concat(), whole);
        assert!(pieces
            .iter()
            .any(|v| v.as_ptr() == points && v.len() == 3000 * POINT_LEN));
        assert!(pieces.iter().any(|v| v.as_ptr() == doubled && v.len() == 700 * 11));
        // Without large fields: one piece, the whole encoding.
        let mut small = Payload::decode(&whole).unwrap();
        small.points = ByteBuf::new();
        small.doubled = ByteBuf::new();
        (small.n_points, small.n_doubled) = (0, 0);
        assert_eq!(small.clone().encode_pieces(), vec![small.encode()]);
    }
}
