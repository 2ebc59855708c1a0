//! `bundle::armor::decode`: never panics on any text; what it decodes
//! re-armors (age's writer) and decodes again to the same bytes, quoted or
//! not.
#![no_main]

use cosect::bundle::armor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let found = armor::contains_armor(data);
    if let Ok(blocks) = armor::blocks(data) {
        assert!(blocks.is_empty() || found, "blocks that contains_armor did not see");
    }
    if let Ok(Some(bin)) = armor::decode(data) {
        assert!(found, "decoded armor that contains_armor did not see");
        let mut asc = Vec::new();
        let mut w = age::armor::ArmoredWriter::wrap_output(&mut asc, age::armor::Format::AsciiArmor).unwrap();
        std::io::Write::write_all(&mut w, &bin).unwrap();
        w.finish().unwrap();
        let quoted: Vec<u8> = asc.split(|b| *b == b'\n').flat_map(|l| [b"> ", l, b"\r\n"].concat()).collect();
        assert_eq!(armor::decode(&quoted).unwrap().unwrap(), bin);
    }
});
