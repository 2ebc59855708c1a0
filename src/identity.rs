//! Identities. The secret identity file is a plain age identity file (one
//! `AGE-SECRET-KEY-1…` line, `#` comments), so the age CLI can decrypt
//! bundles with it; cosect's Ed25519 signing key is derived from that secret
//! with HKDF-SHA-256 under a cosect-specific label.
//!
//! The public identity is one line: `cosect-v1 <age recipient> <ed25519
//! key, base64> [name]`. Its fingerprint is SHA-256 over a label, the age
//! recipient and the Ed25519 key (not the name); people compare the short
//! form, 80 bits in five groups of hex, over the phone.

use age::secrecy::ExposeSecret;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::Zeroizing;

/// First word of a public identity line.
pub const PUBLIC_PREFIX: &str = "cosect-v1";
const SIGNING_KEY_LABEL: &[u8] = b"cosect-v1 ed25519 signing key from age identity";
const FINGERPRINT_LABEL: &[u8] = b"cosect-v1 public identity fingerprint";
/// Longest accepted organization name, in characters.
pub const MAX_NAME: usize = 64;

/// A 32-byte identity fingerprint.
pub type Fingerprint = [u8; 32];

/// Problems with identity files and public identity lines.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("holds no age secret key (an AGE-SECRET-KEY-1… line)")]
    NoKey,
    #[error("holds {0} age secret keys; cosect needs exactly one")]
    ManyKeys(usize),
    #[error("line {0} is not a valid age X25519 secret key")]
    BadKey(usize),
    #[error("holds no public identity line (one starting with \"{PUBLIC_PREFIX} \")")]
    NoPublic,
    #[error("holds {0} public identity lines; expected exactly one")]
    ManyPublic(usize),
    #[error("the public identity line is malformed: {0}")]
    BadPublic(&'static str),
    #[error("the name is not usable: {0}")]
    BadName(&'static str),
}

impl crate::error::Hinted for IdentityError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            IdentityError::NoKey | IdentityError::ManyKeys(_) | IdentityError::BadKey(_) => {
                "create an identity with `cosect keygen -o FILE` (or age-keygen) and pass it with -i".into()
            }
            IdentityError::BadName(_) => format!("use at most {MAX_NAME} printable characters"),
            _ => "ask your peer for the line `cosect pubkey` prints, and compare its fingerprint by phone".into(),
        })
    }
}

/// Check an organization name: printable, at most `MAX_NAME` characters.
pub fn check_name(name: &str) -> Result<(), IdentityError> {
    if name.chars().count() > MAX_NAME {
        return Err(IdentityError::BadName("too long"));
    }
    if name.chars().any(|c| c.is_control() || crate::text::is_invisible(c)) {
        return Err(IdentityError::BadName(
            "it contains control or invisible (bidirectional, zero-width) characters",
        ));
    }
    if name != name.trim() {
        return Err(IdentityError::BadName("it starts or ends with white space"));
    }
    Ok(())
}

/// The secret identity: age X25519 key, derived Ed25519 key, and a name.
pub struct Identity {
    age: age::x25519::Identity,
    signing: SigningKey,
    name: String,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("public", &self.public().line())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// A fresh identity.
    pub fn generate(name: &str) -> Result<Self, IdentityError> {
        check_name(name)?;
        Ok(Self::from_age(age::x25519::Identity::generate(), name.to_owned()))
    }

    fn from_age(age: age::x25519::Identity, name: String) -> Self {
        let secret = age.to_string();
        let hk = Hkdf::<Sha256>::new(Some(SIGNING_KEY_LABEL), secret.expose_secret().as_bytes());
        let mut seed = Zeroizing::new([0u8; 32]);
        hk.expand(b"ed25519 seed", &mut seed[..])
            .expect("32 bytes is a valid HKDF-SHA-256 output length");
        let signing = SigningKey::from_bytes(&seed);
        Identity { age, signing, name }
    }

    /// Parse an identity file: exactly one `AGE-SECRET-KEY-1` line; an
    /// optional `# name: …` comment gives the organization name.
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        let mut keys = Vec::new();
        let mut name = String::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(c) = line.strip_prefix('#') {
                if let Some(v) = c.trim_start().strip_prefix("name:") {
                    name = v.trim().to_owned();
                }
            } else if !line.is_empty() {
                keys.push((n + 1, line));
            }
        }
        let (lineno, key) = match keys.as_slice() {
            [] => return Err(IdentityError::NoKey),
            [one] => *one,
            many => return Err(IdentityError::ManyKeys(many.len())),
        };
        let age: age::x25519::Identity = key.parse().map_err(|_| IdentityError::BadKey(lineno))?;
        check_name(&name)?;
        Ok(Self::from_age(age, name))
    }

    /// The identity file's text (contains the secret key).
    pub fn to_file_text(&self, created: &str) -> Zeroizing<String> {
        // Reserve enough up front: a reallocation after the secret is in
        // would leave a copy of it in freed memory.
        let mut s = String::with_capacity(1024 + created.len() + 4 * self.name.len());
        s.push_str(&format!("# cosect identity; created: {created}\n"));
        if !self.name.is_empty() {
            s.push_str(&format!("# name: {}\n", self.name));
        }
        s.push_str(&format!("# public identity: {}\n", self.public().line()));
        s.push_str(&format!("# fingerprint: {}\n", self.public().short_fingerprint()));
        s.push_str(self.age.to_string().expose_secret());
        s.push('\n');
        Zeroizing::new(s)
    }

    pub fn public(&self) -> PublicIdentity {
        PublicIdentity {
            recipient: self.age.to_public(),
            ed25519: self.signing.verifying_key(),
            name: self.name.clone(),
        }
    }

    pub fn age_identity(&self) -> &age::x25519::Identity {
        &self.age
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }
}

