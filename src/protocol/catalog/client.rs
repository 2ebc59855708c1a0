//! The client's query: blind my entries (`Client::start`), keep the blinds
//! and the elements sent while the publisher answers, then verify the
//! answer's proofs against the catalog's public key, unblind it and look the
//! outputs up in the catalog (`Client::finish`), reading the labels of
//! those found.
//! Also the catalog as a client reads it from a bundle (`CatalogView`) and
//! its checks.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand::rngs::StdRng;
use rand::{CryptoRng, RngCore, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::dleq;
use super::key::{decode_all, finalize_hash, key_id_of, seed};
use super::labels::{self, record_len};
use super::{
    check_inputs, prf_input, proofs_len, CatalogError, Suite, KEY_ID_LEN, MAX_LABEL, MAX_TRUNC, MIN_TRUNC, OUTPUT_LEN,
    PROOF_CHUNK, PROOF_LEN, PUBLIC_LEN,
};
use crate::group::{self, Exec, Progress, POINT_LEN};
use crate::input::Entries;
use crate::protocol::pad;

/// A catalog as a client reads it from a bundle.
#[derive(Clone, Copy)]
pub struct CatalogView<'a> {
    pub key_id: &'a [u8],
    /// The publisher's public key `pkS`; `key_id` names it.
    pub public_key: &'a [u8],
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
        if self.public_key.len() != PUBLIC_LEN || group::decode_point(self.public_key).is_err() {
            return bad("the public key is not a valid ristretto255 element");
        }
        if key_id_of(self.public_key)[..] != self.key_id[..] {
            return bad("the key id does not name the public key");
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
        if !self.labels.len().is_multiple_of(record_len(self.label_len)) {
            return bad("the label records are not a whole number of records");
        }
        if !labels::sorted(self.labels, self.label_len) {
            return bad("the label records are not sorted by tag");
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.outputs.len() / self.trunc
    }

    pub fn is_empty(&self) -> bool {
        self.outputs.is_empty()
    }

    /// The label of an entry found in the catalog, from its full output:
    /// `Ok(None)` when the catalog has no record for it, `Err(())` when its
    /// record does not open.
    fn label(&self, output: &[u8]) -> Result<Option<String>, ()> {
        if self.labels.is_empty() {
            return Ok(None);
        }
        let tag = labels::tag(output, self.key_id);
        match labels::find(self.labels, self.label_len, &tag) {
            Some(rec) => labels::open(output, self.key_id, rec).map(Some).ok_or(()),
            None => Ok(None),
        }
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
    /// The blinds (RFC 9497 scalars), 32 bytes per real entry.
    #[serde(with = "serde_bytes")]
    blinds: Vec<u8>,
    /// Every element sent, padding included: the proofs cover them all.
    #[serde(with = "serde_bytes")]
    elements: Vec<u8>,
    /// Elements sent, padding included.
    sent: u64,
}

/// Entries blinded with one CSPRNG (seeded from the caller's), so batches
/// can run in parallel.
const BLIND_BATCH: usize = 1024;
/// Entries unblinded with one shared scalar inversion and one shared
/// encoding inversion.
const UNBLIND_BATCH: usize = 1024;

/// Input `i` of concatenated `inputs` that end at `ends`.
fn input_at<'a>(inputs: &'a [u8], ends: &[u32], i: usize) -> &'a [u8] {
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &inputs[start..ends[i] as usize]
}

/// The PRF inputs of every entry, concatenated, and where each ends.
fn prf_inputs(entries: &Entries) -> Result<(Vec<u8>, Vec<u32>), CatalogError> {
    let mut inputs = Vec::new();
    let mut ends = Vec::with_capacity(entries.len());
    for i in 0..entries.len() {
        let (kind, canon) = entries.get(i);
        inputs.extend_from_slice(&prf_input(kind, canon));
        if inputs.len() > u32::MAX as usize {
            return Err(CatalogError::Counts("the list is larger than 4 GiB".into()));
        }
        ends.push(inputs.len() as u32);
    }
    Ok((inputs, ends))
}

