//! The optional age envelope around a bundle: binary or ASCII-armored,
//! encrypted to the recipient's age X25519 key. A bundle that a person
//! encrypted with the age CLI is read the same way.

use std::io::{Read, Write};

use age::armor::{ArmoredReader, ArmoredWriter, Format};

use super::BundleError;

const AGE_MAGIC: &[u8] = b"age-encryption.org/";
const ARMOR_MAGIC: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";

/// How a bundle file is wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Envelope {
    Plain,
    Age,
    Armored,
}

impl Envelope {
    pub fn detect(bytes: &[u8]) -> Self {
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(bytes.len());
        if bytes.starts_with(AGE_MAGIC) {
            Envelope::Age
        } else if bytes[start..].starts_with(ARMOR_MAGIC) {
            Envelope::Armored
        } else {
            Envelope::Plain
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Envelope::Plain => "not encrypted",
            Envelope::Age => "age-encrypted",
            Envelope::Armored => "age-encrypted, ASCII-armored",
        }
    }
}

/// Encrypt the concatenation of `pieces` to `recipient`, armored or
/// binary, streaming into `out`.
pub fn encrypt_to<W: Write>(
    pieces: &[&[u8]],
    recipient: &age::x25519::Recipient,
    armor: bool,
    out: W,
) -> std::io::Result<()> {
    let enc = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
        .expect("one X25519 recipient is always a valid recipient set");
    let format = if armor { Format::AsciiArmor } else { Format::Binary };
    let armored = ArmoredWriter::wrap_output(out, format)?;
    let mut w = enc.wrap_output(armored)?;
    for p in pieces {
        w.write_all(p)?;
    }
    // Both writers must finish, or the file is cut short.
    w.finish()?.finish()?;
    Ok(())
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
    encrypt_to(&[data], recipient, armor, &mut out).expect("writing to memory cannot fail");
    out
}

/// Decrypt an age file (binary or armored) with `identity`. White space
/// before the armor (a pasted mail body) is skipped, as `detect` allows it.
pub fn decrypt(data: &[u8], identity: &dyn age::Identity) -> Result<Vec<u8>, BundleError> {
    let start = data.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(data.len());
    let reader = ArmoredReader::new(&data[start..]);
    let dec = age::Decryptor::new(reader).map_err(|e| BundleError::Decrypt(decrypt_reason(&e)))?;
    let mut r = dec
        .decrypt(std::iter::once(identity))
        .map_err(|e| BundleError::Decrypt(decrypt_reason(&e)))?;
    // The plaintext is shorter than the file: with this capacity the buffer
    // never reallocates, so no unwiped copy of decrypted state is left.
    let mut out = Vec::with_capacity(data.len());
    r.read_to_end(&mut out)
        .map_err(|_| BundleError::Decrypt("the encrypted data is damaged or cut short".into()))?;
    Ok(out)
}

fn decrypt_reason(e: &age::DecryptError) -> String {
    match e {
        age::DecryptError::NoMatchingKeys => "it is not encrypted to your identity".into(),
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
        assert_eq!(Envelope::detect(&pasted), Envelope::Armored);
        assert_eq!(decrypt(&pasted, &id).unwrap(), b"bundle");
        let binary = encrypt(b"bundle", &id.to_public(), false);
        assert_eq!(Envelope::detect(&binary), Envelope::Age);
        assert_eq!(decrypt(&binary, &id).unwrap(), b"bundle");
    }
}
