//! Bundle files: age envelope (optional) → COSE_Sign1 → CBOR payload.
//! No file or terminal I/O here: bytes in, bytes out.

pub mod cose;
pub mod envelope;
pub mod payload;

pub use envelope::Envelope;
pub use payload::Payload;

use sha2::{Digest, Sha256};

use crate::identity::{short_fingerprint, Identity, PublicIdentity};

/// Why a bundle was refused, in the order readers check.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BundleError {
    #[error("cannot decrypt the bundle: {0}")]
    Decrypt(String),
    #[error("the bundle is encrypted; pass your identity with -i to read it")]
    NeedIdentity,
    #[error("not a valid cosect bundle: {0}")]
    Structure(String),
    #[error("unknown bundle format version {0}; upgrade cosect?")]
    Version(u64),
    #[error("the bundle is from {claimed}, not from your peer {expected}")]
    WrongSender { claimed: String, expected: String },
    #[error("the signature does not verify: the bundle was altered or not signed by {0}")]
    BadSignature(String),
    #[error("the bundle is addressed to fingerprint {0}, not to you")]
    NotForMe(String),
    #[error("this is a bundle you sent yourself (round {0}), not one from your peer")]
    OwnBundle(u8),
    #[error("the bundle expired at {expires} (created {created})")]
    Expired { created: String, expires: String },
    #[error("inconsistent counts: {0}")]
    Counts(String),
}

impl crate::error::Hinted for BundleError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            BundleError::Decrypt(_) => "check that you use the identity (-i) the sender encrypted to".into(),
            BundleError::NeedIdentity => return None,
            BundleError::Structure(_) | BundleError::Counts(_) => {
                "the file is damaged or not a cosect bundle; ask the sender for it again".into()
            }
            BundleError::Version(_) => "this cosect is older than the sender's; install a newer release".into(),
            BundleError::WrongSender { .. } | BundleError::BadSignature(_) => {
                "do not use this bundle; confirm with your peer by phone which file they sent".into()
            }
            BundleError::NotForMe(_) => "this bundle was meant for someone else (or is your own); do not use it".into(),
            BundleError::OwnBundle(_) => {
                "send this file to your peer; pass the file your peer sent back instead".into()
            }
            BundleError::Expired { .. } => "ask the sender to start a new exchange".into(),
        })
    }
}

/// A bundle after decryption and structural decoding, signature not yet
/// checked.
pub struct Opened {
    pub envelope: Envelope,
    /// SHA-256 of the COSE bytes (what the next round names in `answers`).
    pub hash: [u8; 32],
    signed: cose::Signed,
    pub payload: Payload,
    /// The sender's public identity as claimed in the payload (unverified).
    pub sender: PublicIdentity,
}

impl Opened {
    /// Decrypt (if needed) and decode. `identity` may be `None` for a plain bundle.
    pub fn open(bytes: &[u8], identity: Option<&Identity>) -> Result<Self, BundleError> {
        let envelope = Envelope::detect(bytes);
        let decrypted;
        let cose_bytes = match envelope {
            Envelope::Plain => bytes,
            _ => {
                let id = identity.ok_or(BundleError::NeedIdentity)?;
                decrypted = envelope::decrypt(bytes, id.age_identity())?;
                &decrypted[..]
            }
        };
        let signed = cose::Signed::parse(cose_bytes)?;
        let payload = Payload::decode(signed.payload())?;
        let sender = PublicIdentity::parse_line(&payload.sender)
            .map_err(|_| BundleError::Structure("the sender's public identity is malformed".into()))?;
        if sender.fingerprint()[..] != payload.from[..] || signed.kid() != &payload.from[..] {
            return Err(BundleError::Structure(
                "the sender fingerprint does not match the sender's public identity".into(),
            ));
        }
        Ok(Opened {
            envelope,
            hash: Sha256::digest(cose_bytes).into(),
            signed,
            payload,
            sender,
        })
    }

    /// Signature by the expected peer.
    pub fn check_sender(&self, peer: &PublicIdentity) -> Result<(), BundleError> {
        if self.sender.fingerprint() != peer.fingerprint() {
            return Err(BundleError::WrongSender {
                claimed: format!("{} ({})", self.sender.display_name(), self.sender.short_fingerprint()),
                expected: format!("{} ({})", peer.display_name(), peer.short_fingerprint()),
            });
        }
        if !self.signed.verify(&peer.ed25519) {
            return Err(BundleError::BadSignature(peer.display_name()));
        }
        Ok(())
    }

    /// Whether the signature verifies under the sender's own claimed key.
    pub fn self_signature_valid(&self) -> bool {
        self.signed.verify(&self.sender.ed25519)
    }

    /// Not a bundle `me` signed (a round fed back to its own sender).
    /// Checked before the session is looked up, so the message is clear.
    pub fn check_not_own(&self, me: &PublicIdentity) -> Result<(), BundleError> {
        if self.payload.from[..] == me.fingerprint()[..] {
            return Err(BundleError::OwnBundle(self.payload.round));
        }
        Ok(())
    }

    /// Addressed to me.
    pub fn check_recipient(&self, me: &PublicIdentity) -> Result<(), BundleError> {
        if self.payload.to[..] != me.fingerprint()[..] {
            return Err(BundleError::NotForMe(short_fingerprint(&self.payload.to)));
        }
        Ok(())
    }

    /// Not expired at `now` (Unix seconds).
    pub fn check_time(&self, now: u64) -> Result<(), BundleError> {
        if now >= self.payload.expires {
            return Err(BundleError::Expired {
                created: format_time(self.payload.created),
                expires: format_time(self.payload.expires),
            });
        }
        Ok(())
    }
}

/// Sign a payload as `me` and wrap it as asked.
pub fn seal(payload: &Payload, me: &Identity, to: &PublicIdentity, envelope: Envelope) -> (Vec<u8>, [u8; 32]) {
    let cose_bytes = cose::sign(payload.encode(), me.signing_key(), &me.public().fingerprint());
    let hash = Sha256::digest(&cose_bytes).into();
    let out = match envelope {
        Envelope::Plain => cose_bytes,
        Envelope::Age => envelope::encrypt(&cose_bytes, &to.recipient, false),
        Envelope::Armored => envelope::encrypt(&cose_bytes, &to.recipient, true),
    };
    (out, hash)
}

/// RFC 3339 UTC time of Unix seconds.
pub fn format_time(secs: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.min(253_402_300_799));
    humantime::format_rfc3339_seconds(t).to_string()
}
