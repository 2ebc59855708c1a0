//! The JSON reader: STIX 2.1 bundles (indicator patterns, observables) and
//! MISP exports (events, attributes, objects). Never panics; the entries it
//! returns are unique. The first byte picks the format (STIX, MISP or
//! detected), the kind setting and --skip-invalid.
#![no_main]

use cosect::input::{read_entries, InputFormat, Kind, KindSetting, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, data)) = data.split_first() else { return };
    let format = [Some(InputFormat::Stix), Some(InputFormat::Misp), None][(sel & 3) as usize % 3];
    let kind = match (sel >> 2) % 6 {
        0 => KindSetting::Auto,
        k => KindSetting::Fixed(Kind::ALL[k as usize - 1]),
    };
    let opts = ReadOptions { format, column: None, kind, skip_invalid: sel & 0x80 != 0, refang: sel & 0x40 == 0, widen: Default::default() };
    if let Ok(e) = read_entries(data, &opts) {
        let unique: std::collections::HashSet<_> = (0..e.len()).map(|i| e.get(i)).collect();
        assert_eq!(unique.len(), e.len(), "duplicate entry kept");
    }
});
