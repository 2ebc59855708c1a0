//! STIX 2.1 objects: indicators whose pattern compares values of kinds
//! cosect knows, and the matching cyber-observable objects (SCOs).
//!
//! A pattern is used when it is a disjunction (`OR`) of equality
//! comparisons, in one or several observation expressions, e.g.
//! `[domain-name:value = 'a.example' OR ipv4-addr:value = '192.0.2.1']`.
//! Anything else (`AND`, `FOLLOWEDBY`, other operators, qualifiers such as
//! `WITHIN`, other object paths) is counted as unusable, never dropped
//! silently.

use serde_json::Value;

use super::misp::single_ip;
use super::{InputError, Kind, Pos, Record, Sink};

const UNUSABLE_PATTERN: &str = "unusable STIX patterns";
const UNUSABLE_COMPARISON: &str = "STIX comparisons of paths not compared";

/// The kind of a STIX object path, if cosect compares it.
pub fn path_kind(path: &str) -> Option<Kind> {
    let path = path.to_ascii_lowercase();
    match path.as_str() {
        "domain-name:value" => Some(Kind::Domain),
        "ipv4-addr:value" | "ipv6-addr:value" => Some(Kind::Ip),
        "email-addr:value" => Some(Kind::Email),
        "url:value" => Some(Kind::Url),
        _ => {
            let algo = path.strip_prefix("file:hashes.")?.trim_matches('\'');
            hash_algo(algo).then_some(Kind::Hash)
        }
    }
}

fn hash_algo(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "md5" | "sha-1" | "sha1" | "sha-256" | "sha256" | "sha-512" | "sha512"
    )
}

#[derive(Debug, PartialEq)]
enum Tok {
    Open,
    Close,
    LParen,
    RParen,
    Word(String),
    Op(String),
    Str(String),
}

fn tokenize(p: &str) -> Result<Vec<Tok>, &'static str> {
    let mut out = Vec::new();
    let mut it = p.chars().peekable();
    while let Some(&c) = it.peek() {
        match c {
            c if c.is_whitespace() => {
                it.next();
            }
            '[' | ']' | '(' | ')' => {
                it.next();
                out.push(match c {
                    '[' => Tok::Open,
                    ']' => Tok::Close,
                    '(' => Tok::LParen,
                    _ => Tok::RParen,
                });
            }
            '\'' => {
                it.next();
                out.push(Tok::Str(quoted(&mut it)?));
            }
            '=' | '!' | '<' | '>' => {
                let mut op = String::new();
                while let Some(&c) = it.peek() {
                    if matches!(c, '=' | '!' | '<' | '>') {
                        op.push(c);
                        it.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Op(op));
            }
            _ => {
                // A word: a keyword, number or object path; a path may hold
                // quoted parts (`file:hashes.'SHA-256'`).
                let mut w = String::new();
                while let Some(&c) = it.peek() {
                    if c == '\'' && w.ends_with('.') {
                        it.next();
                        w.push('\'');
                        w.push_str(&quoted(&mut it)?);
                        w.push('\'');
                    } else if c.is_whitespace() || matches!(c, '[' | ']' | '(' | ')' | '=' | '!' | '<' | '>' | '\'') {
                        break;
                    } else {
                        w.push(c);
                        it.next();
                    }
                }
                out.push(Tok::Word(w));
            }
        }
    }
    Ok(out)
}

fn quoted(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String, &'static str> {
    let mut s = String::new();
    loop {
        match it.next() {
            None => return Err("a string is not closed"),
            Some('\\') => match it.next() {
                Some(c @ ('\\' | '\'')) => s.push(c),
                _ => return Err("a string has an unknown escape"),
            },
            Some('\'') => return Ok(s),
            Some(c) => s.push(c),
        }
    }
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
    /// (path, value) of each equality comparison.
    cmps: Vec<(String, String)>,
    /// Parentheses open now; bounded so a hostile pattern cannot exhaust the stack.
    depth: usize,
}

