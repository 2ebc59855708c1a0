//! Micro-benchmarks of the primitives the protocols are made of, serial and
//! parallel behind the same interface:
//!
//!     cargo bench --bench primitives
//!
//! The end-to-end benchmark through the binary is `benches/e2e.py`.

use cosect::bundle::{cose, Payload};
use cosect::group::{self, Exec, NoProgress};
use cosect::identity::Identity;
use cosect::input::{Entries, Kind};
use cosect::protocol::catalog::CatalogKey;
use cosect::protocol::mutual::hash_entry;
use divan::{black_box, Bencher};
use rand::rngs::OsRng;

fn main() {
    divan::main();
}

const N: usize = 4096;

fn entries(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("host-{i}.example.com")).collect()
}

#[divan::bench]
fn hash_to_group_one(b: Bencher) {
    b.bench(|| hash_entry(Kind::Domain, black_box(b"host-1.example.com")));
}

#[divan::bench(args = [Exec::Serial, Exec::Parallel])]
fn hash_and_multiply_4096(b: Bencher, exec: Exec) {
    let e = entries(N);
    let s = group::random_scalar(&mut OsRng);
    b.counter(divan::counter::ItemsCount::new(N))
        .bench(|| group::hash_and_multiply(exec, N, |i| hash_entry(Kind::Domain, e[i].as_bytes()), &s, &NoProgress));
}

#[divan::bench(args = [Exec::Serial, Exec::Parallel])]
fn decode_and_multiply_4096(b: Bencher, exec: Exec) {
    let points = group::random_points(N, &mut OsRng);
    let s = group::random_scalar(&mut OsRng);
    b.counter(divan::counter::ItemsCount::new(N))
        .bench(|| group::decode_and_multiply(exec, &points, &s, 10, &NoProgress).unwrap());
}

/// The check that a round's elements are all distinct (issue 10, item 5),
/// on the same 4096 points as `decode_and_multiply_4096`: what it adds to
/// reading a round, per element, against one decoding and multiplication.
#[divan::bench]
fn distinct_4096(b: Bencher) {
    let points = group::random_points(N, &mut OsRng);
    b.counter(divan::counter::ItemsCount::new(N))
        .bench(|| cosect::protocol::mutual::distinct(black_box(&points), "round 1").unwrap());
}

fn payload(n: usize) -> Payload {
    let id = Identity::generate("bench").unwrap();
    Payload {
        kind: "domain".into(),
        mode: "mutual".into(),
        created: 1,
        expires: 2,
        n_points: n as u64,
        points: group::random_points(n, &mut OsRng).into(),
        ..Payload::addressed("psi", 1, &[0; 16], &id.public(), &[0; 32])
    }
}

/// A 65,536-element payload (2 MiB), CBOR in and out.
#[divan::bench]
fn payload_encode_65536(b: Bencher) {
    let p = payload(1 << 16);
    b.bench(|| p.encode());
}

#[divan::bench]
fn payload_decode_65536(b: Bencher) {
    let bytes = payload(1 << 16).encode();
    b.bench(|| Payload::decode(black_box(&bytes)).unwrap());
}

/// COSE_Sign1 signing and verification of the same 2 MiB payload.
#[divan::bench]
fn cose_sign_2mib(b: Bencher) {
    let id = Identity::generate("bench").unwrap();
    let bytes = payload(1 << 16).encode();
    b.bench(|| cose::sign(bytes.clone(), id.signing_key(), &[0; 32]));
}

#[divan::bench]
fn cose_verify_2mib(b: Bencher) {
    let id = Identity::generate("bench").unwrap();
    let signed = cose::sign(payload(1 << 16).encode(), id.signing_key(), &[0; 32]).to_vec();
    let key = id.public().ed25519;
    b.bench(|| assert!(cose::Signed::parse(black_box(&signed)).unwrap().verify(&key)));
}

/// The catalog publisher's two bulk steps on 4096 elements, per element:
/// publishing (`Evaluate` of each entry) against answering a query
/// (`BlindEvaluate` with its DLEQ proof, issue 20 item 7).
#[divan::bench(args = [Exec::Serial, Exec::Parallel])]
fn catalog_publish_4096(b: Bencher, exec: Exec) {
    let key = CatalogKey::generate(&mut OsRng);
    let e = entries(N);
    let list = Entries::from_canonical(e.iter().map(|s| (Kind::Domain, s.as_str())));
    b.counter(divan::counter::ItemsCount::new(N))
        .bench(|| key.evaluate_all(&list, exec, &NoProgress).unwrap());
}

#[divan::bench(args = [Exec::Serial, Exec::Parallel])]
fn catalog_answer_4096(b: Bencher, exec: Exec) {
    let key = CatalogKey::generate(&mut OsRng);
    let query = group::random_points(N, &mut OsRng);
    b.counter(divan::counter::ItemsCount::new(N))
        .bench(|| key.blind_evaluate_all(&query, exec, &NoProgress, &mut OsRng).unwrap());
}
