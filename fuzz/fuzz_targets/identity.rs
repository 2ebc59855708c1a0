//! Identity files and public identity lines: never panic; what parses
//! round-trips through its own text form.
#![no_main]

use cosect::identity::{Identity, PublicIdentity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(id) = Identity::parse(text) {
        let back = Identity::parse(&id.to_file_text("fuzz")).expect("own identity file parses");
        assert_eq!(back.public(), id.public());
    }
    if let Ok(p) = PublicIdentity::parse(text) {
        let line = p.line();
        let back = PublicIdentity::parse_line(&line).expect("own public line parses");
        assert_eq!(back.line(), line);
        let _ = p.display_name();
        let _ = p.short_fingerprint();
    }
    let _ = PublicIdentity::parse_line(text);
});