/// RFC 9497 `Blind` of every input with fresh blinds: the serialized
/// client states (32 bytes each) and the blinded elements, in input order.
fn blind_all<R: RngCore + CryptoRng>(
    inputs: &[u8],
    ends: &[u32],
    exec: Exec,
    progress: &dyn Progress,
    rng: &mut R,
) -> Result<(Vec<u8>, Vec<u8>), CatalogError> {
    let n = ends.len();
    let seeds: Vec<Zeroizing<[u8; 32]>> = (0..n.div_ceil(BLIND_BATCH)).map(|_| seed(rng)).collect();
    let mut blinds = vec![0u8; n * 32];
    let mut points = vec![0u8; n * POINT_LEN];
    let run = |(b, (bl, pt)): (usize, (&mut [u8], &mut [u8]))| -> Result<(), CatalogError> {
        let mut r = StdRng::from_seed(*seeds[b]);
        for k in 0..bl.len() / 32 {
            let i = b * BLIND_BATCH + k;
            let res = voprf::VoprfClient::<Suite>::blind(input_at(inputs, ends, i), &mut r)
                .map_err(|_| CatalogError::InputTooLong { index: i })?;
            bl[k * 32..(k + 1) * 32].copy_from_slice(&res.state.serialize()[..32]);
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
    Ok((blinds, points))
}

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
        let sent = pad::padded_len(entries.len(), pad_to)?;
        pad::check_capacity(sent).map_err(CatalogError::Counts)?;
        let (inputs, ends) = prf_inputs(entries)?;
        let (blinds, mut points) = blind_all(&inputs, &ends, exec, progress, rng)?;
        points.extend_from_slice(&pad::padding(entries.len(), pad_to, rng)?);
        let client = Client {
            inputs,
            ends,
            blinds,
            elements: points.clone(),
            sent,
        };
        Ok((client, points))
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

    /// The outputs of every real entry, after checking that the answer has
    /// one valid element per element sent (padding included) and that every
    /// proof verifies against the catalog's public key `pk`.
    ///
    /// RFC 9497 `Finalize` with `VerifyProof` (`dleq::verify`): every answered
    /// element is decoded first (the first invalid one is refused by index),
    /// then each chunk's proof is checked (the first failing chunk, in order,
    /// is reported), then the real entries are unblinded, `Dᵢ / blindᵢ`, in
    /// batches sharing one scalar inversion and one encoding inversion.
    fn finalize_all(
        &self,
        answer: &[u8],
        proofs: &[u8],
        pk: &[u8],
        exec: Exec,
    ) -> Result<Vec<Zeroizing<[u8; OUTPUT_LEN]>>, CatalogError> {
        if answer.len() as u64 != self.sent * POINT_LEN as u64 || self.elements.len() != answer.len() {
            return Err(CatalogError::Counts(format!(
                "the answer holds {} elements, the query sent {}",
                answer.len() / POINT_LEN,
                self.sent
            )));
        }
        if proofs.len() as u64 != proofs_len(self.sent) {
            return Err(CatalogError::Counts(format!(
                "the answer holds {} bytes of proofs, {} elements need {}",
                proofs.len(),
                self.sent,
                proofs_len(self.sent)
            )));
        }
        let n = answer.len() / POINT_LEN;
        let evaluated = decode_all(answer, "answer", exec)?;
        let damaged = || CatalogError::Counts("the stored query state is damaged".into());
        let sent = decode_all(&self.elements, "query", exec).map_err(|_| damaged())?;
        let blinds = self.blinds(exec).ok_or_else(damaged)?;
        let n_chunks = proofs.len() / PROOF_LEN;
        let bounds = |c: usize| (c * PROOF_CHUNK, ((c + 1) * PROOF_CHUNK).min(n));
        // `CatalogView::check` has checked the key; refused here all the same.
        let (pk, pk_point) = match <[u8; PUBLIC_LEN]>::try_from(pk) {
            Ok(b) => (b, group::decode_point(&b).ok()),
            Err(_) => ([0u8; PUBLIC_LEN], None),
        };
        let Some(pk_point) = pk_point else {
            let (first, last) = bounds(0);
            return Err(CatalogError::Proof { first, last });
        };
        let weigh = dleq::Weights::new(&pk);
        let chunk = |c: usize| -> Result<(), CatalogError> {
            let (first, last) = bounds(c);
            let span = first * POINT_LEN..last * POINT_LEN;
            let weights = weigh.all(&self.elements[span.clone()], &answer[span], exec);
            let proof = &proofs[c * PROOF_LEN..(c + 1) * PROOF_LEN];
            let (cs, ds) = (&sent[first..last], &evaluated[first..last]);
            match dleq::verify(&pk_point, &pk, &weights, cs, ds, proof, exec) {
                true => Ok(()),
                false => Err(CatalogError::Proof { first, last }),
            }
        };
        // Every chunk is checked; the first failing one (in order, however
        // the threads ran) is the one reported.
        let results: Vec<_> = match exec {
            Exec::Serial => (0..n_chunks).map(chunk).collect(),
            Exec::Parallel => (0..n_chunks).into_par_iter().map(chunk).collect(),
        };
        results.into_iter().collect::<Result<Vec<()>, _>>()?;
        self.unblind(&evaluated[..self.len()], &blinds, exec)
    }

    /// The blinds of the real entries: canonical, non-zero scalars (`None`
    /// if the stored state holds another).
    fn blinds(&self, exec: Exec) -> Option<Zeroizing<Vec<Scalar>>> {
        let read = |b: &[u8]| -> Option<Scalar> {
            let s: Option<Scalar> = Scalar::from_canonical_bytes(b.try_into().ok()?).into();
            s.filter(|s| *s != Scalar::ZERO)
        };
        if self.blinds.len() != self.len() * 32 {
            return None;
        }
        let blinds: Option<Vec<Scalar>> = match exec {
            Exec::Serial => self.blinds.chunks_exact(32).map(read).collect(),
            Exec::Parallel => self.blinds.par_chunks_exact(32).map(read).collect(),
        };
        blinds.map(Zeroizing::new)
    }

    /// RFC 9497 `Finalize` of the real entries, their proofs checked:
    /// `Hash(input, SerializeElement(blind⁻¹ · Dᵢ), "Finalize")`. Each batch
    /// inverts its blinds together and multiplies by `blind⁻¹ / 2`, doubled
    /// by the batch encoder (constant time: the blinds are secret).
    fn unblind(
        &self,
        evaluated: &[RistrettoPoint],
        blinds: &[Scalar],
        exec: Exec,
    ) -> Result<Vec<Zeroizing<[u8; OUTPUT_LEN]>>, CatalogError> {
        let half = Scalar::from(2u8).invert();
        let run = |(b, (ds, bl)): (usize, (&[RistrettoPoint], &[Scalar]))| {
            let mut inv = Zeroizing::new(bl.to_vec());
            Scalar::invert_batch_alloc(&mut inv);
            let points: Vec<RistrettoPoint> = ds.iter().zip(inv.iter()).map(|(d, i)| d * (i * half)).collect();
            let encoded = RistrettoPoint::double_and_compress_batch(&points);
            (encoded.iter().enumerate())
                .map(|(j, e)| {
                    let index = b * UNBLIND_BATCH + j;
                    let input = input_at(&self.inputs, &self.ends, index);
                    if input.len() > u16::MAX as usize {
                        return Err(CatalogError::InputTooLong { index });
                    }
                    Ok(Zeroizing::new(finalize_hash(&[input], e.as_bytes())))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let batches = evaluated.chunks(UNBLIND_BATCH).zip(blinds.chunks(UNBLIND_BATCH));
        let parts: Vec<_> = match exec {
            Exec::Serial => batches.enumerate().map(run).collect(),
            Exec::Parallel => batches
                .collect::<Vec<_>>()
                .into_par_iter()
                .enumerate()
                .map(run)
                .collect(),
        };
        let parts: Vec<_> = parts.into_iter().collect::<Result<_, _>>()?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// RFC 9497 `Finalize` of every answered element, its proofs verified
    /// first, then look each output up in the catalog and decrypt the labels
    /// of those found.
    /// Consumes the state: a query is finished once.
    pub fn finish(
        self,
        answer: &[u8],
        proofs: &[u8],
        catalog: &CatalogView<'_>,
        exec: Exec,
    ) -> Result<Lookup, CatalogError> {
        catalog.check()?;
        let outputs = self.finalize_all(answer, proofs, catalog.public_key, exec)?;
        let mut lookup = Lookup {
            found: Vec::new(),
            bad_labels: 0,
        };
        for index in in_catalog(&outputs, catalog) {
            let label = catalog.label(&outputs[index][..]).unwrap_or_else(|()| {
                lookup.bad_labels += 1;
                None
            });
            lookup.found.push(Found { index, label });
        }
        Ok(lookup)
    }
}

/// Indices of the outputs whose truncation is in the catalog, ascending.
fn in_catalog(outputs: &[Zeroizing<[u8; OUTPUT_LEN]>], catalog: &CatalogView<'_>) -> Vec<usize> {
    let t = catalog.trunc;
    let mut mine: std::collections::HashMap<&[u8], Vec<usize>> =
        std::collections::HashMap::with_capacity(outputs.len());
    for (i, o) in outputs.iter().enumerate() {
        mine.entry(&o[..t]).or_default().push(i);
    }
    let mut hit = vec![false; outputs.len()];
    for c in catalog.outputs.chunks_exact(t) {
        for &i in mine.get(c).into_iter().flatten() {
            hit[i] = true;
        }
    }
    (0..outputs.len()).filter(|&i| hit[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::entries;
    use super::super::{publish, trunc_len, Catalog, CatalogKey};
    use super::*;
    use crate::input::Kind;
    use rand::rngs::OsRng;

    /// Query `cat` (published with `key`) for `mine`; `answerer` answers.
    fn run_with(
        key: &CatalogKey,
        answerer: &CatalogKey,
        cat: &Catalog,
        mine: &Entries,
        pad: Option<u64>,
    ) -> Result<Lookup, CatalogError> {
        let (client, q) = Client::start(mine, pad, Exec::Parallel, &group::NoProgress, &mut OsRng)?;
        assert_eq!(q.len() as u64, client.sent() * 32);
        let (a, proofs) = answerer.blind_evaluate_all(&q, Exec::Parallel, &group::NoProgress, &mut OsRng)?;
        let (id, pk) = (key.key_id(), key.public());
        let view = view_of(cat, &id, &pk);
        client.finish(&a, &proofs, &view, Exec::Parallel)
    }

    /// A published catalog as a client reads it, under the key `id`/`pk`.
    fn view_of<'a>(cat: &'a Catalog, id: &'a [u8; 32], pk: &'a [u8; 32]) -> CatalogView<'a> {
        CatalogView {
            key_id: id,
            public_key: pk,
            trunc: cat.trunc,
            outputs: &cat.outputs,
            label_len: cat.label_len,
            labels: &cat.labels,
        }
    }

    fn run(key: &CatalogKey, cat: &Catalog, mine: &Entries, pad: Option<u64>) -> Result<Lookup, CatalogError> {
        run_with(key, key, cat, mine, pad)
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
        // Answered with another key than the catalog's: the proof fails.
        let other = CatalogKey::generate(&mut OsRng);
        assert_eq!(
            run_with(&key, &other, &cat, &mine, Some(9)).unwrap_err(),
            CatalogError::Proof { first: 0, last: 5 }
        );
        // Padded to 12: three proofs, all checked.
        assert_eq!(run(&key, &cat, &mine, Some(12)).unwrap().found.len(), 4);
        // Kind is bound: the same bytes as another kind do not match.
        let dom = Entries::from_canonical([(Kind::Domain, "a.example")]);
        assert!(run(&key, &cat, &dom, None).unwrap().found.is_empty());
    }

    #[test]
    fn bad_answers_are_refused() {
        let key = CatalogKey::generate(&mut OsRng);
        let e = entries(&["a", "b"]);
        let cat = publish(&key, &e, None, Exec::Serial, &group::NoProgress, &mut OsRng).unwrap();
        let (id, pk) = (key.key_id(), key.public());
        let view = view_of(&cat, &id, &pk);
        let (c, q) = Client::start(&e, None, Exec::Serial, &group::NoProgress, &mut OsRng).unwrap();
        let (mut a, proofs) = key
            .blind_evaluate_all(&q, Exec::Serial, &group::NoProgress, &mut OsRng)
            .unwrap();
        // One element swapped for a valid other point: the proof fails.
        let (c2, _) = Client::start(&e, None, Exec::Serial, &group::NoProgress, &mut OsRng).unwrap();
        let mut forged = a.clone();
        forged[32..].copy_from_slice(&q[..32]);
        assert_eq!(
            c2.finish(&forged, &proofs, &view, Exec::Serial).unwrap_err(),
            CatalogError::Proof { first: 0, last: 2 }
        );
        a[32..].fill(0);
        assert_eq!(
            c.finish(&a, &proofs, &view, Exec::Serial).unwrap_err(),
            CatalogError::BadPoint {
                of: "answer",
                index: 1,
                identity: true
            }
        );
        let (c, _) = Client::start(&e, None, Exec::Serial, &group::NoProgress, &mut OsRng).unwrap();
        assert!(matches!(
            c.finish(&a[..32], &proofs, &view, Exec::Serial),
            Err(CatalogError::Counts(_))
        ));
        assert!(matches!(
            key.blind_evaluate_all(&[0u8; 32], Exec::Serial, &group::NoProgress, &mut OsRng),
            Err(CatalogError::BadPoint {
                of: "query",
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
        let other = CatalogKey::generate(&mut OsRng).public();
        let v = CatalogView {
            public_key: &other,
            ..view
        };
        assert!(matches!(v.check(), Err(CatalogError::Catalog(_))));
    }

    /// RFC 9497 Appendix A.1.2: `Finalize` with `VerifyProof` through our
    /// path gives the RFC's outputs from its blinds, elements and proofs
    /// (the batch of two included), serially and in parallel; a wrong key,
    /// a forged element or a damaged blind is refused.
    #[test]
    fn rfc9497_vectors_finalize_through_our_verifier() {
        use super::super::key::tests::{rfc_key, unhex, VECTORS};
        let pk = rfc_key().public();
        let client = |v: &super::super::key::tests::Vector| {
            let mut inputs = Vec::new();
            let mut ends = Vec::new();
            for i in v.inputs {
                inputs.extend_from_slice(&unhex(i));
                ends.push(inputs.len() as u32);
            }
            Client {
                inputs,
                ends,
                blinds: unhex(&v.blinds.concat()),
                elements: unhex(&v.blinded.concat()),
                sent: v.inputs.len() as u64,
            }
        };
        for v in &VECTORS {
            let c = client(v);
            let (answer, proof) = (unhex(&v.evaluations.concat()), unhex(v.proof));
            for exec in [Exec::Serial, Exec::Parallel] {
                let outs = c.finalize_all(&answer, &proof, &pk, exec).unwrap();
                let outs: Vec<Vec<u8>> = outs.iter().map(|o| o.to_vec()).collect();
                let want: Vec<Vec<u8>> = v.outputs.iter().map(|o| unhex(o)).collect();
                assert_eq!(outs, want);
            }
            let last = v.inputs.len();
            let other = CatalogKey::generate(&mut OsRng).public();
            assert_eq!(
                c.finalize_all(&answer, &proof, &other, Exec::Serial).unwrap_err(),
                CatalogError::Proof { first: 0, last }
            );
            let mut forged = answer.clone();
            forged[..32].copy_from_slice(&c.elements[..32]);
            assert_eq!(
                c.finalize_all(&forged, &proof, &pk, Exec::Serial).unwrap_err(),
                CatalogError::Proof { first: 0, last }
            );
            let mut damaged = client(v);
            damaged.blinds[..32].fill(0);
            assert!(matches!(
                damaged.finalize_all(&answer, &proof, &pk, Exec::Serial),
                Err(CatalogError::Counts(_))
            ));
        }
    }

    #[test]
    fn padding_is_checked_before_any_work() {
        let e = entries(&["a", "b"]);
        let r = Client::start(&e, Some(1), Exec::Serial, &group::NoProgress, &mut OsRng);
        let want = crate::protocol::PadTooSmall { pad: 1, have: 2 };
        assert_eq!(r.err(), Some(CatalogError::PadTooSmall(want)));
        let r = Client::start(&e, Some(u32::MAX as u64), Exec::Serial, &group::NoProgress, &mut OsRng);
        assert!(matches!(r, Err(CatalogError::Counts(_))));
    }
}
