//! `bundle::cose::Signed::parse`: never panics; whatever it accepts has a
//! 64-byte signature and a kid; verification never panics either.
#![no_main]

use cosect::bundle::cose::Signed;
use cosect::identity::Identity;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn alice() -> &'static Identity {
    static ID: OnceLock<Identity> = OnceLock::new();
    ID.get_or_init(|| Identity::parse(include_str!("../../testdata/vectors/alice.id")).unwrap())
}

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = Signed::parse(data) {
        let _ = s.payload();
        let _ = s.kid();
        let _ = s.verify(&alice().public().ed25519);
    }
});
