//! RFC 9497 §2.2 batched DLEQ proofs for ristretto255-SHA512, mode 0x01,
//! over curve25519-dalek 5: `GenerateProof` with `ComputeCompositesFast`
//! (the publisher knows `k`, so `Z = k·M`) and `VerifyProof` with
//! `ComputeComposites`, for one chunk of at most `PROOF_CHUNK` elements.
//!
//! Exactly the RFC's algorithm and bytes (checked against its Appendix
//! A.1.2 vectors and against the `voprf` crate in `key`'s tests); only the
//! order of the arithmetic differs from a naive loop:
//! - the weights `dᵢ = HashToScalar(seed, i, Cᵢ, Dᵢ, "Composite")` are hashed
//!   from the 32-byte encodings the caller already holds (a query's elements
//!   as received, the answer's as batch-encoded), so no point is encoded one
//!   by one, and they can be hashed in parallel;
//! - the composites `M = Σ dᵢ·Cᵢ` (and the verifier's `Z = Σ dᵢ·Dᵢ`) are one
//!   variable-time multiscalar multiplication each (Pippenger for large
//!   chunks; with `Exec::Parallel`, a few large pieces summed). `dᵢ`, `Cᵢ`,
//!   `Dᵢ` are public, so variable time leaks nothing.
//!
//! The publisher's secrets, `k` and the proof's random `r`, only meet
//! constant-time operations: `Z = k·M`, `t2 = r·G`, `t3 = r·M`, `s = r − c·k`.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use elliptic_curve::hash2curve::{ExpandMsg, ExpandMsgXmd, Expander};
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use sha2::{Digest, Sha512};

use super::PROOF_LEN;
use crate::group::{self, Exec, POINT_LEN};

/// `"HashToScalar-" || contextString` (RFC 9497 §4.1, mode 0x01).
const HASH_TO_SCALAR_DST: &[u8] = b"HashToScalar-OPRFV1-\x01-ristretto255-SHA512";
/// `"Seed-" || contextString` (RFC 9497 §2.2.1).
const SEED_DST: &[u8] = b"Seed-OPRFV1-\x01-ristretto255-SHA512";
/// `I2OSP(Ne, 2)`: the length prefix of every serialized element.
const ELEM_LEN: [u8; 2] = (POINT_LEN as u16).to_be_bytes();
/// Fewest points a parallel piece of a composite gets: below this,
/// Pippenger's fixed cost per piece outweighs the parallelism.
const MSM_PIECE_MIN: usize = 4096;

/// RFC 9497 §4.1 `HashToScalar` for ristretto255-SHA512: `expand_message_xmd`
/// with SHA-512 to 64 bytes, reduced modulo the group order. `msg` is the
/// concatenation of the given parts.
fn hash_to_scalar(msg: &[&[u8]]) -> Scalar {
    let mut uniform = [0u8; 64];
    // Only fails for an empty or over-long DST or output length: constants.
    ExpandMsgXmd::<Sha512>::expand_message(msg, &[HASH_TO_SCALAR_DST], 64)
        .expect("DST and output length are valid constants")
        .fill_bytes(&mut uniform);
    Scalar::from_bytes_mod_order_wide(&uniform)
}

/// The composite weights of the proofs made or checked under one public key:
/// the RFC's `seed = Hash(I2OSP(len(Bm), 2) || Bm || I2OSP(len(seedDST), 2)
/// || seedDST)` depends on `Bm = pkS` only, so it is computed once.
pub(super) struct Weights {
    seed: [u8; 64],
}

impl Weights {
    pub(super) fn new(public: &[u8; POINT_LEN]) -> Self {
        let mut h = Sha512::new();
        h.update(ELEM_LEN);
        h.update(public);
        h.update((SEED_DST.len() as u16).to_be_bytes());
        h.update(SEED_DST);
        Weights {
            seed: h.finalize().into(),
        }
    }

