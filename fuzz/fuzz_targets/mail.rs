//! A saved mail: `bundle::mail::looks_like_mail` and `bundles` (the
//! mail-parser crate underneath) and `carrier::unwrap`, which routes mail,
//! armor and parts, never panic; every bundle found is one that
//! `carrier::holds_bundle` accepts.
#![no_main]

use cosect::bundle::{carrier, mail};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if mail::looks_like_mail(data) {
        for f in mail::bundles(data).unwrap_or_default() {
            assert!(carrier::holds_bundle(&f.bytes), "{}", f.place);
        }
    }
    let _ = carrier::unwrap(data.to_vec());
    let _ = carrier::parts_of(data.to_vec());
    let _ = carrier::part_header(data);
    let _ = carrier::screen(data, data.len() < 4096);
});
