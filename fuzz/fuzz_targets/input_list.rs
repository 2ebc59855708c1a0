//! `input::read_list` for every kind, strict and with --skip-invalid: never
//! panics; entries are unique and every line number is in range.
#![no_main]

use cosect::input::{read_list, Kind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data.split(|&b| b == b'\n').count() as u64;
    for kind in Kind::ALL {
        for skip in [false, true] {
            if let Ok(e) = read_list(data, kind, skip) {
                assert_eq!(e.original.len(), e.len());
                let mut seen = std::collections::HashSet::new();
                for i in 0..e.len() {
                    let (k, canon) = e.get(i);
                    assert_eq!(k, kind);
                    assert!(seen.insert(canon.to_vec()), "duplicate entry kept");
                    assert!(e.lines[i] >= 1 && e.lines[i] <= lines);
                }
            }
        }
    }
});
