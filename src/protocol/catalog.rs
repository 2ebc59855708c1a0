//! Protocol 2: a published catalog, built on the RFC 9497 OPRF in mode 0x00
//! (OPRF) with the ciphersuite ristretto255-SHA512.
//!
//! - The publisher holds a long-lived key `k`. For each entry `x` it computes
//!   the PRF output `F(k, x)` (RFC 9497 `Evaluate`, 64 bytes) and publishes
//!   the first `trunc` bytes of each, shuffled. With labels, each labelled
//!   entry also gets a record `tag || AEAD(label)`, where the tag and the
//!   AEAD key are derived (HKDF-SHA-256) from the full 64-byte output.
//! - A client blinds its entries (`Blind`), the publisher evaluates the
//!   blinded elements (`BlindEvaluate`), the client unblinds (`Finalize`) and
//!   looks the outputs up in the catalog.
//!
//! The client side (`Blind`, `Finalize`) is the `voprf` crate. The
//! publisher's bulk paths do the same arithmetic through `group`'s batched
//! multiply-and-encode (one shared inversion per batch), checked against
//! `voprf` and the RFC's test vectors in the tests below.
//!
//! Pure: no files, no terminal.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::scalar::Scalar;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{CryptoRng, RngCore, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::group::{self, Exec, Progress, POINT_LEN};
use crate::input::{Entries, Kind};

/// The RFC 9497 ciphersuite, as the `voprf` crate names it.
pub type Suite = voprf::Ristretto255;
/// Ciphersuite identifier (RFC 9497 §4.1), carried in every catalog bundle.
pub const SUITE: &str = "ristretto255-SHA512";
/// `mode` of the catalog protocol's bundles: RFC 9497 mode 0x00.
pub const MODE: &str = "oprf";
/// RFC 9497 `HashToGroup` DST for mode 0x00 and this suite:
/// `"HashToGroup-" || contextString`.
pub const HASH_TO_GROUP_DST: &[u8] = b"HashToGroup-OPRFV1-\x00-ristretto255-SHA512";
/// Length of a PRF output (SHA-512).
pub const OUTPUT_LEN: usize = 64;
/// Length of a key id.
pub const KEY_ID_LEN: usize = 32;
/// Length of a label's lookup tag.
pub const TAG_LEN: usize = 16;
/// Length of the AEAD (ChaCha20-Poly1305) authentication tag.
pub const AEAD_LEN: usize = 16;
/// Longest label, in bytes of UTF-8.
pub const MAX_LABEL: usize = 1024;
/// Shortest and longest truncation of catalog outputs.
pub const MIN_TRUNC: usize = 8;
pub const MAX_TRUNC: usize = 32;
/// The false-positive bound of a catalog is stated for queries of up to
/// 2^24 entries (above the default `--max-query-items`).
pub const LOG2_QUERY_BOUND: u32 = 24;

const KEY_ID_INFO: &[u8] = b"cosect-v1 catalog key id";
const LABEL_KEY_INFO: &[u8] = b"cosect-v1 catalog label key";
const LABEL_TAG_INFO: &[u8] = b"cosect-v1 catalog label tag";
const LABEL_AAD: &[u8] = b"cosect-v1 catalog label";

/// Bytes of one label record for labels padded to `label_len` bytes:
/// tag, then the AEAD ciphertext of (u16 length || label || zero padding).
pub fn record_len(label_len: usize) -> usize {
    TAG_LEN + 2 + label_len + AEAD_LEN
}

/// Bytes kept of each PRF output in a catalog of `n` entries:
/// `ceil((40 + ceil(log2 n) + 24) / 8)`, so that a query of up to 2^24
/// entries has a false match with probability below 2^-40.
pub fn trunc_len(n: u64) -> usize {
    let n = n.max(1);
    let ceil_log2 = 64 - (n - 1).leading_zeros() as u64; // 0 for n == 1
    ((40 + ceil_log2 + LOG2_QUERY_BOUND as u64).div_ceil(8) as usize).clamp(MIN_TRUNC, MAX_TRUNC)
}

/// log2 of the probability that a query of `m` entries finds at least one
/// false match in a catalog of `n` entries truncated to `trunc` bytes
/// (union bound: m · n · 2^(-8·trunc)).
pub fn false_match_log2(n: u64, m: u64, trunc: usize) -> f64 {
    (n.max(1) as f64).log2() + (m.max(1) as f64).log2() - 8.0 * trunc as f64
}

