//! COSE_Sign1 (RFC 9052, §4.2) with EdDSA over Ed25519, tagged (CBOR tag 18):
//!
//! ```text
//! 18([ protected: bstr .cbor { 1: -8, 3: "application/cosect-bundle+cbor; v=3", 4: kid },
//!      unprotected: {},
//!      payload: bstr,
//!      signature: bstr .size 64 ])
//! ```
//!
//! The signature covers `Sig_structure = ["Signature1", protected, h'', payload]`
//! (RFC 9052 §4.4). Any COSE library verifies it; this module encodes and
//! decodes it itself so a bundle of many megabytes is signed, verified and
//! written in place, from slices, without the copies a general COSE library
//! makes. Decoding is canonical-only: one valid encoding per message.

use ed25519_dalek::hazmat::{raw_sign_byupdate, ExpandedSecretKey};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use sha2::Sha512;

use super::BundleError;

/// Content type in the protected header.
pub const CONTENT_TYPE: &str = "application/cosect-bundle+cbor; v=3";
/// COSE algorithm id of EdDSA.
const ALG_EDDSA: i64 = -8;
const TAG_SIGN1: u64 = 18;
/// Length of the key id (the sender's fingerprint).
pub const KID_LEN: usize = 32;

// CBOR major types.
const UINT: u8 = 0;
const NINT: u8 = 1;
const BYTES: u8 = 2;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;
const TAG: u8 = 6;

/// The shortest CBOR head for major type `major` and argument `n`.
fn head(major: u8, n: u64) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        0x100..=0xffff => [&[m | 25][..], &(n as u16).to_be_bytes()].concat(),
        0x1_0000..=0xffff_ffff => [&[m | 26][..], &(n as u32).to_be_bytes()].concat(),
        _ => [&[m | 27][..], &n.to_be_bytes()].concat(),
    }
}

/// The protected header for a sender fingerprint `kid` (map keys in
/// canonical order 1, 3, 4).
pub fn protected_header(kid: &[u8]) -> Vec<u8> {
    let mut h = head(MAP, 3);
    h.extend(head(UINT, 1));
    h.extend(head(NINT, (-1 - ALG_EDDSA) as u64));
    h.extend(head(UINT, 3));
    h.extend(head(TEXT, CONTENT_TYPE.len() as u64));
    h.extend_from_slice(CONTENT_TYPE.as_bytes());
    h.extend(head(UINT, 4));
    h.extend(head(BYTES, kid.len() as u64));
    h.extend_from_slice(kid);
    h
}

/// The bytes before the payload in `Sig_structure`; the payload follows.
fn sig_structure_prefix(protected: &[u8], payload_len: usize) -> Vec<u8> {
    let mut s = head(ARRAY, 4);
    s.extend(head(TEXT, 10));
    s.extend_from_slice(b"Signature1");
    s.extend(head(BYTES, protected.len() as u64));
    s.extend_from_slice(protected);
    s.extend(head(BYTES, 0));
    s.extend(head(BYTES, payload_len as u64));
    s
}

/// A signed message in pieces, so the (large) payload is never copied:
/// `head ‖ payload[0] ‖ payload[1] ‖ … ‖ tail` is the tagged COSE_Sign1.
pub struct SignedParts {
    pub head: Vec<u8>,
    /// The payload's bytes, in consecutive pieces.
    pub payload: Vec<Vec<u8>>,
    pub tail: Vec<u8>,
}

impl SignedParts {
    pub fn pieces(&self) -> Vec<&[u8]> {
        let mut v: Vec<&[u8]> = Vec::with_capacity(self.payload.len() + 2);
        v.push(&self.head);
        v.extend(self.payload.iter().map(Vec::as_slice));
        v.push(&self.tail);
        v
    }

    pub fn len(&self) -> usize {
        self.pieces().iter().map(|p| p.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.pieces().concat()
    }
}

/// Sign `payload` into a tagged COSE_Sign1 message.
pub fn sign(payload: Vec<u8>, key: &SigningKey, kid: &[u8]) -> SignedParts {
    sign_pieces(vec![payload], key, kid)
}

/// Sign the payload whose bytes are the concatenation of `payload` (read
/// in place, never joined) into a tagged COSE_Sign1 message.
pub fn sign_pieces(payload: Vec<Vec<u8>>, key: &SigningKey, kid: &[u8]) -> SignedParts {
    let protected = protected_header(kid);
    let payload_len: usize = payload.iter().map(Vec::len).sum();
    let prefix = sig_structure_prefix(&protected, payload_len);
    let esk = ExpandedSecretKey::from(key.as_bytes());
    let sig: Signature = raw_sign_byupdate::<Sha512, _>(
        &esk,
        |d| {
            use sha2::Digest;
            d.update(&prefix);
            payload.iter().for_each(|p| d.update(p));
            Ok(())
        },
        &key.verifying_key(),
    )
    .expect("the update closure never fails");
    let mut head_bytes = head(TAG, TAG_SIGN1);
    head_bytes.extend(head(ARRAY, 4));
    head_bytes.extend(head(BYTES, protected.len() as u64));
    head_bytes.extend_from_slice(&protected);
    head_bytes.extend(head(MAP, 0));
    head_bytes.extend(head(BYTES, payload_len as u64));
    let mut tail = head(BYTES, Signature::BYTE_SIZE as u64);
    tail.extend_from_slice(&sig.to_bytes());
    SignedParts {
        head: head_bytes,
        payload,
        tail,
    }
}

/// Reads canonical CBOR heads from a byte slice.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn structure(msg: &str) -> BundleError {
    BundleError::Structure(msg.to_owned())
}

