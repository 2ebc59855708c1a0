//! Refanging: indicators as threat reports write them so that nobody
//! clicks them (`hxxp://evil[.]example`, `bob[at]example.org`) turned back
//! into what they name, before normalization. Only entries with a marker
//! (`has_marker`, one pass over the bytes) are rewritten, so a plain list
//! costs no allocation here.

/// Bracketed notations and what they stand for, matched case-insensitively.
const NOTATIONS: [(&str, &str); 12] = [
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("{dot}", "."),
    ("[:]", ":"),
    ("[://]", "://"),
    ("[@]", "@"),
    ("[at]", "@"),
    ("(at)", "@"),
    ("\\.", "."),
];

/// Defanged schemes (before `:`), matched case-insensitively, longest first.
const SCHEMES: [(&str, &str); 6] = [
    ("hxxxps", "https"),
    ("hxxxp", "http"),
    ("hxxps", "https"),
    ("hxxp", "http"),
    ("fxp", "ftp"),
    ("sxxp", "sftp"),
];

/// Whether `s` may be defanged: it holds `[`, `(`, `{` or `\`, or starts
/// with a letter followed by `x` (`hxxp`, `fxp`, `sxxp`).
pub fn has_marker(s: &str) -> bool {
    let b = s.as_bytes();
    let scheme = b.len() > 1 && matches!(b[0] | 0x20, b'h' | b'f' | b's') && b[1] | 0x20 == b'x';
    scheme || b.iter().any(|&c| matches!(c, b'[' | b'(' | b'{' | b'\\'))
}

/// The refanged text of `s`, or `None` when it has no defanged notation.
pub fn refang(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    let mut rest = s;
    while let Some(i) = rest.find(['[', '(', '{', '\\']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match NOTATIONS.iter().find(|(from, _)| starts_with_ci(rest, from)) {
            Some((from, to)) => {
                out.push_str(to);
                rest = &rest[from.len()..];
                changed = true;
            }
            None => {
                let c = rest.chars().next().unwrap_or_default();
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out.push_str(rest);
    if let Some((from, to)) = SCHEMES
        .iter()
        .find(|(from, _)| starts_with_ci(&out, from) && out[from.len()..].starts_with(':'))
    {
        out.replace_range(..from.len(), to);
        changed = true;
    }
    changed.then_some(out)
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notation() {
        let r = |s: &str| refang(s).unwrap();
        assert_eq!(r("evil[.]example"), "evil.example");
        assert_eq!(r("evil(.)example{.}com"), "evil.example.com");
        assert_eq!(r("evil[DOT]example(Dot)co{dot}uk"), "evil.example.co.uk");
        assert_eq!(r("192.0.2[.]1"), "192.0.2.1");
        assert_eq!(r("evil\\.example"), "evil.example");
        assert_eq!(r("bob[@]example.org"), "bob@example.org");
        assert_eq!(r("bob[AT]example(at)x"), "bob@example@x");
        assert_eq!(r("hxxp://evil[.]example/login"), "http://evil.example/login");
        assert_eq!(r("HXXPS[://]evil.example"), "https://evil.example");
        assert_eq!(r("hXXp[:]//evil.example"), "http://evil.example");
        assert_eq!(r("hxxxp://a.example"), "http://a.example");
        assert_eq!(r("fxp://a.example"), "ftp://a.example");
        assert_eq!(r("sxxp://a.example"), "sftp://a.example");
        assert_eq!(r("192.0.2.1[:]443"), "192.0.2.1:443");
        assert_eq!(refang("evil.example"), None);
        assert_eq!(refang("[2001:db8::1]:443"), None);
        assert_eq!(refang("hxxpx://a"), None);
        assert_eq!(refang("(ü) [x]"), None);
        assert!(has_marker("hxxp://a") && has_marker("a(.)b") && has_marker("a\\.b"));
        assert!(!has_marker("evil.example") && !has_marker("192.0.2.1") && !has_marker("h"));
    }
}
