//! Padding, shared by both protocols: the one rule for how many elements a
//! message carries under `--pad-to`, and the uniformly random group elements
//! that fill the gap. A padding element is indistinguishable from a blinded
//! entry, so the peer learns only the padded count.
//!
//! Where the padding goes is the protocol's business: the mutual protocol
//! shuffles it among its entries, the catalog query appends it after them.

use rand::{CryptoRng, RngCore};

use crate::group;

/// `--pad-to` asked for fewer elements than there are entries.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
#[error("--pad-to {pad} is smaller than the {have} entries to send")]
pub struct PadTooSmall {
    pub pad: u64,
    pub have: u64,
}

impl crate::error::Hinted for PadTooSmall {
    fn hint(&self) -> Option<String> {
        Some("choose a --pad-to at least as large as the list".into())
    }
}

/// Elements a message carries for `have` entries: `pad_to` when given (and
/// not below `have`), else `have`.
pub fn padded_len(have: usize, pad_to: Option<u64>) -> Result<u64, PadTooSmall> {
    match pad_to {
        Some(pad) if pad < have as u64 => Err(PadTooSmall { pad, have: have as u64 }),
        Some(pad) => Ok(pad),
        None => Ok(have as u64),
    }
}

/// Most elements one message may carry: the mutual protocol numbers its
/// send order in 32 bits and keeps `u32::MAX` to mark padding.
pub const MAX_ELEMENTS: u64 = u32::MAX as u64 - 1;

/// `Err` with the sentence both protocols give (after "inconsistent
/// counts: ") when a message of `total` elements is more than one can carry.
pub fn check_capacity(total: u64) -> Result<(), String> {
    if total > MAX_ELEMENTS {
        return Err(format!("{total} elements are more than one bundle can carry"));
    }
    Ok(())
}

/// The padding of a message of `have` entries padded to `pad_to`: that many
/// uniformly random, non-identity group elements, encoded, drawn from `rng`.
pub fn padding<R: RngCore + CryptoRng>(have: usize, pad_to: Option<u64>, rng: &mut R) -> Result<Vec<u8>, PadTooSmall> {
    let total = padded_len(have, pad_to)?;
    Ok(group::random_points((total - have as u64) as usize, rng))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::POINT_LEN;
    use rand::rngs::OsRng;

    #[test]
    fn pads_up_to_the_asked_count_and_never_below_the_list() {
        assert_eq!(padded_len(3, None), Ok(3));
        assert_eq!(padded_len(3, Some(3)), Ok(3));
        assert_eq!(padded_len(3, Some(10)), Ok(10));
        assert_eq!(padded_len(3, Some(2)), Err(PadTooSmall { pad: 2, have: 3 }));
        assert!(check_capacity(MAX_ELEMENTS).is_ok());
        assert!(check_capacity(u32::MAX as u64).is_err());
        assert_eq!(padding(3, Some(2), &mut OsRng), Err(PadTooSmall { pad: 2, have: 3 }));
        assert!(padding(3, None, &mut OsRng).unwrap().is_empty());
        let p = padding(3, Some(7), &mut OsRng).unwrap();
        assert_eq!(p.len(), 4 * POINT_LEN);
        for e in p.chunks(POINT_LEN) {
            assert!(group::decode_point(e).is_ok());
        }
    }
}
