//! Bundle files: age envelope (optional) → COSE_Sign1 → CBOR payload.
//! No file or terminal I/O here: bytes in, bytes out.

pub mod armor;
pub mod carrier;
pub mod catalog;
pub mod cose;
pub mod envelope;
pub mod mail;
pub mod parts;
pub mod payload;
pub mod sniff;

pub use envelope::Envelope;
pub use payload::Payload;

use serde_bytes::ByteBuf;
use sha2::{Digest, Sha256};

use crate::identity::{short_fingerprint, Identity, PublicIdentity};

/// Why a bundle was refused, in the order readers check.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BundleError {
    #[error("cannot decrypt the bundle: {0}")]
    Decrypt(String),
    #[error("cannot decrypt the bundle: {0}")]
    Armor(String),
    #[error("{0}")]
    Mail(String),
    #[error("{}", several_message(.found, *.mine))]
    Several { found: String, mine: Mine },
    #[error("{0}")]
    Joined(String),
    #[error("this is a saved mail, and a server takes the bundle itself, not a mail")]
    MailBody,
    #[error("this is {0}, not a whole bundle")]
    Part(String, u64),
    #[error("the bundle is encrypted; pass your identity with -i to read it")]
    NeedIdentity,
    #[error("not a valid cosect bundle: {0}")]
    Structure(String),
    /// Not a bundle at all, and what it is instead (a list, a `.pub`, …).
    #[error("this is {}", .0.describe())]
    NotBundle(sniff::What),
    #[error("{}", version_message(*.0))]
    Version(u64),
    #[error("{signer}, not from your peer {expected}")]
    WrongSender {
        signer: String,
        claimed: String,
        expected: String,
    },
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

/// Which of several bundles in one file are the reader's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mine {
    /// Not told: no identity to open them with, or too many to try.
    Untold,
    /// How many open with the reader's identity and are addressed to it
    /// (0, or more than one).
    Counted(usize),
}

fn several_message(found: &str, mine: Mine) -> String {
    match mine {
        Mine::Untold => format!("{found}, and cosect reads one at a time"),
        Mine::Counted(0) => format!("{found}, and none of them is encrypted and addressed to you"),
        Mine::Counted(n) => format!("{found}, and {n} of them are addressed to you: cosect reads one at a time"),
    }
}

/// "unknown bundle format version N; upgrade cosect?", or for an older
/// version, which side is behind.
fn version_message(v: u64) -> String {
    let ours = payload::FORMAT_VERSION;
    if v == 2 {
        format!(
            "bundle format version 2 is older than this cosect's ({ours}), which compares e-mail addresses \
             case-insensitively; it is not read"
        )
    } else if v < ours as u64 {
        format!("bundle format version {v} is older than this cosect's ({ours}); it is not read")
    } else {
        format!("unknown bundle format version {v}; upgrade cosect?")
    }
}

