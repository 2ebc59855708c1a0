//! Bundles split into parts that fit a mail (`--split SIZE`). Each part is
//! one ASCII header line and a slice of the bundle file's bytes (of the
//! armored text, when the bundle is armored):
//!
//! ```text
//! cosect-part/1 bundle=<SHA-256 of the whole file, 64 hex> part=<i>/<n> size=<bytes of the whole file>\n
//! ```
//!
//! Joining checks that every part names the same bundle, that each of
//! 1..=n is there once, and that the joined bytes have the named length and
//! hash. See doc/bundle-format.md, "Parts".

use sha2::{Digest, Sha256};

/// How a part starts.
pub const MAGIC: &[u8] = b"cosect-part/1 ";
/// Most parts one bundle is split into.
pub const MAX_PARTS: u64 = 9999;
/// Longest header line (the `\n` included).
const MAX_HEADER: usize = 160;

/// What a part's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHeader {
    /// SHA-256 of the whole bundle file.
    pub bundle: [u8; 32],
    /// This part's number, from 1.
    pub index: u64,
    /// How many parts the bundle has.
    pub count: u64,
    /// Length of the whole bundle file.
    pub size: u64,
}

impl PartHeader {
    /// The header line, `\n` included.
    pub fn line(&self) -> String {
        format!(
            "cosect-part/1 bundle={} part={}/{} size={}\n",
            crate::text::hex(&self.bundle),
            self.index,
            self.count,
            self.size
        )
    }

    /// How people name the bundle: the first 16 hex digits of its hash.
    pub fn bundle_name(&self) -> String {
        crate::text::hex(&self.bundle[..8])
    }

    /// "part 2 of 4 of bundle 1a2b… (123456 bytes)".
    pub fn describe(&self) -> String {
        format!(
            "part {} of {} of bundle {} ({} bytes in all)",
            self.index,
            self.count,
            self.bundle_name(),
            self.size
        )
    }
}

/// Whether `bytes` start like a part.
pub fn is_part(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

fn field<'a>(words: &mut std::str::SplitAsciiWhitespace<'a>, key: &str) -> Option<&'a str> {
    words.next()?.strip_prefix(key)?.strip_prefix('=')
}

fn parse_header(line: &str) -> Option<PartHeader> {
    let mut w = line.strip_prefix("cosect-part/1 ")?.split_ascii_whitespace();
    let hash = field(&mut w, "bundle")?;
    let (i, n) = field(&mut w, "part")?.split_once('/')?;
    let size = field(&mut w, "size")?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    if w.next().is_some() || hash.len() != 64 || ![i, n, size].iter().all(|s| digits(s)) {
        return None;
    }
    let mut bundle = [0u8; 32];
    for (k, b) in bundle.iter_mut().enumerate() {
        *b = u8::from_str_radix(hash.get(2 * k..2 * k + 2)?, 16).ok()?;
    }
    let (index, count, size) = (i.parse().ok()?, n.parse().ok()?, size.parse().ok()?);
    (index >= 1 && index <= count && count <= MAX_PARTS).then_some(PartHeader {
        bundle,
        index,
        count,
        size,
    })
}

/// The header of a part and where its data starts; `None` when `bytes`
/// does not start with a well-formed part header. Only the writer's form
/// is one: single spaces, 64 lower-case hex digits, numbers without
/// leading zeros, LF alone, at most `MAX_HEADER` bytes with the LF.
pub fn header(bytes: &[u8]) -> Option<(PartHeader, usize)> {
    let end = bytes.iter().take(MAX_HEADER).position(|b| *b == b'\n')?;
    let line = std::str::from_utf8(&bytes[..end]).ok()?;
    let h = parse_header(line)?;
    (h.line().as_bytes() == &bytes[..=end]).then_some((h, end + 1))
}

/// Split `file` into parts of at most `size` bytes each, header included.
/// `None` when `size` leaves no room for data or would need more than
/// `MAX_PARTS` parts.
pub fn split(file: &[u8], size: u64) -> Option<Vec<Vec<u8>>> {
    let bundle: [u8; 32] = Sha256::digest(file).into();
    let probe = PartHeader {
        bundle,
        index: MAX_PARTS,
        count: MAX_PARTS,
        size: file.len() as u64,
    };
    let room = size.checked_sub(probe.line().len() as u64).filter(|r| *r > 0)?;
    let count = (file.len() as u64).div_ceil(room).max(1);
    if count > MAX_PARTS {
        return None;
    }
    let chunks: Vec<&[u8]> = if file.is_empty() {
        vec![file]
    } else {
        file.chunks(room as usize).collect()
    };
    let parts = chunks.iter().enumerate().map(|(k, chunk)| {
        let h = PartHeader {
            index: k as u64 + 1,
            count,
            ..probe.clone()
        };
        let mut part = h.line().into_bytes();
        part.extend_from_slice(chunk);
        part
    });
    Some(parts.collect())
}

/// Why parts could not be joined; each names the file at fault.
#[derive(Debug, PartialEq, Eq)]
pub enum JoinError {
    NotAPart(String),
    Foreign {
        name: String,
        bundle: String,
        expected: String,
    },
    Repeated {
        name: String,
        index: u64,
        first: String,
    },
    Missing {
        missing: Vec<u64>,
        count: u64,
        bundle: String,
    },
    Damaged {
        bundle: String,
    },
}

