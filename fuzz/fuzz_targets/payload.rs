//! `Payload::decode`: never panics; whatever it accepts is canonical
//! (re-encodes to the same bytes) and has consistent counts. (Its times
//! are checked after the signature, by `Opened::check_time`: not here.)
#![no_main]

use cosect::bundle::Payload;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Payload::decode(data) {
        assert_eq!(p.encode(), data, "accepted a non-canonical payload");
        assert!(p.check_lengths().is_ok());
    }
});