impl crate::error::Hinted for BundleError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            BundleError::Decrypt(why) if why == envelope::NOT_FOR_YOU => {
                "check that you use the identity (-i) the sender encrypted to".into()
            }
            BundleError::Decrypt(_) => "the file is damaged or not a cosect bundle; ask the sender for it again".into(),
            BundleError::NeedIdentity => return None,
            BundleError::Armor(_) => "the armored text was changed on the way (by a mail program?); \
                ask the sender to attach the bundle file instead of pasting it"
                .into(),
            BundleError::Mail(_) => {
                "save the one bundle you mean as a file (your mail program's \"save attachment\"), and pass that file"
                    .into()
            }
            BundleError::Several {
                mine: Mine::Counted(0), ..
            } => "check that you use the identity (-i) the sender encrypted to; \
                  otherwise save the one bundle you mean as a file, and pass that file"
                .into(),
            BundleError::Several { .. } => {
                "save the one bundle you mean as a file (your mail program's \"save attachment\"), and pass that file"
                    .into()
            }
            BundleError::Joined(_) => "ask the sender for the bundle again".into(),
            BundleError::MailBody => {
                "send the bundle file the mail carried (your mail program's \"save attachment\"), not the mail".into()
            }
            BundleError::Part(_, n) => format!("pass all {n} parts together, in any order (e.g. `FILE.part-*`)"),
            BundleError::NotBundle(what) => what.hint_for_bundle().into(),
            BundleError::Structure(_) | BundleError::Counts(_) => {
                "the file is damaged or not a cosect bundle; ask the sender for it again".into()
            }
            BundleError::Version(v) if *v < payload::FORMAT_VERSION as u64 => {
                "the sender's cosect is older than yours; ask them to install a newer release".into()
            }
            BundleError::Version(_) => "this cosect is older than the sender's; install a newer release".into(),
            BundleError::WrongSender { claimed, .. } => format!(
                "check your --peer file: if you expected a bundle from {claimed}, pass their public identity; \
                 otherwise do not use this bundle and confirm with your peer by phone which file they sent"
            ),
            BundleError::BadSignature(_) => {
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

impl Payload {
    /// The payload of round `round` of `protocol` in `session`, from `me` to
    /// the holder of fingerprint `to`; kind, mode, times, the answered hash
    /// and the elements are left empty for the caller to fill in.
    pub fn addressed(protocol: &str, round: u8, session: &[u8], me: &PublicIdentity, to: &[u8]) -> Payload {
        Payload {
            cosect: payload::FORMAT_VERSION,
            protocol: protocol.to_owned(),
            round,
            session: session.to_vec().into(),
            sender: me.line(),
            from: me.fingerprint().to_vec().into(),
            to: to.to_vec().into(),
            kind: String::new(),
            mode: String::new(),
            created: 0,
            expires: 0,
            answers: ByteBuf::new(),
            n_points: 0,
            points: ByteBuf::new(),
            trunc: 0,
            n_doubled: 0,
            doubled: ByteBuf::new(),
            catalog: None,
        }
    }
}

/// Armor that decodes to a damaged age file was damaged on the way (lines
/// lost or changed in a mail): say so, rather than blame age.
fn armor_damage(envelope: Envelope, e: BundleError) -> BundleError {
    match e {
        BundleError::Decrypt(why) if envelope == Envelope::Armored && why != envelope::NOT_FOR_YOU => {
            BundleError::Armor(format!("the armored text is damaged: {why} once decoded"))
        }
        e => e,
    }
}

/// A bundle opened from among several, and where it stood in its file.
type Placed = (String, Opened);

/// A bundle after decryption and structural decoding, signature not yet
/// checked.
pub struct Opened {
    pub envelope: Envelope,
    /// SHA-256 of the COSE bytes (what the next round names in `answers`).
    pub hash: [u8; 32],
    /// The COSE bytes as received (after decryption); released once the
    /// signature is checked (or checked early, `check_early`).
    cose: Vec<u8>,
    /// Set by `check_early`: whether the signature verified under the
    /// sender's own claimed key, the bytes being released since.
    early: Option<bool>,
    pub payload: Payload,
    /// The sender's public identity as claimed in the payload (unverified).
    pub sender: PublicIdentity,
    /// Which of several bundles in the file this is, when there were
    /// several (one sentence for the reader).
    pub picked: Option<String>,
}

impl Opened {
    /// Decrypt (if needed) and decode. `identity` may be `None` for a plain
    /// bundle. A saved mail is read for the bundle it carries.
    pub fn open(bytes: Vec<u8>, identity: Option<&Identity>) -> Result<Self, BundleError> {
        Opened::pick(carrier::carry(bytes)?, identity, &|_| true)
    }

    /// As [`Opened::open`], for a verb that `takes` only some payloads:
    /// of several bundles addressed to the reader, the one it takes.
    pub fn open_for(
        bytes: Vec<u8>,
        identity: Option<&Identity>,
        takes: &dyn Fn(&Payload) -> bool,
    ) -> Result<Self, BundleError> {
        Opened::pick(carrier::carry(bytes)?, identity, takes)
    }

    /// As [`Opened::open_for`], on what a file was found to carry.
    pub fn open_carried(
        carried: carrier::Carried,
        identity: Option<&Identity>,
        takes: &dyn Fn(&Payload) -> bool,
    ) -> Result<Self, BundleError> {
        Opened::pick(carried, identity, takes)
    }

    /// As [`Opened::open`], for a request body (what a server receives): a
    /// bundle, armor or a part, never a mail (refused unparsed).
    pub fn open_body(bytes: Vec<u8>, identity: Option<&Identity>) -> Result<Self, BundleError> {
        Opened::pick(carrier::carry_body(bytes)?, identity, &|_| true)
    }

    /// The one bundle carried; of several, the one that opens with
    /// `identity` and is addressed to it, when exactly one does, else the
    /// one of those that the verb `takes`, when exactly one is (at most
    /// [`carrier::MAX_TRIED`] are opened, each with this identity alone;
    /// at most two are held at once).
    fn pick(
        carried: carrier::Carried,
        identity: Option<&Identity>,
        takes: &dyn Fn(&Payload) -> bool,
    ) -> Result<Self, BundleError> {
        let (found, count, candidates) = match carried {
            carrier::Carried::One(envelope, bytes) => return Opened::decrypt((envelope, bytes), identity),
            carrier::Carried::Several {
                found,
                count,
                candidates,
            } => (found, count, candidates),
        };
        let Some(id) = identity.filter(|_| count <= carrier::MAX_TRIED) else {
            return Err(BundleError::Several {
                found,
                mine: Mine::Untold,
            });
        };
        let me = id.public().fingerprint();
        // The first addressed to me, and the first of those the verb takes,
        // with how many there are of each.
        let (mut mine, mut taken): (Option<Placed>, Option<Placed>) = (None, None);
        let (mut n_mine, mut n_taken) = (0, 0);
        for c in candidates {
            let Ok(o) = Opened::decrypt((c.envelope, c.bytes), Some(id)) else {
                continue;
            };
            // A catalog is addressed to anyone who holds it.
            if o.payload.to[..] != me[..] && o.payload.to[..] != catalog::TO_ANYONE[..] {
                continue;
            }
            n_mine += 1;
            if takes(&o.payload) {
                n_taken += 1;
                if taken.is_none() {
                    taken = Some((c.place.clone(), o));
                    continue;
                }
            }
            if mine.is_none() {
                mine = Some((c.place, o));
            }
        }
        let (chosen, why) = match (n_mine, n_taken) {
            (1, _) => (mine.or(taken), "the only one addressed to you"),
            (_, 1) => (taken, "the only one addressed to you that this command takes"),
            _ => (None, ""),
        };
        match chosen {
            Some((place, mut o)) => {
                let which = match place.starts_with("line ") {
                    true => format!("the one at {place}"),
                    false => place,
                };
                o.picked = Some(format!("{found}; reading {which}, {why}"));
                Ok(o)
            }
            None => Err(BundleError::Several {
                found,
                mine: Mine::Counted(n_mine),
            }),
        }
    }

    /// Decrypt (if needed) and decode what [`carrier::unwrap`] returned.
    pub fn decrypt((envelope, bytes): (Envelope, Vec<u8>), identity: Option<&Identity>) -> Result<Self, BundleError> {
        let cose = match envelope {
            Envelope::Plain => bytes,
            _ => {
                let id = identity.ok_or(BundleError::NeedIdentity)?;
                let plain = envelope::decrypt(&bytes, id.age_identity()).map_err(|e| armor_damage(envelope, e))?;
                drop(bytes); // the ciphertext is not needed any more
                plain
            }
        };
        let signed = cose::Signed::parse(&cose)?;
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
            hash: Sha256::digest(&cose).into(),
            cose,
            early: None,
            payload,
            sender,
            picked: None,
        })
    }

    fn verify(&self, key: &ed25519_dalek::VerifyingKey) -> bool {
        if let Some(valid) = self.early {
            // Checked under the claimed key: a signature that verifies
            // (strictly) under one key does not under another.
            return valid && *key == self.sender.ed25519;
        }
        // The bytes parsed once already; parsing again only reads the heads.
        cose::Signed::parse(&self.cose).is_ok_and(|s| s.verify(key))
    }

    /// Check the signature now under the sender's own claimed key, and
    /// release the received bytes: for a reader that must load large
    /// state (the session that names the expected peer) before
    /// `check_sender` can run, so the bytes and that state are not held
    /// together. `check_sender` still decides, and in the same order: it
    /// accepts only if the peer is the claimed sender (their fingerprints
    /// bind the key) and the signature verified.
    pub fn check_early(&mut self) {
        if self.early.is_none() {
            self.early = Some(self.self_signature_valid());
            self.cose = Vec::new();
        }
    }

    /// Signature by the expected peer. Releases the received bytes when it
    /// succeeds: from here on only the decoded payload is needed.
    pub fn check_sender(&mut self, peer: &PublicIdentity) -> Result<(), BundleError> {
        if self.sender.fingerprint() != peer.fingerprint() {
            let claimed = format!("{} ({})", self.sender.display_name(), self.sender.short_fingerprint());
            return Err(BundleError::WrongSender {
                signer: if self.self_signature_valid() {
                    format!("the bundle is from {claimed}, signed with their key")
                } else {
                    format!("the bundle is from {claimed} by its own claim, with a signature that does not verify")
                },
                claimed,
                expected: format!("{} ({})", peer.display_name(), peer.short_fingerprint()),
            });
        }
        if !self.verify(&peer.ed25519) {
            return Err(BundleError::BadSignature(peer.display_name()));
        }
        self.cose = Vec::new();
        Ok(())
    }

    /// Whether the signature verifies under the sender's own claimed key.
    pub fn self_signature_valid(&self) -> bool {
        self.verify(&self.sender.ed25519)
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

    /// Not expired at `now` (Unix seconds), and not expiring before it was
    /// created. Run after the signature: both times are the signer's word.
    pub fn check_time(&self, now: u64) -> Result<(), BundleError> {
        if self.payload.expires < self.payload.created {
            return Err(BundleError::Structure(format!(
                "it expires ({}) before it was created ({})",
                format_time(self.payload.expires),
                format_time(self.payload.created)
            )));
        }
        if now >= self.payload.expires {
            return Err(BundleError::Expired {
                created: format_time(self.payload.created),
                expires: format_time(self.payload.expires),
            });
        }
        Ok(())
    }
}

