//! A saved e-mail (`.eml`, RFC 5322 with MIME) that carries a bundle: as
//! an attachment (base64 or any transfer encoding) or armored in a text
//! body (quoted-printable included). The MIME parsing is the `mail-parser`
//! crate's, on bytes that [`bounds::screen`] passed first; this module only
//! walks the parts it returns.

pub mod bounds;

use std::collections::HashSet;

use mail_parser::{HeaderName, Message, MessageParser, MimeHeaders, PartType};

pub use bounds::Exceeded;

/// Headers one of which a mail's header block must hold.
const MAIL_HEADERS: &[&str] = &[
    "from",
    "to",
    "subject",
    "date",
    "mime-version",
    "content-type",
    "message-id",
    "received",
    "return-path",
];

/// Whether `bytes` start with a mail header block: header lines up to a
/// blank line (an mbox `From ` line may come first), one of them a header
/// that mail always has.
pub fn looks_like_mail(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64 << 10)];
    let mut lines = head.split(|b| *b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let mut known = false;
    let mut first = true;
    for line in lines.by_ref() {
        if line.is_empty() {
            return known;
        }
        if std::mem::take(&mut first) && line.starts_with(b"From ") {
            continue;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            continue;
        }
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            return false;
        };
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|b| b.is_ascii_graphic()) {
            return false;
        }
        known |= MAIL_HEADERS.iter().any(|h| h.as_bytes().eq_ignore_ascii_case(name));
    }
    false
}

/// One bundle found in a mail: where (for messages) and its bytes as a
/// file would hold them (COSE, binary age, armored text, or a part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub place: String,
    pub bytes: Vec<u8>,
}

/// Why a mail is not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// It goes over one of the screen's limits (one sentence).
    #[error("{0}")]
    Exceeded(#[from] Exceeded),
    #[error("it looks like a mail but does not parse as one")]
    Unparsed,
}

/// The parser mails are read with: the MIME headers that say where parts
/// are, how they are encoded and what they are called (Content-Type,
/// Content-Disposition, Content-Transfer-Encoding) are parsed; every other
/// header is skipped. [`bounds`] is written for exactly this parser.
pub fn parser() -> MessageParser {
    MessageParser::new()
        .header_content_type(HeaderName::ContentType)
        .header_content_type(HeaderName::ContentDisposition)
        .header_text(HeaderName::ContentTransferEncoding)
        .default_header_ignore()
}

/// Every distinct bundle in the mail `raw`, in the order of its parts;
/// refused when it goes over a limit of [`bounds`] (before it is parsed) or
/// does not parse as a mail at all.
pub fn bundles(raw: &[u8]) -> Result<Vec<Found>, MailError> {
    bounds::screen(raw)?;
    let msg = parser().parse(raw).ok_or(MailError::Unparsed)?;
    let mut found = Vec::new();
    let mut html = Vec::new();
    walk(&msg, &mut found, &mut html, &mut HashSet::new(), 0);
    if found.is_empty() {
        // An HTML-only mail (or one whose text part lost the armor): the
        // armor read from the HTML's text.
        for (place, markup) in html {
            let text = html_text(markup);
            if super::carrier::holds_bundle(text.as_bytes()) {
                found.push(Found {
                    place,
                    bytes: text.into_bytes(),
                });
            }
        }
    }
    Ok(found)
}

/// The text of an HTML body as a reader of armor needs it: tags dropped,
/// `<br>` and `</p>` as line breaks, character references decoded
/// (mail-parser's conversion, linear in the markup), and no-break spaces
/// (`&nbsp;`, which mail programs put in indented text) as spaces.
pub fn html_text(markup: &str) -> String {
    mail_parser::decoders::html::html_to_text(markup).replace('\u{a0}', " ")
}

/// Collect the bundles of every part of `msg`, nested mails included
/// (`depth` bounds the nesting), each distinct one once (`seen`); HTML
/// bodies are set aside in `html`, to be read only when nothing else is
/// found (they repeat the text body).
fn walk<'m>(
    msg: &'m Message<'_>,
    found: &mut Vec<Found>,
    html: &mut Vec<(String, &'m str)>,
    seen: &mut HashSet<&'m [u8]>,
    depth: usize,
) {
    for (i, part) in msg.parts.iter().enumerate() {
        let place = match part.attachment_name() {
            Some(n) => format!("attachment {}", crate::text::shown(n)),
            None => format!("MIME part {}", i + 1),
        };
        let bytes: &[u8] = match &part.body {
            PartType::Text(t) => t.as_bytes(),
            PartType::Binary(b) | PartType::InlineBinary(b) => b,
            PartType::Message(m) if depth < 8 => {
                walk(m, found, html, seen, depth + 1);
                continue;
            }
            PartType::Html(t) => {
                html.push((format!("{place} (HTML)"), t.as_ref()));
                continue;
            }
            // Other parts hold no data of their own.
            _ => continue,
        };
        if super::carrier::holds_bundle(bytes) && seen.insert(bytes) {
            found.push(Found {
                place,
                bytes: bytes.to_vec(),
            });
        }
    }
}
