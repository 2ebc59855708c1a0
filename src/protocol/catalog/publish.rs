//! Building a catalog: evaluate every entry of the publisher's list under
//! its key, keep `trunc_len(n)` bytes of each output in a shuffled order,
//! and seal the labels (see `labels`).

use rand::seq::SliceRandom;
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::labels::{self, Sealed};
use super::{trunc_len, CatalogError, CatalogKey, MAX_LABEL, OUTPUT_LEN};
use crate::group::{self, Exec, Progress};
use crate::input::Entries;

/// A catalog ready to be put in a bundle.
pub struct Catalog {
    /// The publisher's public key `pkS`, which the catalog carries.
    pub public_key: [u8; 32],
    /// Bytes kept of each output.
    pub trunc: usize,
    /// `n · trunc` bytes: truncated outputs, shuffled.
    pub outputs: Vec<u8>,
    /// Every label is padded to this many bytes (0 without labels).
    pub label_len: usize,
    /// Number of label records.
    pub n_labels: usize,
    /// `n_labels · record_len(label_len)` bytes, sorted by tag.
    pub labels: Vec<u8>,
}

/// One label per entry, none longer than `MAX_LABEL`.
fn check_labels(labels: &[Option<String>], n: usize) -> Result<(), CatalogError> {
    if labels.len() != n {
        return Err(CatalogError::Counts("one label per entry is needed".into()));
    }
    let too_long = labels.iter().enumerate().find_map(|(index, s)| {
        let len = s.as_ref().map_or(0, String::len);
        (len > MAX_LABEL).then_some(CatalogError::LabelTooLong { index, len })
    });
    too_long.map_or(Ok(()), Err)
}

/// The first `trunc` bytes of each 64-byte output of `full`, in an order
/// drawn from `rng`.
fn shuffled_truncated<R: RngCore + CryptoRng>(full: &[u8], trunc: usize, exec: Exec, rng: &mut R) -> Vec<u8> {
    let n = full.len() / OUTPUT_LEN;
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(rng);
    let mut outputs = vec![0u8; n * trunc];
    group::for_each_element(exec, &mut outputs, trunc, |j, o| {
        let i = order[j] as usize;
        o.copy_from_slice(&full[i * OUTPUT_LEN..i * OUTPUT_LEN + trunc]);
    });
    outputs
}

/// Build a catalog: evaluate every entry, keep `trunc_len(n)` bytes of each
/// output, shuffle; with `labels` (one per entry, `None` for no label),
/// add the encrypted label records, sorted by tag.
pub fn publish<R: RngCore + CryptoRng>(
    key: &CatalogKey,
    entries: &Entries,
    labels: Option<&[Option<String>]>,
    exec: Exec,
    progress: &dyn Progress,
    rng: &mut R,
) -> Result<Catalog, CatalogError> {
    let n = entries.len();
    if let Some(l) = labels {
        check_labels(l, n)?;
    }
    let full = Zeroizing::new(key.evaluate_all(entries, exec, progress)?);
    let trunc = trunc_len(n as u64);
    let outputs = shuffled_truncated(&full, trunc, exec, rng);
    let sealed = match labels {
        Some(l) => labels::seal_all(&full, l, &key.key_id(), exec),
        None => Sealed {
            label_len: 0,
            count: 0,
            records: Vec::new(),
        },
    };
    Ok(Catalog {
        public_key: key.public(),
        trunc,
        outputs,
        label_len: sealed.label_len,
        n_labels: sealed.count,
        labels: sealed.records,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{entries, numbered};
    use super::*;
    use rand::rngs::OsRng;
    use sha2::{Digest, Sha256};

    #[test]
    fn catalog_holds_neither_entries_nor_plain_hashes_and_is_shuffled() {
        let key = CatalogKey::generate(&mut OsRng);
        let (items, e) = numbered("secret", 64);
        let cat = publish(&key, &e, None, Exec::Parallel, &group::NoProgress, &mut OsRng).unwrap();
        let full = key.evaluate_all(&e, Exec::Serial, &group::NoProgress).unwrap();
        let in_order: Vec<u8> = full.chunks(64).flat_map(|c| c[..cat.trunc].to_vec()).collect();
        assert_ne!(cat.outputs, in_order, "outputs must be shuffled");
        let mut a: Vec<&[u8]> = cat.outputs.chunks(cat.trunc).collect();
        let mut b: Vec<&[u8]> = in_order.chunks(cat.trunc).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        for s in &items {
            let h = Sha256::digest(s.as_bytes());
            assert!(!cat.outputs.windows(8).any(|w| w == &h[..8] || w == &s.as_bytes()[..8]));
        }
    }

    #[test]
    fn too_long_labels_and_missing_labels_are_refused() {
        let key = CatalogKey::generate(&mut OsRng);
        let e = entries(&["a", "b", "c"]);
        let long = Some("x".repeat(MAX_LABEL + 1));
        let labels = [Some("ok".to_owned()), None, long];
        let r = publish(&key, &e, Some(&labels), Exec::Serial, &group::NoProgress, &mut OsRng);
        assert_eq!(
            r.err(),
            Some(CatalogError::LabelTooLong {
                index: 2,
                len: MAX_LABEL + 1
            })
        );
        let r = publish(
            &key,
            &e,
            Some(&labels[..2]),
            Exec::Serial,
            &group::NoProgress,
            &mut OsRng,
        );
        assert!(matches!(r, Err(CatalogError::Counts(_))));
    }
}
