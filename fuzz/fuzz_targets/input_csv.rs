//! The CSV reader (`--column NAME` and `--column N`): never panics; the
//! entries it returns are unique. The first byte picks the column and the
//! kind setting.
#![no_main]

use cosect::input::csv::Column;
use cosect::input::{read_entries, InputFormat, Kind, KindSetting, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, data)) = data.split_first() else { return };
    let column = match sel & 3 {
        0 => Column::Name("value".into()),
        1 => Column::Name("hostname".into()),
        n => Column::Number(n as usize - 1),
    };
    let kind = match (sel >> 2) % 6 {
        0 => KindSetting::Auto,
        k => KindSetting::Fixed(Kind::ALL[k as usize - 1]),
    };
    let format = if sel & 0x80 != 0 { Some(InputFormat::Csv) } else { None };
    let opts = ReadOptions { format, column: Some(column), kind, skip_invalid: sel & 0x40 != 0, refang: sel & 0x20 == 0, widen: Default::default() };
    if let Ok(e) = read_entries(data, &opts) {
        let unique: std::collections::HashSet<_> = (0..e.len()).map(|i| e.get(i)).collect();
        assert_eq!(unique.len(), e.len(), "duplicate entry kept");
    }
});
