//! Mutual PSI by double encryption (Meadows 1986; Huberman, Franklin, Hogg
//! 1999) over ristretto255.
//!
//! ```text
//! A: a random; R1 = shuffle(a·H(x))                              → B
//! B: b random; D_A = b·R1 (same order, ℓ bytes); R2 = shuffle(b·H(y)) → A
//! A: D_B = a·R2 (ℓ bytes); A ∩ B = { x : D_A[x] ∈ D_B };  D_B (B's order) → B
//! B: A ∩ B = { y : D_B[y] ∈ D_A }
//! ```
//!
//! Modes: `mutual` (both learn the intersection), `one-sided` (no round 3),
//! `cardinality` (each side shuffles the double-encrypted values it returns,
//! so both learn only the count).
//!
//! This room owns the mode, the three rounds' messages (`Round1`..`Round3`,
//! plain bytes already taken out of a bundle), the two sides' states
//! (`Initiator`, `Responder`, which are what the store keeps between steps),
//! the truncation ℓ, and matching. Padding comes from `pad`, the group
//! arithmetic from `group`. Pure: no files, no terminal.

use std::fmt;

use curve25519_dalek::scalar::Scalar;
use rand::seq::SliceRandom;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::group::{self, BadPoint, Exec, Progress, POINT_LEN};
use crate::input::{Entries, Kind};
use crate::protocol::pad::{self, PadTooSmall};

/// Domain-separation tag for hashing entries to the group (RFC 9380 §3.1).
pub const DST: &[u8] = b"cosect-v1-psi-ristretto255_XMD:SHA-512_R255MAP_RO_";

/// `H(kind, canonical)`: the kind is part of the hashed message.
pub fn hash_entry(kind: Kind, canon: &[u8]) -> curve25519_dalek::RistrettoPoint {
    group::hash_to_group(&[kind.name().as_bytes(), b"\0", canon], DST)
}

/// Who learns what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Mode {
    #[default]
    Mutual,
    OneSided,
    Cardinality,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Mutual, Mode::OneSided, Mode::Cardinality];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Mutual => "mutual",
            Mode::OneSided => "one-sided",
            Mode::Cardinality => "cardinality",
        }
    }

    /// Whether the initiator sends a round 3.
    pub fn has_round3(self) -> bool {
        self != Mode::OneSided
    }
}

named_values!(Mode, "mode", "mutual, one-sided or cardinality");

/// ℓ: bytes kept of each double-encrypted element, so that a false match
/// among `n_a × n_b` pairs has probability below 2^-40:
/// `ceil((40 + log2 n_a + log2 n_b) / 8)`, at most 32. Computed exactly in
/// integers so both sides always agree.
pub fn trunc_len(n_a: u64, n_b: u64) -> usize {
    let product = (n_a.max(1) as u128) * (n_b.max(1) as u128);
    let ceil_log2 = 128 - (product - 1).leading_zeros() as u64; // 0 for product 1
    (40 + ceil_log2).div_ceil(8).min(POINT_LEN as u64) as usize
}

/// What the peer's message got wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("inconsistent counts: {0}")]
    Counts(String),
    #[error("{which}: element {index} is {}", if *identity { "the identity element" } else { "not a valid ristretto255 point" })]
    BadPoint {
        which: &'static str,
        index: usize,
        identity: bool,
    },
    #[error("{which}: element {index} repeats element {first}")]
    Repeated {
        which: &'static str,
        first: usize,
        index: usize,
    },
    #[error(transparent)]
    PadTooSmall(#[from] PadTooSmall),
}

impl crate::error::Hinted for ProtocolError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            ProtocolError::PadTooSmall(e) => return crate::error::Hinted::hint(e),
            _ => "the bundle is damaged or crafted; ask the sender for it again".into(),
        })
    }
}

fn bad_point(which: &'static str) -> impl Fn(BadPoint) -> ProtocolError {
    move |e| ProtocolError::BadPoint {
        which,
        index: e.index,
        identity: e.identity,
    }
}