/// Deepest nesting of parentheses accepted in a pattern.
const MAX_DEPTH: usize = 32;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }
    fn next(&mut self) -> Option<&Tok> {
        self.at += 1;
        self.toks.get(self.at - 1)
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }
    fn joiner(&self) -> Result<bool, &'static str> {
        if self.is_word("or") {
            return Ok(true);
        }
        for w in ["and", "followedby"] {
            if self.is_word(w) {
                return Err("it joins comparisons or observations with AND or FOLLOWEDBY");
            }
        }
        Ok(false)
    }

    fn enter(&mut self) -> Result<(), &'static str> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("it nests parentheses too deeply");
        }
        Ok(())
    }

    fn observations(&mut self) -> Result<(), &'static str> {
        self.enter()?;
        loop {
            match self.next() {
                Some(Tok::Open) => {
                    self.comparisons()?;
                    if self.next() != Some(&Tok::Close) {
                        return Err("an observation expression is not closed with ']'");
                    }
                    if let Some(Tok::Word(w)) = self.peek() {
                        if !w.eq_ignore_ascii_case("or")
                            && !w.eq_ignore_ascii_case("and")
                            && !w.eq_ignore_ascii_case("followedby")
                        {
                            return Err("it has a qualifier (WITHIN, START/STOP, REPEATS)");
                        }
                    }
                }
                Some(Tok::LParen) => {
                    self.observations()?;
                    if self.next() != Some(&Tok::RParen) {
                        return Err("a parenthesis is not closed");
                    }
                }
                _ => return Err("it does not start with '[' where an observation should"),
            }
            if !self.joiner()? {
                self.depth -= 1;
                return Ok(());
            }
            self.at += 1;
        }
    }

    fn comparisons(&mut self) -> Result<(), &'static str> {
        self.enter()?;
        loop {
            if self.peek() == Some(&Tok::LParen) {
                self.at += 1;
                self.comparisons()?;
                if self.next() != Some(&Tok::RParen) {
                    return Err("a parenthesis is not closed");
                }
            } else {
                let path = match self.next() {
                    Some(Tok::Word(w)) if w.contains(':') => w.clone(),
                    Some(Tok::Word(w)) if w.eq_ignore_ascii_case("not") => return Err("it uses NOT"),
                    _ => return Err("a comparison does not start with an object path"),
                };
                match self.next() {
                    Some(Tok::Op(o)) if o == "=" => {}
                    Some(Tok::Op(_)) => return Err("it compares with an operator other than '='"),
                    Some(Tok::Word(_)) => {
                        return Err("it compares with an operator other than '=' (LIKE, MATCHES, IN, ...)")
                    }
                    _ => return Err("a comparison has no operator"),
                }
                // Numbers and booleans are kept as text: they belong to
                // paths cosect does not compare, reported as such.
                let value = match self.next() {
                    Some(Tok::Str(s) | Tok::Word(s)) => s.clone(),
                    _ => return Err("a comparison has no value"),
                };
                self.cmps.push((path, value));
            }
            if !self.joiner()? {
                self.depth -= 1;
                return Ok(());
            }
            self.at += 1;
        }
    }
}

/// The `(path, value)` equality comparisons of a usable pattern, or why
/// the pattern cannot be used.
pub fn parse_pattern(pattern: &str) -> Result<Vec<(String, String)>, &'static str> {
    let mut p = Parser {
        toks: tokenize(pattern)?,
        at: 0,
        cmps: Vec::new(),
        depth: 0,
    };
    p.observations()?;
    if p.at != p.toks.len() {
        return Err("it has text after the last observation");
    }
    Ok(p.cmps)
}

fn emit(kind: Kind, value: &str, id: Option<&str>, pos: Pos, sink: &mut dyn Sink) -> Result<(), InputError> {
    let value = if kind == Kind::Ip {
        match single_ip(value) {
            Some(v) => v,
            None => {
                sink.unusable(pos, id, "address ranges (CIDR)", value);
                return Ok(());
            }
        }
    } else {
        value
    };
    sink.record(Record {
        value,
        kind: Some(kind),
        source: id,
        context: None,
        pos,
    })
}