/// What went wrong in the catalog protocol.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogError {
    #[error("entry {index} is too long for the OPRF (its kind and bytes exceed 65535 bytes)")]
    InputTooLong { index: usize },
    #[error("the label of entry {index} is {len} bytes long, more than {MAX_LABEL}")]
    LabelTooLong { index: usize, len: usize },
    #[error("element {index} of the answer is {}", if *identity { "the identity element" } else { "not a valid ristretto255 point" })]
    BadPoint { index: usize, identity: bool },
    #[error("inconsistent counts: {0}")]
    Counts(String),
    #[error("not a valid catalog: {0}")]
    Catalog(String),
    #[error("the stored catalog key is damaged")]
    BadKey,
    #[error("--pad-to {pad} is smaller than the {have} entries to send")]
    PadTooSmall { pad: u64, have: u64 },
}

impl crate::error::Hinted for CatalogError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            CatalogError::InputTooLong { .. } => "shorten or drop that entry".into(),
            CatalogError::LabelTooLong { .. } => format!("labels are at most {MAX_LABEL} bytes; shorten it"),
            CatalogError::BadKey => "publish a new catalog (`cosect publish`) to make a new key".into(),
            CatalogError::PadTooSmall { .. } => "choose a --pad-to at least as large as the list".into(),
            _ => "the bundle is damaged or crafted; ask the sender for it again".into(),
        })
    }
}

/// The PRF input of an entry: `kind || 0x00 || canonical bytes`, so a
/// domain never equals an IP.
pub fn prf_input(kind: Kind, canon: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(kind.name().len() + 1 + canon.len());
    v.extend_from_slice(kind.name().as_bytes());
    v.push(0);
    v.extend_from_slice(canon);
    v
}

fn check_inputs(entries: &Entries) -> Result<(), CatalogError> {
    for i in 0..entries.len() {
        let (kind, canon) = entries.get(i);
        if kind.name().len() + 1 + canon.len() > u16::MAX as usize {
            return Err(CatalogError::InputTooLong { index: i });
        }
    }
    Ok(())
}

/// RFC 9497 `Finalize` hash: `Hash(I2OSP(len(input), 2) || input ||
/// I2OSP(len(element), 2) || element || "Finalize")`. `input` is given in
/// parts; their total length must be at most 65535 (checked by callers).
fn finalize_hash(input: &[&[u8]], element: &[u8]) -> [u8; OUTPUT_LEN] {
    let len: usize = input.iter().map(|p| p.len()).sum();
    let mut h = Sha512::new();
    h.update((len as u16).to_be_bytes());
    for p in input {
        h.update(p);
    }
    h.update((element.len() as u16).to_be_bytes());
    h.update(element);
    h.update(b"Finalize");
    h.finalize().into()
}

/// The publisher's OPRF key (`skS`).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct CatalogKey {
    sk: [u8; 32],
}

