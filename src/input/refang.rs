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

/// Any valid domain, IP, e-mail or URL and each defanged form of it read
/// to the same kind and canonical bytes, under `--kind auto` and under its
/// own fixed kind.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use crate::input::{read_entries, Kind, KindSetting, ReadOptions};

    const DOTS: [&str; 8] = [".", "[.]", "(.)", "{.}", "[dot]", "(DOT)", "{Dot}", "\\."];
    const ATS: [&str; 4] = ["@", "[@]", "[at]", "(At)"];

    fn domain() -> impl Strategy<Value = String> {
        "([a-zA-Z0-9]([a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?\\.){1,3}[a-zA-Z]{2,6}\\.?"
    }

    fn ip() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(|b| std::net::Ipv4Addr::from(b).to_string()),
            any::<[u16; 8]>().prop_map(|w| std::net::Ipv6Addr::from(w).to_string()),
        ]
    }

    fn email() -> impl Strategy<Value = String> {
        ("[a-zA-Z0-9_+-]{1,8}(\\.[a-zA-Z0-9_+-]{1,4})?", domain()).prop_map(|(l, d)| format!("{l}@{d}"))
    }

    fn url() -> impl Strategy<Value = String> {
        let host = prop_oneof![
            domain(),
            any::<[u8; 4]>().prop_map(|b| std::net::Ipv4Addr::from(b).to_string())
        ];
        let scheme = prop_oneof![Just("http"), Just("HTTPS"), Just("ftp"), Just("sftp")];
        let port = proptest::option::of(1u16..);
        let path = "(/[a-zA-Z0-9._~-]{0,6}){0,3}(\\?[a-z0-9=&]{0,8})?";
        (scheme, host, port, path).prop_map(|(s, h, p, path)| {
            let p = p.map(|p| format!(":{p}")).unwrap_or_default();
            let h = h.strip_suffix('.').unwrap_or(&h).to_owned();
            format!("{s}://{h}{p}{path}")
        })
    }

    /// `plain` with each `.` and `@` written in one of the notations
    /// (chosen by `picks`), `://` or `:` bracketed, the scheme defanged.
    fn defang(plain: &str, picks: &[usize]) -> String {
        let mut pick = picks.iter().cycle().copied();
        let mut out = String::new();
        let (scheme, rest) = match plain.split_once("://") {
            Some((s, r)) => (Some(s), r),
            None => (None, plain),
        };
        if let Some(s) = scheme {
            let fanged = match s.to_ascii_lowercase().as_str() {
                "http" => ["hxxp", "hXXp", "hxxxp"][pick.next().unwrap_or(0) % 3],
                "https" => ["hxxps", "HXXPS", "hxxxps"][pick.next().unwrap_or(0) % 3],
                "ftp" => "fxp",
                _ => "sxxp",
            };
            out.push_str(fanged);
            out.push_str(["://", "[://]", "[:]//"][pick.next().unwrap_or(0) % 3]);
        }
        for c in rest.chars() {
            match c {
                '.' => out.push_str(DOTS[pick.next().unwrap_or(0) % DOTS.len()]),
                '@' => out.push_str(ATS[pick.next().unwrap_or(0) % ATS.len()]),
                ':' if scheme.is_none() => out.push_str(["[:]", ":"][pick.next().unwrap_or(0) % 2]),
                c => out.push(c),
            }
        }
        out
    }

    fn read(entry: &str, kind: KindSetting) -> (Kind, Vec<u8>) {
        let opts = ReadOptions {
            format: Some(crate::input::InputFormat::Text),
            column: None,
            kind,
            skip_invalid: false,
            refang: true,
            widen: Default::default(),
        };
        let e = read_entries(entry.as_bytes(), &opts).unwrap_or_else(|err| panic!("{entry}: {err}"));
        (e.get(0).0, e.get(0).1.to_vec())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn defanged_forms_meet_the_plain_one(
            (kind, plain) in prop_oneof![
                domain().prop_map(|s| (Kind::Domain, s)),
                ip().prop_map(|s| (Kind::Ip, s)),
                email().prop_map(|s| (Kind::Email, s)),
                url().prop_map(|s| (Kind::Url, s)),
            ],
            picks in proptest::collection::vec(0usize..64, 1..8),
        ) {
            let fanged = defang(&plain, &picks);
            let want = read(&plain, KindSetting::Auto);
            prop_assert_eq!(want.0, kind, "{} detected as {}", &plain, want.0);
            prop_assert_eq!(&read(&fanged, KindSetting::Auto), &want, "{}", &fanged);
            prop_assert_eq!(&read(&fanged, KindSetting::Fixed(kind)), &want, "{}", &fanged);
        }
    }
}
