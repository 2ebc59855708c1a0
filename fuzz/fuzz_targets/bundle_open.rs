//! The whole reader path of a bundle file as Bob (test identity): envelope
//! detection, age binary and armored decryption, COSE, payload, sender line,
//! the message typed from the payload alone (`inspect`),
//! then the engine's pipeline for every expectation (a request from Alice,
//! an answer, a catalog by Alice), and the protocol step for small round-1
//! bundles. The first byte picks one of these readers. Nothing may panic.
#![no_main]

use cosect::bundle::Opened;
use cosect::engine::{Expect, Message, NoState, Reader};
use cosect::group::{Exec, NoProgress};
use cosect::identity::Identity;
use cosect::input::{Entries, Kind};
use cosect::protocol::{Mode, Responder};
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
    // The first byte picks the reader, so that one execution opens once.
    let Some((&sel, data)) = data.split_first() else { return };
    let (bob, alice) = ids();
    let alice = alice.public();
    let reader = Reader { me: bob, now: 1_800_000_000, store: &NoState };
    match sel % 5 {
        0 => {
            let _ = Opened::open(data.to_vec(), None);
        }
        1 => {
            if let Ok(mut b) = Opened::open(data.to_vec(), Some(bob)) {
                let _ = b.self_signature_valid();
                // What `inspect` shows: the message typed from the payload alone.
                let _ = cosect::engine::typed(&mut b.payload);
            }
        }
        2 => {
            let _ = reader.read("f", data.to_vec(), Expect::Answer);
        }
        3 => {
            let _ = reader.read("f", data.to_vec(), Expect::Catalog { publisher: &alice });
        }
        _ => request(&reader, data, &alice),
    }
});

/// A request from Alice, and the protocol step for a small round 1.
fn request(reader: &Reader<'_>, data: &[u8], alice: &cosect::identity::PublicIdentity) {
    let Ok(got) = reader.read("f", data.to_vec(), Expect::Request { peer: alice }) else { return };
    if let Message::Round1(r1) = got.message {
        if r1.elements.points.len() <= 64 * 32 {
            let entries = Entries::from_canonical([(Kind::Raw, "x"), (Kind::Raw, "y")]);
            let _ = Responder::respond(
                r1.elements,
                &entries,
                Mode::Mutual,
                None,
                Exec::Serial,
                &NoProgress,
                &mut rand::rngs::OsRng,
            );
        }
    }
}
