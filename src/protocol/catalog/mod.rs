//! Protocol 2: a published catalog, built on the RFC 9497 OPRF in mode 0x01
//! (VOPRF) with the ciphersuite ristretto255-SHA512.
//!
//! - The publisher holds a long-lived key `k`. For each entry `x` it computes
//!   the PRF output `F(k, x)` (RFC 9497 `Evaluate`, 64 bytes) and publishes
//!   the first `trunc` bytes of each, shuffled. With labels, each labelled
//!   entry also gets a record `tag || AEAD(label)`, where the tag and the
//!   AEAD key are derived (HKDF-SHA-256) from the full 64-byte output.
//! - A client blinds its entries (`Blind`), the publisher evaluates the
//!   blinded elements (`BlindEvaluate`) and proves with a batched DLEQ proof
//!   (one per `PROOF_CHUNK` elements) that it used the key whose public key
//!   `pkS` the catalog carries; the client verifies the proofs, unblinds
//!   (`Finalize`) and looks the outputs up in the catalog.
//!
//! The client's `Blind`, `DeriveKeyPair` and the one-entry `Evaluate` are
//! the `voprf` crate (on its own curve25519-dalek 4; the two dalek versions
//! meet only as encoded bytes). The bulk steps are ours on dalek 5, checked
//! against `voprf` and the RFC's test vectors in `key`'s and `client`'s
//! tests: the publisher's `Evaluate` (publishing) through `group`'s batched
//! multiply-and-encode (one shared inversion per batch), its
//! `BlindEvaluate` and the client's `Finalize` in the same kind of batches,
//! and the DLEQ proofs (`dleq`), whose composites are one multiscalar
//! multiplication each.
//!
//! Rooms:
//! - this module: the suite, sizes and limits, the truncation rule, the
//!   PRF input of an entry, and `CatalogError`;
//! - `key`: the publisher's OPRF key (`CatalogKey`): generate, derive,
//!   load, name (key id) and evaluate, one entry or in bulk;
//! - `dleq`: RFC 9497's batched DLEQ proofs, made (`prove`) and checked
//!   (`verify`), one per chunk;
//! - `labels`: the label records (`tag || AEAD(label)`): seal, open, order
//!   by tag, find, and check their order;
//! - `publish`: building a `Catalog` from a key and a list;
//! - `client`: the client's query (`Client::start`, `Client::finish`) and
//!   the catalog as it reads it (`CatalogView`), with what it finds
//!   (`Found`, `Lookup`).
//!
//! Pure: no files, no terminal.

mod client;
mod dleq;
mod key;
mod labels;
mod publish;

pub use client::{CatalogView, Client, Found, Lookup};
pub use key::{key_id_of, CatalogKey};
pub use labels::record_len;
pub use publish::{publish, Catalog};

use crate::input::{Entries, Kind};
use crate::protocol::pad::PadTooSmall;

/// The RFC 9497 ciphersuite, as the `voprf` crate names it.
pub type Suite = voprf::Ristretto255;
/// Ciphersuite identifier (RFC 9497 §4.1), carried in every catalog bundle.
pub const SUITE: &str = "ristretto255-SHA512";
/// `mode` of the catalog protocol's bundles: RFC 9497 mode 0x01.
pub const MODE: &str = "voprf";
/// The mode of catalog format 1 (RFC 9497 mode 0x00), refused by name.
pub const OLD_MODE: &str = "oprf";
/// Version of the catalog fields (doc/catalog-format.md): 2 since VOPRF.
pub const CATALOG_VERSION: u32 = 2;
/// RFC 9497 `HashToGroup` DST for mode 0x01 and this suite:
/// `"HashToGroup-" || contextString`.
pub const HASH_TO_GROUP_DST: &[u8] = b"HashToGroup-OPRFV1-\x01-ristretto255-SHA512";
/// Most elements one DLEQ proof covers (RFC 9497 batches count in 16 bits).
#[cfg(not(test))]
pub const PROOF_CHUNK: usize = u16::MAX as usize;
/// The unit tests prove in chunks of 5, so that small answers exercise
/// several proofs (the binary and the integration tests use 65,535).
#[cfg(test)]
pub const PROOF_CHUNK: usize = 5;
/// Length of one serialized proof (`c || s`).
pub const PROOF_LEN: usize = 64;
/// Length of the publisher's public key `pkS`.
pub const PUBLIC_LEN: usize = 32;
/// Length of a PRF output (SHA-512).
pub const OUTPUT_LEN: usize = 64;
/// Length of a key id.
pub const KEY_ID_LEN: usize = 32;
/// Length of a label's lookup tag.
pub const TAG_LEN: usize = 16;
/// Length of the AEAD (ChaCha20-Poly1305) authentication tag.
pub const AEAD_LEN: usize = 16;
/// Longest label, in bytes of UTF-8.
pub const MAX_LABEL: usize = 1024;
/// Shortest and longest truncation of catalog outputs.
pub const MIN_TRUNC: usize = 8;
pub const MAX_TRUNC: usize = 32;
/// The false-positive bound of a catalog is stated for queries of up to
/// 2^24 entries (above the default `--max-query-items`).
pub const LOG2_QUERY_BOUND: u32 = 24;

