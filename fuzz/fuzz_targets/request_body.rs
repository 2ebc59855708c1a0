//! A request body as `cosect serve` reads it, as Bob (test identity) from
//! his peer Alice: `carrier::unwrap_body` (bundle, armor or part, never a
//! mail) and the engine's `Reader::read_body` with `Expect::FromPeer`.
//! Nothing may panic, and bytes that look like a saved mail are never
//! unwrapped from it: they are refused as a mail, or (starting like a
//! bundle or a part) taken as they are.
#![no_main]

use cosect::bundle::{carrier, mail, BundleError};
use cosect::engine::{Expect, NoState, Reader};
use cosect::identity::Identity;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn ids() -> &'static (Identity, Identity) {
    static IDS: OnceLock<(Identity, Identity)> = OnceLock::new();
    IDS.get_or_init(|| {
        (
            Identity::parse(include_str!("../../testdata/vectors/bob.id")).unwrap(),
            Identity::parse(include_str!("../../testdata/vectors/alice.id")).unwrap(),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    if mail::looks_like_mail(data) {
        match carrier::unwrap_body(data.to_vec()) {
            Err(BundleError::MailBody | BundleError::Part(..)) => {}
            Ok((_, bytes)) => assert_eq!(bytes, data, "a mail was unwrapped"),
            Err(e) => panic!("a mail refused otherwise: {e}"),
        }
    }
    let (bob, alice) = ids();
    let reader = Reader {
        me: bob,
        now: 1_800_000_000,
        store: &NoState,
    };
    let _ = reader.read_body("the bundle", data.to_vec(), Expect::FromPeer { peer: &alice.public() });
});