/// Pass on what one STIX object holds.
pub fn object(obj: &Value, pos: Pos, sink: &mut dyn Sink) -> Result<(), InputError> {
    let id = obj.get("id").and_then(Value::as_str);
    let str_field = |k: &str| obj.get(k).and_then(Value::as_str);
    match str_field("type").unwrap_or("") {
        "indicator" => {
            if obj.get("revoked") == Some(&Value::Bool(true)) {
                sink.unusable(pos, id, "revoked STIX indicators", str_field("pattern").unwrap_or(""));
                return Ok(());
            }
            let Some(pattern) = str_field("pattern") else {
                sink.unusable(pos, id, UNUSABLE_PATTERN, "the indicator has no pattern");
                return Ok(());
            };
            if let Some(pt) = str_field("pattern_type").filter(|t| !t.eq_ignore_ascii_case("stix")) {
                sink.unusable(pos, id, UNUSABLE_PATTERN, &format!("pattern_type {pt}: {pattern}"));
                return Ok(());
            }
            match parse_pattern(pattern) {
                Err(why) => sink.unusable(pos, id, UNUSABLE_PATTERN, &format!("{why}: {pattern}")),
                Ok(cmps) => {
                    for (path, value) in cmps {
                        match path_kind(&path) {
                            Some(kind) => emit(kind, &value, id, pos, sink)?,
                            None => sink.unusable(pos, id, UNUSABLE_COMPARISON, &format!("{path} = '{value}'")),
                        }
                    }
                }
            }
        }
        t @ ("domain-name" | "ipv4-addr" | "ipv6-addr" | "email-addr" | "url") => {
            if let Some(v) = str_field("value") {
                let kind = path_kind(&format!("{t}:value")).expect("known SCO type");
                emit(kind, v, id, pos, sink)?;
            }
        }
        "file" => {
            if let Some(hashes) = obj.get("hashes").and_then(Value::as_object) {
                for (algo, v) in hashes {
                    match v.as_str() {
                        Some(v) if hash_algo(algo) => emit(Kind::Hash, v, id, pos, sink)?,
                        _ => sink.unusable(pos, id, "file hashes of other algorithms", algo),
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{read_entries, InputFormat, KindSetting, ReadOptions};

    #[test]
    fn patterns() {
        let ok = |p: &str| parse_pattern(p).unwrap();
        assert_eq!(
            ok("[domain-name:value = 'Evil.example']"),
            vec![("domain-name:value".into(), "Evil.example".into())]
        );
        assert_eq!(
            ok("[ipv4-addr:value = '192.0.2.1' OR (file:hashes.'SHA-256' = 'ab' OR url:value = 'http://x/it\\'s')] OR [email-addr:value='a@b.example']")
                .len(),
            4
        );
        assert_eq!(ok("[file:hashes.'SHA-256' = 'ab']")[0].0, "file:hashes.'SHA-256'");
        assert_eq!(
            parse_pattern("[network-traffic:dst_port = 4444 AND domain-name:value = 'a']"),
            Err("it joins comparisons or observations with AND or FOLLOWEDBY")
        );
        assert_eq!(path_kind("file:hashes.'SHA-256'"), Some(Kind::Hash));
        assert_eq!(path_kind("file:hashes.MD5"), Some(Kind::Hash));
        assert_eq!(path_kind("file:name"), None);
        for bad in &[
            "[domain-name:value = 'a' AND ipv4-addr:value = '1.2.3.4']",
            "[domain-name:value LIKE '%.example']",
            "[domain-name:value != 'a']",
            "[domain-name:value = 'a'] WITHIN 300 SECONDS",
            "[domain-name:value = 'a'] FOLLOWEDBY [domain-name:value = 'b']",
            "[domain-name:value = 'a'",
            "domain-name:value = 'a'",
            "[domain-name:value = 'unterminated]",
            "[network-traffic:dst_port = 4444 AND domain-name:value = 'a']",
            &format!(
                "{}[domain-name:value = 'a']{}",
                "(".repeat(100_000),
                ")".repeat(100_000)
            ),
            &format!(
                "[{}domain-name:value = 'a'{}]",
                "(".repeat(100_000),
                ")".repeat(100_000)
            ),
        ] {
            assert!(parse_pattern(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bundle_indicators_and_scos() {
        let bundle = r#"{"type": "bundle", "id": "bundle--1", "objects": [
          {"type": "identity", "id": "identity--1", "name": "CERT"},
          {"type": "indicator", "id": "indicator--1", "pattern_type": "stix",
           "pattern": "[domain-name:value = 'EVIL.example.' OR ipv6-addr:value = '2001:0db8:0000:0000:0000:0000:0000:0001']"},
          {"type": "indicator", "id": "indicator--2", "pattern_type": "stix",
           "pattern": "[file:hashes.'SHA-256' = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855'] AND [file:name = 'x']"},
          {"type": "indicator", "id": "indicator--3", "pattern_type": "sigma", "pattern": "title: x"},
          {"type": "indicator", "id": "indicator--4", "pattern": "[x509-certificate:serial_number = '1' OR url:value = 'http://evil.example/a']"},
          {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "198.51.100.7"},
          {"type": "file", "id": "file--1", "hashes": {"MD5": "D41D8CD98F00B204E9800998ECF8427E", "SSDEEP": "3:a:b"}},
          {"type": "domain-name", "id": "domain-name--1", "value": "evil.example"}
        ]}"#;
        let e = read_entries(
            bundle.as_bytes(),
            &ReadOptions {
                format: None,
                column: None,
                kind: KindSetting::Auto,
                skip_invalid: false,
                refang: true,
                widen: Default::default(),
            },
        )
        .unwrap();
        assert_eq!(e.format, InputFormat::Stix.name());
        let got: Vec<(Kind, &[u8], Option<&str>)> =
            (0..e.len()).map(|i| (e.get(i).0, e.get(i).1, e.source(i))).collect();
        assert_eq!(
            got,
            vec![
                (Kind::Domain, &b"evil.example"[..], Some("indicator--1")),
                (Kind::Ip, b"2001:db8::1", Some("indicator--1")),
                (Kind::Url, b"http://evil.example/a", Some("indicator--4")),
                (Kind::Ip, b"198.51.100.7", Some("ipv4-addr--1")),
                (Kind::Hash, b"d41d8cd98f00b204e9800998ecf8427e", Some("file--1")),
            ]
        );
        assert_eq!(e.original.get(0), "EVIL.example.");
        assert_eq!(e.duplicates, 1);
        assert_eq!(e.skip_counts[UNUSABLE_PATTERN], 2);
        assert_eq!(e.skip_counts[UNUSABLE_COMPARISON], 1);
        assert_eq!(e.skip_counts["file hashes of other algorithms"], 1);
        assert!(
            e.skipped.iter().any(|s| s.at == "objects #3 (indicator--2)"),
            "{:?}",
            e.skipped
        );
    }
}