/// Bytes kept of each PRF output in a catalog of `n` entries:
/// `ceil((40 + ceil(log2 n) + 24) / 8)`, so that a query of up to 2^24
/// entries has a false match with probability below 2^-40.
pub fn trunc_len(n: u64) -> usize {
    let n = n.max(1);
    let ceil_log2 = 64 - (n - 1).leading_zeros() as u64; // 0 for n == 1
    ((40 + ceil_log2 + LOG2_QUERY_BOUND as u64).div_ceil(8) as usize).clamp(MIN_TRUNC, MAX_TRUNC)
}

/// Bytes of proofs in an answer of `n` elements: one proof per
/// `PROOF_CHUNK` elements, in element order.
pub fn proofs_len(n: u64) -> u64 {
    n.div_ceil(PROOF_CHUNK as u64) * PROOF_LEN as u64
}

/// log2 of the probability that a query of `m` entries finds at least one
/// false match in a catalog of `n` entries truncated to `trunc` bytes
/// (union bound: m · n · 2^(-8·trunc)).
pub fn false_match_log2(n: u64, m: u64, trunc: usize) -> f64 {
    (n.max(1) as f64).log2() + (m.max(1) as f64).log2() - 8.0 * trunc as f64
}

/// What went wrong in the catalog protocol.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogError {
    #[error("entry {index} is too long for the OPRF (its kind and bytes exceed 65535 bytes)")]
    InputTooLong { index: usize },
    #[error("the label of entry {index} is {len} bytes long, more than {MAX_LABEL}")]
    LabelTooLong { index: usize, len: usize },
    #[error("element {index} of the {of} is {}", if *identity { "the identity element" } else { "not a valid ristretto255 point" })]
    BadPoint {
        /// "query" or "answer": whose elements.
        of: &'static str,
        index: usize,
        identity: bool,
    },
    #[error(
        "the publisher's proof for elements {first}..{last} of the answer does not verify: \
         they were not evaluated with the catalog's key"
    )]
    Proof { first: usize, last: usize },
    #[error("inconsistent counts: {0}")]
    Counts(String),
    #[error("not a valid catalog: {0}")]
    Catalog(String),
    #[error("the stored catalog key is damaged")]
    BadKey,
    #[error(transparent)]
    PadTooSmall(#[from] PadTooSmall),
}

impl crate::error::Hinted for CatalogError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            CatalogError::InputTooLong { .. } => "shorten or drop that entry".into(),
            CatalogError::LabelTooLong { .. } => format!("labels are at most {MAX_LABEL} bytes; shorten it"),
            CatalogError::BadKey => "publish a new catalog (`cosect publish`) to make a new key".into(),
            CatalogError::PadTooSmall(e) => return crate::error::Hinted::hint(e),
            CatalogError::Proof { .. } => {
                "the answer is forged or the publisher answers you with another key than the one it published; \
                 do not trust it, and tell the publisher"
                    .into()
            }
            _ => "the bundle is damaged or crafted; ask the sender for it again".into(),
        })
    }
}

/// The PRF input of an entry: `kind || 0x00 || canonical bytes`, so a
/// domain never equals an IP.
pub fn prf_input(kind: Kind, canon: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(kind.name().len() + 1 + canon.len());
    v.extend_from_slice(kind.name().as_bytes());
    v.push(0);
    v.extend_from_slice(canon);
    v
}

/// Every entry's PRF input fits RFC 9497's 16-bit length prefix.
fn check_inputs(entries: &Entries) -> Result<(), CatalogError> {
    for i in 0..entries.len() {
        let (kind, canon) = entries.get(i);
        if kind.name().len() + 1 + canon.len() > u16::MAX as usize {
            return Err(CatalogError::InputTooLong { index: i });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list of raw entries, for the tests of every room.
    pub(super) fn entries(items: &[&str]) -> Entries {
        Entries::from_canonical(items.iter().map(|s| (Kind::Raw, *s)))
    }

    /// `n` raw entries `"{prefix}-{i}"`: their text, and the list.
    pub(super) fn numbered(prefix: &str, n: usize) -> (Vec<String>, Entries) {
        let items: Vec<String> = (0..n).map(|i| format!("{prefix}-{i}")).collect();
        let refs: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
        let e = entries(&refs);
        (items, e)
    }

    #[test]
    fn truncation() {
        assert_eq!(trunc_len(1), 8);
        assert_eq!(trunc_len(1 << 20), 11);
        assert_eq!(trunc_len(1_000_000), 11);
        assert!(false_match_log2(1 << 20, 1 << 24, trunc_len(1 << 20)) <= -40.0);
        assert!(false_match_log2(3, 1 << 24, trunc_len(3)) <= -40.0);
    }
}
