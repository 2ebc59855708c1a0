//! CSV lists (`--column NAME` picks a field by its header, `--column N` by
//! its number from 1, every row then being data). Parsed by the `csv`
//! crate: quoted fields, CRLF, a byte-order mark; rows may differ in length.

use std::io::BufRead;

use super::{InputError, Pos, Record, Sink, MAX_LINE};

/// Which field holds the entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Column {
    /// A header name (the first row is the header).
    Name(String),
    /// A field number, from 1 (no header row).
    Number(usize),
}

impl Column {
    /// `--column` text: all digits is a number, anything else a name.
    pub fn parse(s: &str) -> Result<Column, String> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            match s.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(Column::Number(n)),
                _ => Err("a column number counts from 1".into()),
            }
        } else if s.trim().is_empty() {
            Err("the column name is empty".into())
        } else {
            Ok(Column::Name(s.to_owned()))
        }
    }
}

fn csv_error(e: csv::Error) -> InputError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => InputError::NotUtf8 { line },
        csv::ErrorKind::Io(_) => match e.into_kind() {
            csv::ErrorKind::Io(io) => InputError::Io(io),
            _ => InputError::Csv {
                line,
                msg: "read failed".into(),
            },
        },
        _ => InputError::Csv {
            line,
            msg: super::shown(&e.to_string()),
        },
    }
}

/// Turns CRLF into LF before the `csv` crate sees it: its record positions
/// count a line only at LF, and after a CR-terminated record they would
/// name the previous line.
struct CrlfToLf<R> {
    inner: R,
    pending_cr: bool,
}

impl<R: BufRead> std::io::Read for CrlfToLf<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < out.len() {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                if self.pending_cr {
                    self.pending_cr = false;
                    out[n] = b'\r';
                    n += 1;
                }
                break;
            }
            if self.pending_cr {
                self.pending_cr = false;
                if buf[0] != b'\n' {
                    out[n] = b'\r';
                    n += 1;
                    continue;
                }
            }
            let mut used = 0;
            while used < buf.len() && n < out.len() {
                let b = buf[used];
                used += 1;
                if b == b'\r' {
                    match buf.get(used) {
                        Some(b'\n') => continue,
                        Some(_) => {}
                        None => {
                            self.pending_cr = true;
                            break;
                        }
                    }
                }
                out[n] = b;
                n += 1;
            }
            self.inner.consume(used);
            if n > 0 {
                break;
            }
        }
        Ok(n)
    }
}