impl CatalogKey {
    /// A fresh random key.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        CatalogKey {
            sk: group::random_scalar(rng).to_bytes(),
        }
    }

    /// RFC 9497 `DeriveKeyPair(seed, info)` (used by the test vectors).
    pub fn derive(seed: &[u8; 32], info: &[u8]) -> Result<Self, CatalogError> {
        let server = voprf::OprfServer::<Suite>::new_from_seed(seed, info).map_err(|_| CatalogError::BadKey)?;
        let mut sk = [0u8; 32];
        sk.copy_from_slice(&server.serialize());
        Ok(CatalogKey { sk })
    }

    /// A key from its 32-byte encoding: a canonical, non-zero scalar.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CatalogError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| CatalogError::BadKey)?;
        let s: Option<Scalar> = Scalar::from_canonical_bytes(arr).into();
        match s {
            Some(s) if s != Scalar::ZERO => Ok(CatalogKey { sk: arr }),
            _ => Err(CatalogError::BadKey),
        }
    }

    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.sk)
    }

    fn scalar(&self) -> Zeroizing<Scalar> {
        Zeroizing::new(Scalar::from_bytes_mod_order(self.sk))
    }

    /// `pkS = skS · G`, encoded. Never sent in mode 0x00; it only names the key.
    pub fn public(&self) -> [u8; 32] {
        (RISTRETTO_BASEPOINT_POINT * *self.scalar()).compress().to_bytes()
    }

    /// The key id: SHA-256("cosect-v1 catalog key id" || pkS).
    pub fn key_id(&self) -> [u8; KEY_ID_LEN] {
        let mut h = Sha256::new();
        h.update(KEY_ID_INFO);
        h.update(self.public());
        h.finalize().into()
    }

    /// RFC 9497 `Evaluate(skS, input)` through the `voprf` crate, one entry.
    pub fn evaluate_one(&self, input: &[u8]) -> Result<[u8; OUTPUT_LEN], CatalogError> {
        let server = voprf::OprfServer::<Suite>::new_with_key(&self.sk).map_err(|_| CatalogError::BadKey)?;
        let out = server
            .evaluate(input)
            .map_err(|_| CatalogError::InputTooLong { index: 0 })?;
        let mut o = [0u8; OUTPUT_LEN];
        o.copy_from_slice(&out);
        Ok(o)
    }

    /// RFC 9497 `Evaluate` of every entry, batched: the full 64-byte
    /// outputs, in entry order.
    pub fn evaluate_all(
        &self,
        entries: &Entries,
        exec: Exec,
        progress: &dyn Progress,
    ) -> Result<Vec<u8>, CatalogError> {
        check_inputs(entries)?;
        let n = entries.len();
        let elements = group::hash_and_multiply(
            exec,
            n,
            |i| {
                let (kind, canon) = entries.get(i);
                group::hash_to_group(&[kind.name().as_bytes(), b"\0", canon], HASH_TO_GROUP_DST)
            },
            &self.scalar(),
            progress,
        );
        let mut out = vec![0u8; n * OUTPUT_LEN];
        let f = |(i, o): (usize, &mut [u8])| {
            let (kind, canon) = entries.get(i);
            let e = &elements[i * POINT_LEN..(i + 1) * POINT_LEN];
            o.copy_from_slice(&finalize_hash(&[kind.name().as_bytes(), b"\0", canon], e));
        };
        match exec {
            Exec::Serial => out.chunks_mut(OUTPUT_LEN).enumerate().for_each(f),
            Exec::Parallel => out.par_chunks_mut(OUTPUT_LEN).enumerate().for_each(f),
        }
        Ok(out)
    }

    /// RFC 9497 `BlindEvaluate` of every blinded element of a query, batched,
    /// in query order. Refuses invalid encodings and the identity.
    pub fn blind_evaluate_all(
        &self,
        points: &[u8],
        exec: Exec,
        progress: &dyn Progress,
    ) -> Result<Vec<u8>, CatalogError> {
        if !points.len().is_multiple_of(POINT_LEN) {
            return Err(CatalogError::Counts(
                "the query is not a whole number of elements".into(),
            ));
        }
        group::decode_and_multiply(exec, points, &self.scalar(), POINT_LEN, progress).map_err(|e| {
            CatalogError::BadPoint {
                index: e.index,
                identity: e.identity,
            }
        })
    }
}

/// A catalog ready to be put in a bundle.
pub struct Catalog {
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

fn aad(key_id: &[u8], tag: &[u8]) -> Vec<u8> {
    [LABEL_AAD, key_id, tag].concat()
}

/// One label record: `tag || ChaCha20-Poly1305(key, nonce 0, aad,
/// u16 len || label || zeros to label_len)`. Each key encrypts exactly one
/// message, so the fixed nonce is safe.
fn seal_label(output: &[u8], key_id: &[u8], label: &[u8], label_len: usize) -> Vec<u8> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    let (tag, key) = label_keys(output, key_id);
    let mut plain = Zeroizing::new(Vec::with_capacity(2 + label_len));
    plain.extend_from_slice(&(label.len() as u16).to_be_bytes());
    plain.extend_from_slice(label);
    plain.resize(2 + label_len, 0);
    let cipher = chacha20poly1305::ChaCha20Poly1305::new((&*key).into());
    let ct = cipher
        .encrypt(
            &Default::default(),
            Payload {
                msg: &plain,
                aad: &aad(key_id, &tag),
            },
        )
        .expect("ChaCha20-Poly1305 encryption of a short message cannot fail");
    [&tag[..], &ct[..]].concat()
}