impl std::fmt::Display for JoinError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JoinError::NotAPart(n) => write!(f, "{n}: not a part of a split bundle, but given with parts"),
            JoinError::Foreign { name, bundle, expected } => write!(
                f,
                "{name}: a part of another bundle ({bundle}), not of bundle {expected} like the first part"
            ),
            JoinError::Repeated { name, index, first } => {
                write!(f, "{name}: part {index} is given twice (also as {first})")
            }
            JoinError::Missing { missing, count, bundle } => {
                let m: Vec<String> = missing.iter().map(|i| i.to_string()).collect();
                write!(f, "bundle {bundle}: part {} of {count} is missing", m.join(", "))
            }
            JoinError::Damaged { bundle } => {
                write!(f, "bundle {bundle}: the joined parts do not match the bundle's hash or size (a part was cut short or changed)")
            }
        }
    }
}

/// Join named parts given in any order into the whole bundle file.
pub fn join(parts: &[(String, Vec<u8>)]) -> Result<Vec<u8>, JoinError> {
    let mut slots: Vec<Option<(&str, &[u8])>> = Vec::new();
    let mut first: Option<PartHeader> = None;
    for (name, bytes) in parts {
        let (h, at) = header(bytes).ok_or_else(|| JoinError::NotAPart(name.clone()))?;
        let f = first.get_or_insert_with(|| h.clone());
        if (h.bundle, h.count, h.size) != (f.bundle, f.count, f.size) {
            return Err(JoinError::Foreign {
                name: name.clone(),
                bundle: h.bundle_name(),
                expected: f.bundle_name(),
            });
        }
        slots.resize(f.count as usize, None);
        let slot = &mut slots[h.index as usize - 1];
        if let Some((other, _)) = slot {
            let first = other.to_string();
            return Err(JoinError::Repeated {
                name: name.clone(),
                index: h.index,
                first,
            });
        }
        *slot = Some((name.as_str(), &bytes[at..]));
    }
    let f = first.ok_or(JoinError::NotAPart("no file".into()))?;
    let missing: Vec<u64> = (1..=f.count).filter(|i| slots[*i as usize - 1].is_none()).collect();
    if !missing.is_empty() {
        return Err(JoinError::Missing {
            missing,
            count: f.count,
            bundle: f.bundle_name(),
        });
    }
    let mut file = Vec::with_capacity(f.size.min(1 << 32) as usize);
    slots
        .iter()
        .flatten()
        .for_each(|(_, data)| file.extend_from_slice(data));
    if file.len() as u64 != f.size || Sha256::digest(&file)[..] != f.bundle[..] {
        return Err(JoinError::Damaged {
            bundle: f.bundle_name(),
        });
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(parts: &[Vec<u8>]) -> Vec<(String, Vec<u8>)> {
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("p{}", i + 1), p.clone()))
            .collect()
    }

    #[test]
    fn parts_join_in_any_order_and_name_what_is_wrong() {
        let file: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
        let parts = split(&file, 1000).unwrap();
        assert!(parts.iter().all(|p| p.len() <= 1000) && parts.len() == 6);
        let (h, _) = header(&parts[1]).unwrap();
        assert_eq!((h.index, h.count, h.size), (2, 6, 5000));
        let mut shuffled = named(&parts);
        shuffled.reverse();
        assert_eq!(join(&shuffled).unwrap(), file);
        let mut gone = named(&parts);
        gone.remove(2);
        assert!(join(&gone).unwrap_err().to_string().contains("part 3 of 6 is missing"));
        let mut twice = named(&parts);
        twice.push(("again".into(), parts[0].clone()));
        assert!(join(&twice)
            .unwrap_err()
            .to_string()
            .contains("again: part 1 is given twice (also as p1)"));
        let other = split(b"another bundle entirely, longer than one part of it", 160).unwrap();
        let mut foreign = named(&parts);
        foreign.push(("x".into(), other[0].clone()));
        assert!(matches!(join(&foreign), Err(JoinError::Foreign { .. })));
        let mut cut = named(&parts);
        cut[3].1.pop();
        assert!(matches!(join(&cut), Err(JoinError::Damaged { .. })));
        assert!(split(&file, 50).is_none(), "no room for data");
    }

    #[test]
    fn only_the_writers_header_is_a_header() {
        let parts = split(b"some bundle bytes", 1024).unwrap();
        let good = String::from_utf8(parts[0].clone()).unwrap();
        assert!(header(good.as_bytes()).is_some());
        let hash = &good[21..85];
        for bad in [
            good.replacen(" part=", "  part=", 1),
            good.replacen(" part=", "\tpart=", 1),
            good.replacen(hash, &hash.to_uppercase(), 1),
            good.replacen("part=1/1", "part=01/1", 1),
            good.replacen("part=1/1", "part=+1/1", 1),
            good.replacen("\n", "\r\n", 1),
            good.replacen("\n", " \n", 1),
            good.replacen("size=17", "size=017", 1),
        ] {
            assert!(header(bad.as_bytes()).is_none(), "{bad:?}");
        }
        let long = good.replacen("cosect-part/1 ", &format!("cosect-part/1 {}", " ".repeat(60)), 1);
        assert!(header(long.as_bytes()).is_none());
    }
}
