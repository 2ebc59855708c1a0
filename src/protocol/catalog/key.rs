//! The publisher's VOPRF key (`CatalogKey`, RFC 9497 `skS`, mode 0x01):
//! make one (fresh or from a seed), load and store it, name it by its key
//! id, and evaluate the PRF: `Evaluate` of one entry or of a whole list, and
//! `BlindEvaluate` of a client's query with one batched DLEQ proof per
//! `PROOF_CHUNK` elements.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand::rngs::StdRng;
use rand::{CryptoRng, RngCore, SeedableRng};
use rayon::prelude::*;
use sha2::{Digest, Sha256, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{
    check_inputs, dleq, CatalogError, Suite, HASH_TO_GROUP_DST, KEY_ID_LEN, OUTPUT_LEN, PROOF_CHUNK, PROOF_LEN,
};
use crate::group::{self, Exec, Progress, POINT_LEN};
use crate::input::Entries;

const KEY_ID_INFO: &[u8] = b"cosect-v1 catalog key id";
/// Elements evaluated with one shared encoding inversion (and one progress
/// step): as `group`'s batches.
const EVAL_BATCH: usize = 1024;

/// RFC 9497 `Finalize` hash: `Hash(I2OSP(len(input), 2) || input ||
/// I2OSP(len(element), 2) || element || "Finalize")`. `input` is given in
/// parts; their total length must be at most 65535 (checked by callers).
pub(super) fn finalize_hash(input: &[&[u8]], element: &[u8]) -> [u8; OUTPUT_LEN] {
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
        let server = voprf::VoprfServer::<Suite>::new_from_seed(seed, info).map_err(|_| CatalogError::BadKey)?;
        let mut sk = [0u8; 32];
        sk.copy_from_slice(&server.serialize()[..32]);
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

    /// `pkS = skS · G`, encoded: the catalog carries it, and every answer's
    /// proofs are checked against it.
    pub fn public(&self) -> [u8; 32] {
        (RISTRETTO_BASEPOINT_POINT * *self.scalar()).compress().to_bytes()
    }

    /// The key id: SHA-256("cosect-v1 catalog key id" || pkS).
    pub fn key_id(&self) -> [u8; KEY_ID_LEN] {
        key_id_of(&self.public())
    }

    fn server(&self) -> Result<voprf::VoprfServer<Suite>, CatalogError> {
        voprf::VoprfServer::<Suite>::new_with_key(&self.sk).map_err(|_| CatalogError::BadKey)
    }

    /// RFC 9497 `Evaluate(skS, input)` through the `voprf` crate, one entry.
    pub fn evaluate_one(&self, input: &[u8]) -> Result<[u8; OUTPUT_LEN], CatalogError> {
        let server = self.server()?;
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
        let parts = |i: usize| {
            let (kind, canon) = entries.get(i);
            [kind.name().as_bytes(), b"\0", canon]
        };
        let elements = group::hash_and_multiply(
            exec,
            n,
            |i| group::hash_to_group(&parts(i), HASH_TO_GROUP_DST),
            &self.scalar(),
            progress,
        );
        let mut out = vec![0u8; n * OUTPUT_LEN];
        group::for_each_element(exec, &mut out, OUTPUT_LEN, |i, o| {
            let e = &elements[i * POINT_LEN..(i + 1) * POINT_LEN];
            o.copy_from_slice(&finalize_hash(&parts(i), e));
        });
        Ok(out)
    }

    /// RFC 9497 `BlindEvaluate` of every blinded element of a query, in
    /// query order, with one batched DLEQ proof per `PROOF_CHUNK` elements
    /// (`dleq::prove`). Returns the evaluated elements and the proofs
    /// (`PROOF_LEN` bytes each). Refuses invalid encodings and the identity
    /// (the first, by index) before any work.
    ///
    /// `Dᵢ = k·Cᵢ` in batches that share one encoding inversion (each
    /// product is `(k/2)·Cᵢ`, doubled by the batch encoder), and each
    /// element's composite weight hashed from the encodings at hand; then
    /// per chunk one multiscalar multiplication and the proof.
    pub fn blind_evaluate_all<R: RngCore + CryptoRng>(
        &self,
        points: &[u8],
        exec: Exec,
        progress: &dyn Progress,
        rng: &mut R,
    ) -> Result<(Vec<u8>, Vec<u8>), CatalogError> {
        if !points.len().is_multiple_of(POINT_LEN) {
            return Err(CatalogError::Counts(
                "the query is not a whole number of elements".into(),
            ));
        }
        let blinded = decode_all(points, "query", exec)?;
        let n = blinded.len();
        let seeds: Vec<Zeroizing<[u8; 32]>> = (0..n.div_ceil(PROOF_CHUNK)).map(|_| seed(rng)).collect();
        let k = self.scalar();
        let public = self.public();
        let weigh = dleq::Weights::new(&public);
        let half = Zeroizing::new(*k * Scalar::from(2u8).invert());
        let mut evaluated = vec![0u8; n * POINT_LEN];
        let mut weights = vec![Scalar::ZERO; n];
        let run = |(b, (out, w)): (usize, (&mut [u8], &mut [Scalar]))| {
            let start = b * EVAL_BATCH;
            let products: Vec<RistrettoPoint> = blinded[start..start + w.len()].iter().map(|c| c * *half).collect();
            let encoded = RistrettoPoint::double_and_compress_batch(&products);
            for (j, (e, (o, w))) in encoded
                .iter()
                .zip(out.chunks_mut(POINT_LEN).zip(w.iter_mut()))
                .enumerate()
            {
                let i = start + j;
                o.copy_from_slice(e.as_bytes());
                *w = weigh.of(
                    i % PROOF_CHUNK,
                    &points[i * POINT_LEN..(i + 1) * POINT_LEN],
                    e.as_bytes(),
                );
            }
            progress.advance(w.len() as u64);
        };
        let batches = evaluated
            .chunks_mut(EVAL_BATCH * POINT_LEN)
            .zip(weights.chunks_mut(EVAL_BATCH));
        match exec {
            Exec::Serial => batches.enumerate().for_each(run),
            Exec::Parallel => batches.collect::<Vec<_>>().into_par_iter().enumerate().for_each(run),
        }
        let prove = |c: usize| {
            let r = c * PROOF_CHUNK..((c + 1) * PROOF_CHUNK).min(n);
            let mut rng = StdRng::from_seed(*seeds[c]);
            dleq::prove(&k, &public, &weights[r.clone()], &blinded[r], exec, &mut rng)
        };
        let proofs: Vec<[u8; PROOF_LEN]> = match exec {
            Exec::Serial => (0..seeds.len()).map(prove).collect(),
            Exec::Parallel => (0..seeds.len()).into_par_iter().map(prove).collect(),
        };
        Ok((evaluated, proofs.concat()))
    }
}

/// The key id of a public key: SHA-256("cosect-v1 catalog key id" || pkS).
pub fn key_id_of(public: &[u8]) -> [u8; KEY_ID_LEN] {
    let mut h = Sha256::new();
    h.update(KEY_ID_INFO);
    h.update(public);
    h.finalize().into()
}

/// 32 fresh bytes from `rng`, to seed one batch's own CSPRNG.
pub(super) fn seed<R: RngCore + CryptoRng>(rng: &mut R) -> Zeroizing<[u8; 32]> {
    let mut s = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(&mut s[..]);
    s
}

/// Elements sent to us (a query's, an answer's), decoded, in order; the
/// first (by index) that is not a valid encoding or is the identity is
/// refused.
/// `points` is a whole number of elements (checked by callers).
pub(super) fn decode_all(points: &[u8], of: &'static str, exec: Exec) -> Result<Vec<RistrettoPoint>, CatalogError> {
    debug_assert!(points.len().is_multiple_of(POINT_LEN));
    let decoded: Vec<Result<RistrettoPoint, bool>> = match exec {
        Exec::Serial => points.chunks_exact(POINT_LEN).map(group::decode_point).collect(),
        Exec::Parallel => points.par_chunks_exact(POINT_LEN).map(group::decode_point).collect(),
    };
    decoded
        .into_iter()
        .enumerate()
        .map(|(index, p)| p.map_err(|identity| CatalogError::BadPoint { of, index, identity }))
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tests::numbered;
    use super::super::{prf_input, Client};
    use super::*;
    use rand::rngs::OsRng;

    pub(in super::super) fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // RFC 9497 Appendix A.1.2, VOPRF(ristretto255, SHA-512), mode 0x01.
    pub(in super::super) const SEED: &str = "a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3";
    pub(in super::super) const KEY_INFO: &str = "74657374206b6579";
    const SK_SM: &str = "e6f73f344b79b379f1a0dd37e07ff62e38d9f71345ce62ae3a9bc60b04ccd909";
    const PK_SM: &str = "c803e2cc6b05fc15064549b5920659ca4a77b2cca6f04f6b357009335476ad4e";
    /// One test vector of A.1.2: a batch of one or two elements.
    pub(in super::super) struct Vector {
        pub(in super::super) inputs: &'static [&'static str],
        pub(in super::super) blinds: &'static [&'static str],
        pub(in super::super) blinded: &'static [&'static str],
        pub(in super::super) evaluations: &'static [&'static str],
        pub(in super::super) proof: &'static str,
        pub(in super::super) proof_random: &'static str,
        pub(in super::super) outputs: &'static [&'static str],
    }
    const B1: &str = "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706";
    const B2: &str = "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e";
    const BE1: &str = "863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945";
    const EE1: &str = "aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e";
    const OUT1: &str = "b58cfbe118e0cb94d79b5fd6a6dafb98764dff49c14e1770b566e42402da1a7d\
                        a4d8527693914139caee5bd03903af43a491351d23b430948dd50cde10d32b3c";
    const OUT2: &str = "8a9a2f3c7f085b65933594309041fc1898d42d0858e59f90814ae90571a6df60\
                        356f4610bf816f27afdd84f47719e480906d27ecd994985890e5f539e7ea74b6";
    const IN2: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
    pub(in super::super) const VECTORS: [Vector; 3] = [
        Vector {
            inputs: &["00"],
            blinds: &[B1],
            blinded: &[BE1],
            evaluations: &[EE1],
            proof: "ddef93772692e535d1a53903db24367355cc2cc78de93b3be5a8ffcc6985dd06\
                    6d4346421d17bf5117a2a1ff0fcb2a759f58a539dfbe857a40bce4cf49ec600d",
            proof_random: B2,
            outputs: &[OUT1],
        },
        Vector {
            inputs: &[IN2],
            blinds: &[B1],
            blinded: &["cc0b2a350101881d8a4cba4c80241d74fb7dcbfde4a61fde2f91443c2bf9ef0c"],
            evaluations: &["60a59a57208d48aca71e9e850d22674b611f752bed48b36f7a91b372bd7ad468"],
            proof: "401a0da6264f8cf45bb2f5264bc31e109155600babb3cd4e5af7d181a2c9dc0a\
                    67154fabf031fd936051dec80b0b6ae29c9503493dde7393b722eafdf5a50b02",
            proof_random: B2,
            outputs: &[OUT2],
        },
        Vector {
            inputs: &["00", IN2],
            blinds: &[B1, B2],
            blinded: &[BE1, "90a0145ea9da29254c3a56be4fe185465ebb3bf2a1801f7124bbbadac751e654"],
            evaluations: &[EE1, "cc5ac221950a49ceaa73c8db41b82c20372a4c8d63e5dded2db920b7eee36a2a"],
            proof: "cc203910175d786927eeb44ea847328047892ddf8590e723c37205cb74600b0a\
                    5ab5337c8eb4ceae0494c2cf89529dcf94572ed267473d567aeed6ab873dee08",
            proof_random: "419c4f4f5052c53c45f3da494d2b67b220d02118e0857cdbcf037f9ea84bbe0c",
            outputs: &[OUT1, OUT2],
        },
    ];

    /// A "random" source that yields given bytes, then zeros: a 32-byte
    /// scalar followed by 32 zero bytes reduces to itself, so the proof's
    /// random scalar is the RFC's.
    struct Fixed(Vec<u8>);
    impl RngCore for Fixed {
        fn next_u32(&mut self) -> u32 {
            0
        }
        fn next_u64(&mut self) -> u64 {
            0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for d in dest.iter_mut() {
                *d = if self.0.is_empty() { 0 } else { self.0.remove(0) };
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl CryptoRng for Fixed {}

    pub(in super::super) fn rfc_key() -> CatalogKey {
        let seed: [u8; 32] = unhex(SEED).try_into().unwrap();
        CatalogKey::derive(&seed, &unhex(KEY_INFO)).unwrap()
    }

    #[test]
    fn rfc9497_voprf_key_derivation() {
        let key = rfc_key();
        assert_eq!(key.to_bytes()[..], unhex(SK_SM)[..]);
        assert_eq!(key.public()[..], unhex(PK_SM)[..]);
    }

    /// Client `Blind`, server `BlindEvaluate` with its batched proof, client
    /// `Finalize` with the proof checked, and the server's `Evaluate`
    /// (voprf's and our batched path), byte for byte.
    fn check_vector(key: &CatalogKey, v: &Vector) {
        let server = voprf::VoprfServer::<Suite>::new_with_key(&key.to_bytes()[..]).unwrap();
        let inputs: Vec<Vec<u8>> = v.inputs.iter().map(|i| unhex(i)).collect();
        let blinded: Vec<_> = inputs
            .iter()
            .zip(v.blinds)
            .map(|(input, b)| {
                let blind = <Suite as voprf::Group>::deserialize_scalar(&unhex(b)).unwrap();
                voprf::VoprfClient::<Suite>::deterministic_blind_unchecked(input, blind).unwrap()
            })
            .collect();
        let messages: Vec<_> = blinded.iter().map(|b| b.message.clone()).collect();
        for (m, want) in messages.iter().zip(v.blinded) {
            assert_eq!(m.serialize()[..], unhex(want)[..]);
        }
        let points: Vec<u8> = messages.iter().flat_map(|m| m.serialize().to_vec()).collect();
        let (evaluated, _) = key
            .blind_evaluate_all(&points, Exec::Serial, &group::NoProgress, &mut OsRng)
            .unwrap();
        assert_eq!(evaluated, unhex(&v.evaluations.concat()));
        // Our proof with the RFC's ProofRandomScalar is the RFC's, and so is
        // voprf's; our verifier accepts it and refuses it for other elements.
        let proofs = prove_fixed(key, &points, &evaluated, &unhex(v.proof_random)).to_vec();
        assert_eq!(proofs, unhex(v.proof));
        let proved = server
            .batch_blind_evaluate(&mut Fixed(unhex(v.proof_random)), &messages)
            .unwrap();
        assert_eq!(proved.proof.serialize().to_vec(), proofs);
        assert!(verify_ours(&key.public(), &points, &evaluated, &proofs));
        let mut swapped = evaluated.clone();
        swapped[..32].copy_from_slice(&points[..32]);
        assert!(!verify_ours(&key.public(), &points, &swapped, &proofs));
        let evals: Vec<_> = evaluated
            .chunks(32)
            .map(|e| voprf::EvaluationElement::<Suite>::deserialize(e).unwrap())
            .collect();
        let states: Vec<_> = blinded.iter().map(|b| b.state.clone()).collect();
        let proof = voprf::Proof::<Suite>::deserialize(&proofs).unwrap();
        let outs: Vec<_> =
            voprf::VoprfClient::batch_finalize(&inputs, &states, &evals, &proof, server.get_public_key())
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
        for ((out, want), input) in outs.iter().zip(v.outputs).zip(&inputs) {
            assert_eq!(out[..], unhex(want)[..]);
            assert_eq!(key.evaluate_one(input).unwrap()[..], unhex(want)[..]);
            let p = group::hash_to_group(&[input], HASH_TO_GROUP_DST) * *key.scalar();
            assert_eq!(finalize_hash(&[input], p.compress().as_bytes())[..], unhex(want)[..]);
        }
    }

    /// `GenerateProof` of one chunk through `dleq`, its random scalar given.
    fn prove_fixed(key: &CatalogKey, points: &[u8], evaluated: &[u8], r: &[u8]) -> [u8; PROOF_LEN] {
        let weights = dleq::Weights::new(&key.public()).all(points, evaluated, Exec::Serial);
        let cs = decode_all(points, "query", Exec::Serial).unwrap();
        dleq::prove(
            &key.scalar(),
            &key.public(),
            &weights,
            &cs,
            Exec::Serial,
            &mut Fixed(r.to_vec()),
        )
    }

    /// `VerifyProof` of one chunk through `dleq`, serially and in parallel
    /// (which must agree).
    pub(in super::super) fn verify_ours(pk: &[u8; 32], points: &[u8], evaluated: &[u8], proof: &[u8]) -> bool {
        let pk_point = group::decode_point(pk).unwrap();
        let (cs, ds) = (
            decode_all(points, "query", Exec::Serial).unwrap(),
            decode_all(evaluated, "answer", Exec::Serial).unwrap(),
        );
        let [ser, par] = [Exec::Serial, Exec::Parallel].map(|exec| {
            let weights = dleq::Weights::new(pk).all(points, evaluated, exec);
            dleq::verify(&pk_point, pk, &weights, &cs, &ds, proof, exec)
        });
        assert_eq!(ser, par);
        ser
    }

    #[test]
    fn rfc9497_voprf_vectors_through_voprf_and_our_paths() {
        let key = rfc_key();
        for v in &VECTORS {
            check_vector(&key, v);
        }
    }

    #[test]
    fn batch_evaluation_equals_one_by_one() {
        let key = CatalogKey::generate(&mut OsRng);
        let (_, e) = numbered("item", 2500);
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
        let (ev, proofs) = key
            .blind_evaluate_all(&q, Exec::Parallel, &group::NoProgress, &mut OsRng)
            .unwrap();
        assert_eq!(proofs.len() as u64, super::super::proofs_len(2500));
        let server = voprf::VoprfServer::<Suite>::new_with_key(&key.to_bytes()[..]).unwrap();
        for i in [0, 1024, 2499] {
            let be = voprf::BlindedElement::<Suite>::deserialize(&q[i * 32..(i + 1) * 32]).unwrap();
            let one = server.blind_evaluate(&mut OsRng, &be);
            assert_eq!(&ev[i * 32..(i + 1) * 32], &one.message.serialize()[..]);
        }
    }

    /// Our `BlindEvaluate` gives voprf 0.5's answer and proofs byte for byte
    /// for the same randomness (each chunk's proof from a CSPRNG seeded from
    /// the caller's), serially and in parallel; chunks of 5 here, so answers
    /// of 1, 5, 6 and 23 elements end on full and partial chunks. One proof
    /// over 1000 elements takes dalek's Pippenger path (from 190 points),
    /// and splits into pieces in parallel.
    #[test]
    fn proofs_equal_voprf_byte_for_byte() {
        let key = CatalogKey::generate(&mut OsRng);
        let server = voprf::VoprfServer::<Suite>::new_with_key(&key.to_bytes()[..]).unwrap();
        for n in [1, 5, 6, 23] {
            let points = group::random_points(n, &mut OsRng);
            let seed: [u8; 32] = rand::random();
            for exec in [Exec::Serial, Exec::Parallel] {
                let (ev, proofs) = key
                    .blind_evaluate_all(&points, exec, &group::NoProgress, &mut StdRng::from_seed(seed))
                    .unwrap();
                let mut outer = StdRng::from_seed(seed);
                let blinded: Vec<_> = points
                    .chunks(32)
                    .map(|p| voprf::BlindedElement::<Suite>::deserialize(p).unwrap())
                    .collect();
                let (mut want_ev, mut want_proofs) = (Vec::new(), Vec::new());
                for chunk in blinded.chunks(PROOF_CHUNK) {
                    let mut rng = StdRng::from_seed(*super::seed(&mut outer));
                    let r = server.batch_blind_evaluate(&mut rng, &chunk.to_vec()).unwrap();
                    r.messages
                        .iter()
                        .for_each(|m| want_ev.extend_from_slice(&m.serialize()));
                    want_proofs.extend_from_slice(&r.proof.serialize());
                }
                assert_eq!((&ev, &proofs), (&want_ev, &want_proofs), "n = {n}, {exec}");
            }
        }
        let points = group::random_points(1000, &mut OsRng);
        let blinded: Vec<_> = points
            .chunks(32)
            .map(|p| voprf::BlindedElement::<Suite>::deserialize(p).unwrap())
            .collect();
        let r: [u8; 32] = group::random_scalar(&mut OsRng).to_bytes();
        let theirs = server.batch_blind_evaluate(&mut Fixed(r.to_vec()), &blinded).unwrap();
        let ev: Vec<u8> = theirs.messages.iter().flat_map(|m| m.serialize().to_vec()).collect();
        let proof = prove_fixed(&key, &points, &ev, &r);
        assert_eq!(proof[..], theirs.proof.serialize()[..]);
        assert!(verify_ours(&key.public(), &points, &ev, &proof));
        let mut bad = ev.clone();
        bad[..32].copy_from_slice(&ev[32 * 999..]);
        bad[32 * 999..].copy_from_slice(&ev[..32]);
        assert!(!verify_ours(&key.public(), &points, &bad, &proof));
        let mut flipped = proof;
        flipped[40] ^= 1;
        assert!(!verify_ours(&key.public(), &points, &ev, &flipped));
        // Non-canonical or zero scalars are refused, as voprf does.
        assert!(!verify_ours(
            &key.public(),
            &points,
            &ev,
            &[proof[..32].to_vec(), vec![0; 32]].concat()
        ));
        assert!(!verify_ours(
            &key.public(),
            &points,
            &ev,
            &[vec![0xff; 32], proof[32..].to_vec()].concat()
        ));
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