    /// `dᵢ` of element `i` of its chunk (`i < 65536`), from the encodings of
    /// its blinded element `Cᵢ` and evaluated element `Dᵢ`:
    /// `HashToScalar(I2OSP(len(seed), 2) || seed || I2OSP(i, 2) ||
    /// I2OSP(len(Ci), 2) || Ci || I2OSP(len(Di), 2) || Di || "Composite")`.
    pub(super) fn of(&self, i: usize, c: &[u8], d: &[u8]) -> Scalar {
        debug_assert!(i <= u16::MAX as usize && c.len() == POINT_LEN && d.len() == POINT_LEN);
        let index = (i as u16).to_be_bytes();
        let seed_len = (self.seed.len() as u16).to_be_bytes();
        hash_to_scalar(&[&seed_len, &self.seed, &index, &ELEM_LEN, c, &ELEM_LEN, d, b"Composite"])
    }

    /// The weights of one chunk, from its elements' encodings (`cs`, `ds`:
    /// 32 bytes each, in chunk order).
    pub(super) fn all(&self, cs: &[u8], ds: &[u8], exec: Exec) -> Vec<Scalar> {
        debug_assert_eq!(cs.len(), ds.len());
        let one = |(i, (c, d)): (usize, (&[u8], &[u8]))| self.of(i, c, d);
        match exec {
            Exec::Serial => cs
                .chunks(POINT_LEN)
                .zip(ds.chunks(POINT_LEN))
                .enumerate()
                .map(one)
                .collect(),
            Exec::Parallel => cs
                .par_chunks(POINT_LEN)
                .zip(ds.par_chunks(POINT_LEN))
                .enumerate()
                .map(one)
                .collect(),
        }
    }
}

/// `Σ weights[i]·points[i]`, in variable time (all of it is public): one
/// multiscalar multiplication, or with `Exec::Parallel` one per thread over
/// large pieces, summed (the same point either way).
fn composite(weights: &[Scalar], points: &[RistrettoPoint], exec: Exec) -> RistrettoPoint {
    debug_assert_eq!(weights.len(), points.len());
    let one = |(w, p): (&[Scalar], &[RistrettoPoint])| RistrettoPoint::vartime_multiscalar_mul(w, p);
    match exec {
        Exec::Serial => one((weights, points)),
        Exec::Parallel => {
            let piece = weights.len().div_ceil(rayon::current_num_threads()).max(MSM_PIECE_MIN);
            weights
                .par_chunks(piece)
                .zip(points.par_chunks(piece))
                .map(one)
                .reduce(RistrettoPoint::identity, |a, b| a + b)
        }
    }
}

/// The RFC's challenge `c = HashToScalar(I2OSP(len(Bm), 2) || Bm || ... ||
/// I2OSP(len(a3), 2) || a3 || "Challenge")` over `Bm = pkS`, `a0 = M`,
/// `a1 = Z`, `a2 = t2`, `a3 = t3`.
fn challenge(
    public: &[u8; POINT_LEN],
    m: &RistrettoPoint,
    z: &RistrettoPoint,
    t2: &RistrettoPoint,
    t3: &RistrettoPoint,
) -> Scalar {
    let [a0, a1, a2, a3] = [m, z, t2, t3].map(|p| p.compress().to_bytes());
    hash_to_scalar(&[
        &ELEM_LEN,
        public,
        &ELEM_LEN,
        &a0,
        &ELEM_LEN,
        &a1,
        &ELEM_LEN,
        &a2,
        &ELEM_LEN,
        &a3,
        b"Challenge",
    ])
}