impl<'a> Reader<'a> {
    /// A head of major type `major`; its argument, which must use the
    /// shortest encoding (canonical CBOR), and no indefinite lengths.
    fn head(&mut self, major: u8, what: &str) -> Result<u64, BundleError> {
        let err = || BundleError::Structure(format!("it is not a COSE_Sign1 message ({what})"));
        let b = *self.buf.get(self.pos).ok_or_else(err)?;
        self.pos += 1;
        if b >> 5 != major {
            return Err(err());
        }
        let info = b & 0x1f;
        let n = match info {
            0..=23 => return Ok(info as u64),
            24..=27 => 1usize << (info - 24),
            _ => return Err(err()),
        };
        let bytes = self.buf.get(self.pos..self.pos + n).ok_or_else(err)?;
        self.pos += n;
        let v = bytes.iter().fold(0u64, |acc, &x| (acc << 8) | x as u64);
        if head(major, v).len() != 1 + n {
            return Err(BundleError::Structure(format!(
                "it is not in canonical form ({what} uses a longer length encoding than needed)"
            )));
        }
        Ok(v)
    }

    /// A byte string, borrowed.
    fn bytes(&mut self, what: &str) -> Result<&'a [u8], BundleError> {
        let n = self.head(BYTES, what)?;
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.pos.checked_add(n))
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| BundleError::Structure(format!("it is cut short ({what} runs past the end)")))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
}

/// A parsed, not yet verified COSE_Sign1, borrowing the received bytes.
pub struct Signed<'a> {
    protected: &'a [u8],
    payload: &'a [u8],
    signature: &'a [u8],
    kid: &'a [u8],
}

impl<'a> Signed<'a> {
    /// Parse a tagged COSE_Sign1 and check its protected header names EdDSA
    /// and the cosect content type.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, BundleError> {
        let mut r = Reader { buf: bytes, pos: 0 };
        if r.head(TAG, "no tag 18")? != TAG_SIGN1 {
            return Err(structure("it is not a COSE_Sign1 message (wrong tag)"));
        }
        if r.head(ARRAY, "not an array of 4")? != 4 {
            return Err(structure("it is not a COSE_Sign1 message (not an array of 4)"));
        }
        let protected = r.bytes("protected header")?;
        if r.head(MAP, "unprotected header")? != 0 {
            return Err(structure("its unprotected header is not empty"));
        }
        if r.buf.get(r.pos) == Some(&0xf6) {
            return Err(structure("it has no payload (cosect bundles never detach it)"));
        }
        let payload = r.bytes("payload")?;
        let signature = r.bytes("signature")?;
        if r.pos != bytes.len() {
            return Err(structure("it has trailing bytes after the signature"));
        }
        if signature.len() != Signature::BYTE_SIZE {
            return Err(structure("its signature is not 64 bytes"));
        }
        let kid = check_protected(protected)?;
        Ok(Signed {
            protected,
            payload,
            signature,
            kid,
        })
    }

    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    pub fn kid(&self) -> &'a [u8] {
        self.kid
    }

    /// Verify the signature over the exact bytes received.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let Ok(sig) = Signature::from_slice(self.signature) else {
            return false;
        };
        // As `verify_strict`: R must be a valid point of large order (the
        // key itself is checked when the public identity is parsed).
        match curve25519_dalek::edwards::CompressedEdwardsY(*sig.r_bytes()).decompress() {
            Some(r) if !r.is_small_order() => {}
            _ => return false,
        }
        let Ok(mut v) = key.verify_stream(&sig) else {
            return false;
        };
        v.update(sig_structure_prefix(self.protected, self.payload.len()));
        v.update(self.payload);
        v.finalize_and_verify().is_ok()
    }
}

