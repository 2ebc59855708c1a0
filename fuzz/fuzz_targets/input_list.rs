//! `input::read_entries` on text for every kind setting (auto and each
//! kind), strict and with --skip-invalid, refanging on and off (the first
//! byte picks them, so that one execution is one read): never
//! panics; entries are unique, every line number is in range, every
//! near-miss and note is counted; a canonical form is a fixed point of its
//! kind's normalization (URLs included), and refanging only ever runs on
//! entries with a marker.
#![no_main]

use cosect::input::refang::{has_marker, refang};
use cosect::input::{normalize, read_entries, InputFormat, Kind, KindSetting, ReadOptions};
use libfuzzer_sys::fuzz_target;

fn check(data: &[u8], kind: KindSetting, skip_invalid: bool, refang: bool) {
    let lines = data.split(|&b| b == b'\n').count() as u64;
    let opts = ReadOptions {
        format: Some(InputFormat::Text),
        column: None,
        kind,
        skip_invalid,
        refang,
        widen: Default::default(),
    };
    let Ok(e) = read_entries(data, &opts) else { return };
    assert_eq!(e.original.len(), e.len());
    assert!(e.near_misses.len() as u64 <= e.near_miss_counts.values().sum::<u64>());
    if kind != KindSetting::Auto {
        assert!(e.near_miss_counts.is_empty(), "near-misses under a fixed kind");
    }
    let mut seen = std::collections::HashSet::new();
    for i in 0..e.len() {
        let (k, canon) = e.get(i);
        if let KindSetting::Fixed(f) = kind {
            assert_eq!(k, f);
        }
        assert!(seen.insert((k, canon.to_vec())), "duplicate entry kept");
        assert!(e.lines[i] >= 1 && e.lines[i] <= lines);
        let canon = std::str::from_utf8(canon).unwrap();
        if k != Kind::Raw {
            assert_eq!(normalize(k, canon).as_deref(), Ok(canon), "{k} not a fixed point");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, data)) = data.split_first() else { return };
    let kind = KindSetting::ALL[(sel & 7) as usize % KindSetting::ALL.len()];
    check(data, kind, sel & 0x40 != 0, sel & 0x20 == 0);
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(r) = refang(s) {
            assert!(has_marker(s), "refanged without a marker: {s:?}");
            assert!(r.len() <= s.len(), "refanging grew {s:?}");
        }
    }
});
