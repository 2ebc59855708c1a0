//! What a file is, told from its first bytes: so that a file given where a
//! bundle (or a list, or an identity) is expected is refused by naming
//! what it is ("a public identity", "an HTML page") instead of by the
//! check it failed first. Pure: bytes in, a classification out. Callers
//! pass a prefix (a few KiB are enough); nothing here reads past 64 KiB.

use super::envelope::AGE_MAGIC;
use super::{armor, mail, parts};
use crate::identity::PUBLIC_PREFIX;

/// How far into the bytes the classifier looks.
const LOOK: usize = 64 << 10;

/// What a file holds, as far as its first bytes tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum What {
    /// No bytes at all.
    Empty,
    /// Only white space.
    Blank,
    /// An unencrypted bundle (a tagged COSE_Sign1).
    Bundle,
    /// A binary age file (a bundle encrypted to someone, or any age file).
    Age,
    /// Text holding an armored age file.
    Armored,
    /// One part of a split bundle.
    Part,
    /// A saved e-mail.
    Mail,
    /// A cosect public identity (`cosect-v1 age1… …`, a `.pub` file).
    PublicIdentity,
    /// An age or cosect identity file (an `AGE-SECRET-KEY-1…` line).
    SecretIdentity,
    /// An age public key alone (`age1…`).
    AgeRecipient,
    /// An HTML page (a web page saved instead of the file it links to).
    Html,
    /// A STIX 2.1 bundle (JSON).
    Stix,
    /// A MISP export (JSON).
    Misp,
    /// Other JSON.
    Json,
    /// A PDF document.
    Pdf,
    /// A ZIP archive (also .docx, .xlsx).
    Zip,
    /// A gzip-compressed file.
    Gzip,
    /// Text with commas on every line: CSV.
    Csv,
    /// Other text: a list, one entry per line.
    Text,
    /// Binary data of no kind recognized here.
    Binary,
}

impl What {
    /// The noun phrase for messages: "a public identity (a .pub file)".
    pub fn describe(self) -> &'static str {
        match self {
            What::Empty => "an empty file",
            What::Blank => "a file of white space only",
            What::Bundle => "a cosect bundle",
            What::Age => "an age-encrypted file",
            What::Armored => "an armored age file",
            What::Part => "one part of a split bundle",
            What::Mail => "a saved mail",
            What::PublicIdentity => "a public identity (a .pub file), not a bundle",
            What::SecretIdentity => "an identity file (a secret key), not a bundle",
            What::AgeRecipient => "an age public key, not a bundle",
            What::Html => "an HTML page, not a bundle",
            What::Stix => "a STIX 2.1 bundle (a list of indicators), not a cosect bundle",
            What::Misp => "a MISP export (a list of attributes), not a cosect bundle",
            What::Json => "a JSON document, not a cosect bundle",
            What::Pdf => "a PDF document, not a bundle",
            What::Zip => "a ZIP archive, not a bundle",
            What::Gzip => "a gzip-compressed file, not a bundle",
            What::Csv => "a CSV file (a list?), not a bundle",
            What::Text => "a text file (a list?), not a bundle",
            What::Binary => "not a cosect bundle (binary data of an unknown kind)",
        }
    }

    /// Whether a bundle reader should go on with these bytes (they are, or
    /// may carry, a bundle).
    pub fn may_hold_bundle(self) -> bool {
        matches!(self, What::Bundle | What::Age | What::Armored | What::Part | What::Mail)
    }

    /// What to do instead, when a bundle was expected.
    pub fn hint_for_bundle(self) -> &'static str {
        match self {
            What::PublicIdentity => {
                "a public identity goes with --peer (or into the peers book: `cosect peers add NAME FILE`); \
                 `cosect inspect FILE` shows whose it is"
            }
            What::SecretIdentity => "an identity file goes with -i; pass the bundle your peer sent as the file",
            What::Stix | What::Misp | What::Csv | What::Text => {
                "a list goes with --input; pass the bundle file your peer sent here"
            }
            What::Html => {
                "this is a web page, not the file it links to: download the file itself \
                 (\"save link as\"), or ask the sender to attach it"
            }
            What::Pdf | What::Zip | What::Gzip => "pass the bundle file itself; ask the sender which file it is",
            What::Empty | What::Blank => {
                "the copy or download did not carry the bundle; ask the sender for the file again"
            }
            _ => "the file is damaged or not a cosect bundle; ask the sender for it again",
        }
    }
}