/// Decrypt a label record with an entry's full output; `None` if it does
/// not authenticate or is malformed.
fn open_label(output: &[u8], key_id: &[u8], record: &[u8]) -> Option<String> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    let (tag, key) = label_keys(output, key_id);
    let (rtag, ct) = record.split_at(TAG_LEN.min(record.len()));
    if rtag != tag {
        return None;
    }
    let cipher = chacha20poly1305::ChaCha20Poly1305::new((&*key).into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                &Default::default(),
                Payload {
                    msg: ct,
                    aad: &aad(key_id, &tag),
                },
            )
            .ok()?,
    );
    let len = u16::from_be_bytes([*plain.first()?, *plain.get(1)?]) as usize;
    let body = plain.get(2..2 + len)?;
    if plain[2 + len..].iter().any(|&b| b != 0) {
        return None;
    }
    String::from_utf8(body.to_vec()).ok()
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
        if l.len() != n {
            return Err(CatalogError::Counts("one label per entry is needed".into()));
        }
        if let Some((index, s)) = l
            .iter()
            .enumerate()
            .find(|(_, s)| s.as_ref().is_some_and(|s| s.len() > MAX_LABEL))
        {
            return Err(CatalogError::LabelTooLong {
                index,
                len: s.as_ref().map_or(0, |s| s.len()),
            });
        }
    }
    let full = Zeroizing::new(key.evaluate_all(entries, exec, progress)?);
    let trunc = trunc_len(n as u64);
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(rng);
    let mut outputs = vec![0u8; n * trunc];
    let place = |(j, o): (usize, &mut [u8])| {
        let i = order[j] as usize;
        o.copy_from_slice(&full[i * OUTPUT_LEN..i * OUTPUT_LEN + trunc]);
    };
    match exec {
        Exec::Serial => outputs.chunks_mut(trunc).enumerate().for_each(place),
        Exec::Parallel => outputs.par_chunks_mut(trunc).enumerate().for_each(place),
    }

    let (mut label_len, mut n_labels, mut records) = (0, 0, Vec::new());
    if let Some(l) = labels {
        label_len = l.iter().flatten().map(|s| s.len()).max().unwrap_or(0);
        let key_id = key.key_id();
        let labelled: Vec<usize> = (0..n).filter(|&i| l[i].is_some()).collect();
        let seal = |&i: &usize| {
            seal_label(
                &full[i * OUTPUT_LEN..(i + 1) * OUTPUT_LEN],
                &key_id,
                l[i].as_deref().unwrap_or_default().as_bytes(),
                label_len,
            )
        };
        // Records in one flat buffer (no per-record allocation kept), then
        // ordered by tag through an index.
        let r = record_len(label_len);
        let mut flat = vec![0u8; labelled.len() * r];
        let fill = |(dst, i): (&mut [u8], &usize)| dst.copy_from_slice(&seal(i));
        match exec {
            Exec::Serial => flat.chunks_mut(r).zip(labelled.iter()).for_each(fill),
            Exec::Parallel => flat.par_chunks_mut(r).zip(labelled.par_iter()).for_each(fill),
        }
        drop(labelled);
        let tag = |k: u32| &flat[k as usize * r..k as usize * r + TAG_LEN];
        let mut idx: Vec<u32> = (0..(flat.len() / r) as u32).collect();
        match exec {
            Exec::Serial => idx.sort_unstable_by(|&a, &b| tag(a).cmp(tag(b))),
            Exec::Parallel => idx.par_sort_unstable_by(|&a, &b| tag(a).cmp(tag(b))),
        }
        n_labels = idx.len();
        records = Vec::with_capacity(flat.len());
        for k in idx {
            records.extend_from_slice(&flat[k as usize * r..(k as usize + 1) * r]);
        }
    }
    Ok(Catalog {
        trunc,
        outputs,
        label_len,
        n_labels,
        labels: records,
    })
}

/// A catalog as a client reads it from a bundle.
#[derive(Clone, Copy)]
pub struct CatalogView<'a> {
    pub key_id: &'a [u8],
    pub trunc: usize,
    pub outputs: &'a [u8],
    pub label_len: usize,
    pub labels: &'a [u8],
}

impl CatalogView<'_> {
    /// Sizes agree, the truncation is in range, label records are sorted
    /// by tag with no repeat.
    pub fn check(&self) -> Result<(), CatalogError> {
        let bad = |s: &str| Err(CatalogError::Catalog(s.to_owned()));
        if self.key_id.len() != KEY_ID_LEN {
            return bad("the key id is not 32 bytes");
        }
        if !(MIN_TRUNC..=MAX_TRUNC).contains(&self.trunc) {
            return bad("outputs are not truncated to 8..32 bytes");
        }
        if self.outputs.is_empty() || !self.outputs.len().is_multiple_of(self.trunc) {
            return bad("the outputs are empty or not a whole number of entries");
        }
        if self.label_len > MAX_LABEL {
            return bad("labels are longer than 1024 bytes");
        }
        let r = record_len(self.label_len);
        if !self.labels.len().is_multiple_of(r) {
            return bad("the label records are not a whole number of records");
        }
        let mut prev: Option<&[u8]> = None;
        for rec in self.labels.chunks_exact(r) {
            let tag = &rec[..TAG_LEN];
            if prev.is_some_and(|p| p >= tag) {
                return bad("the label records are not sorted by tag");
            }
            prev = Some(tag);
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.outputs.len() / self.trunc
    }

    pub fn is_empty(&self) -> bool {
        self.outputs.is_empty()
    }

    fn find_label(&self, tag: &[u8]) -> Option<&[u8]> {
        let r = record_len(self.label_len);
        let n = self.labels.len() / r;
        let rec = |k: usize| &self.labels[k * r..(k + 1) * r];
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
}

/// One entry of the client found in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Index of the entry in the client's list.
    pub index: usize,
    /// Its label, if the catalog has one for it.
    pub label: Option<String>,
}

