//! Canonical forms of entries, by kind. Two spellings of the same indicator
//! (`Example.COM.` and `example.com`) normalize to the same bytes, and the
//! kind is hashed with them, so a domain never equals an IP.

use std::net::IpAddr;

/// What an entry is; chosen with `--kind` and carried in round 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Raw,
    Domain,
    Ip,
    Hash,
    Email,
    /// Added after the others: the index is stored (session state).
    Url,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Raw, Kind::Domain, Kind::Ip, Kind::Hash, Kind::Email, Kind::Url];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Raw => "raw",
            Kind::Domain => "domain",
            Kind::Ip => "ip",
            Kind::Hash => "hash",
            Kind::Email => "email",
            Kind::Url => "url",
        }
    }

    /// Whether entries of this kind are refanged (`evil[.]example`).
    pub fn refangs(self) -> bool {
        matches!(self, Kind::Domain | Kind::Ip | Kind::Email | Kind::Url)
    }
}

named_values!(Kind, "kind", "raw, domain, ip, hash, email or url");

/// Why an entry is not valid for its kind (a short phrase).
pub type Invalid = &'static str;

/// The canonical text of `entry` as `kind`, or why it is not one.
pub fn normalize(kind: Kind, entry: &str) -> Result<String, Invalid> {
    match kind {
        Kind::Raw => Ok(entry.to_owned()),
        Kind::Domain => domain(entry.trim()),
        Kind::Ip => ip(entry.trim()),
        Kind::Hash => hash(entry.trim()),
        Kind::Email => email(entry.trim()),
        Kind::Url => super::url::url(entry.trim()),
    }
}

/// IDNA to ASCII (UTS #46). For a name of ASCII letters, digits, '-', '_'
/// and '.', with no `xn--` label to validate, that mapping is exactly ASCII
/// lower-casing: take that path without the Unicode tables (most lists are
/// all such names, and this runs once per entry).
pub(super) fn to_ascii(s: &str) -> Result<String, Invalid> {
    let plain = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !s
            .split('.')
            .any(|l| l.len() >= 4 && l[..4].eq_ignore_ascii_case("xn--"));
    if plain {
        return Ok(s.to_ascii_lowercase());
    }
    idna::domain_to_ascii(s).map_err(|_| "not a valid internationalized domain name")
}

pub(super) fn domain(s: &str) -> Result<String, Invalid> {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() {
        return Err("empty domain name");
    }
    if s.parse::<IpAddr>().is_ok() {
        return Err("an IP address, not a domain name (use --kind ip)");
    }
    let ascii = to_ascii(s)?;
    if ascii.len() > 253 {
        return Err("domain name longer than 253 characters");
    }
    for label in ascii.split('.') {
        if label.is_empty() {
            return Err("domain name has an empty label");
        }
        if label.len() > 63 {
            return Err("domain label longer than 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("domain name has a character other than letters, digits, '-' and '_'");
        }
    }
    Ok(ascii)
}

pub(super) fn ip(s: &str) -> Result<String, Invalid> {
    let addr: IpAddr = s.parse().map_err(|_| "not an IPv4 or IPv6 address")?;
    // An IPv4-mapped IPv6 address names the same host as the IPv4 address.
    Ok(addr.to_canonical().to_string())
}

fn hash(s: &str) -> Result<String, Invalid> {
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("not a hexadecimal hash");
    }
    match s.len() {
        32 | 40 | 56 | 64 | 96 | 128 => Ok(s.to_ascii_lowercase()),
        _ => Err("hash length is not that of MD5, SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512"),
    }
}

fn email(s: &str) -> Result<String, Invalid> {
    let (local, dom) = s.rsplit_once('@').ok_or("e-mail address has no '@'")?;
    if local.is_empty() || local.len() > 64 {
        return Err("e-mail address has an empty or over-long local part");
    }
    if local.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("e-mail local part has white space or control characters");
    }
    let dom = domain(dom).map_err(|_| "e-mail address has an invalid domain part")?;
    // The whole address is compared lower-cased, as mail providers and CTI
    // platforms treat it (bundle format 3; format 2 kept the local part).
    Ok(format!("{}@{dom}", local.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_spellings_meet() {
        let eq = |k, a, b| assert_eq!(normalize(k, a).unwrap(), normalize(k, b).unwrap(), "{a} vs {b}");
        eq(Kind::Domain, "Example.COM.", "example.com");
        eq(Kind::Domain, "bücher.de", "xn--bcher-kva.de");
        eq(Kind::Domain, "BÜCHER.de", "xn--bcher-kva.de");
        eq(Kind::Ip, "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
        eq(Kind::Ip, "::ffff:192.0.2.1", "192.0.2.1");
        eq(
            Kind::Hash,
            "D41D8CD98F00B204E9800998ECF8427E",
            "d41d8cd98f00b204e9800998ecf8427e",
        );
        eq(Kind::Email, "Alice@Example.COM", "alice@example.com");
        eq(Kind::Email, "USER@Mule.Example", "user@mule.example");
        eq(Kind::Email, "ÉLODIE@example.fr", "élodie@example.fr");
        assert_eq!(normalize(Kind::Email, "Alice@X.org").unwrap(), "alice@x.org");
        assert_eq!(normalize(Kind::Raw, " a ").unwrap(), " a ");
    }

    #[test]
    fn invalid_entries_say_why() {
        assert!(normalize(Kind::Ip, "300.1.2.3").is_err());
        assert!(normalize(Kind::Ip, "01.2.3.4").is_err());
        assert!(normalize(Kind::Hash, "abc").is_err());
        assert!(normalize(Kind::Hash, "zz1d8cd98f00b204e9800998ecf8427e").is_err());
        assert!(normalize(Kind::Domain, "a..b").is_err());
        assert!(normalize(Kind::Domain, "exa mple.com").is_err());
        assert!(normalize(Kind::Domain, "192.0.2.1").is_err());
        assert!(normalize(Kind::Domain, &"a".repeat(64)).is_err());
        assert!(normalize(Kind::Email, "nobody").is_err());
        assert!(normalize(Kind::Email, "a@").is_err());
    }

    #[test]
    fn the_ascii_fast_path_agrees_with_idna() {
        for name in [
            "Example.COM",
            "a-b_c.example",
            "ab--cd.example",
            "-lead.example",
            "trail-.example",
            "123.example",
            "x.y.z",
            "_dmarc.Example.org",
            "UPPER",
        ] {
            assert_eq!(to_ascii(name).ok(), idna::domain_to_ascii(name).ok(), "{name}");
        }
        // Not plain: handed to idna (punycode checked, Unicode mapped).
        assert_eq!(to_ascii("XN--BCHER-KVA.example").unwrap(), "xn--bcher-kva.example");
        for name in ["xn--ls8h.example", "xn--a.example", "xn--.example", "a.XN--zz-.example"] {
            assert_eq!(to_ascii(name).ok(), idna::domain_to_ascii(name).ok(), "{name}");
        }
        assert_eq!(to_ascii("Bücher.example").unwrap(), "xn--bcher-kva.example");
    }
}