/// The result a side learns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Indices into the side's own `Entries`, ascending (input order).
    Matches(Vec<usize>),
    /// Cardinality mode: only the number of shared entries.
    Count(u64),
}

impl Outcome {
    pub fn count(&self) -> u64 {
        match self {
            Outcome::Matches(m) => m.len() as u64,
            Outcome::Count(c) => *c,
        }
    }
}

/// Marks a padding position in a send order.
const PAD: u32 = u32::MAX;

/// A generator for shuffling, seeded once from `rng`: a shuffle draws once
/// per element, and from the OS generator each draw would be a system call
/// (a third of a second of one core per million entries). ChaCha12, as
/// `rand`'s own thread generator.
fn shuffler<R: RngCore + CryptoRng>(rng: &mut R) -> rand::rngs::StdRng {
    use rand::SeedableRng;
    let mut seed = Zeroizing::new(<rand::rngs::StdRng as SeedableRng>::Seed::default());
    rng.fill_bytes(&mut seed[..]);
    rand::rngs::StdRng::from_seed(*seed)
}

/// Shuffled send order over `n` entries plus padding up to `pad_to`:
/// `order[k]` is the entry index sent at position `k`, or `PAD`.
fn send_order<R: RngCore + CryptoRng>(n: usize, pad_to: Option<u64>, rng: &mut R) -> Result<Vec<u32>, ProtocolError> {
    let total = pad::padded_len(n, pad_to)?;
    pad::check_capacity(total).map_err(ProtocolError::Counts)?;
    let mut order: Vec<u32> = (0..n as u32)
        .chain(std::iter::repeat_n(PAD, total as usize - n))
        .collect();
    order.shuffle(&mut shuffler(rng));
    Ok(order)
}

/// `scalar·H(entry)` in send order; padding positions get uniformly random
/// elements from `rng` (`pad::padding`), indistinguishable from real ones.
fn blind_in_order<R: RngCore + CryptoRng>(
    exec: Exec,
    entries: &Entries,
    order: &[u32],
    scalar: &Scalar,
    progress: &dyn Progress,
    rng: &mut R,
) -> Result<Vec<u8>, ProtocolError> {
    // Entries are read in send order, that is at random: each batch's are
    // fetched first, in one loop (their first byte too), so the cache
    // misses of a batch overlap.
    let gather = |ks: std::ops::Range<usize>| -> Vec<Option<(Kind, &[u8])>> {
        ks.map(|k| match order[k] {
            PAD => None,
            i => {
                let (kind, canon) = entries.get(i as usize);
                std::hint::black_box(canon.first().copied());
                Some((kind, canon))
            }
        })
        .collect()
    };
    let hash = |e: &Option<(Kind, &[u8])>| match *e {
        // A placeholder, replaced by a random element below.
        None => curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
        Some((kind, canon)) => hash_entry(kind, canon),
    };
    let mut points = group::hash_and_multiply_gathered(exec, order.len(), gather, hash, scalar, progress);
    let padding = pad::padding(entries.len(), Some(order.len() as u64), rng)?;
    let slots = points.chunks_exact_mut(POINT_LEN).zip(order).filter(|(_, &o)| o == PAD);
    for ((slot, _), p) in slots.zip(padding.chunks_exact(POINT_LEN)) {
        slot.copy_from_slice(p);
    }
    Ok(points)
}

/// Shuffle fixed-width elements.
fn shuffle_elements<R: RngCore + CryptoRng>(bytes: &[u8], width: usize, rng: &mut R) -> Vec<u8> {
    let mut idx: Vec<usize> = (0..bytes.len() / width).collect();
    idx.shuffle(&mut shuffler(rng));
    let mut out = Vec::with_capacity(bytes.len());
    for i in idx {
        out.extend_from_slice(&bytes[i * width..(i + 1) * width]);
    }
    out
}

