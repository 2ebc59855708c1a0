//! Detection: the kind of one entry (`--kind auto`) and the format of an
//! input from its first bytes (`--input-format` omitted).

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
    pub const ALL: [KindSetting; 7] = [
        KindSetting::Auto,
        KindSetting::Fixed(Kind::Raw),
        KindSetting::Fixed(Kind::Domain),
        KindSetting::Fixed(Kind::Ip),
        KindSetting::Fixed(Kind::Hash),
        KindSetting::Fixed(Kind::Email),
        KindSetting::Fixed(Kind::Url),
    ];

    pub fn name(self) -> &'static str {
        match self {
            KindSetting::Auto => "auto",
            KindSetting::Fixed(k) => k.name(),
        }
    }
}

named_values!(KindSetting, "kind", "auto, raw, domain, ip, hash, email or url");

/// The kind and canonical text of one entry under `--kind auto`. Tried in
/// order: IP address (also with a port, or a /32 or /128 prefix, which are
/// dropped); hash (hex of MD5, SHA-1 or SHA-256 length, and of
/// SHA-224/384/512 too, so that a SHA-512 a STIX or MISP file names as a
/// hash also meets the same value in a text list); URL (`scheme://`);
/// e-mail address; domain name (IDNA included; at least two labels, the
/// last not all digits); anything else is `raw`, kept as given (already
/// trimmed).
pub fn detect(entry: &str) -> (Kind, String) {
    let d = classify(entry);
    (d.kind, d.canon)
}

/// What detection found for one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detected {
    pub kind: Kind,
    pub canon: String,
    /// For an IP: what was dropped (`PORT_DROPPED`, `PREFIX_DROPPED`). For
    /// `raw`: the near-miss it looks like (`NEAR_*`), if any.
    pub note: Option<&'static str>,
}

pub const PORT_DROPPED: &str = "IP addresses with a port (compared without it)";
pub const PREFIX_DROPPED: &str = "IP addresses with a /32 or /128 prefix (compared without it)";
pub const NEAR_CIDR: &str = "look like IP ranges (CIDR)";
pub const NEAR_ZEROS: &str = "look like IPv4 addresses with leading zeros (octal or decimal?)";
pub const NEAR_DOMAIN: &str = "look like domain names with invalid characters or labels";
pub const NEAR_HASH: &str = "look like hashes of an unusual length";
pub const NEAR_URL: &str = "look like URLs but are broken or truncated";
pub const NEAR_IPV4_TYPO: &str = "look like IPv4 addresses with a typo";

/// `detect`, saying what it dropped or which near-miss a `raw` entry is.
pub fn classify(entry: &str) -> Detected {
    let found = |kind, canon, note| Detected { kind, canon, note };
    if let Some((kind, canon, note)) = as_ip(entry) {
        return found(kind, canon, note);
    }
    if matches!(entry.len(), 32 | 40 | 56 | 64 | 96 | 128) && entry.bytes().all(|b| b.is_ascii_hexdigit()) {
        return found(Kind::Hash, entry.to_ascii_lowercase(), None);
    }
    if super::url::scheme_len(entry).is_some() {
        return match normalize(Kind::Url, entry) {
            Ok(c) => found(Kind::Url, c, None),
            Err(_) => found(Kind::Raw, entry.to_owned(), Some(NEAR_URL)),
        };
    }
    if entry.contains('@') {
        if let Ok(c) = normalize(Kind::Email, entry) {
            return found(Kind::Email, c, None);
        }
    }
    if ipv4_typo(entry) {
        return found(Kind::Raw, entry.to_owned(), Some(NEAR_IPV4_TYPO));
    }
    if entry.trim_end_matches('.').contains('.') {
        if let Ok(c) = normalize(Kind::Domain, entry) {
            let last = c.rsplit('.').next().unwrap_or("");
            if !last.bytes().all(|b| b.is_ascii_digit()) {
                return found(Kind::Domain, c, None);
            }
        }
    }
    found(Kind::Raw, entry.to_owned(), near_miss(entry))
}

/// An IP address, also `address:port`, `[v6]:port` and `address/32|128`.
pub fn as_ip(entry: &str) -> Option<(Kind, String, Option<&'static str>)> {
    if let Ok(c) = normalize(Kind::Ip, entry) {
        return Some((Kind::Ip, c, None));
    }
    let b = entry.as_bytes();
    if !b.first()?.is_ascii_hexdigit() && b[0] != b'[' && b[0] != b':' {
        return None;
    }
    if let Ok(sa) = entry.parse::<std::net::SocketAddr>() {
        return Some((Kind::Ip, sa.ip().to_canonical().to_string(), Some(PORT_DROPPED)));
    }
    let (addr, prefix) = entry.split_once('/')?;
    let ip = addr.parse::<std::net::IpAddr>().ok()?;
    let host = if ip.is_ipv4() { "32" } else { "128" };
    (prefix == host).then(|| (Kind::Ip, ip.to_canonical().to_string(), Some(PREFIX_DROPPED)))
}

