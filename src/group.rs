//! ristretto255 arithmetic for the protocols: RFC 9380 hash-to-group, and
//! batched "multiply then encode" / "decode, multiply, encode" over many
//! elements, serially or on all cores with rayon behind one interface.
//!
//! Encoding one point costs a field inversion; `double_and_compress_batch`
//! shares one inversion across a batch but yields the encoding of `2P`, so
//! every multiplication here uses half the scalar and lets the batch encoder
//! do the doubling.
//!
//! Both protocols do their bulk curve arithmetic through this room (the
//! catalog client's `Blind`, the key's derivation and single-entry
//! evaluation go through the `voprf` crate; the DLEQ proofs are
//! `protocol::catalog::dleq`), and
//! `for_each_element` runs any per-element step serially or in parallel.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use elliptic_curve::hash2curve::{ExpandMsg, ExpandMsgXmd, Expander};
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use sha2::Sha512;
use zeroize::Zeroizing;

/// Length of an encoded ristretto255 element.
pub const POINT_LEN: usize = 32;

/// Elements per batch: large enough that the shared inversion is negligible,
/// small enough to spread evenly over threads and keep progress smooth.
const BATCH: usize = 1024;

/// RFC 9380 `hash_to_ristretto255`: `expand_message_xmd` with SHA-512 to 64
/// bytes, then the ristretto255 one-way map (`from_uniform_bytes`).
/// `msg` is the concatenation of the given parts.
pub fn hash_to_group(msg: &[&[u8]], dst: &[u8]) -> RistrettoPoint {
    let mut uniform = Zeroizing::new([0u8; 64]);
    let dsts = [dst];
    // Only fails for an empty or over-long DST or output length, which are
    // constants chosen by the caller of this crate, never peer data.
    ExpandMsgXmd::<Sha512>::expand_message(msg, &dsts, 64)
        .expect("DST and output length are valid constants")
        .fill_bytes(&mut uniform[..]);
    RistrettoPoint::from_uniform_bytes(&uniform)
}

/// The curve25519-dalek backend that does the scalar multiplications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// AVX-512 IFMA (52-bit multiply-add), 8 lanes.
    Ifma,
    /// AVX2, 4 lanes.
    Avx2,
    /// Portable 64-bit code.
    Serial,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Ifma => "AVX-512 IFMA",
            Backend::Avx2 => "AVX2",
            Backend::Serial => "serial (portable 64-bit)",
        })
    }
}

/// The backend curve25519-dalek picks on this CPU. dalek does not expose its
/// choice, so this mirrors it: the backends compiled in (the same cfg and
/// target features dalek's build script reads), then the same run-time
/// CPU checks in the same order (IFMA needs `avx512ifma` and `avx512vl`,
/// then `avx2`). Field arithmetic (hashing, encoding) is portable 64-bit
/// code on every backend.
pub fn backend() -> Backend {
    #[cfg(all(
        target_arch = "x86_64",
        target_pointer_width = "64",
        not(any(curve25519_dalek_backend = "serial", curve25519_dalek_backend = "fiat"))
    ))]
    {
        #[cfg(any(
            curve25519_dalek_backend = "avx512",
            all(target_feature = "avx512ifma", target_feature = "avx512vl")
        ))]
        if std::is_x86_feature_detected!("avx512ifma") && std::is_x86_feature_detected!("avx512vl") {
            return Backend::Ifma;
        }
        if std::is_x86_feature_detected!("avx2") {
            return Backend::Avx2;
        }
    }
    Backend::Serial
}

/// How batch operations run: on the calling thread, or on rayon's pool.
/// Both give identical results; tests compare them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Exec {
    Serial,
    #[default]
    Parallel,
}

impl std::fmt::Display for Exec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Exec::Serial => "serial",
            Exec::Parallel => "parallel",
        })
    }
}

/// Receives the number of elements finished, batch by batch, from any thread.
pub trait Progress: Sync {
    fn advance(&self, done: u64);
}

impl<F: Fn(u64) + Sync> Progress for F {
    fn advance(&self, done: u64) {
        self(done)
    }
}

/// A progress sink that ignores everything.
pub struct NoProgress;

impl Progress for NoProgress {
    fn advance(&self, _done: u64) {}
}

/// A peer-supplied element that is not a valid, non-identity ristretto255
/// encoding. `index` counts from 0 in the order received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("element {index} is not a valid ristretto255 point")]
pub struct BadPoint {
    pub index: usize,
    pub identity: bool,
}

/// A fresh secret exponent, never zero: 64 random bytes reduced modulo the
/// group order (what dalek's own `Scalar::random` does; taking the bytes
/// here keeps the crate on one `rand`).
pub fn random_scalar<R: RngCore + CryptoRng>(rng: &mut R) -> Zeroizing<Scalar> {
    let mut wide = Zeroizing::new([0u8; 64]);
    loop {
        rng.fill_bytes(&mut wide[..]);
        let s = Zeroizing::new(Scalar::from_bytes_mod_order_wide(&wide));
        if *s != Scalar::ZERO {
            return s;
        }
    }
}