/// The fixed-width elements of a buffer as a set: a table of 4-byte
/// indices into the buffer (not a copy or a fat pointer per element), keyed
/// by a keyed hash of the element.
struct ElementSet<'a> {
    bytes: &'a [u8],
    width: usize,
    table: hashbrown::HashTable<u32>,
    hasher: std::collections::hash_map::RandomState,
}

impl<'a> ElementSet<'a> {
    fn new(bytes: &'a [u8], width: usize) -> Self {
        match Self::build(bytes, width, false) {
            Ok(set) => set,
            Err(_) => unreachable!("repeats are kept when not refused"),
        }
    }

    /// The set of `bytes`, or the positions `(first, index)` of the first
    /// element that repeats an earlier one when `refuse_repeats`.
    fn build(bytes: &'a [u8], width: usize, refuse_repeats: bool) -> Result<Self, (usize, usize)> {
        use hashbrown::hash_table::Entry;
        use std::hash::BuildHasher;
        let n = bytes.len() / width;
        let mut set = ElementSet {
            bytes,
            width,
            table: hashbrown::HashTable::with_capacity(n),
            hasher: Default::default(),
        };
        let get = |j: u32| &bytes[j as usize * width..(j as usize + 1) * width];
        for i in 0..n as u32 {
            let e = get(i);
            let h = set.hasher.hash_one(e);
            let hasher = &set.hasher;
            let rehash = |&j: &u32| hasher.hash_one(get(j));
            if !refuse_repeats {
                set.table.insert_unique(h, i, rehash);
                continue;
            }
            match set.table.entry(h, |&j| get(j) == e, rehash) {
                Entry::Occupied(o) => return Err((*o.get() as usize, i as usize)),
                Entry::Vacant(v) => {
                    v.insert(i);
                }
            }
        }
        Ok(set)
    }

    fn get(&self, i: u32) -> &'a [u8] {
        &self.bytes[i as usize * self.width..(i as usize + 1) * self.width]
    }

    fn hash(&self, e: &[u8]) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(e)
    }

    fn contains(&self, e: &[u8]) -> bool {
        self.table.find(self.hash(e), |&i| self.get(i) == e).is_some()
    }
}

/// Positions `k` of `mine` (width `w`) found in `theirs`, mapped through
/// `order` to entry indices, ascending.
fn matches(mine: &[u8], theirs: &[u8], w: usize, order: &[u32]) -> Vec<usize> {
    let set = ElementSet::new(theirs, w);
    let mut m: Vec<usize> = mine
        .chunks_exact(w)
        .zip(order)
        .filter(|(e, &o)| o != PAD && set.contains(e))
        .map(|(_, &o)| o as usize)
        .collect();
    m.sort_unstable();
    m
}

/// How many distinct elements of `a` are in `b`: a value sent twice
/// counts once, so repeats cannot encode which entries are shared.
fn count_common(a: &[u8], b: &[u8], w: usize) -> u64 {
    let set = ElementSet::new(b, w);
    let mut found: Vec<&[u8]> = a.chunks_exact(w).filter(|e| set.contains(e)).collect();
    found.sort_unstable();
    found.dedup();
    found.len() as u64
}

/// Refuse a round whose blinded elements are not all distinct: an honest
/// peer's are (its entries are distinct and padding is random), and a
/// repeated element would let the sender read which entries are shared off
/// the result (in cardinality mode, off the count).
pub fn distinct(points: &[u8], which: &'static str) -> Result<(), ProtocolError> {
    ElementSet::build(points, POINT_LEN, true)
        .map(drop)
        .map_err(|(first, index)| ProtocolError::Repeated { which, first, index })
}

/// Round 1, initiator to responder: `a·H(x)`, shuffled, 32 bytes each.
#[derive(Debug)]
pub struct Round1 {
    pub points: Vec<u8>,
}