/// A signed bundle ready to write: its COSE pieces, the envelope to wrap
/// them in, and the hash the answer will name.
pub struct Sealed {
    pub parts: cose::SignedParts,
    pub envelope: Envelope,
    recipients: Vec<age::x25519::Recipient>,
    pub hash: [u8; 32],
    /// The age header's mark of the first file written (encrypted only).
    mark: std::sync::OnceLock<[u8; 32]>,
}

impl Sealed {
    /// Write the bundle (wrapped as asked) to `w`.
    pub fn write_to<W: std::io::Write>(&self, w: W) -> std::io::Result<()> {
        match self.envelope {
            Envelope::Plain => {
                let mut w = w;
                self.parts.pieces().iter().try_for_each(|p| w.write_all(p))
            }
            Envelope::Age | Envelope::Armored => envelope::encrypt_marked(
                &self.parts.pieces(),
                &self.recipients,
                self.envelope == Envelope::Armored,
                w,
                Some(&self.mark),
            ),
        }
    }

    /// The [`envelope::header_mark`] of the (first) encrypted file written:
    /// how its sender knows it again when it is fed back to them.
    pub fn mark(&self) -> Option<[u8; 32]> {
        self.mark.get().copied()
    }

    /// Encrypt to `recipients` instead (a catalog for several clients),
    /// in `envelope`.
    pub fn readable_by(self, recipients: Vec<age::x25519::Recipient>, envelope: Envelope) -> Self {
        Sealed {
            recipients,
            envelope,
            ..self
        }
    }

    /// The whole file in memory (tests and small bundles).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.parts.len() + 1024);
        self.write_to(&mut out).expect("writing to memory cannot fail");
        out
    }
}

/// Sign a payload as `me`, to be wrapped as asked for `to`. Consumes the
/// payload: its large fields become pieces of the signed message, moved,
/// not copied.
pub fn seal(payload: Payload, me: &Identity, to: &PublicIdentity, envelope: Envelope) -> Sealed {
    let parts = cose::sign_pieces(payload.encode_pieces(), me.signing_key(), &me.public().fingerprint());
    let mut h = Sha256::new();
    parts.pieces().iter().for_each(|p| h.update(p));
    Sealed {
        parts,
        envelope,
        recipients: vec![to.recipient.clone()],
        hash: h.finalize().into(),
        mark: std::sync::OnceLock::new(),
    }
}

/// RFC 3339 UTC time of Unix seconds.
pub fn format_time(secs: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.min(253_402_300_799));
    humantime::format_rfc3339_seconds(t).to_string()
}
