//! Bundle parts: `parts::header` and `parts::join` never panic on any
//! bytes; `split` then `join` in any order gives the file back.
#![no_main]

use cosect::bundle::parts;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parts::header(data);
    // The input itself, cut in three, as three "parts".
    let n = data.len();
    let named: Vec<(String, Vec<u8>)> = [&data[..n / 3], &data[n / 3..2 * n / 3], &data[2 * n / 3..]]
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("p{i}"), p.to_vec()))
        .collect();
    let _ = parts::join(&named);
    // A round trip at a size picked from the data.
    let size = 200 + u64::from(data.first().copied().unwrap_or(0)) * 4;
    if let Some(split) = parts::split(data, size) {
        assert!(split.iter().all(|p| p.len() as u64 <= size));
        let mut named: Vec<(String, Vec<u8>)> = split.into_iter().enumerate().map(|(i, p)| (i.to_string(), p)).collect();
        named.reverse();
        assert_eq!(parts::join(&named).unwrap(), data);
    }
});
