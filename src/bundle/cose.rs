//! COSE_Sign1 (RFC 9052) with EdDSA over Ed25519, tagged (CBOR tag 18).
//! The protected header carries the algorithm, the sender's fingerprint as
//! `kid`, and a content type naming the cosect payload.

use coset::{iana, CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::BundleError;

/// Content type in the protected header.
pub const CONTENT_TYPE: &str = "application/cosect-bundle+cbor; v=1";

/// Sign `payload` into a tagged COSE_Sign1 message.
pub fn sign(payload: Vec<u8>, key: &SigningKey, kid: &[u8]) -> Vec<u8> {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(kid.to_vec())
        .content_type(CONTENT_TYPE.to_owned())
        .build();
    CoseSign1Builder::new()
        .protected(protected)
        .payload(payload)
        .create_signature(b"", |tbs| key.sign(tbs).to_bytes().to_vec())
        .build()
        .to_tagged_vec()
        .expect("encoding a COSE_Sign1 to memory cannot fail")
}

/// A parsed, not yet verified COSE_Sign1.
pub struct Signed {
    msg: CoseSign1,
}

impl Signed {
    /// Parse a tagged COSE_Sign1 (an untagged one is accepted too) and check
    /// its header names EdDSA and the cosect content type.
    pub fn parse(bytes: &[u8]) -> Result<Self, BundleError> {
        let msg = CoseSign1::from_tagged_slice(bytes)
            .or_else(|_| CoseSign1::from_slice(bytes))
            .map_err(|_| BundleError::Structure("it is not a COSE_Sign1 message".into()))?;
        let h = &msg.protected.header;
        if h.alg != Some(coset::RegisteredLabelWithPrivate::Assigned(iana::Algorithm::EdDSA)) {
            return Err(BundleError::Structure("its signature algorithm is not EdDSA".into()));
        }
        if h.content_type != Some(coset::ContentType::Text(CONTENT_TYPE.to_owned())) {
            return Err(BundleError::Structure(
                "its content type is not a cosect bundle (or of an unknown format version; upgrade cosect?)".into(),
            ));
        }
        if msg.payload.is_none() {
            return Err(BundleError::Structure("it has no payload".into()));
        }
        if msg.signature.len() != Signature::BYTE_SIZE {
            return Err(BundleError::Structure("its signature is not 64 bytes".into()));
        }
        Ok(Signed { msg })
    }

    pub fn payload(&self) -> &[u8] {
        self.msg.payload.as_deref().unwrap_or_default()
    }

    pub fn kid(&self) -> &[u8] {
        &self.msg.protected.header.key_id
    }

    /// Verify the signature (strict Ed25519: no malleable or small-order forms).
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        self.msg
            .verify_signature(b"", |sig, tbs| {
                let sig = Signature::from_slice(sig).map_err(|_| ())?;
                key.verify_strict(tbs, &sig).map_err(|_| ())
            })
            .is_ok()
    }
}