/// The protected header must be exactly the one `protected_header` writes;
/// returns the kid. A differing header is explained as well as we can.
fn check_protected(protected: &[u8]) -> Result<&[u8], BundleError> {
    if protected.len() > KID_LEN {
        let kid = &protected[protected.len() - KID_LEN..];
        if protected == protected_header(kid) {
            return Ok(kid);
        }
    }
    let has = |needle: &[u8]| protected.windows(needle.len()).any(|w| w == needle);
    // "application/cosect-bundle+cbor; v=", the part every version shares.
    let family = &CONTENT_TYPE.as_bytes()[..CONTENT_TYPE.find("v=").map_or(CONTENT_TYPE.len(), |i| i + 2)];
    Err(structure(if !has(&[0x01, 0x27]) {
        "its signature algorithm is not EdDSA"
    } else if has(CONTENT_TYPE.as_bytes()) {
        "its protected header holds other fields than alg, content type and kid, or a kid that is not 32 bytes"
    } else if has(family) {
        // "application/cosect-bundle+cbor; v=N": report N as the version.
        let at = protected.windows(family.len()).position(|w| w == family).unwrap_or(0) + family.len();
        let digits: String = protected[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .map(|&b| b as char)
            .collect();
        return Err(match digits.parse() {
            Ok(v) => BundleError::Version(v),
            Err(_) => structure("its content type names another version of the cosect format; upgrade cosect?"),
        });
    } else {
        "its content type is not a cosect bundle"
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use coset::{CborSerializable, TaggedCborSerializable};

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    #[test]
    fn coset_reads_what_we_write_and_verifies_it() {
        let k = key();
        let parts = sign(b"hello payload".to_vec(), &k, &[9u8; 32]);
        let bytes = parts.to_vec();
        let msg = coset::CoseSign1::from_tagged_slice(&bytes).unwrap();
        assert_eq!(msg.payload.as_deref(), Some(&b"hello payload"[..]));
        assert_eq!(msg.protected.header.key_id, vec![9u8; 32]);
        msg.verify_signature(b"", |sig, tbs| {
            k.verifying_key()
                .verify_strict(tbs, &Signature::from_slice(sig).unwrap())
        })
        .unwrap();
        // And coset's own encoding of the same message is byte-identical.
        assert_eq!(msg.clone().to_tagged_vec().unwrap(), bytes);
        let _ = msg.to_vec();
    }

    #[test]
    fn a_differing_protected_header_is_named_for_what_it_is() {
        let kid = [3u8; 32];
        let ours = protected_header(&kid);
        assert_eq!(check_protected(&ours).unwrap(), &kid[..]);
        let err = |h: &[u8]| check_protected(h).unwrap_err().to_string();
        // Another version of the content type: upgrade.
        let mut v2 = ours.clone();
        let at = v2.windows(2).position(|w| w == b"v=").unwrap();
        v2[at + 2] = b'9';
        assert!(err(&v2).contains("unknown bundle format version 9"), "{}", err(&v2));
        assert!(CONTENT_TYPE.ends_with(&format!("v={}", crate::bundle::payload::FORMAT_VERSION)));
        // Our version, but one parameter more (here `crit`, label 2): not ours, not "upgrade".
        let mut extra = ours.clone();
        extra[0] = 0xa4;
        extra.extend([0x02, 0x81, 0x01]);
        assert!(err(&extra).contains("holds other fields"), "{}", err(&extra));
        // Another algorithm.
        let es256: Vec<u8> = [&[0xa3, 0x01, 0x26][..], &ours[3..]].concat();
        assert!(err(&es256).contains("not EdDSA"), "{}", err(&es256));
    }

    #[test]
    fn a_payload_in_pieces_signs_as_the_joined_payload() {
        let k = key();
        let pieces = vec![b"head".to_vec(), vec![7u8; 5000], Vec::new(), b"tail".to_vec()];
        let joined = sign(pieces.concat(), &k, &[5u8; 32]).to_vec();
        let parts = sign_pieces(pieces, &k, &[5u8; 32]);
        assert_eq!(parts.len(), joined.len());
        assert_eq!(parts.to_vec(), joined);
        assert!(Signed::parse(&joined).unwrap().verify(&k.verifying_key()));
    }

    #[test]
    fn parse_verify_and_refuse() {
        let k = key();
        let bytes = sign(vec![1, 2, 3], &k, &[5u8; 32]).to_vec();
        let s = Signed::parse(&bytes).unwrap();
        assert!(s.verify(&k.verifying_key()));
        assert!(!s.verify(&SigningKey::from_bytes(&[8u8; 32]).verifying_key()));
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            if let Ok(s) = Signed::parse(&b) {
                assert!(!s.verify(&k.verifying_key()), "flip at {i} went unnoticed");
            }
        }
        for cut in 0..bytes.len() {
            assert!(Signed::parse(&bytes[..cut]).is_err());
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(Signed::parse(&extra).is_err());
    }
}