pub fn read<R: BufRead>(mut reader: R, column: &Column, sink: &mut dyn Sink) -> Result<(), InputError> {
    if reader.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
        reader.consume(3);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(matches!(column, Column::Name(_)))
        .flexible(true)
        .from_reader(CrlfToLf {
            inner: reader,
            pending_cr: false,
        });
    let index = match column {
        Column::Number(n) => n
            .checked_sub(1)
            .ok_or_else(|| InputError::Column("a column number counts from 1".into()))?,
        Column::Name(name) => {
            let headers = rdr.headers().map_err(csv_error)?.clone();
            let clean = |h: &str| h.trim().trim_start_matches('\u{feff}').to_owned();
            let found = headers
                .iter()
                .position(|h| clean(h) == *name)
                .or_else(|| headers.iter().position(|h| clean(h).eq_ignore_ascii_case(name.trim())));
            match found {
                Some(i) => i,
                None => {
                    let names: Vec<String> = headers.iter().take(20).map(|h| super::shown(&clean(h))).collect();
                    return Err(InputError::Column(format!(
                        "the header has no column {:?} (it has: {})",
                        super::shown(name),
                        names.join(", ")
                    )));
                }
            }
        }
    };
    if let Column::Name(_) = column {
        let headers = rdr.headers().map_err(csv_error)?.clone();
        let keys: Vec<String> = (headers.iter().enumerate())
            .filter(|(i, _)| *i != index)
            .map(|(_, h)| h.trim().trim_start_matches('\u{feff}').to_owned())
            .collect();
        sink.columns(&keys.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let mut record = csv::StringRecord::new();
    let mut context = String::new();
    while rdr.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.as_slice().len() > MAX_LINE {
            return Err(InputError::TooLong { line });
        }
        match record.get(index) {
            Some(value) => {
                // The row's other fields, for results (named columns only).
                context.clear();
                if let Column::Name(_) = column {
                    let others = record.iter().enumerate().filter(|(i, _)| *i != index);
                    for (n, (_, f)) in others.enumerate() {
                        if n > 0 {
                            context.push(super::CONTEXT_SEP);
                        }
                        context.extend(f.chars().map(|c| if c == super::CONTEXT_SEP { ' ' } else { c }));
                    }
                }
                sink.record(Record {
                    value,
                    kind: None,
                    source: None,
                    context: matches!(column, Column::Name(_)).then_some(context.as_str()),
                    pos: Pos::Line(line),
                })?
            }
            // A row without the column (often a trailing blank line) is skipped.
            None if record.iter().all(|f| f.trim().is_empty()) => {}
            None => sink.unusable(
                Pos::Line(line),
                None,
                "CSV rows without the column",
                &format!("{} fields", record.len()),
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{read_entries, InputFormat, Kind, KindSetting, ReadOptions};

    fn opts(col: &str, kind: KindSetting) -> ReadOptions {
        ReadOptions {
            format: None,
            column: Some(Column::parse(col).unwrap()),
            kind,
            skip_invalid: false,
            refang: true,
            widen: Default::default(),
        }
    }

    #[test]
    fn header_quotes_bom_crlf() {
        let data = "\u{feff}owner,hostname,note\r\n\"Doe, J.\",WWW.Example.COM.,\"said \"\"hi\"\"\"\r\nx,\"mail.example.org\",\r\n\r\n";
        let e = read_entries(data.as_bytes(), &opts("hostname", KindSetting::Fixed(Kind::Domain))).unwrap();
        assert_eq!(e.format, InputFormat::Csv.name());
        assert_eq!(e.get(0).1, b"www.example.com");
        assert_eq!(e.get(1).1, b"mail.example.org");
        assert_eq!(e.original.get(0), "WWW.Example.COM.");
        assert_eq!(e.lines, vec![2, 3]);
        let e = read_entries(data.as_bytes(), &opts("HOSTNAME", KindSetting::Auto)).unwrap();
        assert_eq!(e.len(), 2);
        let e = read_entries(data.as_bytes(), &opts("2", KindSetting::Auto)).unwrap();
        assert_eq!(e.len(), 3, "numbered columns read the header row as data");
        let e = read_entries(data.as_bytes(), &opts("1", KindSetting::Auto)).unwrap();
        assert_eq!(
            e.original.get(0),
            "owner",
            "the byte-order mark is not part of the first field"
        );
    }

    #[test]
    fn crlf_becomes_lf_across_reads() {
        use std::io::Read;
        let data = b"a\r\nb\rc\r\r\nd\r";
        for cap in 1..5 {
            let mut r = CrlfToLf {
                inner: std::io::BufReader::with_capacity(cap, &data[..]),
                pending_cr: false,
            };
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            assert_eq!(out, b"a\nb\rc\r\nd\r", "capacity {cap}");
        }
    }

    #[test]
    fn errors_name_the_line() {
        let err = read_entries("a,b\nx,y\n".as_bytes(), &opts("c", KindSetting::Auto)).unwrap_err();
        assert!(err.to_string().contains("no column \"c\""), "{err}");
        let bad = b"host\nok.example\n\xff.example\n";
        let err = read_entries(&bad[..], &opts("host", KindSetting::Auto)).unwrap_err();
        assert!(matches!(err, InputError::NotUtf8 { line: 3 }), "{err}");
        let err = read_entries(
            "host\nbad..x\n".as_bytes(),
            &opts("host", KindSetting::Fixed(Kind::Domain)),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("line 2:"), "{err}");
        assert!(Column::parse("0").is_err());
    }
}