/// What a client learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub found: Vec<Found>,
    /// Label records whose tag matched but that did not decrypt
    /// (a false match of the truncated output, or a damaged catalog).
    pub bad_labels: u64,
}

/// The client's secret state between its query and the answer.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Client {
    /// PRF inputs of the real entries, concatenated.
    #[serde(with = "serde_bytes")]
    inputs: Vec<u8>,
    /// End offset of each input in `inputs`.
    ends: Vec<u32>,
    /// Serialized `voprf` client states (the blinds), 32 bytes per real entry.
    #[serde(with = "serde_bytes")]
    blinds: Vec<u8>,
    /// Elements sent, padding included.
    sent: u64,
}

const BLIND_BATCH: usize = 1024;

impl Client {
    /// RFC 9497 `Blind` of every entry (fresh blinds), plus random
    /// elements up to `pad_to`. Returns the state and the query's
    /// elements: the real ones in entry order, then the padding.
    pub fn start<R: RngCore + CryptoRng>(
        entries: &Entries,
        pad_to: Option<u64>,
        exec: Exec,
        progress: &dyn Progress,
        rng: &mut R,
    ) -> Result<(Client, Vec<u8>), CatalogError> {
        check_inputs(entries)?;
        let n = entries.len();
        let sent = pad_to.unwrap_or(n as u64);
        if sent < n as u64 {
            return Err(CatalogError::PadTooSmall {
                pad: sent,
                have: n as u64,
            });
        }
        let mut inputs = Vec::new();
        let mut ends = Vec::with_capacity(n);
        for i in 0..n {
            let (kind, canon) = entries.get(i);
            inputs.extend_from_slice(&prf_input(kind, canon));
            if inputs.len() > u32::MAX as usize {
                return Err(CatalogError::Counts("the list is larger than 4 GiB".into()));
            }
            ends.push(inputs.len() as u32);
        }
        let input = |i: usize| {
            let start = if i == 0 { 0 } else { ends[i - 1] as usize };
            &inputs[start..ends[i] as usize]
        };
        // One CSPRNG per batch, seeded from the caller's, so batches can run
        // in parallel.
        let seeds: Vec<Zeroizing<[u8; 32]>> = (0..n.div_ceil(BLIND_BATCH))
            .map(|_| {
                let mut s = Zeroizing::new([0u8; 32]);
                rng.fill_bytes(&mut s[..]);
                s
            })
            .collect();
        let mut blinds = vec![0u8; n * 32];
        let mut points = vec![0u8; n * POINT_LEN];
        let run = |(b, (bl, pt)): (usize, (&mut [u8], &mut [u8]))| -> Result<(), CatalogError> {
            let mut r = StdRng::from_seed(*seeds[b]);
            for k in 0..bl.len() / 32 {
                let i = b * BLIND_BATCH + k;
                let res = voprf::OprfClient::<Suite>::blind(input(i), &mut r)
                    .map_err(|_| CatalogError::InputTooLong { index: i })?;
                bl[k * 32..(k + 1) * 32].copy_from_slice(&res.state.serialize());
                pt[k * POINT_LEN..(k + 1) * POINT_LEN].copy_from_slice(&res.message.serialize());
            }
            progress.advance((bl.len() / 32) as u64);
            Ok(())
        };
        let chunks = blinds
            .chunks_mut(BLIND_BATCH * 32)
            .zip(points.chunks_mut(BLIND_BATCH * POINT_LEN));
        match exec {
            Exec::Serial => chunks.enumerate().try_for_each(run)?,
            Exec::Parallel => chunks
                .collect::<Vec<_>>()
                .into_par_iter()
                .enumerate()
                .try_for_each(run)?,
        }
        if sent > n as u64 {
            points.extend_from_slice(&group::random_points((sent - n as u64) as usize, rng));
        }
        Ok((
            Client {
                inputs,
                ends,
                blinds,
                sent,
            },
            points,
        ))
    }