/// A peer's (or one's own) public identity.
#[derive(Clone)]
pub struct PublicIdentity {
    pub recipient: age::x25519::Recipient,
    pub ed25519: VerifyingKey,
    pub name: String,
}

impl fmt::Debug for PublicIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line())
    }
}

impl PartialEq for PublicIdentity {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint() == other.fingerprint()
    }
}

impl PublicIdentity {
    /// The one-line public identity.
    pub fn line(&self) -> String {
        let mut s = format!(
            "{PUBLIC_PREFIX} {} {}",
            self.recipient,
            B64.encode(self.ed25519.as_bytes())
        );
        if !self.name.is_empty() {
            s.push(' ');
            s.push_str(&self.name);
        }
        s
    }

    pub fn fingerprint(&self) -> Fingerprint {
        let mut h = Sha256::new();
        h.update(FINGERPRINT_LABEL);
        h.update([0]);
        h.update(self.recipient.to_string().as_bytes());
        h.update([0]);
        h.update(self.ed25519.as_bytes());
        h.finalize().into()
    }

    /// 80 bits of the fingerprint, `3f2a-9c1e-77b0-d4e5-a1c2`, for reading
    /// aloud.
    pub fn short_fingerprint(&self) -> String {
        short_fingerprint(&self.fingerprint())
    }

    /// The name for messages: escaped, or "(no name)".
    pub fn display_name(&self) -> String {
        if self.name.is_empty() {
            "(no name)".into()
        } else {
            crate::text::shown(&self.name)
        }
    }

    /// Parse the one public identity line of a text (other lines must be
    /// blank or `#` comments).
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let line = match lines.as_slice() {
            [] => return Err(IdentityError::NoPublic),
            [one] => *one,
            many => return Err(IdentityError::ManyPublic(many.len())),
        };
        Self::parse_line(line)
    }

    /// Parse exactly one public identity line.
    pub fn parse_line(line: &str) -> Result<Self, IdentityError> {
        let mut parts = line.splitn(4, ' ');
        if parts.next() != Some(PUBLIC_PREFIX) {
            return Err(IdentityError::NoPublic);
        }
        let recipient = parts
            .next()
            .and_then(|r| r.parse::<age::x25519::Recipient>().ok())
            .ok_or(IdentityError::BadPublic(
                "the age recipient (age1…) is missing or invalid",
            ))?;
        let key: [u8; 32] = parts
            .next()
            .and_then(|k| B64.decode(k).ok())
            .and_then(|k| k.try_into().ok())
            .ok_or(IdentityError::BadPublic(
                "the Ed25519 key is missing or not 32 bytes of base64",
            ))?;
        let ed25519 = VerifyingKey::from_bytes(&key)
            .ok()
            .filter(|k| !k.is_weak())
            .ok_or(IdentityError::BadPublic("the Ed25519 key is not a valid public key"))?;
        let name = parts.next().unwrap_or("").to_owned();
        check_name(&name)?;
        Ok(PublicIdentity {
            recipient,
            ed25519,
            name,
        })
    }
}

/// Short form of any fingerprint.
pub fn short_fingerprint(fp: &[u8]) -> String {
    fp.iter()
        .take(10)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|c| c.concat())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_round_trip_keeps_keys_and_name() {
        let id = Identity::generate("ACME CERT").unwrap();
        let text = id.to_file_text("now");
        let back = Identity::parse(&text).unwrap();
        assert_eq!(back.public(), id.public());
        assert_eq!(back.public().name, "ACME CERT");
        let p = PublicIdentity::parse(&id.public().line()).unwrap();
        assert_eq!(p.line(), id.public().line());
        assert_eq!(id.public().short_fingerprint().len(), 24);
    }

    #[test]
    fn age_keygen_output_is_an_identity() {
        let age_id = age::x25519::Identity::generate();
        let text = format!(
            "# created: 2026-01-01T00:00:00Z\n# public key: {}\n{}\n",
            age_id.to_public(),
            age_id.to_string().expose_secret()
        );
        let id = Identity::parse(&text).unwrap();
        assert_eq!(id.public().recipient.to_string(), age_id.to_public().to_string());
        // The signing key is a function of the age key alone.
        assert_eq!(Identity::parse(&text).unwrap().public().ed25519, id.public().ed25519);
    }

    #[test]
    fn malformed_files_are_refused() {
        assert!(matches!(Identity::parse("# nothing\n"), Err(IdentityError::NoKey)));
        assert!(matches!(
            Identity::parse("AGE-SECRET-KEY-1XYZ\n"),
            Err(IdentityError::BadKey(1))
        ));
        let line = Identity::generate("").unwrap().public().line();
        assert!(PublicIdentity::parse(&format!("{line}\n{line}\n")).is_err());
        assert!(PublicIdentity::parse_line(&line.replace("cosect-v1", "cosect-v2")).is_err());
        assert!(PublicIdentity::parse_line(&format!("{line} bad\u{1b}[31m")).is_err());
    }
}
