//! The catalog protocol's part of the payload (doc/catalog-format.md): one
//! optional map, present exactly in bundles of protocol "catalog".

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::BundleError;
use crate::protocol::catalog::{record_len, CATALOG_VERSION, KEY_ID_LEN, MAX_LABEL, PUBLIC_LEN};

/// `protocol` value of the published-catalog protocol.
pub const PROTOCOL_CATALOG: &str = "catalog";
/// The recipient fingerprint of a catalog: all zero, "anyone who holds it".
pub const TO_ANYONE: [u8; 32] = [0u8; 32];

/// Catalog fields. Field order is the encoding order.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
#[serde(deny_unknown_fields)]
pub struct CatalogExt {
    /// Version of these fields: `CATALOG_VERSION` (2, VOPRF).
    pub version: u32,
    /// RFC 9497 ciphersuite identifier, "ristretto255-SHA512".
    pub suite: String,
    /// Names the publisher's VOPRF key (see protocol::catalog::CatalogKey::key_id).
    pub key_id: ByteBuf,
    /// The publisher's public key `pkS` (32 bytes) in a catalog; empty in a
    /// query or answer.
    pub public_key: ByteBuf,
    /// Every label is padded to this many bytes (0 in a query or answer,
    /// and in a catalog without labels).
    pub label_len: u32,
    /// Number of label records.
    pub n_labels: u64,
    /// `n_labels` records of `16 + 2 + label_len + 16` bytes, sorted by tag.
    pub labels: ByteBuf,
    /// An answer's batched DLEQ proofs, 64 bytes per 65,535 elements; empty
    /// in a catalog or query.
    pub proofs: ByteBuf,
}

impl CatalogExt {
    pub fn check_lengths(&self) -> Result<(), BundleError> {
        let bad = |what: &str| Err(BundleError::Counts(what.to_owned()));
        if self.version != CATALOG_VERSION {
            return Err(BundleError::Structure(format!(
                "catalog format version {} is not the version {CATALOG_VERSION} this cosect reads",
                self.version
            )));
        }
        if !self.public_key.is_empty() && self.public_key.len() != PUBLIC_LEN {
            return bad("the catalog public key is not 32 bytes");
        }
        if !self.proofs.len().is_multiple_of(crate::protocol::catalog::PROOF_LEN) {
            return bad("the proofs are not a whole number of 64-byte proofs");
        }
        if self.key_id.len() != KEY_ID_LEN {
            return bad("the catalog key id is not 32 bytes");
        }
        if self.label_len as usize > MAX_LABEL {
            return bad("label_len is larger than 1024");
        }
        if self.n_labels > super::payload::MAX_COUNT {
            return bad("a declared count exceeds 2^32 - 1");
        }
        if self.labels.len() as u64 != self.n_labels * record_len(self.label_len as usize) as u64 {
            return Err(BundleError::Counts(format!(
                "n_labels says {} records of {} bytes but labels holds {} bytes",
                self.n_labels,
                record_len(self.label_len as usize),
                self.labels.len()
            )));
        }
        Ok(())
    }
}
