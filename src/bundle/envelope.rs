//! The age envelope around a bundle (the default for every bundle to a
//! peer): binary or ASCII-armored, encrypted to the recipient's age X25519
//! key. A bundle that a person
//! encrypted with the age CLI is read the same way.

use std::io::{Read, Write};
use std::sync::OnceLock;

use age::armor::{ArmoredWriter, Format};

use super::BundleError;

/// How a binary age file starts.
pub const AGE_MAGIC: &[u8] = b"age-encryption.org/";

/// How a bundle file is wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Envelope {
    Plain,
    Age,
    Armored,
}

impl Envelope {
    pub fn describe(self) -> &'static str {
        match self {
            Envelope::Plain => "not encrypted",
            Envelope::Age => "age-encrypted",
            Envelope::Armored => "age-encrypted, ASCII-armored",
        }
    }
}

/// Encrypt the concatenation of `pieces` to `recipients` (one or more),
/// armored or binary, streaming into `out`.
pub fn encrypt_to<W: Write>(
    pieces: &[&[u8]],
    recipients: &[age::x25519::Recipient],
    armor: bool,
    out: W,
) -> std::io::Result<()> {
    encrypt_marked(pieces, recipients, armor, out, None)
}

/// As [`encrypt_to`]; `mark` is set to the [`header_mark`] of the age file
/// written (before any armor), so the sender can tell it again later.
pub fn encrypt_marked<W: Write>(
    pieces: &[&[u8]],
    recipients: &[age::x25519::Recipient],
    armor: bool,
    out: W,
    mark: Option<&OnceLock<[u8; 32]>>,
) -> std::io::Result<()> {
    let enc = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|_| std::io::Error::other("no recipient to encrypt to"))?;
    let format = if armor { Format::AsciiArmor } else { Format::Binary };
    let armored = ArmoredWriter::wrap_output(out, format)?;
    let tap = Tap {
        inner: armored,
        head: Vec::new(),
        mark,
    };
    let mut w = enc.wrap_output(tap)?;
    for p in pieces {
        w.write_all(p)?;
    }
    // Both writers must finish, or the file is cut short.
    w.finish()?.inner.finish()?;
    Ok(())
}

/// What identifies an age file to the one who wrote it: SHA-256 of its
/// header (through the MAC line), which holds a fresh ephemeral key per
/// file. Anyone can compute it; only the writer has it on record. `None`
/// when `age` holds no whole header in its first `MAX_HEADER` bytes.
pub fn header_mark(age: &[u8]) -> Option<[u8; 32]> {
    use sha2::{Digest, Sha256};
    let head = &age[..age.len().min(MAX_HEADER)];
    let mac = head.windows(5).position(|w| w == b"\n--- ")? + 1;
    let end = mac + head[mac..].iter().position(|&b| b == b'\n')?;
    Some(Sha256::digest(&head[..=end]).into())
}

/// Passes the binary age stream through, noting its header's mark.
struct Tap<'a, W: Write> {
    inner: W,
    head: Vec<u8>,
    mark: Option<&'a OnceLock<[u8; 32]>>,
}