/// Round 2, responder to initiator.
#[derive(Debug)]
pub struct Round2 {
    /// `b·a·H(x)` in the order of round 1 (shuffled in cardinality mode), ℓ bytes each.
    pub doubled: Vec<u8>,
    /// `b·H(y)`, shuffled, 32 bytes each.
    pub points: Vec<u8>,
    pub trunc: usize,
}

/// Round 3, initiator to responder: `a·b·H(y)` in the order of round 2's
/// points (shuffled in cardinality mode), ℓ bytes each.
#[derive(Debug)]
pub struct Round3 {
    pub doubled: Vec<u8>,
    pub trunc: usize,
}

/// The initiator after sending round 1. Holds the secret exponent.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Initiator {
    #[serde(with = "serde_bytes")]
    scalar: Vec<u8>,
    #[serde(with = "crate::serde_le::u32s")]
    order: Vec<u32>,
    #[zeroize(skip)]
    mode: Mode,
}

impl Initiator {
    /// Draw a fresh exponent and blind the entries for round 1.
    pub fn start<R: RngCore + CryptoRng>(
        entries: &Entries,
        mode: Mode,
        pad_to: Option<u64>,
        exec: Exec,
        progress: &dyn Progress,
        rng: &mut R,
    ) -> Result<(Initiator, Round1), ProtocolError> {
        let order = send_order(entries.len(), pad_to, rng)?;
        let a = group::random_scalar(rng);
        let points = blind_in_order(exec, entries, &order, &a, progress, rng)?;
        let state = Initiator {
            scalar: a.to_bytes().to_vec(),
            order,
            mode,
        };
        Ok((state, Round1 { points }))
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Elements sent in round 1 (entries plus padding).
    pub fn sent(&self) -> u64 {
        self.order.len() as u64
    }

    fn scalar(&self) -> Result<Zeroizing<Scalar>, ProtocolError> {
        let bytes: [u8; 32] = self.scalar[..]
            .try_into()
            .map_err(|_| ProtocolError::Counts("stored exponent is damaged".into()))?;
        Option::from(Scalar::from_canonical_bytes(bytes))
            .map(Zeroizing::new)
            .ok_or_else(|| ProtocolError::Counts("stored exponent is damaged".into()))
    }

    /// Take round 2: learn the result and, unless one-sided, produce round 3.
    /// Round 2 is consumed: its points are freed as soon as they are used.
    pub fn finish<R: RngCore + CryptoRng>(
        self,
        r2: Round2,
        exec: Exec,
        progress: &dyn Progress,
        rng: &mut R,
    ) -> Result<(Outcome, Option<Round3>), ProtocolError> {
        let n_a = self.order.len();
        let w = r2.trunc;
        if w == 0 || w > POINT_LEN || !r2.doubled.len().is_multiple_of(w) || !r2.points.len().is_multiple_of(POINT_LEN)
        {
            return Err(ProtocolError::Counts("element lengths are malformed".into()));
        }
        let n_b = r2.points.len() / POINT_LEN;
        if r2.doubled.len() / w != n_a {
            return Err(ProtocolError::Counts(format!(
                "round 2 answers {} elements but round 1 sent {n_a}",
                r2.doubled.len() / w
            )));
        }
        let want = trunc_len(n_a as u64, n_b as u64);
        if w != want {
            return Err(ProtocolError::Counts(format!(
                "truncation is {w} bytes, expected {want}"
            )));
        }
        let a = self.scalar()?;
        let multiply = || group::decode_and_multiply(exec, &r2.points, &a, w, progress);
        // In parallel the check of round 2 (serial, a hash table) runs on
        // one worker while the other starts the arithmetic; its refusal
        // still comes first, and nothing is released before both are done.
        let d_b = match exec {
            Exec::Serial => {
                distinct(&r2.points, "round 2")?;
                multiply()
            }
            Exec::Parallel => {
                let (repeats, d_b) = rayon::join(|| distinct(&r2.points, "round 2"), multiply);
                repeats?;
                d_b
            }
        };
        let d_b = d_b.map_err(bad_point("points"))?;
        drop(r2.points);
        let outcome = match self.mode {
            Mode::Cardinality => Outcome::Count(count_common(&r2.doubled, &d_b, w)),
            _ => Outcome::Matches(matches(&r2.doubled, &d_b, w, &self.order)),
        };
        let r3 = match self.mode {
            Mode::OneSided => None,
            Mode::Mutual => Some(Round3 { doubled: d_b, trunc: w }),
            Mode::Cardinality => Some(Round3 {
                doubled: shuffle_elements(&d_b, w, rng),
                trunc: w,
            }),
        };
        Ok((outcome, r3))
    }
}

/// The responder after sending round 2 (mutual and cardinality modes). Holds
/// no exponent: only its send order and the initiator's double-encrypted set.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Responder {
    #[serde(with = "crate::serde_le::u32s")]
    order: Vec<u32>,
    #[serde(with = "serde_bytes")]
    peer_doubled: Vec<u8>,
    trunc: u8,
    #[zeroize(skip)]
    mode: Mode,
}

