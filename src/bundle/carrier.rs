//! What carriers do to a bundle, undone before it is opened: armor mangled
//! by mail, a saved mail holding the bundle, a bundle split into parts.
//! Bytes in, bytes out: callable on a file's bytes or an HTTP body alike.
//! Leniency ends here; everything after (age, COSE, signature) is strict.

use super::envelope::{Envelope, AGE_MAGIC};
use super::{armor, mail, parts, BundleError};

/// First byte of a tagged COSE_Sign1 (tag 18).
const COSE_TAG: u8 = 0xd2;

/// How far into a file `screen` looks before reading the rest.
pub const SCREEN_BYTES: usize = 1 << 20;

/// Whether `bytes` are (or hold, as armored text) a bundle or a part.
pub fn holds_bundle(bytes: &[u8]) -> bool {
    bytes.first() == Some(&COSE_TAG)
        || bytes.starts_with(AGE_MAGIC)
        || parts::is_part(bytes)
        || armor::contains_armor(bytes)
}

/// Refuse, from its first bytes, a file that cannot be a bundle, so that
/// a large file of anything else is refused without being read whole.
/// `prefix` is the file's first `SCREEN_BYTES` bytes (or all of it, when
/// `whole`).
pub fn screen(prefix: &[u8], whole: bool) -> Result<(), BundleError> {
    if whole || holds_bundle(prefix) || mail::looks_like_mail(prefix) {
        return Ok(());
    }
    if prefix
        .first()
        .is_some_and(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
        && !prefix.contains(&0)
    {
        return Err(BundleError::Structure(format!(
            "it is text with no armored bundle in its first {} MiB, and not a saved mail",
            SCREEN_BYTES >> 20
        )));
    }
    // The same sentence the whole file would get: it is no COSE_Sign1.
    super::cose::Signed::parse(&prefix[..prefix.len().min(16)]).map(|_| ())
}

/// A bundle's envelope and the bytes to open, or why there is none.
type Unwrapped = Result<(Envelope, Vec<u8>), BundleError>;

/// The bundle in `bytes` as its envelope and the bytes to open: COSE
/// bytes (plain) or a binary age file (age, or armor decoded).
pub fn unwrap(bytes: Vec<u8>) -> Unwrapped {
    unwrap_at(bytes, true)
}

fn unwrap_at(bytes: Vec<u8>, outer: bool) -> Unwrapped {
    if bytes.starts_with(AGE_MAGIC) {
        return Ok((Envelope::Age, bytes));
    }
    if bytes.first() == Some(&COSE_TAG) {
        return Ok((Envelope::Plain, bytes));
    }
    if let Some((h, _)) = parts::header(&bytes) {
        return Err(BundleError::Part(h.describe(), h.count));
    }
    if outer && mail::looks_like_mail(&bytes) {
        return from_mail(&bytes);
    }
    match armor::decode(&bytes) {
        Ok(Some(bin)) if bin.starts_with(AGE_MAGIC) => Ok((Envelope::Armored, bin)),
        Ok(Some(_)) => Err(BundleError::Armor("the armored text does not hold an age file".into())),
        Ok(None) => Ok((Envelope::Plain, bytes)),
        Err(e) => Err(BundleError::Armor(e.to_string())),
    }
}

/// The one bundle a saved mail holds. The same bundle found twice (armored
/// in the text and attached, say) counts once.
fn from_mail(raw: &[u8]) -> Unwrapped {
    let found =
        mail::bundles(raw).ok_or_else(|| BundleError::Mail("it looks like a mail but does not parse as one".into()))?;
    let mut opened: Vec<(String, Unwrapped)> = Vec::new();
    for f in found {
        let r = unwrap_at(f.bytes, false);
        let seen = |o: &Unwrapped| matches!((o, &r), (Ok(a), Ok(b)) if a.1 == b.1);
        if !opened.iter().any(|(_, o)| seen(o)) {
            opened.push((f.place, r));
        }
    }
    if opened.len() > 1 {
        let places: Vec<&str> = opened.iter().map(|(p, _)| p.as_str()).collect();
        return Err(BundleError::Mail(format!(
            "the mail holds {} bundles ({}), and cosect reads one at a time",
            places.len(),
            places.join(", ")
        )));
    }
    match opened.pop() {
        Some((_, r)) => r,
        None => Err(BundleError::Mail(
            "it is a mail with no cosect bundle in its text or attachments".into(),
        )),
    }
}
