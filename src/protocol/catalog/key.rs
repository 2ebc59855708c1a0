//! The publisher's OPRF key (`CatalogKey`, RFC 9497 `skS`): make one
//! (fresh or from a seed), load and store it, name it by its key id, and
//! evaluate the PRF: `Evaluate` of one entry or of a whole list, and
//! `BlindEvaluate` of a client's query.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::scalar::Scalar;
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{check_inputs, CatalogError, Suite, HASH_TO_GROUP_DST, KEY_ID_LEN, OUTPUT_LEN};
use crate::group::{self, Exec, Progress, POINT_LEN};
use crate::input::Entries;

const KEY_ID_INFO: &[u8] = b"cosect-v1 catalog key id";

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

#[cfg(test)]
mod tests {
    use super::super::tests::numbered;
    use super::super::{prf_input, Client};
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
        let blind = <Suite as voprf::Group>::deserialize_scalar(&unhex(BLIND)).unwrap();
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
        let ev = key.blind_evaluate_all(&q, Exec::Parallel, &group::NoProgress).unwrap();
        let server = voprf::OprfServer::<Suite>::new_with_key(&key.to_bytes()[..]).unwrap();
        for i in [0, 1024, 2499] {
            let be = voprf::BlindedElement::<Suite>::deserialize(&q[i * 32..(i + 1) * 32]).unwrap();
            assert_eq!(&ev[i * 32..(i + 1) * 32], &server.blind_evaluate(&be).serialize()[..]);
        }
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