impl Responder {
    /// Answer round 1 with a fresh exponent. Returns round 2 and, for modes
    /// with a round 3, the state that will read it. Round 1 is consumed: its
    /// points are freed once answered, before the own entries are blinded,
    /// so the two sets of points are never held at once.
    pub fn respond<R: RngCore + CryptoRng>(
        r1: Round1,
        entries: &Entries,
        mode: Mode,
        pad_to: Option<u64>,
        exec: Exec,
        progress: &dyn Progress,
        rng: &mut R,
    ) -> Result<(Round2, Option<Responder>), ProtocolError> {
        let first = Responder::answer_round1(r1, exec, progress, &|| false, rng)?;
        let first = first.expect("never stopped");
        first.blind(entries, mode, pad_to, exec, progress, rng)
    }

    /// The first half of [`Responder::respond`], which needs no entries and
    /// can run while they are read: check round 1 and double-encrypt it
    /// with a fresh exponent. ℓ depends on the entries' count, not known
    /// yet: each element is kept at the ℓ of the most elements a round can
    /// carry (`pad::MAX_ELEMENTS`; one or two bytes more) and cut to its
    /// ℓ by [`Answering::blind`]. `None` when `stop()` turned true
    /// meanwhile (it is asked between batches).
    pub fn answer_round1<R: RngCore + CryptoRng>(
        r1: Round1,
        exec: Exec,
        progress: &dyn Progress,
        stop: &(dyn Fn() -> bool + Sync),
        rng: &mut R,
    ) -> Result<Option<Answering>, ProtocolError> {
        if !r1.points.len().is_multiple_of(POINT_LEN) {
            return Err(ProtocolError::Counts("round 1 points are not 32 bytes each".into()));
        }
        distinct(&r1.points, "round 1")?;
        let n_a = r1.points.len() / POINT_LEN;
        let width = trunc_len(n_a as u64, pad::MAX_ELEMENTS);
        let b = group::random_scalar(rng);
        let doubled = group::decode_and_multiply_until(exec, &r1.points, &b, width, progress, stop)
            .map_err(bad_point("points"))?;
        Ok(doubled.map(|doubled| Answering { b, n_a, width, doubled }))
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Elements sent in round 2's `points` (entries plus padding).
    pub fn sent(&self) -> u64 {
        self.order.len() as u64
    }

    pub fn trunc(&self) -> usize {
        self.trunc as usize
    }

    /// Take round 3 and learn the result.
    pub fn finish(self, r3: &Round3) -> Result<Outcome, ProtocolError> {
        let w = self.trunc as usize;
        if r3.trunc != w {
            return Err(ProtocolError::Counts(format!(
                "truncation is {} bytes, expected {w}",
                r3.trunc
            )));
        }
        if r3.doubled.len() != self.order.len() * w {
            return Err(ProtocolError::Counts(format!(
                "round 3 holds {} bytes, expected {} elements of {w} bytes",
                r3.doubled.len(),
                self.order.len()
            )));
        }
        Ok(match self.mode {
            Mode::Cardinality => Outcome::Count(count_common(&r3.doubled, &self.peer_doubled, w)),
            _ => Outcome::Matches(matches(&r3.doubled, &self.peer_doubled, w, &self.order)),
        })
    }
}

/// Round 1 answered, the own entries not yet blinded: the responder's
/// exponent and `b·a·H(x)` at a provisional width (see
/// [`Responder::answer_round1`]).
pub struct Answering {
    b: Zeroizing<Scalar>,
    n_a: usize,
    width: usize,
    doubled: Vec<u8>,
}

impl Answering {
    /// The second half of [`Responder::respond`]: blind `entries` (padded
    /// to `pad_to`) in a shuffled order, and cut round 1's answer to the
    /// width the two counts call for.
    pub fn blind<R: RngCore + CryptoRng>(
        self,
        entries: &Entries,
        mode: Mode,
        pad_to: Option<u64>,
        exec: Exec,
        progress: &dyn Progress,
        rng: &mut R,
    ) -> Result<(Round2, Option<Responder>), ProtocolError> {
        let Answering {
            b,
            n_a,
            width,
            mut doubled,
        } = self;
        let order = send_order(entries.len(), pad_to, rng)?;
        let w = trunc_len(n_a as u64, order.len() as u64);
        debug_assert!(w <= width, "send_order caps the count at pad::MAX_ELEMENTS");
        narrow(&mut doubled, width, w);
        if mode == Mode::Cardinality {
            doubled = shuffle_elements(&doubled, w, rng);
        }
        let points = blind_in_order(exec, entries, &order, &b, progress, rng)?;
        let state = mode.has_round3().then(|| Responder {
            order,
            peer_doubled: doubled.clone(),
            trunc: w as u8,
            mode,
        });
        Ok((
            Round2 {
                doubled,
                points,
                trunc: w,
            },
            state,
        ))
    }
}

/// Cut elements kept at `from` bytes ([`group::kept`]) down to `to` bytes,
/// in place: the bytes `kept` keeps at `to` are the first `to` of those it
/// keeps at `from` (after byte 0 when `from` is the whole encoding).
fn narrow(elements: &mut Vec<u8>, from: usize, to: usize) {
    if from == to {
        return;
    }
    let skip = usize::from(from == POINT_LEN);
    let n = elements.len() / from;
    for i in 0..n {
        let src = i * from + skip;
        elements.copy_within(src..src + to, i * to);
    }
    elements.truncate(n * to);
    elements.shrink_to_fit();
}

/// A protocol state shows its mode only: never its exponent, order or
/// the peer's elements.
macro_rules! debug_mode_only {
    ($($state:ident),*) => {$(
        impl fmt::Debug for $state {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($state)).field("mode", &self.mode).finish_non_exhaustive()
            }
        }
    )*};
}