/// RFC 9497 `GenerateProof(k, G, pkS, Cs, Ds, rng)` of one chunk, given its
/// blinded elements `cs` (decoded) and their weights (`Weights::of`, over
/// the same `cs` and the evaluated elements `Ds = k·Cs`): `c || s`.
/// `r` is drawn as dalek's `Scalar::random` (64 bytes reduced, redrawn if
/// zero), so a given `rng` yields the same proof as the `voprf` crate.
pub(super) fn prove<R: RngCore + CryptoRng>(
    k: &Scalar,
    public: &[u8; POINT_LEN],
    weights: &[Scalar],
    cs: &[RistrettoPoint],
    exec: Exec,
    rng: &mut R,
) -> [u8; PROOF_LEN] {
    // ComputeCompositesFast: M = Σ dᵢ·Cᵢ, Z = k·M.
    let m = composite(weights, cs, exec);
    let z = m * k;
    let r = group::random_scalar(rng);
    let t2 = RistrettoPoint::mul_base(&r);
    let t3 = m * *r;
    let c = challenge(public, &m, &z, &t2, &t3);
    let s = *r - c * k;
    let mut proof = [0u8; PROOF_LEN];
    proof[..32].copy_from_slice(c.as_bytes());
    proof[32..].copy_from_slice(s.as_bytes());
    proof
}

/// A proof's `c` and `s`: canonical scalars, neither zero (as the `voprf`
/// crate reads them; an honest proof has a zero with probability 2^-251).
fn read_proof(proof: &[u8]) -> Option<(Scalar, Scalar)> {
    let scalar = |b: &[u8]| -> Option<Scalar> {
        let s: Option<Scalar> = Scalar::from_canonical_bytes(b.try_into().ok()?).into();
        s.filter(|s| *s != Scalar::ZERO)
    };
    if proof.len() != PROOF_LEN {
        return None;
    }
    Some((scalar(&proof[..32])?, scalar(&proof[32..])?))
}

/// RFC 9497 `VerifyProof(G, pkS, Cs, Ds, proof)` of one chunk: the
/// elements decoded (`cs`, `ds`) and their weights (`Weights::of` over
/// their encodings).
pub(super) fn verify(
    public: &RistrettoPoint,
    public_bytes: &[u8; POINT_LEN],
    weights: &[Scalar],
    cs: &[RistrettoPoint],
    ds: &[RistrettoPoint],
    proof: &[u8],
    exec: Exec,
) -> bool {
    let Some((c, s)) = read_proof(proof) else {
        return false;
    };
    // ComputeComposites: M = Σ dᵢ·Cᵢ, Z = Σ dᵢ·Dᵢ.
    let (m, z) = match exec {
        Exec::Serial => (composite(weights, cs, exec), composite(weights, ds, exec)),
        Exec::Parallel => rayon::join(|| composite(weights, cs, exec), || composite(weights, ds, exec)),
    };
    // t2 = s·G + c·pkS, t3 = s·M + c·Z.
    let t2 = RistrettoPoint::vartime_double_scalar_mul_basepoint(&c, public, &s);
    let t3 = RistrettoPoint::vartime_multiscalar_mul([s, c], [m, z]);
    challenge(public_bytes, &m, &z, &t2, &t3) == c
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;

    /// The composite split into parallel pieces is the same point as one
    /// multiscalar multiplication and as the plain sum.
    #[test]
    fn composite_in_pieces_is_the_sum() {
        let n = 2 * MSM_PIECE_MIN + 7;
        let points: Vec<RistrettoPoint> = (0..n as u64)
            .map(|i| RistrettoPoint::mul_base(&Scalar::from(i + 1)))
            .collect();
        let weights: Vec<Scalar> = (0..n).map(|_| *group::random_scalar(&mut OsRng)).collect();
        let one = composite(&weights, &points, Exec::Serial);
        assert_eq!(one, composite(&weights, &points, Exec::Parallel));
        let sum: Scalar = weights
            .iter()
            .enumerate()
            .map(|(i, w)| w * Scalar::from(i as u64 + 1))
            .sum();
        assert_eq!(one, RistrettoPoint::mul_base(&sum));
    }
}
