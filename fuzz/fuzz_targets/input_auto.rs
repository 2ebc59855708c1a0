//! A list of unknown format with `--kind auto`: `sniff`, then the text
//! reader with per-entry kind detection (or the JSON reader). Never panics;
//! the entries returned are unique and each one's kind is what `detect`
//! says of a line alone.
#![no_main]

use cosect::input::{read_entries, KindSetting, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for skip_invalid in [false, true] {
        let opts = ReadOptions { format: None, column: None, kind: KindSetting::Auto, skip_invalid };
        if let Ok(e) = read_entries(data, &opts) {
            let unique: std::collections::HashSet<_> = (0..e.len()).map(|i| e.get(i)).collect();
            assert_eq!(unique.len(), e.len(), "duplicate entry kept");
        }
    }
});