    /// Elements sent, padding included.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Real entries in the query.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn input(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.inputs[start..self.ends[i] as usize]
    }

    /// RFC 9497 `Finalize` of every answered element, then look each
    /// output up in the catalog and decrypt the labels of those found.
    /// Consumes the state: a query is finished once.
    pub fn finish(self, answer: &[u8], catalog: &CatalogView<'_>, exec: Exec) -> Result<Lookup, CatalogError> {
        catalog.check()?;
        if answer.len() as u64 != self.sent * POINT_LEN as u64 {
            return Err(CatalogError::Counts(format!(
                "the answer holds {} elements, the query sent {}",
                answer.len() / POINT_LEN,
                self.sent
            )));
        }
        let n = self.len();
        let fin = |i: usize| -> Result<Zeroizing<[u8; OUTPUT_LEN]>, CatalogError> {
            let e = &answer[i * POINT_LEN..(i + 1) * POINT_LEN];
            let ee = voprf::EvaluationElement::<Suite>::deserialize(e).map_err(|_| CatalogError::BadPoint {
                index: i,
                identity: e == [0u8; 32],
            })?;
            let st = voprf::OprfClient::<Suite>::deserialize(&self.blinds[i * 32..(i + 1) * 32])
                .map_err(|_| CatalogError::Counts("the stored blinds are damaged".into()))?;
            let out = st
                .finalize(self.input(i), &ee)
                .map_err(|_| CatalogError::InputTooLong { index: i })?;
            let mut o = Zeroizing::new([0u8; OUTPUT_LEN]);
            o.copy_from_slice(&out);
            Ok(o)
        };
        let outputs: Vec<Zeroizing<[u8; OUTPUT_LEN]>> = match exec {
            Exec::Serial => (0..n).map(fin).collect::<Result<_, _>>()?,
            Exec::Parallel => (0..n).into_par_iter().map(fin).collect::<Result<_, _>>()?,
        };
        // Check the padding elements too: a valid answer has only valid points.
        for i in n..self.sent as usize {
            let e = &answer[i * POINT_LEN..(i + 1) * POINT_LEN];
            group::decode_point(e).map_err(|identity| CatalogError::BadPoint { index: i, identity })?;
        }

        let t = catalog.trunc;
        let mut mine: std::collections::HashMap<&[u8], Vec<usize>> = std::collections::HashMap::with_capacity(n);
        for (i, o) in outputs.iter().enumerate() {
            mine.entry(&o[..t]).or_default().push(i);
        }
        let mut hit = vec![false; n];
        for c in catalog.outputs.chunks_exact(t) {
            if let Some(is) = mine.get(c) {
                for &i in is {
                    hit[i] = true;
                }
            }
        }
        let mut found = Vec::new();
        let mut bad_labels = 0;
        for (i, _) in hit.iter().enumerate().filter(|(_, &h)| h) {
            let mut label = None;
            if !catalog.labels.is_empty() {
                let (tag, _) = label_keys(&outputs[i][..], catalog.key_id);
                if let Some(rec) = catalog.find_label(&tag) {
                    label = open_label(&outputs[i][..], catalog.key_id, rec);
                    if label.is_none() {
                        bad_labels += 1;
                    }
                }
            }
            found.push(Found { index: i, label });
        }
        Ok(Lookup { found, bad_labels })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // RFC 9497 Appendix A.1.1, OPRF(ristretto255, SHA-512), mode 0x00.
    const SEED: &str = "a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3";
    const KEY_INFO: &str = "74657374206b6579";
    const SK_SM: &str = "5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e";
    const BLIND: &str = "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706";
    struct Vector {
        input: &'static str,
        blinded: &'static str,
        evaluation: &'static str,
        output: &'static str,
    }
    const VECTORS: [Vector; 2] = [
        Vector {
            input: "00",
            blinded: "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c",
            evaluation: "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e",
            output: "527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3\
                     ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6",
        },
        Vector {
            input: "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
            blinded: "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418",
            evaluation: "b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25",
            output: "f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4\
                     f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73",
        },
    ];

    fn rfc_key() -> CatalogKey {
        let seed: [u8; 32] = unhex(SEED).try_into().unwrap();
        CatalogKey::derive(&seed, &unhex(KEY_INFO)).unwrap()
    }

    #[test]
    fn rfc9497_key_derivation() {
        assert_eq!(rfc_key().to_bytes()[..], unhex(SK_SM)[..]);
    }

    #[test]
    fn rfc9497_vectors_through_voprf_and_our_batch_paths() {
        let key = rfc_key();
        let blind = Scalar::from_canonical_bytes(unhex(BLIND).try_into().unwrap()).unwrap();
        for v in &VECTORS {
            let input = unhex(v.input);
            // Client Blind (voprf, with the RFC's blind).
            let b = voprf::OprfClient::<Suite>::deterministic_blind_unchecked(&input, blind).unwrap();
            assert_eq!(b.message.serialize()[..], unhex(v.blinded)[..]);
            // Server BlindEvaluate: voprf and our batched path.
            let server = voprf::OprfServer::<Suite>::new_with_key(&key.to_bytes()[..]).unwrap();
            let ev = server.blind_evaluate(&b.message);
            assert_eq!(ev.serialize()[..], unhex(v.evaluation)[..]);
            let ours = key
                .blind_evaluate_all(&b.message.serialize(), Exec::Serial, &group::NoProgress)
                .unwrap();
            assert_eq!(ours, unhex(v.evaluation));
            // Client Finalize.
            let out = b.state.finalize(&input, &ev).unwrap();
            assert_eq!(out[..], unhex(v.output)[..]);
            // Server's direct Evaluate: voprf, and our Finalize hash over our
            // hash-to-group with the RFC's DST.
            assert_eq!(key.evaluate_one(&input).unwrap()[..], unhex(v.output)[..]);
            let p = group::hash_to_group(&[&input], HASH_TO_GROUP_DST) * *key.scalar();
            assert_eq!(
                finalize_hash(&[&input], p.compress().as_bytes())[..],
                unhex(v.output)[..]
            );
        }
    }

    fn entries(items: &[&str]) -> Entries {
        Entries::from_canonical(items.iter().map(|s| (Kind::Raw, *s)))
    }

    #[test]
    fn batch_evaluation_equals_one_by_one() {
        let key = CatalogKey::generate(&mut OsRng);
        let items: Vec<String> = (0..2500).map(|i| format!("item-{i}")).collect();
        let refs: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
        let e = entries(&refs);
        let par = key.evaluate_all(&e, Exec::Parallel, &group::NoProgress).unwrap();
        let ser = key.evaluate_all(&e, Exec::Serial, &group::NoProgress).unwrap();
        assert_eq!(par, ser);
        for i in [0, 1, 1023, 1024, 2499] {
            let (k, c) = e.get(i);
            assert_eq!(
                &par[i * 64..(i + 1) * 64],
                &key.evaluate_one(&prf_input(k, c)).unwrap()[..]
            );
        }
        // BlindEvaluate batch equals voprf one by one.
        let (_, q) = Client::start(&e, None, Exec::Parallel, &group::NoProgress, &mut OsRng).unwrap();
        let ev = key.blind_evaluate_all(&q, Exec::Parallel, &group::NoProgress).unwrap();
        let server = voprf::OprfServer::<Suite>::new_with_key(&key.to_bytes()[..]).unwrap();
        for i in [0, 1024, 2499] {
            let be = voprf::BlindedElement::<Suite>::deserialize(&q[i * 32..(i + 1) * 32]).unwrap();
            assert_eq!(&ev[i * 32..(i + 1) * 32], &server.blind_evaluate(&be).serialize()[..]);
        }
    }

    fn run(key: &CatalogKey, cat: &Catalog, mine: &Entries, pad: Option<u64>) -> Result<Lookup, CatalogError> {
        let (client, q) = Client::start(mine, pad, Exec::Parallel, &group::NoProgress, &mut OsRng)?;
        assert_eq!(q.len() as u64, client.sent() * 32);
        let a = key.blind_evaluate_all(&q, Exec::Parallel, &group::NoProgress)?;
        let id = key.key_id();
        let view = CatalogView {
            key_id: &id,
            trunc: cat.trunc,
            outputs: &cat.outputs,
            label_len: cat.label_len,
            labels: &cat.labels,
        };
        client.finish(&a, &view, Exec::Parallel)
    }

    #[test]
    fn lookup_finds_exactly_the_shared_entries_with_labels() {
        let key = CatalogKey::generate(&mut OsRng);
        let pub_e = entries(&["a.example", "b.example", "c.example", "d.example"]);
        let labels = vec![
            Some("first seen 2026-01-02".to_owned()),
            None,
            Some("x".to_owned()),
            Some(String::new()),
        ];
        let cat = publish(
            &key,
            &pub_e,
            Some(&labels),
            Exec::Parallel,
            &group::NoProgress,
            &mut OsRng,
        )
        .unwrap();
        assert_eq!(cat.trunc, trunc_len(4));
        assert_eq!(cat.n_labels, 3);
        assert_eq!(cat.labels.len(), 3 * record_len(21));
        let mine = entries(&["zzz", "c.example", "a.example", "b.example", "d.example"]);
        let got = run(&key, &cat, &mine, Some(9)).unwrap();
        assert_eq!(got.bad_labels, 0);
        assert_eq!(
            got.found,
            vec![
                Found {
                    index: 1,
                    label: Some("x".into())
                },
                Found {
                    index: 2,
                    label: Some("first seen 2026-01-02".into())
                },
                Found { index: 3, label: None },
                Found {
                    index: 4,
                    label: Some(String::new())
                },
            ]
        );
        // Another key: nothing matches.
        let other = CatalogKey::generate(&mut OsRng);
        assert!(run(&other, &cat, &mine, None).unwrap().found.is_empty());
        // Kind is bound: the same bytes as another kind do not match.
        let dom = Entries::from_canonical([(Kind::Domain, "a.example")]);
        assert!(run(&key, &cat, &dom, None).unwrap().found.is_empty());
    }

    #[test]
    fn catalog_holds_neither_entries_nor_plain_hashes_and_is_shuffled() {
        let key = CatalogKey::generate(&mut OsRng);
        let items: Vec<String> = (0..64).map(|i| format!("secret-{i}")).collect();
        let refs: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
        let e = entries(&refs);
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
    fn bad_answers_are_refused() {
        let key = CatalogKey::generate(&mut OsRng);
        let e = entries(&["a", "b"]);
        let cat = publish(&key, &e, None, Exec::Serial, &group::NoProgress, &mut OsRng).unwrap();
        let id = key.key_id();
        let view = CatalogView {
            key_id: &id,
            trunc: cat.trunc,
            outputs: &cat.outputs,
            label_len: 0,
            labels: &[],
        };
        let (c, q) = Client::start(&e, None, Exec::Serial, &group::NoProgress, &mut OsRng).unwrap();
        let mut a = key.blind_evaluate_all(&q, Exec::Serial, &group::NoProgress).unwrap();
        a[32..].fill(0);
        assert_eq!(
            c.finish(&a, &view, Exec::Serial).unwrap_err(),
            CatalogError::BadPoint {
                index: 1,
                identity: true
            }
        );
        let (c, _) = Client::start(&e, None, Exec::Serial, &group::NoProgress, &mut OsRng).unwrap();
        assert!(matches!(
            c.finish(&a[..32], &view, Exec::Serial),
            Err(CatalogError::Counts(_))
        ));
        assert!(matches!(
            key.blind_evaluate_all(&[0u8; 32], Exec::Serial, &group::NoProgress),
            Err(CatalogError::BadPoint {
                index: 0,
                identity: true
            })
        ));
        let unsorted = [vec![1u8; record_len(0)], vec![0u8; record_len(0)]].concat();
        let v = CatalogView {
            labels: &unsorted,
            ..view
        };
        assert!(matches!(v.check(), Err(CatalogError::Catalog(_))));
    }

    #[test]
    fn truncation() {
        assert_eq!(trunc_len(1), 8);
        assert_eq!(trunc_len(1 << 20), 11);
        assert_eq!(trunc_len(1_000_000), 11);
        assert!(false_match_log2(1 << 20, 1 << 24, trunc_len(1 << 20)) <= -40.0);
        assert!(false_match_log2(3, 1 << 24, trunc_len(3)) <= -40.0);
    }

    #[test]
    fn keys_round_trip_and_reject_garbage() {
        let k = CatalogKey::generate(&mut OsRng);
        let k2 = CatalogKey::from_bytes(&k.to_bytes()[..]).unwrap();
        assert_eq!(k.key_id(), k2.key_id());
        assert_eq!(CatalogKey::from_bytes(&[0u8; 32]).err(), Some(CatalogError::BadKey));
        assert_eq!(CatalogKey::from_bytes(&[0xffu8; 32]).err(), Some(CatalogError::BadKey));
        assert_eq!(CatalogKey::from_bytes(&[1u8; 31]).err(), Some(CatalogError::BadKey));
    }
}
