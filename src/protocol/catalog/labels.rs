//! Label records: a labelled entry's label, sealed so that only a client
//! holding that entry's full PRF output can find and read it.
//!
//! A record is `tag || ChaCha20-Poly1305(key, nonce 0, aad, u16 len ||
//! label || zeros to label_len)`: every label is padded to the catalog's
//! longest, and tag and key come from the output by HKDF-SHA-256. The
//! records of a catalog are sorted by tag, so a client finds its own by
//! binary search. This room seals, opens, orders, finds and checks them.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use rayon::prelude::*;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{AEAD_LEN, OUTPUT_LEN, TAG_LEN};
use crate::group::{self, Exec};

const LABEL_KEY_INFO: &[u8] = b"cosect-v1 catalog label key";
const LABEL_TAG_INFO: &[u8] = b"cosect-v1 catalog label tag";
const LABEL_AAD: &[u8] = b"cosect-v1 catalog label";

/// Bytes of one label record for labels padded to `label_len` bytes:
/// tag, then the AEAD ciphertext of (u16 length || label || zero padding).
pub fn record_len(label_len: usize) -> usize {
    TAG_LEN + 2 + label_len + AEAD_LEN
}

/// The tag and AEAD key of an entry's label, from its full PRF output.
fn label_keys(output: &[u8], key_id: &[u8]) -> ([u8; TAG_LEN], Zeroizing<[u8; 32]>) {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(key_id), output);
    let mut tag = [0u8; TAG_LEN];
    let mut key = Zeroizing::new([0u8; 32]);
    hk.expand(LABEL_TAG_INFO, &mut tag)
        .expect("16 bytes is a valid HKDF length");
    hk.expand(LABEL_KEY_INFO, &mut key[..])
        .expect("32 bytes is a valid HKDF length");
    (tag, key)
}

/// The lookup tag of an entry's label record, from its full PRF output.
pub(super) fn tag(output: &[u8], key_id: &[u8]) -> [u8; TAG_LEN] {
    label_keys(output, key_id).0
}

fn aad(key_id: &[u8], tag: &[u8]) -> Vec<u8> {
    [LABEL_AAD, key_id, tag].concat()
}

/// One label record, written into `record` (`record_len(label_len)`
/// bytes). Each key encrypts exactly one message, so the fixed nonce is safe.
fn seal(output: &[u8], key_id: &[u8], label: &[u8], label_len: usize, record: &mut [u8]) {
    let (tag, key) = label_keys(output, key_id);
    let mut plain = Zeroizing::new(Vec::with_capacity(2 + label_len));
    plain.extend_from_slice(&(label.len() as u16).to_be_bytes());
    plain.extend_from_slice(label);
    plain.resize(2 + label_len, 0);
    let cipher = ChaCha20Poly1305::new((&*key).into());
    let msg = Payload {
        msg: &plain,
        aad: &aad(key_id, &tag),
    };
    let ct = cipher
        .encrypt(&Default::default(), msg)
        .expect("ChaCha20-Poly1305 encryption of a short message cannot fail");
    record[..TAG_LEN].copy_from_slice(&tag);
    record[TAG_LEN..].copy_from_slice(&ct);
}

/// Decrypt a label record with an entry's full output; `None` if it does
/// not authenticate or is malformed.
pub(super) fn open(output: &[u8], key_id: &[u8], record: &[u8]) -> Option<String> {
    let (tag, key) = label_keys(output, key_id);
    let (rtag, ct) = record.split_at(TAG_LEN.min(record.len()));
    if rtag != tag {
        return None;
    }
    let cipher = ChaCha20Poly1305::new((&*key).into());
    let msg = Payload {
        msg: ct,
        aad: &aad(key_id, &tag),
    };
    let plain = Zeroizing::new(cipher.decrypt(&Default::default(), msg).ok()?);
    let len = u16::from_be_bytes([*plain.first()?, *plain.get(1)?]) as usize;
    let body = plain.get(2..2 + len)?;
    if plain[2 + len..].iter().any(|&b| b != 0) {
        return None;
    }
    String::from_utf8(body.to_vec()).ok()
}

