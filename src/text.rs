//! Escaping of untrusted text before it reaches a terminal or a report:
//! every printer of text that came from a file or a peer goes through here.

/// Characters that are not control characters but still change how a
/// terminal shows the text around them: bidirectional overrides and
/// isolates, zero-width characters, the byte-order mark.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
}

/// Untrusted text with every control and invisible character escaped
/// (`\u{202e}`, `\n`, …): the one escaping of peer text, used for
/// messages, reports and labels alike.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    if c.is_control() || is_invisible(c) {
        out.extend(c.escape_default());
    } else {
        out.push(c);
    }
}

/// Show at most 80 characters of untrusted text, escaped as by [`escape`],
/// so an error message cannot rewrite the terminal or reorder what it shows.
pub fn shown(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 80 {
            out.push('…');
            break;
        }
        push_escaped(&mut out, c);
    }
    out
}

/// Lower-case hex of `bytes` (ids, fingerprints, file names).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_invisibles_alike() {
        assert_eq!(
            escape("a\u{202e}b\u{200b}c\td\u{1b}[0m"),
            "a\\u{202e}b\\u{200b}c\\td\\u{1b}[0m"
        );
        assert_eq!(shown("x\u{2066}y"), escape("x\u{2066}y"));
        assert_eq!(shown(&"é".repeat(81)), format!("{}…", "é".repeat(80)));
    }
}
