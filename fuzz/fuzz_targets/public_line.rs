//! A public identity line (`cosect1 age1… <ed25519> name`) and a `.pub`
//! file: never panic; what parses prints a line that parses to itself.
#![no_main]

use cosect::identity::PublicIdentity;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for parsed in [PublicIdentity::parse_line(text), PublicIdentity::parse(text)] {
        if let Ok(p) = parsed {
            let line = p.line();
            let back = PublicIdentity::parse_line(&line).expect("own public line parses");
            assert_eq!(back.line(), line);
            assert_eq!(back.fingerprint(), p.fingerprint());
            let _ = (p.display_name(), p.short_fingerprint());
        }
    }
});
