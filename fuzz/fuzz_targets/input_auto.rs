//! A list of unknown format with `--kind auto`: `sniff`, then the text
//! reader with per-entry kind detection (or the JSON reader). Never panics;
//! the entries returned are unique. The first byte picks `--skip-invalid`,
//! refanging, `--url-hosts` and `--expand-cidr 16`.
#![no_main]

use cosect::input::{read_entries, KindSetting, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the options: one read per execution.
    let Some((&sel, data)) = data.split_first() else { return };
    let opts = ReadOptions {
        format: None,
        column: None,
        kind: KindSetting::Auto,
        skip_invalid: sel & 0x40 != 0,
        refang: sel & 0x20 == 0,
        widen: cosect::input::Widen {
            url_hosts: sel & 0x10 != 0,
            expand_cidr: (sel & 0x08 != 0).then_some(16),
        },
    };
    if let Ok(e) = read_entries(data, &opts) {
        let unique: std::collections::HashSet<_> = (0..e.len()).map(|i| e.get(i)).collect();
        assert_eq!(unique.len(), e.len(), "duplicate entry kept");
    }
});