/// The label records of a catalog, sorted by tag.
pub(super) struct Sealed {
    /// Every label is padded to this many bytes.
    pub label_len: usize,
    /// Number of records.
    pub count: usize,
    /// `count · record_len(label_len)` bytes.
    pub records: Vec<u8>,
}

/// Seal the label of every labelled entry (`labels[i]`, with `full` the
/// 64-byte outputs in entry order) and sort the records by tag.
pub(super) fn seal_all(full: &[u8], labels: &[Option<String>], key_id: &[u8], exec: Exec) -> Sealed {
    let label_len = labels.iter().flatten().map(|s| s.len()).max().unwrap_or(0);
    let labelled: Vec<usize> = (0..labels.len()).filter(|&i| labels[i].is_some()).collect();
    // Records in one flat buffer (no per-record allocation kept), then
    // ordered by tag through an index.
    let r = record_len(label_len);
    let mut flat = vec![0u8; labelled.len() * r];
    group::for_each_element(exec, &mut flat, r, |j, dst| {
        let i = labelled[j];
        let output = &full[i * OUTPUT_LEN..(i + 1) * OUTPUT_LEN];
        seal(
            output,
            key_id,
            labels[i].as_deref().unwrap_or_default().as_bytes(),
            label_len,
            dst,
        );
    });
    drop(labelled);
    let tag = |k: u32| &flat[k as usize * r..k as usize * r + TAG_LEN];
    let mut idx: Vec<u32> = (0..(flat.len() / r) as u32).collect();
    match exec {
        Exec::Serial => idx.sort_unstable_by(|&a, &b| tag(a).cmp(tag(b))),
        Exec::Parallel => idx.par_sort_unstable_by(|&a, &b| tag(a).cmp(tag(b))),
    }
    let mut records = Vec::with_capacity(flat.len());
    for &k in &idx {
        records.extend_from_slice(&flat[k as usize * r..(k as usize + 1) * r]);
    }
    Sealed {
        label_len,
        count: idx.len(),
        records,
    }
}

/// Whether `records` (`record_len(label_len)` bytes each, a whole number of
/// them) are sorted by tag with no repeat.
pub(super) fn sorted(records: &[u8], label_len: usize) -> bool {
    let tags = records.chunks_exact(record_len(label_len)).map(|rec| &rec[..TAG_LEN]);
    tags.clone().zip(tags.skip(1)).all(|(a, b)| a < b)
}

/// The record with this tag in `records` (sorted by tag), by binary search.
pub(super) fn find<'a>(records: &'a [u8], label_len: usize, tag: &[u8]) -> Option<&'a [u8]> {
    let r = record_len(label_len);
    let n = records.len() / r;
    let rec = |k: usize| &records[k * r..(k + 1) * r];
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match rec(mid)[..TAG_LEN].cmp(tag) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(rec(mid)),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_open_with_their_output_only_and_are_found_by_tag() {
        let full: Vec<u8> = (0..3 * OUTPUT_LEN).map(|i| (i * 7) as u8).collect();
        let labels = [Some("first".to_owned()), None, Some(String::new())];
        let id = [9u8; 32];
        let sealed = seal_all(&full, &labels, &id, Exec::Serial);
        assert_eq!(seal_all(&full, &labels, &id, Exec::Parallel).records, sealed.records);
        assert_eq!((sealed.label_len, sealed.count), (5, 2));
        assert_eq!(sealed.records.len(), 2 * record_len(5));
        assert!(sorted(&sealed.records, 5));
        let out = |i: usize| &full[i * OUTPUT_LEN..(i + 1) * OUTPUT_LEN];
        for (i, want) in [(0, Some("first")), (2, Some(""))] {
            let rec = find(&sealed.records, 5, &tag(out(i), &id)).unwrap();
            assert_eq!(open(out(i), &id, rec).as_deref(), want);
            // Another output or another key id does not open it.
            assert_eq!(open(out(1), &id, rec), None);
            assert_eq!(open(out(i), &[8u8; 32], rec), None);
            let mut damaged = rec.to_vec();
            damaged[TAG_LEN + 3] ^= 1;
            assert_eq!(open(out(i), &id, &damaged), None);
        }
        assert_eq!(find(&sealed.records, 5, &tag(out(1), &id)), None);
    }
}
