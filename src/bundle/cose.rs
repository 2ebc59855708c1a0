//! COSE_Sign1 (RFC 9052) with EdDSA over Ed25519, tagged (CBOR tag 18).
//! The protected header carries the algorithm, the sender's fingerprint as
//! `kid`, and a content type naming the cosect payload.

use coset::{iana, CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::BundleError;

/// Content type in the protected header.
pub const CONTENT_TYPE: &str = "application/cosect-bundle+cbor; v=1";

fn protected_header(kid: &[u8]) -> coset::Header {
    HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(kid.to_vec())
        .content_type(CONTENT_TYPE.to_owned())
        .build()
}

/// Sign `payload` into a tagged COSE_Sign1 message.
pub fn sign(payload: Vec<u8>, key: &SigningKey, kid: &[u8]) -> Vec<u8> {
    CoseSign1Builder::new()
        .protected(protected_header(kid))
        .payload(payload)
        .create_signature(b"", |tbs| key.sign(tbs).to_bytes().to_vec())
        .build()
        .to_tagged_vec()
        .expect("encoding a COSE_Sign1 to memory cannot fail")
}

/// The shortest CBOR head of a byte string of `len` bytes.
fn bstr_head(len: usize) -> Vec<u8> {
    let len = len as u64;
    match len {
        0..=23 => vec![0x40 | len as u8],
        24..=0xff => vec![0x58, len as u8],
        0x100..=0xffff => [&[0x59][..], &(len as u16).to_be_bytes()].concat(),
        0x1_0000..=0xffff_ffff => [&[0x5a][..], &(len as u32).to_be_bytes()].concat(),
        _ => [&[0x5b][..], &len.to_be_bytes()].concat(),
    }
}

/// Whether `bytes` is exactly the one encoding cosect writes of `msg`:
/// tag 18, shortest lengths, an empty unprotected header, and no trailing
/// bytes. The outer structure is not signed, so anything else would let a
/// copy differ from the original without breaking the signature.
fn is_canonical(bytes: &[u8], protected: &[u8], payload: &[u8], signature: &[u8]) -> bool {
    let mut want: &[u8] = bytes;
    let mut take = |part: &[u8]| -> bool {
        match want.strip_prefix(part) {
            Some(rest) => {
                want = rest;
                true
            }
            None => false,
        }
    };
    take(&[0xd2, 0x84])
        && take(&bstr_head(protected.len()))
        && take(protected)
        && take(&[0xa0])
        && take(&bstr_head(payload.len()))
        && take(payload)
        && take(&bstr_head(signature.len()))
        && take(signature)
        && want.is_empty()
}

/// A parsed, not yet verified COSE_Sign1.
pub struct Signed {
    msg: CoseSign1,
}

impl Signed {
    /// Parse a tagged COSE_Sign1 and check its header names EdDSA and the
    /// cosect content type. Only the exact encoding `sign` writes is
    /// accepted (see `is_canonical`).
    pub fn parse(bytes: &[u8]) -> Result<Self, BundleError> {
        let msg = CoseSign1::from_tagged_slice(bytes).map_err(|_| {
            BundleError::Structure("it is not a COSE_Sign1 message (tag 18, four fields, nothing after)".into())
        })?;
        let h = &msg.protected.header;
        if h.alg != Some(coset::RegisteredLabelWithPrivate::Assigned(iana::Algorithm::EdDSA)) {
            return Err(BundleError::Structure("its signature algorithm is not EdDSA".into()));
        }
        if h.content_type != Some(coset::ContentType::Text(CONTENT_TYPE.to_owned())) {
            return Err(BundleError::Structure(
                "its content type is not a cosect bundle (or of an unknown format version; upgrade cosect?)".into(),
            ));
        }
        let Some(payload) = msg.payload.as_deref() else {
            return Err(BundleError::Structure("it has no payload".into()));
        };
        if msg.signature.len() != Signature::BYTE_SIZE {
            return Err(BundleError::Structure("its signature is not 64 bytes".into()));
        }
        let expected = protected_header(&h.key_id)
            .to_vec()
            .map_err(|_| BundleError::Structure("its protected header cannot be encoded".into()))?;
        if msg.protected.original_data.as_deref() != Some(&expected[..]) {
            return Err(BundleError::Structure(
                "its protected header holds other fields than alg, kid and content type, or is not in canonical form"
                    .into(),
            ));
        }
        if !msg.unprotected.is_empty() {
            return Err(BundleError::Structure("its unprotected header is not empty".into()));
        }
        if !is_canonical(bytes, &expected, payload, &msg.signature) {
            return Err(BundleError::Structure(
                "its COSE structure is not in canonical form (longer length encodings)".into(),
            ));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    #[test]
    fn only_the_written_encoding_parses() {
        let msg = sign(b"payload".to_vec(), &key(), &[1u8; 32]);
        let s = Signed::parse(&msg).unwrap();
        assert!(s.verify(&key().verifying_key()));
        // Untagged: the same content without its first byte.
        assert!(Signed::parse(&msg[1..]).is_err());
        // Trailing byte.
        assert!(Signed::parse(&[&msg[..], &[0]].concat()).is_err());
        // A non-empty unprotected header still verifies under COSE; refuse it.
        let mut m = CoseSign1::from_tagged_slice(&msg).unwrap();
        m.unprotected.key_id = b"x".to_vec();
        let e = Signed::parse(&m.to_tagged_vec().unwrap()).err().unwrap();
        assert!(e.to_string().contains("unprotected"), "{e}");
        // The 64-byte signature with a longer length head (0x59 0x00 0x40).
        let n = msg.len();
        let longer = [&msg[..n - 66], &[0x59, 0x00, 0x40], &msg[n - 64..]].concat();
        assert!(CoseSign1::from_tagged_slice(&longer).is_ok());
        let e = Signed::parse(&longer).err().unwrap();
        assert!(e.to_string().contains("canonical"), "{e}");
    }

    #[test]
    fn bstr_heads_are_shortest() {
        assert_eq!(bstr_head(0), [0x40]);
        assert_eq!(bstr_head(23), [0x57]);
        assert_eq!(bstr_head(24), [0x58, 24]);
        assert_eq!(bstr_head(256), [0x59, 1, 0]);
        assert_eq!(bstr_head(65536), [0x5a, 0, 1, 0, 0]);
    }
}
