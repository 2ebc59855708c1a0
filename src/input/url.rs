//! The `url` kind: `scheme://authority/path?query`, parsed by the `url`
//! crate (the WHATWG URL Standard, as browsers read URLs) and normalized by
//! the syntax rules of RFC 3986 §6.2.2, as doc/inputs.md specifies:
//! scheme and host lower-case, the host normalized as a `domain` or an
//! `ip`, the scheme's default port removed, percent-encodings of unreserved
//! characters decoded and the others upper-cased, dot-segments removed, an
//! empty path as `/`, the fragment dropped.

use std::borrow::Cow;
use std::net::IpAddr;

use ::url::{Host, ParseError, Url};

use super::normalize::{domain, Invalid};

/// Length of the `scheme` of `s` when `s` starts with `scheme://`
/// (RFC 3986 §3.1: a letter, then letters, digits, `+`, `-`, `.`).
pub fn scheme_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let n = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))?;
    b[n..].starts_with(b"://").then_some(n)
}

/// The canonical text of a URL, or why it is not one.
pub fn url(s: &str) -> Result<String, Invalid> {
    if scheme_len(s).is_none() {
        return Err("not a URL (scheme://host...)");
    }
    let mut u = Url::parse(&canonical_percents(s)).map_err(parse_reason)?;
    let host = match u.host() {
        None => return Err("URL has no host"),
        Some(Host::Ipv4(a)) => IpAddr::V4(a).to_string(),
        Some(Host::Ipv6(a)) => match IpAddr::V6(a).to_canonical() {
            IpAddr::V4(v4) => v4.to_string(),
            v6 => format!("[{v6}]"),
        },
        Some(Host::Domain(d)) => opaque_host(d)?,
    };
    if u.host_str() != Some(host.as_str()) {
        u.set_host(Some(&host)).map_err(|_| "URL host cannot be normalized")?;
    }
    u.set_fragment(None);
    if u.path().is_empty() {
        u.set_path("/");
    }
    Ok(upper_hex(u.as_str()).into_owned())
}

/// A host the parser left as a name: for `http`, `https`, `ws`, `wss`,
/// `ftp` already IDNA-mapped; for other schemes as written (percent-encoded).
/// Either way: an IPv4 address, else a valid domain name.
fn opaque_host(d: &str) -> Result<String, Invalid> {
    let decoded = percent_encoding::percent_decode_str(d)
        .decode_utf8()
        .map_err(|_| "URL host is not valid UTF-8")?;
    if decoded.is_empty() {
        return Err("URL has an empty host");
    }
    if let Ok(a) = decoded.parse::<IpAddr>() {
        return Ok(a.to_canonical().to_string());
    }
    domain(&decoded)
}

