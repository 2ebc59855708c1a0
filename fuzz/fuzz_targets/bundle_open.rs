//! The whole reader path of a bundle file as Bob (test identity): envelope
//! detection, age binary and armored decryption, COSE, payload, sender line,
//! then every check `respond` applies, and the protocol step for small
//! round-1 bundles. Nothing may panic.
#![no_main]

use cosect::bundle::Opened;
use cosect::group::{Exec, NoProgress};
use cosect::identity::Identity;
use cosect::input::{Entries, Kind};
use cosect::protocol::mutual::Round1;
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
    let (bob, alice) = ids();
    let _ = Opened::open(data.to_vec(), None);
    let Ok(mut b) = Opened::open(data.to_vec(), Some(bob)) else { return };
    let _ = b.self_signature_valid();
    let _ = b.check_not_own(&bob.public());
    let _ = b.check_sender(&alice.public());
    let _ = b.check_recipient(&bob.public());
    let _ = b.check_time(1_800_000_000);
    if cosect::commands::respond::check_round1(&b.payload).is_ok() && b.payload.n_points <= 64 {
        let entries = Entries::from_canonical([(Kind::Raw, "x"), (Kind::Raw, "y")]);
        let r1 = Round1 {
            points: b.payload.points.clone(),
        };
        let _ = Responder::respond(
            &r1,
            &entries,
            Mode::Mutual,
            None,
            Exec::Serial,
            &NoProgress,
            &mut rand::rngs::OsRng,
        );
    }
});
