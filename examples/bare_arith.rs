//! The bare curve arithmetic of one mutual PSI exchange with `n` entries per
//! side, in memory, on rayon's pool: 2n hash-to-group, 4n variable-base
//! scalar multiplications, 2n decodings and 4n encodings (batched, as the
//! protocol does). Written against curve25519-dalek directly, not through
//! cosect's own code, so it is the floor that cosect's end-to-end time is
//! compared with.
//!
//!     cargo run --release --example bare_arith -- 1048576
//!     cargo run --release --example bare_arith -- catalog 1048576 10000
//!
//! Prints one line: `n=<n> threads=<t> seconds=<s>`. With `catalog N Q`:
//! the arithmetic of publishing N entries (N hash, mult, encode) and of one
//! query of Q entries (client blinds: Q hash, mult, encode; server
//! evaluates: Q decode, mult, encode; client unblinds: Q decode, mult,
//! encode): `publish_seconds=<s> query_seconds=<s>`.

use std::time::Instant;

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use elliptic_curve::hash2curve::{ExpandMsg, ExpandMsgXmd, Expander};
use rand::rngs::OsRng;
use rand::RngCore;
use rayon::prelude::*;
use sha2::Sha512;

const DST: &[u8] = b"bare-arith-ristretto255_XMD:SHA-512_R255MAP_RO_";
const BATCH: usize = 1024;

/// A random scalar (as dalek's `Scalar::random`, with rand 0.8's OsRng).
fn random_scalar() -> Scalar {
    let mut wide = [0u8; 64];
    OsRng.fill_bytes(&mut wide);
    Scalar::from_bytes_mod_order_wide(&wide)
}

fn hash(i: usize, side: u8) -> RistrettoPoint {
    let msg = format!("{side}:entry-{i}");
    let mut u = [0u8; 64];
    ExpandMsgXmd::<Sha512>::expand_message(&[msg.as_bytes()], &[DST], 64)
        .unwrap()
        .fill_bytes(&mut u);
    RistrettoPoint::from_uniform_bytes(&u)
}

/// Hash `n` entries and multiply by `k`, encoding in batches (k is half the
/// exponent: double_and_compress_batch doubles).
fn hash_mul(n: usize, side: u8, k: &Scalar) -> Vec<[u8; 32]> {
    (0..n)
        .collect::<Vec<_>>()
        .par_chunks(BATCH)
        .flat_map_iter(|c| {
            let pts: Vec<RistrettoPoint> = c.iter().map(|&i| hash(i, side) * k).collect();
            RistrettoPoint::double_and_compress_batch(&pts)
                .into_iter()
                .map(|c| c.to_bytes())
        })
        .collect()
}

/// Decode, multiply by `k`, encode in batches.
fn decode_mul(v: &[[u8; 32]], k: &Scalar) -> Vec<[u8; 32]> {
    v.par_chunks(BATCH)
        .flat_map_iter(|c| {
            let pts: Vec<RistrettoPoint> = c
                .iter()
                .map(|b| CompressedRistretto(*b).decompress().unwrap() * k)
                .collect();
            RistrettoPoint::double_and_compress_batch(&pts)
                .into_iter()
                .map(|c| c.to_bytes())
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let half = Scalar::from(2u8).invert();
    if args.get(1).map(String::as_str) == Some("catalog") {
        let arg = |i: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(10_000usize);
        let (n, q) = (arg(2), arg(3));
        let k = random_scalar() * half;
        let t = Instant::now();
        let cat = hash_mul(n, 0, &k);
        let publish = t.elapsed().as_secs_f64();
        let r = random_scalar() * half;
        let t = Instant::now();
        let blinded = hash_mul(q, 1, &r);
        let evaluated = decode_mul(&blinded, &k);
        let unblinded = decode_mul(&evaluated, &(r.invert() * half * half));
        let query = t.elapsed().as_secs_f64();
        let check = cat.iter().chain(&unblinded).fold(0u8, |x, p| x ^ p[0]);
        println!("publish_seconds={publish:.3} query_seconds={query:.3} check={check}");
        return;
    }
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1 << 14);
    let a = random_scalar() * half;
    let b = random_scalar() * half;
    let t = Instant::now();
    let r1 = hash_mul(n, 0, &a); // A: n hash, n mult, n encode
    let d_a = decode_mul(&r1, &b); // B: n decode, n mult, n encode
    let r2 = hash_mul(n, 1, &b); // B: n hash, n mult, n encode
    let d_b = decode_mul(&r2, &a); // A: n decode, n mult, n encode
    let secs = t.elapsed().as_secs_f64();
    // Use the results so nothing is optimized away.
    let check = d_a.iter().chain(&d_b).fold(0u8, |x, p| x ^ p[0]);
    println!(
        "n={n} threads={} seconds={secs:.3} check={check}",
        rayon::current_num_threads()
    );
}