/// The near-miss a `raw` entry looks like, if any: cheap checks on bytes.
fn near_miss(entry: &str) -> Option<&'static str> {
    let starts = |p: &str| {
        entry
            .as_bytes()
            .get(..p.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(p.as_bytes()))
    };
    if ["http:", "https:", "ftp:"].into_iter().any(starts) || entry.contains("://") {
        return Some(NEAR_URL);
    }
    if let Some((addr, prefix)) = entry.split_once('/') {
        let is_prefix = !prefix.is_empty() && prefix.len() <= 3 && prefix.bytes().all(|b| b.is_ascii_digit());
        if is_prefix && (addr.parse::<std::net::IpAddr>().is_ok() || leading_zeros(addr)) {
            return Some(NEAR_CIDR);
        }
    }
    if leading_zeros(entry) {
        return Some(NEAR_ZEROS);
    }
    let hex = entry.bytes().all(|b| b.is_ascii_hexdigit());
    if hex
        && entry.len() >= 24
        && entry.bytes().any(|b| b.is_ascii_digit())
        && entry.bytes().any(|b| b.is_ascii_alphabetic())
    {
        return Some(NEAR_HASH);
    }
    looks_like_domain(entry).then_some(NEAR_DOMAIN)
}

/// Four dotted decimal octets up to 255, one written with a leading zero.
fn leading_zeros(s: &str) -> bool {
    let parts = || s.split('.');
    parts().count() == 4
        && parts().all(|p| {
            (1..=3).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
        && parts().any(|p| p.len() > 1 && p.starts_with('0'))
}

/// Four dotted labels, three of them decimal numbers up to 255 and one of
/// 1 to 3 letters and digits that is not: with a digit (`45.33.32.l56`),
/// or only letters that pass for digits (`l`, `I`, `o`, `O`). As a domain
/// name it would be valid, and silently never meet the address meant.
fn ipv4_typo(s: &str) -> bool {
    let octet = |p: &str| {
        (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok_and(|n| n <= 255)
    };
    let typo = |p: &str| {
        (1..=3).contains(&p.len())
            && p.bytes().all(|b| b.is_ascii_alphanumeric())
            && !p.bytes().all(|b| b.is_ascii_digit())
            && (p.bytes().any(|b| b.is_ascii_digit()) || p.bytes().all(|b| b"lIoO".contains(&b)))
    };
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() == 4
        && labels.iter().filter(|p| octet(p)).count() == 3
        && labels.iter().filter(|p| typo(p)).count() == 1
}

/// No white space, `@` or `/`; two labels or more; the last one letters
/// (a top-level domain) or punycode.
fn looks_like_domain(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    let Some((_, tld)) = s.rsplit_once('.') else {
        return false;
    };
    let tld_like = (2..=63).contains(&tld.len())
        && (tld.bytes().all(|b| b.is_ascii_alphabetic())
            || tld.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--")));
    tld_like && !s.contains(|c: char| c.is_whitespace() || c == '@' || c == '/')
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
        assert_eq!(k("http://evil.example/x"), Kind::Url);
        assert_eq!(k("not an@address"), Kind::Raw);
    }

    #[test]
    fn ports_prefixes_and_near_misses() {
        let c = |s: &str| classify(s);
        assert_eq!(c("192.0.2.1:443").canon, "192.0.2.1");
        assert_eq!(c("192.0.2.1:443").note, Some(PORT_DROPPED));
        assert_eq!(c("[2001:DB8::1]:443").canon, "2001:db8::1");
        assert_eq!(c("192.0.2.1/32").note, Some(PREFIX_DROPPED));
        assert_eq!(c("2001:db8::1/128").kind, Kind::Ip);
        let near = |s: &str| {
            let d = classify(s);
            assert_eq!(d.kind, Kind::Raw, "{s}");
            d.note
        };
        assert_eq!(near("10.0.0.0/8"), Some(NEAR_CIDR));
        assert_eq!(near("2001:db8::/32"), Some(NEAR_CIDR));
        assert_eq!(near("010.1.2.3"), Some(NEAR_ZEROS));
        assert_eq!(near("evil!.example.com"), Some(NEAR_DOMAIN));
        assert_eq!(near("bad..example"), Some(NEAR_DOMAIN));
        assert_eq!(near(&"ab12".repeat(8)[..31]), Some(NEAR_HASH));
        assert_eq!(near("http://"), Some(NEAR_URL));
        assert_eq!(near("http:/evil.example"), Some(NEAR_URL));
        assert_eq!(near("45.33.32.l56"), Some(NEAR_IPV4_TYPO));
        assert_eq!(near("45.33.O.156"), Some(NEAR_IPV4_TYPO));
        assert_eq!(near("1O.0.0.1"), Some(NEAR_IPV4_TYPO));
        assert_eq!(classify("1.2.3.io").kind, Kind::Domain);
        assert_eq!(classify("45.33.32.example").kind, Kind::Domain);
        for plain in [
            "customer-0042",
            "hello world. see you",
            "1.2.3.999",
            "deadbeef",
            "12345678901234567890123456",
        ] {
            assert_eq!(near(plain), None, "{plain}");
        }
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"\xef\xbb\xbf  {\"type\"", false).unwrap(), InputFormat::Stix);
        assert_eq!(sniff(b"[\n {", false).unwrap(), InputFormat::Misp);
        assert_eq!(sniff(b"[::1]\n", false).unwrap(), InputFormat::Text);
        assert_eq!(sniff(b"host,ip\n", true).unwrap(), InputFormat::Csv);
        assert_eq!(sniff(b"# a, b\nexample.com\n", false).unwrap(), InputFormat::Text);
        assert!(sniff(b"host,ip\nx,y\n", false).is_err());
        assert_eq!("auto".parse::<KindSetting>().unwrap(), KindSetting::Auto);
        assert_eq!("ip".parse::<KindSetting>().unwrap(), KindSetting::Fixed(Kind::Ip));
        assert!("kind"
            .parse::<KindSetting>()
            .unwrap_err()
            .contains("expected auto, raw,"));
    }
}
