//! Escaping of untrusted text before it reaches a terminal or a report:
//! every printer of text that came from a file or a peer goes through here.

/// Characters that are not control characters but still change how a
/// terminal shows the text around them: bidirectional overrides and
/// isolates, zero-width characters, the byte-order mark.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
}

/// Show at most 80 characters of untrusted text, with control and
/// invisible characters escaped, so an error message cannot rewrite the
/// terminal or reorder what it shows.
pub fn shown(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 80 {
            out.push('…');
            break;
        }
        if c.is_control() || is_invisible(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A catalog label for a report: all of it, control characters escaped
/// (labels come from the publisher: never let one drive the terminal).
pub fn escape_label(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}