/// What `bytes` (a file, or its first KiB) hold.
pub fn sniff(bytes: &[u8]) -> What {
    let head = &bytes[..bytes.len().min(LOOK)];
    if head.is_empty() {
        return What::Empty;
    }
    if head.first() == Some(&0xd2) {
        return What::Bundle;
    }
    if head.starts_with(AGE_MAGIC) {
        return What::Age;
    }
    if head.starts_with(b"%PDF-") {
        return What::Pdf;
    }
    if head.starts_with(b"PK\x03\x04") {
        return What::Zip;
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return What::Gzip;
    }
    if parts::is_part(head) {
        return What::Part;
    }
    if head.iter().all(u8::is_ascii_whitespace) {
        return What::Blank;
    }
    // Text from here, or binary.
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // Cut inside a character at the end of the prefix: still text.
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
        Err(_) => return What::Binary,
    };
    if text.contains('\0') {
        return What::Binary;
    }
    if mail::looks_like_mail(head) {
        return What::Mail;
    }
    if armor::contains_armor(head) {
        return What::Armored;
    }
    let text = text.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if lines.iter().any(|l| l.starts_with("AGE-SECRET-KEY-1")) {
        return What::SecretIdentity;
    }
    if let [one] = lines[..] {
        if one.starts_with(&format!("{PUBLIC_PREFIX} ")) {
            return What::PublicIdentity;
        }
        if one.starts_with("age1") && !one.contains(char::is_whitespace) && one.len() > 50 {
            return What::AgeRecipient;
        }
    }
    let start = text.trim_start();
    let lower: String = start.chars().take(64).collect::<String>().to_ascii_lowercase();
    if lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || lower.starts_with("<?xml") && text.contains("<html")
    {
        return What::Html;
    }
    if start.starts_with('{') || start.starts_with('[') {
        let compact: String = start.chars().filter(|c| !c.is_whitespace()).take(4096).collect();
        if compact.contains("\"type\":\"bundle\"") || compact.contains("\"spec_version\":\"2.") {
            return What::Stix;
        }
        if compact.contains("\"Event\":") || compact.contains("\"Attribute\":") {
            return What::Misp;
        }
        return What::Json;
    }
    let commas = lines.iter().take(20).filter(|l| l.contains(',')).count();
    if lines.len() >= 2 && commas == lines.len().min(20) {
        return What::Csv;
    }
    What::Text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_told_apart() {
        let cases: &[(&[u8], What)] = &[
            (b"", What::Empty),
            (b" \n\t\n", What::Blank),
            (b"\xd2\x84\x43", What::Bundle),
            (b"age-encryption.org/v1\n-> X25519 abc\n", What::Age),
            (b"evil.example\nbad.example\n# comment\n", What::Text),
            (b"domain,customer\na.example,acme\n", What::Csv),
            (
                b"cosect-v1 age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq AAAA Alice\n",
                What::PublicIdentity,
            ),
            (b"# created\nAGE-SECRET-KEY-1QQQQ\n", What::SecretIdentity),
            (
                b"age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n",
                What::AgeRecipient,
            ),
            (b"\n<!DOCTYPE html><html><body>x</body></html>", What::Html),
            (b"<html><head>", What::Html),
            (b"{\"type\": \"bundle\", \"objects\": []}", What::Stix),
            (b"{\"Event\": {\"Attribute\": []}}", What::Misp),
            (b"[1, 2]", What::Json),
            (b"%PDF-1.7\n", What::Pdf),
            (b"PK\x03\x04rest", What::Zip),
            (b"\x1f\x8b\x08", What::Gzip),
            (b"\x00\x01\x02\xff", What::Binary),
            (b"From: a@example.org\nSubject: r1\n\nbody\n", What::Mail),
        ];
        for (bytes, want) in cases {
            assert_eq!(sniff(bytes), *want, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn only_bundle_carriers_go_on() {
        for w in [What::Bundle, What::Age, What::Armored, What::Part, What::Mail] {
            assert!(w.may_hold_bundle());
        }
        for w in [What::Text, What::PublicIdentity, What::Empty, What::Html] {
            assert!(!w.may_hold_bundle());
        }
    }
}
