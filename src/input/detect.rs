//! Detection: the kind of one entry (`--kind auto`) and the format of an
//! input from its first bytes (`--input-format` omitted).

use std::fmt;
use std::str::FromStr;

use super::normalize::{normalize, Kind};
use super::InputError;

/// The `--kind` setting of a list, carried in round 1: one kind for every
/// entry, or `auto` (each entry's kind detected, or named by the input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KindSetting {
    Auto,
    Fixed(Kind),
}

impl KindSetting {
    pub fn name(self) -> &'static str {
        match self {
            KindSetting::Auto => "auto",
            KindSetting::Fixed(k) => k.name(),
        }
    }
}

impl fmt::Display for KindSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KindSetting {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "auto" {
            return Ok(KindSetting::Auto);
        }
        s.parse().map(KindSetting::Fixed)
    }
}

/// The kind and canonical text of one entry under `--kind auto`. Tried in
/// order: IP address; hash (hex of MD5, SHA-1 or SHA-256 length, and of
/// SHA-224/384/512 too, so that a SHA-512 a STIX or MISP file names as a
/// hash also meets the same value in a text list); e-mail
/// address; domain name (IDNA included; at least two labels, the last not
/// all digits); anything else is `raw`, kept as given (already trimmed).
pub fn detect(entry: &str) -> (Kind, String) {
    if let Ok(c) = normalize(Kind::Ip, entry) {
        return (Kind::Ip, c);
    }
    if matches!(entry.len(), 32 | 40 | 56 | 64 | 96 | 128) && entry.bytes().all(|b| b.is_ascii_hexdigit()) {
        return (Kind::Hash, entry.to_ascii_lowercase());
    }
    if entry.contains('@') {
        if let Ok(c) = normalize(Kind::Email, entry) {
            return (Kind::Email, c);
        }
    }
    if entry.trim_end_matches('.').contains('.') {
        if let Ok(c) = normalize(Kind::Domain, entry) {
            let last = c.rsplit('.').next().unwrap_or("");
            if !last.bytes().all(|b| b.is_ascii_digit()) {
                return (Kind::Domain, c);
            }
        }
    }
    (Kind::Raw, entry.to_owned())
}

/// Input formats (`--input-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    Text,
    Csv,
    Stix,
    Misp,
}

impl InputFormat {
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Text => "text",
            InputFormat::Csv => "CSV",
            InputFormat::Stix => "STIX 2.1",
            InputFormat::Misp => "MISP",
        }
    }
}

/// Guess the format from the first bytes of the input: JSON (a STIX bundle
/// or MISP export; which one is decided while reading it) when the first
/// non-blank character opens an object or a list of objects; CSV when
/// `--column` was given; otherwise text. A text list whose first entry has
/// a comma or tab is refused: it is probably CSV, and reading it as text
/// would silently match nothing.
pub fn sniff(head: &[u8], column_given: bool) -> Result<InputFormat, InputError> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let mut rest = head.iter().copied().skip_while(|b| b.is_ascii_whitespace());
    match rest.next() {
        Some(b'{') => return Ok(InputFormat::Stix),
        Some(b'[') if matches!(rest.find(|b| !b.is_ascii_whitespace()), Some(b'{') | Some(b']')) => {
            return Ok(InputFormat::Misp)
        }
        _ => {}
    }
    if column_given {
        return Ok(InputFormat::Csv);
    }
    let first = head
        .split(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l).trim().to_owned())
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    if let Some(l) = first {
        if l.contains([',', '\t']) {
            return Err(InputError::Format(format!(
                "the first entry ({}) has a comma or tab: this looks like CSV",
                super::shown(&l)
            )));
        }
    }
    Ok(InputFormat::Text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_order() {
        let k = |s: &str| detect(s).0;
        assert_eq!(k("192.0.2.1"), Kind::Ip);
        assert_eq!(k("2001:0DB8::0001"), Kind::Ip);
        assert_eq!(k("da39a3ee5e6b4b0d3255bfef95601890afd80709"), Kind::Hash);
        assert_eq!(k("deadbeef"), Kind::Raw);
        assert_eq!(k(&"ab".repeat(64)), Kind::Hash);
        assert_eq!(k(&"ab".repeat(33)), Kind::Raw);
        assert_eq!(k("bob@Example.org"), Kind::Email);
        assert_eq!(k("bücher.example"), Kind::Domain);
        assert_eq!(detect("BÜCHER.example.").1, "xn--bcher-kva.example");
        assert_eq!(k("localhost"), Kind::Raw);
        assert_eq!(k("1.2.3.999"), Kind::Raw);
        assert_eq!(k("12345"), Kind::Raw);
        assert_eq!(k("http://evil.example/x"), Kind::Raw);
        assert_eq!(k("not an@address"), Kind::Raw);
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"\xef\xbb\xbf  {\"type\"", false).unwrap(), InputFormat::Stix);
        assert_eq!(sniff(b"[\n {", false).unwrap(), InputFormat::Misp);
        assert_eq!(sniff(b"[::1]\n", false).unwrap(), InputFormat::Text);
        assert_eq!(sniff(b"host,ip\n", true).unwrap(), InputFormat::Csv);
        assert_eq!(sniff(b"# a, b\nexample.com\n", false).unwrap(), InputFormat::Text);
        assert!(sniff(b"host,ip\nx,y\n", false).is_err());
        assert_eq!(KindSetting::from_str("auto").unwrap(), KindSetting::Auto);
        assert_eq!(KindSetting::from_str("ip").unwrap(), KindSetting::Fixed(Kind::Ip));
    }
}
