//! The age envelope alone: `carrier::unwrap` (armor decoded), then
//! decryption as Bob (test identity) of the age file, in memory and streamed.
//! Nothing may panic; what decrypts re-encrypts and decrypts to the same
//! bytes.
#![no_main]

use std::io::Read;

use cosect::bundle::carrier;
use cosect::bundle::envelope::{decrypt, decrypt_reader, encrypt};
use cosect::identity::Identity;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn bob() -> &'static Identity {
    static ID: OnceLock<Identity> = OnceLock::new();
    ID.get_or_init(|| Identity::parse(include_str!("../../testdata/vectors/bob.id")).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let bob = bob();
    let Ok((_, data)) = carrier::unwrap(data.to_vec()) else {
        return;
    };
    let data = &data[..];
    if let Ok(mut r) = decrypt_reader(data, bob.age_identity()) {
        let mut out = Vec::new();
        let _ = r.read_to_end(&mut out);
    }
    if let Ok(plain) = decrypt(data, bob.age_identity()) {
        let recipient = bob.public().recipient;
        for armor in [false, true] {
            // Armor is taken off by the carrier layer before decryption.
            let (_, sealed) = carrier::unwrap(encrypt(&plain, &recipient, armor)).expect("own armor");
            let again = decrypt(&sealed, bob.age_identity()).expect("own envelope");
            assert_eq!(again, plain);
        }
    }
});