fn half(scalar: &Scalar) -> Zeroizing<Scalar> {
    Zeroizing::new(scalar * Scalar::from(2u8).invert())
}

/// Run `f(batch_index, out_chunk)` over `out` cut into `BATCH * width` byte
/// chunks, serially or in parallel, stopping at the first error.
fn for_batches<E, F>(exec: Exec, out: &mut [u8], width: usize, progress: &dyn Progress, f: F) -> Result<(), E>
where
    E: Send,
    F: Fn(usize, &mut [u8]) -> Result<(), E> + Sync,
{
    let step = BATCH * width;
    let run = |(i, chunk): (usize, &mut [u8])| {
        f(i, chunk)?;
        progress.advance((chunk.len() / width) as u64);
        Ok(())
    };
    match exec {
        Exec::Serial => out.chunks_mut(step).enumerate().try_for_each(run),
        Exec::Parallel => out.par_chunks_mut(step).enumerate().try_for_each(run),
    }
}

/// Run `f(index, element)` over `out` cut into `width`-byte elements,
/// serially or on rayon's pool.
pub fn for_each_element<F>(exec: Exec, out: &mut [u8], width: usize, f: F)
where
    F: Fn(usize, &mut [u8]) + Sync,
{
    let g = |(i, o): (usize, &mut [u8])| f(i, o);
    match exec {
        Exec::Serial => out.chunks_mut(width).enumerate().for_each(g),
        Exec::Parallel => out.par_chunks_mut(width).enumerate().for_each(g),
    }
}

/// The `width` bytes kept of a 32-byte encoding: all of it, or for a
/// truncation bytes 1 to `width`. Byte 0 is skipped because its lowest bit
/// is always 0 (RFC 9496 encodes the non-negative square root), so that
/// every kept bit varies and `8·width` bits bound a false match.
pub fn kept(encoding: &[u8; POINT_LEN], width: usize) -> &[u8] {
    if width == POINT_LEN {
        encoding
    } else {
        &encoding[1..=width]
    }
}

/// Encode `points[k]` doubled (so callers pass points times half a scalar)
/// into `out`, `width` bytes each (see [`kept`]).
fn encode_doubled(points: &[RistrettoPoint], out: &mut [u8], width: usize) {
    let encoded = RistrettoPoint::double_and_compress_batch(points);
    for (dst, c) in out.chunks_exact_mut(width).zip(encoded.iter()) {
        dst.copy_from_slice(kept(c.as_bytes(), width));
    }
}

/// `scalar · H(x)` for every input, encoded, 32 bytes each, in input order.
/// `hash(i)` hashes input `i` to the group.
pub fn hash_and_multiply<H>(exec: Exec, n: usize, hash: H, scalar: &Scalar, progress: &dyn Progress) -> Vec<u8>
where
    H: Fn(usize) -> RistrettoPoint + Sync,
{
    hash_and_multiply_gathered(exec, n, |r| r.collect(), |&i: &usize| hash(i), scalar, progress)
}

/// As [`hash_and_multiply`], with the inputs of each batch fetched first,
/// all together: `gather(range)` returns what `hash` needs for inputs
/// `range`. Inputs scattered in memory are then loaded by one tight loop
/// whose cache misses overlap, not one at a time between two hashes.
pub fn hash_and_multiply_gathered<T, G, H>(
    exec: Exec,
    n: usize,
    gather: G,
    hash: H,
    scalar: &Scalar,
    progress: &dyn Progress,
) -> Vec<u8>
where
    G: Fn(std::ops::Range<usize>) -> Vec<T> + Sync,
    H: Fn(&T) -> RistrettoPoint + Sync,
{
    let h = half(scalar);
    let mut out = vec![0u8; n * POINT_LEN];
    let ok: Result<(), ()> = for_batches(exec, &mut out, POINT_LEN, progress, |b, chunk| {
        let start = b * BATCH;
        let count = chunk.len() / POINT_LEN;
        let inputs = gather(start..start + count);
        let pts: Vec<RistrettoPoint> = inputs.iter().map(|x| hash(x) * *h).collect();
        encode_doubled(&pts, chunk, POINT_LEN);
        Ok(())
    });
    debug_assert!(ok.is_ok());
    out
}

/// Decode each 32-byte element of `input`, multiply by `scalar`, and write
/// `width` bytes of each product's encoding ([`kept`]), in input order.
/// Refuses any element that is not a canonical encoding or is the identity.
pub fn decode_and_multiply(
    exec: Exec,
    input: &[u8],
    scalar: &Scalar,
    width: usize,
    progress: &dyn Progress,
) -> Result<Vec<u8>, BadPoint> {
    let out = decode_and_multiply_until(exec, input, scalar, width, progress, &|| false)?;
    Ok(out.expect("never stopped"))
}

