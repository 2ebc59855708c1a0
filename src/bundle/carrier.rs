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

/// Most bundles a file may hold for a reader to tell, by opening each with
/// its identity, which one is addressed to it; a file with more is refused
/// without opening any.
pub const MAX_TRIED: usize = 4;

/// One of several bundles a file holds, unwrapped.
pub struct Candidate {
    /// Where it stands: "line 34", "attachment r2.asc", "line 3 of MIME part 1".
    pub place: String,
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
}

/// What a file carries: one bundle, or several distinct ones (armored
/// blocks of a reply that quotes an earlier mail, a mail's attachments).
pub enum Carried {
    One(Envelope, Vec<u8>),
    Several {
        /// "it holds 2 armored bundles (at line 3, line 34)", "the mail
        /// holds 2 bundles (attachment r1.age, attachment r2.asc)".
        found: String,
        /// How many there are (those that did not unwrap included).
        count: usize,
        /// Those that unwrapped, when `count` is at most [`MAX_TRIED`]
        /// (else none): which one is the reader's is told by opening each.
        candidates: Vec<Candidate>,
    },
}

impl Carried {
    /// The one bundle; several are refused naming them.
    pub fn one(self) -> Unwrapped {
        match self {
            Carried::One(e, b) => Ok((e, b)),
            Carried::Several { found, .. } => Err(BundleError::Several {
                found,
                mine: super::Mine::Untold,
            }),
        }
    }
}

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
    carry(bytes)?.one()
}

/// What the file `bytes` carries: one bundle, or several for the reader to
/// choose from ([`Carried::Several`]). A saved mail is read for the
/// bundles it carries; a part of one part (`part=1/1`) is the bundle.
pub fn carry(bytes: Vec<u8>) -> Result<Carried, BundleError> {
    unwrap_at(bytes, Mail::Read)
}

/// As [`unwrap`], for a request body: bytes that are a bundle, armor or a
/// part; a saved mail is refused without being parsed.
pub fn unwrap_body(bytes: Vec<u8>) -> Unwrapped {
    carry_body(bytes)?.one()
}

/// As [`carry`], for a request body (a saved mail is refused unparsed).
pub fn carry_body(bytes: Vec<u8>) -> Result<Carried, BundleError> {
    unwrap_at(bytes, Mail::Refuse)
}

fn unwrap_at(bytes: Vec<u8>, mails: Mail) -> Result<Carried, BundleError> {
    if bytes.starts_with(AGE_MAGIC) {
        return Ok(Carried::One(Envelope::Age, bytes));
    }
    if bytes.first() == Some(&COSE_TAG) {
        return Ok(Carried::One(Envelope::Plain, bytes));
    }
    if let Some((h, _)) = parts::header(&bytes) {
        return whole_part(&h, bytes);
    }
    if parts::is_part(&bytes) {
        return Err(BundleError::Joined(
            "it starts like a part of a split bundle, but its first line is not a part header as cosect writes it \
             (cosect-part/1 bundle=<64 lower-case hex> part=<I>/<N> size=<bytes>, single spaces, LF)"
                .into(),
        ));
    }
    if mails != Mail::Inside && mail::looks_like_mail(&bytes) {
        return match mails {
            Mail::Read => from_mail(&bytes),
            _ => Err(BundleError::MailBody),
        };
    }
    let blocks = armor::blocks(&bytes).map_err(|e| BundleError::Armor(e.to_string()))?;
    if blocks.len() > 1 {
        let lines: Vec<String> = blocks.iter().map(|b| format!("line {}", b.line)).collect();
        let found = format!("it holds {} armored bundles (at {})", blocks.len(), lines.join(", "));
        let count = blocks.len();
        let candidates = blocks
            .into_iter()
            .filter(|_| count <= MAX_TRIED)
            .filter_map(|b| {
                let bin = b.decoded.ok().filter(|bin| bin.starts_with(AGE_MAGIC))?;
                Some(Candidate {
                    place: format!("line {}", b.line),
                    envelope: Envelope::Armored,
                    bytes: bin,
                })
            })
            .collect();
        return Ok(Carried::Several {
            found,
            count,
            candidates,
        });
    }
    match blocks.into_iter().next().map(|b| b.decoded) {
        Some(Ok(bin)) if bin.starts_with(AGE_MAGIC) => Ok(Carried::One(Envelope::Armored, bin)),
        Some(Ok(_)) => Err(BundleError::Armor("the armored text does not hold an age file".into())),
        Some(Err(e)) => Err(BundleError::Armor(e.to_string())),
        None => {
            if bytes.first() != Some(&COSE_TAG) {
                not_a_bundle(&bytes)?;
            }
            Ok(Carried::One(Envelope::Plain, bytes))
        }
    }
}

/// A part read alone: the bundle itself when it is the only part
/// (`part=1/1`, what `--split` writes for a bundle that fits), checked
/// against its header's size and hash; any other part is refused.
fn whole_part(h: &parts::PartHeader, bytes: Vec<u8>) -> Result<Carried, BundleError> {
    if h.count != 1 {
        return Err(BundleError::Part(h.describe(), h.count));
    }
    let data = parts::join(&[(String::new(), bytes)]).map_err(|_| {
        BundleError::Joined(format!(
            "this is {}, and its bytes do not match the size and SHA-256 its header names (it was cut short or changed)",
            h.describe()
        ))
    })?;
    if parts::is_part(&data) {
        return Err(BundleError::Joined(format!(
            "this is {}, and it holds another part",
            h.describe()
        )));
    }
    // Neither a mail nor parts again: what a part holds is a bundle file.
    unwrap_at(data, Mail::Inside)
}