debug_mode_only!(Initiator, Responder);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::NoProgress;
    use proptest::prelude::*;
    use rand::rngs::OsRng;
    use std::collections::BTreeSet;

    fn entries(items: &[u16]) -> Entries {
        let strs: Vec<String> = items.iter().map(|i| format!("e{i}")).collect();
        Entries::from_canonical(strs.iter().map(|s| (Kind::Raw, s.as_str())))
    }

    fn run(a: &[u16], b: &[u16], mode: Mode, pad: Option<u64>) -> (Outcome, Option<Outcome>, Entries, Entries) {
        let (ea, eb) = (entries(a), entries(b));
        let (init, r1) = Initiator::start(&ea, mode, pad, Exec::Parallel, &NoProgress, &mut OsRng).unwrap();
        let (r2, resp) = Responder::respond(r1, &eb, mode, pad, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
        let (out_a, r3) = init.finish(r2, Exec::Parallel, &NoProgress, &mut OsRng).unwrap();
        let out_b = match (resp, r3) {
            (Some(s), Some(r3)) => Some(s.finish(&r3).unwrap()),
            (None, None) => None,
            _ => panic!("round 3 and responder state must come together"),
        };
        (out_a, out_b, ea, eb)
    }

    fn names(o: &Outcome, e: &Entries) -> BTreeSet<String> {
        match o {
            Outcome::Matches(m) => m.iter().map(|&i| e.original.get(i).to_owned()).collect(),
            Outcome::Count(_) => panic!("expected matches"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn result_is_the_true_intersection(a in proptest::collection::vec(0u16..60, 0..40),
                                           b in proptest::collection::vec(0u16..60, 0..40)) {
            let truth: BTreeSet<String> = a.iter().filter(|x| b.contains(x)).map(|i| format!("e{i}")).collect();
            let (oa, ob, ea, eb) = run(&a, &b, Mode::Mutual, None);
            prop_assert_eq!(names(&oa, &ea), truth.clone());
            prop_assert_eq!(names(&ob.unwrap(), &eb), truth.clone());
            let (oa, ob, _, _) = run(&a, &b, Mode::Cardinality, Some(50));
            prop_assert_eq!(oa, Outcome::Count(truth.len() as u64));
            prop_assert_eq!(ob.unwrap(), Outcome::Count(truth.len() as u64));
            let (oa, ob, ea, _) = run(&a, &b, Mode::OneSided, Some(45));
            prop_assert_eq!(names(&oa, &ea), truth);
            prop_assert!(ob.is_none());
        }
    }

    #[test]
    fn matches_come_in_input_order() {
        let (oa, ob, _, _) = run(&[9, 3, 7, 1], &[1, 7, 9, 100], Mode::Mutual, None);
        assert_eq!(oa, Outcome::Matches(vec![0, 2, 3]));
        assert_eq!(ob, Some(Outcome::Matches(vec![0, 1, 2])));
    }

    #[test]
    fn repeated_elements_are_refused_in_every_mode() {
        let (ea, eb) = (entries(&[1, 2, 3]), entries(&[2, 3, 4]));
        for mode in [Mode::Mutual, Mode::OneSided, Mode::Cardinality] {
            let (init, mut r1) = Initiator::start(&ea, mode, None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
            let again = Round1 {
                points: r1.points.clone(),
            };
            let (r2, _) = Responder::respond(again, &eb, mode, None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
            let copy = r1.points[..32].to_vec();
            r1.points[64..96].copy_from_slice(&copy);
            let e = Responder::respond(r1, &eb, mode, None, Exec::Serial, &NoProgress, &mut OsRng).unwrap_err();
            assert_eq!(e.to_string(), "round 1: element 2 repeats element 0");
            let mut bad = Round2 {
                doubled: r2.doubled.clone(),
                points: r2.points.clone(),
                trunc: r2.trunc,
            };
            bad.points.extend_from_within(32..64);
            let e = init.finish(bad, Exec::Serial, &NoProgress, &mut OsRng).unwrap_err();
            assert_eq!(e.to_string(), "round 2: element 3 repeats element 1");
        }
    }

    #[test]
    fn a_repeated_round2_is_refused_before_its_bad_points_in_parallel() {
        let ea = entries(&[1, 2, 3]);
        let (init, r1) = Initiator::start(&ea, Mode::Mutual, None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
        let (mut r2, _) =
            Responder::respond(r1, &ea, Mode::Mutual, None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
        r2.points.extend_from_within(0..32);
        r2.points[32..64].fill(0xff);
        let e = init.finish(r2, Exec::Parallel, &NoProgress, &mut OsRng).unwrap_err();
        assert_eq!(e.to_string(), "round 2: element 3 repeats element 0");
    }

    #[test]
    fn every_kept_bit_varies() {
        // Byte 0 of an encoding always has its lowest bit 0: ℓ bytes of it
        // would carry 8ℓ−1 bits. Over 64 values every kept bit is seen set.
        let ea = entries(&(0..64).collect::<Vec<_>>());
        let (_, r1) = Initiator::start(&ea, Mode::Mutual, None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
        let (r2, _) = Responder::respond(r1, &ea, Mode::Mutual, None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
        let mut seen = vec![0u8; r2.trunc];
        for e in r2.doubled.chunks_exact(r2.trunc) {
            seen.iter_mut().zip(e).for_each(|(s, b)| *s |= b);
        }
        assert!(seen.iter().all(|&b| b == 0xff), "{seen:02x?}");
    }

    #[test]
    fn narrowing_keeps_what_kept_keeps_at_the_smaller_width() {
        let pts = group::random_points(37, &mut OsRng);
        let s = group::random_scalar(&mut OsRng);
        for (from, to) in [(32, 9), (32, 32), (13, 10), (12, 12), (6, 5)] {
            let mut wide = group::decode_and_multiply(Exec::Serial, &pts, &s, from, &NoProgress).unwrap();
            let want = group::decode_and_multiply(Exec::Serial, &pts, &s, to, &NoProgress).unwrap();
            narrow(&mut wide, from, to);
            assert_eq!(wide, want, "{from} -> {to}");
        }
    }

    #[test]
    fn answering_round1_stops_when_asked() {
        let ea = entries(&[1, 2, 3]);
        let (_, r1) = Initiator::start(&ea, Mode::Mutual, None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
        let got = Responder::answer_round1(r1, Exec::Parallel, &NoProgress, &|| true, &mut OsRng).unwrap();
        assert!(got.is_none());
    }

    #[test]
    fn a_count_counts_distinct_values() {
        // Four values in a, one of them three times; b holds two of them.
        let a = [[1u8; 5], [2; 5], [2; 5], [2; 5], [3; 5]].concat();
        let b = [[2u8; 5], [3; 5], [9; 5]].concat();
        assert_eq!(count_common(&a, &b, 5), 2);
    }

    #[test]
    fn kinds_separate_equal_bytes() {
        assert_ne!(hash_entry(Kind::Raw, b"1.2.3.4"), hash_entry(Kind::Ip, b"1.2.3.4"));
    }

    #[test]
    fn trunc_len_follows_the_formula() {
        assert_eq!(trunc_len(1, 1), 5);
        assert_eq!(trunc_len(0, 0), 5);
        assert_eq!(trunc_len(2, 1), 6); // 41 bits
        assert_eq!(trunc_len(256, 1), 6); // 48 bits
        assert_eq!(trunc_len(257, 1), 7);
        assert_eq!(trunc_len(1 << 20, 1 << 20), 10); // 80 bits
        assert_eq!(trunc_len(u32::MAX as u64, u32::MAX as u64), 13); // 104 bits
    }

    #[test]
    fn padding_below_the_set_size_is_refused() {
        let e = entries(&[1, 2, 3]);
        let r = Initiator::start(&e, Mode::Mutual, Some(2), Exec::Serial, &NoProgress, &mut OsRng);
        assert_eq!(
            r.unwrap_err(),
            ProtocolError::PadTooSmall(PadTooSmall { pad: 2, have: 3 })
        );
    }

    #[test]
    fn forged_round2_is_refused() {
        let ea = entries(&[1, 2]);
        let (init, r1) = Initiator::start(&ea, Mode::Mutual, None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
        let (mut r2, _) =
            Responder::respond(r1, &ea, Mode::Mutual, None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
        r2.points[32..64].fill(0);
        let e = init.finish(r2, Exec::Serial, &NoProgress, &mut OsRng).unwrap_err();
        assert_eq!(
            e,
            ProtocolError::BadPoint {
                which: "points",
                index: 1,
                identity: true
            }
        );
    }
}
