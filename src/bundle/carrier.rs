//! What carriers do to a bundle, undone before it is opened: armor mangled
//! by mail, a saved mail holding the bundle, a bundle split into parts.
//! Bytes in, bytes out: callable on a file's bytes or an HTTP body alike.
//! Leniency ends here; everything after (age, COSE, signature) is strict.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use super::envelope::{Envelope, AGE_MAGIC};
use super::sniff::{self, What};
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
    not_a_bundle(prefix)?;
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

/// What a reader does with bytes that look like a saved mail.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mail {
    /// Read the bundle it carries (a file).
    Read,
    /// Refuse it (a request body: a server takes bundles, not mails).
    Refuse,
    /// Not again: this is a candidate found inside a mail.
    Inside,
}

/// The bundle in `bytes` as its envelope and the bytes to open: COSE
/// bytes (plain) or a binary age file (age, or armor decoded). A saved
/// mail is read for the one bundle it carries.
pub fn unwrap(bytes: Vec<u8>) -> Unwrapped {
    unwrap_at(bytes, Mail::Read)
}

/// As [`unwrap`], for a request body: bytes that are a bundle, armor or a
/// part; a saved mail is refused without being parsed.
pub fn unwrap_body(bytes: Vec<u8>) -> Unwrapped {
    unwrap_at(bytes, Mail::Refuse)
}

fn unwrap_at(bytes: Vec<u8>, mails: Mail) -> Unwrapped {
    if bytes.starts_with(AGE_MAGIC) {
        return Ok((Envelope::Age, bytes));
    }
    if bytes.first() == Some(&COSE_TAG) {
        return Ok((Envelope::Plain, bytes));
    }
    if let Some((h, _)) = parts::header(&bytes) {
        return Err(BundleError::Part(h.describe(), h.count));
    }
    if mails != Mail::Inside && mail::looks_like_mail(&bytes) {
        return match mails {
            Mail::Read => from_mail(&bytes),
            _ => Err(BundleError::MailBody),
        };
    }
    match armor::decode(&bytes) {
        Ok(Some(bin)) if bin.starts_with(AGE_MAGIC) => Ok((Envelope::Armored, bin)),
        Ok(Some(_)) => Err(BundleError::Armor("the armored text does not hold an age file".into())),
        Ok(None) => {
            if bytes.first() != Some(&COSE_TAG) {
                not_a_bundle(&bytes)?;
            }
            Ok((Envelope::Plain, bytes))
        }
        Err(e) => Err(BundleError::Armor(e.to_string())),
    }
}

/// Refuse bytes that are recognizably something else than a bundle (a
/// list, a public identity, an empty file, a web page) by naming what
/// they are. Binary data of no known kind is left to the COSE decoder,
/// whose sentence says which byte is wrong.
fn not_a_bundle(bytes: &[u8]) -> Result<(), BundleError> {
    match sniff::sniff(bytes) {
        What::Binary => Ok(()),
        w if w.may_hold_bundle() => Ok(()),
        w => Err(BundleError::NotBundle(w)),
    }
}

/// How many of a mail's bundles a refusal names.
const NAMED: usize = 3;

/// The one bundle a saved mail holds. The same bundle found twice (armored
/// in the text and attached, say) counts once.
fn from_mail(raw: &[u8]) -> Unwrapped {
    let found = mail::bundles(raw).map_err(|e| BundleError::Mail(e.to_string()))?;
    // Only the first bundle is kept; the others are told apart by the
    // SHA-256 of what they hold, and named up to NAMED.
    let mut first: Option<Unwrapped> = None;
    let mut seen: HashSet<[u8; 32]> = HashSet::new();
    let mut places: Vec<String> = Vec::new();
    let mut count = 0usize;
    for f in found {
        let r = unwrap_at(f.bytes, Mail::Inside);
        if let Ok((_, bytes)) = &r {
            if !seen.insert(Sha256::digest(bytes).into()) {
                continue;
            }
        }
        count += 1;
        if places.len() < NAMED {
            places.push(f.place);
        }
        first.get_or_insert(r);
    }
    if count > 1 {
        let more = match count - places.len() {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        return Err(BundleError::Mail(format!(
            "the mail holds {count} bundles ({}{more}), and cosect reads one at a time",
            places.join(", ")
        )));
    }
    first.unwrap_or_else(|| {
        Err(BundleError::Mail(
            "it is a mail with no cosect bundle in its text or attachments".into(),
        ))
    })
}
