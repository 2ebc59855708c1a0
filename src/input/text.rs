//! Plain lists: one entry per line, blank lines and `#` comments skipped,
//! CRLF and a leading byte-order mark accepted. Lines are passed on
//! untrimmed (`--kind raw` keeps them exactly).

use std::io::{BufRead, Read};

use super::{InputError, Pos, Record, Sink, MAX_LINE};

pub fn read<R: BufRead>(mut reader: R, sink: &mut dyn Sink) -> Result<(), InputError> {
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = (&mut reader).take(MAX_LINE as u64 + 2).read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        } else if n > MAX_LINE {
            return Err(InputError::TooLong { line });
        }
        if buf.len() > MAX_LINE {
            return Err(InputError::TooLong { line });
        }
        let text = std::str::from_utf8(&buf).map_err(|_| InputError::NotUtf8 { line })?;
        let text = if line == 1 {
            text.strip_prefix('\u{feff}').unwrap_or(text)
        } else {
            text
        };
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        sink.record(Record {
            value: text,
            kind: None,
            source: None,
            context: None,
            pos: Pos::Line(line),
        })?;
    }
}

#[cfg(test)]
mod tests {
    use crate::input::{read_entries, InputFormat, Kind, KindSetting, ReadOptions};

    #[test]
    fn auto_detects_each_line() {
        let text = "\u{feff}# mixed\r\nEvil.Example.\r\n2001:DB8:0:0:0:0:0:1\n\
                    D41D8CD98F00B204E9800998ECF8427E\nAlice@Example.COM\ncustomer-0042\n\n198.51.100.7\n";
        let opts = ReadOptions {
            format: None,
            column: None,
            kind: KindSetting::Auto,
            skip_invalid: false,
            refang: true,
            widen: Default::default(),
        };
        let e = read_entries(text.as_bytes(), &opts).unwrap();
        assert_eq!(e.format, InputFormat::Text.name());
        let got: Vec<(Kind, String)> = (0..e.len())
            .map(|i| (e.get(i).0, String::from_utf8(e.get(i).1.to_vec()).unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Kind::Domain, "evil.example".into()),
                (Kind::Ip, "2001:db8::1".into()),
                (Kind::Hash, "d41d8cd98f00b204e9800998ecf8427e".into()),
                (Kind::Email, "alice@example.com".into()),
                (Kind::Raw, "customer-0042".into()),
                (Kind::Ip, "198.51.100.7".into()),
            ]
        );
        assert_eq!(e.original.get(0), "Evil.Example.");
        assert_eq!(e.lines, vec![2, 3, 4, 5, 6, 8]);
        assert_eq!(e.count_by_kind(), [1, 1, 2, 1, 1, 0]);
    }
}