impl<W: Write> Write for Tap<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Some(mark) = self.mark {
            let room = MAX_HEADER.saturating_sub(self.head.len());
            self.head.extend_from_slice(&buf[..n.min(room)]);
            if let Some(m) = header_mark(&self.head) {
                let _ = mark.set(m);
            }
            if mark.get().is_some() || room == 0 {
                self.mark = None;
                self.head = Vec::new();
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Encrypt what `fill` writes to `recipient` (binary age), streaming into
/// `out`. age wipes its plaintext chunk buffer.
pub fn encrypt_with<W: Write>(
    recipient: &age::x25519::Recipient,
    out: W,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let enc = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
        .expect("one X25519 recipient is always a valid recipient set");
    let mut w = enc.wrap_output(out)?;
    fill(&mut w)?;
    w.finish()?;
    Ok(())
}

/// A reader of the plaintext of a binary age file. Damage past the header
/// shows as a read error.
pub fn decrypt_reader<R: std::io::BufRead>(input: R, identity: &dyn age::Identity) -> Result<impl Read, BundleError> {
    let dec = age::Decryptor::new_buffered(input).map_err(|e| BundleError::Decrypt(decrypt_reason(&e)))?;
    dec.decrypt(std::iter::once(identity))
        .map_err(|e| BundleError::Decrypt(decrypt_reason(&e)))
}

/// Encrypt `data` to `recipient` in memory.
pub fn encrypt(data: &[u8], recipient: &age::x25519::Recipient, armor: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 2 + 512);
    encrypt_to(&[data], std::slice::from_ref(recipient), armor, &mut out).expect("writing to memory cannot fail");
    out
}

/// Largest age header cosect reads (16 KiB). A cosect header is well under
/// 1 KiB; the margin admits stanzas added by hand with the age CLI. A
/// larger header is refused before age parses it (age's parser is slow on
/// very long stanzas, rage #368).
pub const MAX_HEADER: usize = 16 << 10;

/// Refuse a binary age file whose header does not end (`\n--- `) within
/// `MAX_HEADER` bytes.
fn check_header_size(data: &[u8]) -> Result<(), BundleError> {
    let head = &data[..data.len().min(MAX_HEADER)];
    if head.windows(5).any(|w| w == b"\n--- ") {
        return Ok(());
    }
    let why = if data.len() <= MAX_HEADER {
        "its age header is damaged or cut short".to_owned()
    } else {
        format!(
            "its age header is larger than {} KiB, which no cosect bundle has",
            MAX_HEADER >> 10
        )
    };
    Err(BundleError::Decrypt(why))
}

/// Decrypt a binary age file with `identity` (armor is removed before, by
/// `armor::decode`). The header is size-checked, then read buffered.
pub fn decrypt(data: &[u8], identity: &dyn age::Identity) -> Result<Vec<u8>, BundleError> {
    check_header_size(data)?;
    let mut r = decrypt_reader(data, identity)?;
    // The plaintext is shorter than the file: with this capacity the buffer
    // never reallocates, so no unwiped copy of decrypted state is left.
    let mut out = Vec::with_capacity(data.len());
    r.read_to_end(&mut out)
        .map_err(|_| BundleError::Decrypt("the encrypted data is damaged or cut short".into()))?;
    Ok(out)
}

/// Why an age file does not open with this identity (the one decrypt
/// error that says nothing about damage).
pub const NOT_FOR_YOU: &str = "it is not encrypted to your identity";

fn decrypt_reason(e: &age::DecryptError) -> String {
    match e {
        age::DecryptError::NoMatchingKeys => NOT_FOR_YOU.into(),
        age::DecryptError::InvalidHeader | age::DecryptError::UnknownFormat => {
            "its age header is damaged or of an unknown version".into()
        }
        age::DecryptError::InvalidMac | age::DecryptError::DecryptionFailed => "the encrypted data is damaged".into(),
        age::DecryptError::Io(_) => "the age file is damaged or cut short".into(),
        _ => "it could not be decrypted with your identity".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn armor_after_leading_white_space_decrypts() {
        let id = age::x25519::Identity::generate();
        let armored = encrypt(b"bundle", &id.to_public(), true);
        let mut pasted = b"\r\n  \n".to_vec();
        pasted.extend_from_slice(&armored);
        pasted.extend_from_slice(b"\n\n");
        assert_eq!(
            super::super::carrier::unwrap(pasted.clone()).unwrap().0,
            Envelope::Armored
        );
        let bin = super::super::armor::decode(&pasted).unwrap().unwrap();
        assert_eq!(decrypt(&bin, &id).unwrap(), b"bundle");
        let binary = encrypt(b"bundle", &id.to_public(), false);
        assert_eq!(super::super::carrier::unwrap(binary.clone()).unwrap().0, Envelope::Age);
        assert_eq!(decrypt(&binary, &id).unwrap(), b"bundle");
    }

    #[test]
    fn a_huge_header_is_refused_before_age_parses_it() {
        let mut f = b"age-encryption.org/v1\n-> X25519 abc\n".to_vec();
        f.extend(std::iter::repeat_n(b'A', 64).chain([b'\n']).cycle().take(40_000));
        f.extend_from_slice(b"--- mac\n");
        let id = age::x25519::Identity::generate();
        let e = decrypt(&f, &id).unwrap_err();
        assert!(e.to_string().contains("larger than 16 KiB"), "{e}");
    }
}