fn parse_reason(e: ParseError) -> Invalid {
    match e {
        ParseError::EmptyHost => "URL has an empty host",
        ParseError::InvalidPort => "URL has an invalid port",
        ParseError::InvalidIpv4Address | ParseError::InvalidIpv6Address => "URL host is not a valid IP address",
        ParseError::IdnaError | ParseError::InvalidDomainCharacter => "URL host is not a valid domain name",
        _ => "not a valid URL",
    }
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// The byte a percent-encoding `%XX` at `i` stands for, if one begins there.
fn escape_at(b: &[u8], i: usize) -> Option<u8> {
    if b[i] != b'%' {
        return None;
    }
    Some(hex_val(*b.get(i + 1)?)? * 16 + hex_val(*b.get(i + 2)?)?)
}

/// The percent signs made canonical, in one pass: a `%XX` of an unreserved
/// character (RFC 3986 §2.3) is decoded (§6.2.2.2), and a `%` that does
/// not begin a percent-encoding is written `%25`, the encoding of `%`
/// itself (§2.4). Then every `%` left begins an escape that does not
/// decode, so decoding cannot make a new one (`%%33` would otherwise become
/// `%3`+`3`, which decodes again), and the canonical form is a fixed point.
fn canonical_percents(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let changes = |i: usize| b[i] == b'%' && escape_at(b, i).is_none_or(is_unreserved);
    if !(0..b.len()).any(changes) {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(b.len() + 8);
    let mut i = 0;
    while i < b.len() {
        match (b[i], escape_at(b, i)) {
            (b'%', Some(c)) if is_unreserved(c) => {
                out.push(c);
                i += 3;
            }
            (b'%', None) => {
                out.extend_from_slice(b"%25");
                i += 1;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    // Only ASCII was put in place of ASCII: still UTF-8.
    Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| s.to_owned()))
}

/// The hex digits of every remaining `%XX` upper-cased (§6.2.2.1).
fn upper_hex(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let escape = |i: usize| escape_at(b, i).is_some();
    let lower = |i: usize| escape(i) && b[i + 1..i + 3].iter().any(u8::is_ascii_lowercase);
    if !(0..b.len()).any(lower) {
        return Cow::Borrowed(s);
    }
    let mut out = b.to_vec();
    let mut i = 0;
    while i < out.len() {
        if escape(i) {
            out[i + 1..i + 3].make_ascii_uppercase();
            i += 3;
        } else {
            i += 1;
        }
    }
    // Only ASCII letters changed case: still UTF-8.
    Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_spellings_meet() {
        let canon = "http://example.com/a/b~c?q=%2F#";
        let canon = url(canon).unwrap();
        assert_eq!(canon, "http://example.com/a/b~c?q=%2F");
        for s in [
            "HTTP://Example.COM:80/a/./x/../b%7Ec?q=%2f",
            "http://example.com./a/b%7ec?q=%2F#frag",
            "http://EXAMPLE.com/a/b~c?q=%2f",
        ] {
            assert_eq!(url(s).unwrap(), canon, "{s}");
        }
        assert_eq!(url("http://a.example/%zz%e9").unwrap(), "http://a.example/%25zz%E9");
        // A stray `%` is escaped before decoding, so decoding makes no new
        // escape and the canonical form is a fixed point (found by fuzzing).
        let canon = url("http://a.example/%%%33%").unwrap();
        assert_eq!(canon, "http://a.example/%25%253%25");
        assert_eq!(url(&canon).unwrap(), canon);
        // The input fuzzing found: a line break inside, which the parser
        // drops after the stray `%` before it was escaped.
        for s in [
            "not1.fff://ont1192.ff:/%%%%%%\r3333l./%8d",
            "http://a.example/%\t41%%4\n1",
        ] {
            let canon = url(s).unwrap();
            assert_eq!(url(&canon).unwrap(), canon, "{s:?}");
        }
        assert_eq!(url("https://example.com").unwrap(), "https://example.com/");
        assert_eq!(url("https://example.com:443/").unwrap(), "https://example.com/");
        assert_eq!(url("https://example.com:8443/").unwrap(), "https://example.com:8443/");
        assert_eq!(url("http://Bücher.example/").unwrap(), "http://xn--bcher-kva.example/");
        assert_eq!(url("http://[2001:DB8:0::1]:80/").unwrap(), "http://[2001:db8::1]/");
        assert_eq!(url("http://[::ffff:192.0.2.1]/").unwrap(), "http://192.0.2.1/");
        assert_eq!(url("SFTP://Files.Example:22").unwrap(), "sftp://files.example:22/");
        assert_eq!(
            url("ssh://B%C3%BCcher.example/x").unwrap(),
            "ssh://xn--bcher-kva.example/x"
        );
    }

    #[test]
    fn broken_urls_say_why() {
        for s in [
            "http://",
            "http://ex ample.com/",
            "http://exa!mple.com/",
            "http://a..b/",
            "http://example.com:99999/",
            "file:///etc/passwd",
            "example.com/path",
            "http:/example.com",
        ] {
            assert!(url(s).is_err(), "{s}");
        }
        assert_eq!(scheme_len("hTTp+s://x"), Some(6));
        assert_eq!(scheme_len("1http://x"), None);
        assert_eq!(scheme_len("mailto:a@b"), None);
    }
}