/// The parts a file carries, to be joined with others, each with where it
/// stood ("" for the file itself): the file when it is a part, or every
/// part a saved mail carries (attached, or as its whole text body).
/// Anything else is returned as it is, for the join to refuse.
pub fn parts_of(bytes: Vec<u8>) -> Result<Vec<(String, Vec<u8>)>, BundleError> {
    if parts::is_part(&bytes) || !mail::looks_like_mail(&bytes) {
        return Ok(vec![(String::new(), bytes)]);
    }
    let found = mail::bundles(&bytes).map_err(|e| BundleError::Mail(e.to_string()))?;
    let found: Vec<(String, Vec<u8>)> = (found.into_iter())
        .filter(|f| parts::is_part(&f.bytes))
        .map(|f| (f.place, f.bytes))
        .collect();
    Ok(match found.is_empty() {
        true => vec![(String::new(), bytes)],
        false => found,
    })
}

/// The header of the part of a split bundle that `bytes` is, or that the
/// saved mail `bytes` carries alone; `None` for anything else and for a
/// part of one part (which is read as the bundle).
pub fn part_header(bytes: &[u8]) -> Option<parts::PartHeader> {
    let h = match parts::header(bytes) {
        Some((h, _)) => h,
        None if mail::looks_like_mail(bytes) => {
            let found = mail::bundles(bytes).ok()?;
            let mut heads = found.iter().filter_map(|f| parts::header(&f.bytes));
            let (h, _) = heads.next()?;
            if heads.next().is_some() {
                return None;
            }
            h
        }
        None => return None,
    };
    (h.count > 1).then_some(h)
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

/// The bundles a saved mail holds. The same bundle found twice (armored in
/// the text and attached, say) counts once; a text that holds several
/// armored bundles counts each.
fn from_mail(raw: &[u8]) -> Result<Carried, BundleError> {
    let found = mail::bundles(raw).map_err(|e| BundleError::Mail(e.to_string()))?;
    // The others are told apart by the SHA-256 of what they hold, and
    // named up to NAMED.
    let mut first_err: Option<BundleError> = None;
    let mut seen: HashSet<[u8; 32]> = HashSet::new();
    let mut places: Vec<String> = Vec::new();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut count = 0usize;
    let mut add = |place: String, got: Result<(Envelope, Vec<u8>), BundleError>| {
        if let Ok((_, bytes)) = &got {
            if !seen.insert(Sha256::digest(bytes).into()) {
                return;
            }
        }
        count += 1;
        if places.len() < NAMED {
            places.push(place.clone());
        }
        match got {
            Ok((envelope, bytes)) if candidates.len() < MAX_TRIED + 1 => {
                candidates.push(Candidate { place, envelope, bytes })
            }
            Ok(_) => {}
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    };
    // A mail that carries nothing but parts (of one bundle, say all of
    // them attached): joined as the verbs join part files.
    let split = |f: &mail::Found| parts::header(&f.bytes).is_some_and(|(h, _)| h.count > 1);
    if found.len() > 1 && found.iter().all(split) {
        let named: Vec<(String, Vec<u8>)> = found.into_iter().map(|f| (f.place, f.bytes)).collect();
        let joined = parts::join(&named).map_err(|e| BundleError::Joined(format!("the mail holds parts: {e}")))?;
        if parts::is_part(&joined) {
            return Err(BundleError::Joined("the joined parts hold another part".into()));
        }
        return unwrap_at(joined, Mail::Inside);
    }
    for f in found {
        match unwrap_at(f.bytes, Mail::Inside) {
            Ok(Carried::One(e, b)) => add(f.place, Ok((e, b))),
            Ok(Carried::Several {
                candidates, count: n, ..
            }) => {
                for _ in candidates.len()..n {
                    add(
                        f.place.clone(),
                        Err(BundleError::Armor("an armored bundle is damaged".into())),
                    );
                }
                for c in candidates {
                    add(format!("{} of {}", c.place, f.place), Ok((c.envelope, c.bytes)));
                }
            }
            Err(e) => add(f.place, Err(e)),
        }
    }
    match count {
        0 => Err(BundleError::Mail(
            "it is a mail with no cosect bundle in its text or attachments".into(),
        )),
        1 => match (candidates.pop(), first_err) {
            (Some(c), _) => Ok(Carried::One(c.envelope, c.bytes)),
            (None, Some(e)) => Err(e),
            (None, None) => unreachable!("one bundle counted, kept or refused"),
        },
        _ => {
            let more = match count - places.len() {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            if count > MAX_TRIED {
                candidates.clear();
            }
            Ok(Carried::Several {
                found: format!("the mail holds {count} bundles ({}{more})", places.join(", ")),
                count,
                candidates,
            })
        }
    }
}