/// As [`decode_and_multiply`], giving up (`Ok(None)`) as soon as `stop()`
/// is true: it is asked before each batch, so a caller that learns
/// meanwhile that the result is not needed does not wait for all of it.
pub fn decode_and_multiply_until(
    exec: Exec,
    input: &[u8],
    scalar: &Scalar,
    width: usize,
    progress: &dyn Progress,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Option<Vec<u8>>, BadPoint> {
    assert!(input.len().is_multiple_of(POINT_LEN) && (1..=POINT_LEN).contains(&width));
    let h = half(scalar);
    let n = input.len() / POINT_LEN;
    let mut out = vec![0u8; n * width];
    let done = for_batches(exec, &mut out, width, progress, |b, chunk| {
        if stop() {
            return Err(None);
        }
        let start = b * BATCH;
        let count = chunk.len() / width;
        let mut pts = Vec::with_capacity(count);
        for i in start..start + count {
            let p = decode_point(&input[i * POINT_LEN..(i + 1) * POINT_LEN])
                .map_err(|identity| Some(BadPoint { index: i, identity }))?;
            pts.push(p * *h);
        }
        encode_doubled(&pts, chunk, width);
        Ok(())
    });
    match done {
        Ok(()) => Ok(Some(out)),
        Err(None) => Ok(None),
        Err(Some(bad)) => Err(bad),
    }
}

/// Decode one element; `Err(true)` for the identity, `Err(false)` for a
/// non-canonical or invalid encoding.
pub fn decode_point(bytes: &[u8]) -> Result<RistrettoPoint, bool> {
    let arr: [u8; 32] = bytes.try_into().map_err(|_| false)?;
    if arr == [0u8; 32] {
        return Err(true);
    }
    CompressedRistretto(arr).decompress().ok_or(false)
}

/// `n` uniformly random, non-identity group elements, encoded: padding that
/// is indistinguishable from real blinded elements.
pub fn random_points<R: RngCore + CryptoRng>(n: usize, rng: &mut R) -> Vec<u8> {
    let mut out = vec![0u8; n * POINT_LEN];
    for chunk in out.chunks_mut(BATCH * POINT_LEN) {
        let pts: Vec<RistrettoPoint> = (0..chunk.len() / POINT_LEN)
            .map(|_| {
                let mut u = [0u8; 64];
                rng.fill_bytes(&mut u);
                RistrettoPoint::from_uniform_bytes(&u)
            })
            .collect();
        encode_doubled(&pts, chunk, POINT_LEN);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;

    fn h(i: usize) -> RistrettoPoint {
        hash_to_group(&[b"raw:", i.to_string().as_bytes()], b"cosect-test")
    }

    #[test]
    fn batch_matches_one_by_one_and_serial_matches_parallel() {
        let s = random_scalar(&mut OsRng);
        let n = 2 * BATCH + 17;
        let par = hash_and_multiply(Exec::Parallel, n, h, &s, &NoProgress);
        let ser = hash_and_multiply(Exec::Serial, n, h, &s, &NoProgress);
        assert_eq!(par, ser);
        for i in [0, 1, BATCH, n - 1] {
            let want = (h(i) * *s).compress();
            assert_eq!(&par[i * 32..(i + 1) * 32], want.as_bytes());
        }
        let t = random_scalar(&mut OsRng);
        let a = decode_and_multiply(Exec::Parallel, &par, &t, 9, &NoProgress).unwrap();
        let b = decode_and_multiply(Exec::Serial, &par, &t, 9, &NoProgress).unwrap();
        assert_eq!(a, b);
        let want = (h(5) * (*s * *t)).compress();
        assert_eq!(&a[5 * 9..6 * 9], &want.as_bytes()[1..10]);
    }

    #[test]
    fn double_encryption_commutes() {
        let (a, b) = (random_scalar(&mut OsRng), random_scalar(&mut OsRng));
        let ha = hash_and_multiply(Exec::Serial, 3, h, &a, &NoProgress);
        let hb = hash_and_multiply(Exec::Serial, 3, h, &b, &NoProgress);
        let hab = decode_and_multiply(Exec::Serial, &ha, &b, 32, &NoProgress).unwrap();
        let hba = decode_and_multiply(Exec::Serial, &hb, &a, 32, &NoProgress).unwrap();
        assert_eq!(hab, hba);
    }

    #[test]
    fn bad_points_are_refused_with_their_index() {
        let s = random_scalar(&mut OsRng);
        let mut pts = random_points(5, &mut OsRng);
        assert!(decode_and_multiply(Exec::Parallel, &pts, &s, 32, &NoProgress).is_ok());
        for (fill, identity) in [(0, true), (0xff, false)] {
            pts[3 * 32..4 * 32].fill(fill);
            for exec in [Exec::Parallel, Exec::Serial] {
                let e = decode_and_multiply(exec, &pts, &s, 32, &NoProgress).unwrap_err();
                assert_eq!(e, BadPoint { index: 3, identity });
            }
        }
    }
}
