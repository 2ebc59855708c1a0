//! The screening pass a saved mail goes through before the `mail-parser`
//! crate sees it: one linear walk over the raw bytes that bounds what the
//! parser would build from them, so that a hostile mail is refused in time
//! linear in its size rather than overflowing the stack (nested messages),
//! filling memory (hundreds of thousands of tiny parts or headers) or
//! spending minutes in the parser (RFC 2231 parameter pieces, very long
//! boundaries).
//!
//! This is not a MIME parser. It does not know where a part begins; it
//! counts what *could* be structure, wherever it stands, so every count is
//! an upper bound of what mail-parser 0.11 (configured as
//! [`super::parser`]) does with the same bytes. A mail quoted in a text
//! body counts as if it were structure; nothing is ever counted less than
//! the parser would build. Why each bound holds, from how mail-parser
//! reads:
//!
//! - **Header fields.** A header's name is the non-white-space bytes
//!   before its first colon, on one line (case-insensitive); its value
//!   runs to the first line feed not followed by a space or a tab. The
//!   pass checks, at every colon, whether the non-white-space bytes before
//!   it on its line end with `content-type`, `content-disposition` or
//!   `content-transfer-encoding`, and reads the value from there by the
//!   same rule. Values that overlap (a colon inside a value) end at the
//!   same line feed, so they are one field at most and are counted once,
//!   with what each of them holds.
//! - **Nesting.** The parser goes one level deeper only for a header block
//!   whose Content-Type has the type `multipart` or `message` (the type is
//!   the bytes before the first `/` or `;`; the whole value when a comment
//!   comes first), or, inside a `multipart/digest`, for a part without a
//!   Content-Type (one at a time per digest). So its depth never exceeds
//!   the number of such Content-Type fields, a digest counted twice: that
//!   number is bounded (not the depth, which cannot be known without
//!   parsing).
//! - **Parts.** Every part is a header block, and every header block ends
//!   at a line feed of its own, on a line that is white space only or
//!   (right after a boundary) holds the boundary's `--`; a part that
//!   begins after a boundary has that `--` on a line of its own. So there
//!   are at most 2 + (blank lines) + (lines holding `--`) parts.
//! - **Header lines.** Each header field begins on a line of its own and
//!   holds a colon there (or is cut by the end of the mail): at most one
//!   per line with a colon, and the last line.
//! - **Boundary comparisons.** The parser compares a boundary at every
//!   pair of adjacent dashes it scans, and may scan the mail once for each
//!   multipart whose boundary it does not find: with the pairs and the
//!   multipart fields bounded, and a multipart field's value short, so is
//!   that work.
//! - **Parameter pieces.** Each RFC 2231 continuation (`name*1=`) needs a
//!   `*` in its field's value, so pieces per Content-Type or
//!   Content-Disposition field are at most its `*`s; and the field's
//!   length bounds each parameter, the boundary included.
//! - **Encoded attached messages.** A `message/*` part (or a digest's part
//!   without a type) in base64 or quoted-printable is decoded and parsed
//!   again by the parser, out of this pass's sight, so it is refused: a
//!   header block never spans a line that is empty or white space not
//!   starting with a space or a tab, so it suffices to refuse such a type
//!   and such an encoding between two of those lines (and, when the mail
//!   has a digest, any such encoding). With that, every byte of the mail is
//!   decoded at most once, and the decoded parts total at most three times
//!   the mail (a charset conversion, or a replacement character for a
//!   byte that is not UTF-8).
//!
//! The limits are far above what any mail carrying a bundle holds (a few
//! parts, a few levels, short MIME headers) and far below where the parser
//! becomes slow or large.

use std::fmt;

use mail_parser::{Encoding as PartEncoding, Message, PartType};

/// Most `multipart/*` and `message/*` Content-Type fields in one mail (a
/// bound of its nesting depth).
pub const MAX_NESTING: usize = 64;
/// Most MIME parts, counted as `2 +` blank lines `+` lines holding `--`.
pub const MAX_PARTS: usize = 10_000;
/// Most header fields, counted as lines holding a colon.
pub const MAX_HEADER_LINES: usize = 100_000;
/// Most pairs of adjacent dashes (`---` is two), where the parser compares
/// boundaries.
pub const MAX_DASH_PAIRS: usize = 100_000;
/// Most RFC 2231 parameter pieces in one Content-Type or
/// Content-Disposition field, counted as its `*`s.
pub const MAX_PIECES: usize = 64;
/// Longest Content-Type or Content-Disposition field value, in bytes.
pub const MAX_PARAMS_BYTES: usize = 16 << 10;
/// Longest value of a `multipart` Content-Type field (its boundary is
/// searched for at every `--` of the mail), in bytes.
pub const MAX_MULTIPART_BYTES: usize = 512;

/// The limit a mail went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    Nesting,
    Parts,
    HeaderLines,
    Dashes,
    Pieces,
    ParamsBytes,
    MultipartBytes,
    EncodedMessage,
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exceeded::Nesting => write!(
                f,
                "the mail nests more than {MAX_NESTING} multipart sections and attached messages, \
                 more than cosect reads"
            ),
            Exceeded::Parts => write!(
                f,
                "the mail has more than {MAX_PARTS} MIME parts (counted as its blank and boundary lines), \
                 more than cosect reads"
            ),
            Exceeded::HeaderLines => write!(
                f,
                "the mail has more than {MAX_HEADER_LINES} header lines (counted as its lines with a colon), \
                 more than cosect reads"
            ),
            Exceeded::Dashes => write!(
                f,
                "the mail holds \"--\" more than {MAX_DASH_PAIRS} times (each is compared with its boundaries), \
                 more than cosect reads"
            ),
            Exceeded::Pieces => write!(
                f,
                "a Content-Type or Content-Disposition header of the mail is split into more than \
                 {MAX_PIECES} pieces (RFC 2231), more than cosect reads"
            ),
            Exceeded::ParamsBytes => write!(
                f,
                "a Content-Type or Content-Disposition header of the mail is longer than \
                 {MAX_PARAMS_BYTES} bytes, more than cosect reads"
            ),
            Exceeded::MultipartBytes => write!(
                f,
                "a multipart Content-Type header of the mail is longer than {MAX_MULTIPART_BYTES} bytes, \
                 more than cosect reads"
            ),
            Exceeded::EncodedMessage => write!(
                f,
                "the mail holds an attached message in base64 or quoted-printable, which cosect does not unpack"
            ),
        }
    }
}

impl std::error::Error for Exceeded {}

/// What the pass counted: upper bounds of what the parser builds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// `multipart` and `message` Content-Type fields, a digest twice: at
    /// least the parser's deepest nesting.
    pub nesting: usize,
    /// At least the number of parts the parser makes, nested mails'
    /// included.
    pub parts: usize,
    /// At least the number of header fields the parser keeps.
    pub header_lines: usize,
}

/// Screen the raw bytes of a mail: `Ok` with the counts when the parser
/// may read it, else the limit it goes over. Linear in `raw.len()`; stops
/// at the first limit exceeded.
pub fn screen(raw: &[u8]) -> Result<Tally, Exceeded> {
    let mut s = Screen::default();
    for (i, &b) in raw.iter().enumerate() {
        s.byte(b, raw.get(i + 1).copied())?;
    }
    s.finish()
}

const CONTENT_TYPE: &[u8] = b"content-type";
const CONTENT_DISPOSITION: &[u8] = b"content-disposition";
const CONTENT_TRANSFER_ENCODING: &[u8] = b"content-transfer-encoding";

/// White space as mail-parser skips it between header names and at the
/// start of a header line (`u8::is_ascii_whitespace` without the line feed).
fn blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0c)
}

/// The last 32 bytes pushed.
#[derive(Default)]
struct Ring {
    buf: [u8; 32],
    n: usize,
}

impl Ring {
    fn push(&mut self, b: u8) {
        self.buf[self.n % 32] = b;
        self.n += 1;
    }

    fn clear(&mut self) {
        self.n = 0;
    }

    fn ends_with(&self, s: &[u8]) -> bool {
        let k = s.len();
        self.n >= k && (0..k).all(|i| self.buf[(self.n - k + i) % 32] == s[i])
    }
}

/// Where a Content-Type value stands with respect to its type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Region {
    /// Before the first `/` or `;`: the type.
    Type,
    /// A comment came first: all of the value may be the type.
    All,
    /// After the type.
    Past,
}

/// A Content-Type (`ct`) or Content-Disposition field value being read.
struct Params {
    ct: bool,
    len: usize,
    pieces: usize,
    region: Region,
    window: Ring,
    multipart: bool,
    message: bool,
    digest: bool,
}

impl Params {
    fn new(ct: bool) -> Params {
        Params {
            ct,
            len: 0,
            pieces: 0,
            region: Region::Type,
            window: Ring::default(),
            multipart: false,
            message: false,
            digest: false,
        }
    }

    /// Another field of the same name begins inside this value: its type
    /// is read afresh, what was found so far is kept.
    fn again(&mut self) {
        self.region = Region::Type;
        self.window.clear();
    }

    fn byte(&mut self, b: u8) -> Result<(), Exceeded> {
        self.len += 1;
        if self.len > MAX_PARAMS_BYTES {
            return Err(Exceeded::ParamsBytes);
        }
        if b == b'*' {
            self.pieces += 1;
            if self.pieces > MAX_PIECES {
                return Err(Exceeded::Pieces);
            }
        }
        if !self.ct {
            return Ok(());
        }
        match (self.region, b) {
            (Region::Type, b'(') => self.region = Region::All,
            (Region::Type, b'/' | b';') => self.region = Region::Past,
            _ => {}
        }
        self.window.push(b.to_ascii_lowercase());
        let in_type = self.region != Region::Past;
        self.multipart |= in_type && self.window.ends_with(b"multipart");
        self.message |= in_type && self.window.ends_with(b"message");
        self.digest |= self.window.ends_with(b"digest");
        if self.multipart && self.len > MAX_MULTIPART_BYTES {
            return Err(Exceeded::MultipartBytes);
        }
        Ok(())
    }
}

/// A Content-Transfer-Encoding value being read: its non-white-space bytes.
#[derive(Default)]
struct Encoding {
    word: [u8; 16],
    n: usize,
    long: bool,
}

impl Encoding {
    fn byte(&mut self, b: u8) {
        if b.is_ascii_whitespace() {
            return;
        }
        match self.word.get_mut(self.n) {
            Some(w) => {
                *w = b.to_ascii_lowercase();
                self.n += 1;
            }
            None => self.long = true,
        }
    }

    /// Whether the parser may decode the part (anything but the identity
    /// encodings or nothing).
    fn decodes(&self) -> bool {
        self.long || !matches!(&self.word[..self.n], b"" | b"7bit" | b"8bit" | b"binary")
    }
}

#[derive(Default)]
struct Screen {
    // The current line.
    started: bool,
    first: u8,
    filled: bool,
    dash: bool,
    colon: bool,
    prev: u8,
    name: Ring,
    // Header values being read (all end at the same line feed).
    ct: Option<Params>,
    cd: Option<Params>,
    cte: Option<Encoding>,
    // Since the last line that ends every header block.
    para_message: bool,
    para_decodes: bool,
    // The whole mail so far.
    any_decodes: bool,
    digest: bool,
    nesting: usize,
    blank_lines: usize,
    dash_lines: usize,
    dash_pairs: usize,
    colon_lines: usize,
}

impl Screen {
    fn byte(&mut self, b: u8, next: Option<u8>) -> Result<(), Exceeded> {
        self.values(b)?;
        if b == b'\n' {
            return self.end_line(next);
        }
        if !self.started {
            self.started = true;
            self.first = b;
        }
        self.filled |= !blank(b);
        if b == b'-' && self.prev == b'-' {
            self.dash = true;
            self.dash_pairs += 1;
            if self.dash_pairs > MAX_DASH_PAIRS {
                return Err(Exceeded::Dashes);
            }
        }
        self.prev = b;
        if blank(b) {
            return Ok(());
        }
        if b == b':' {
            self.colon = true;
            self.field();
        }
        self.name.push(b.to_ascii_lowercase());
        Ok(())
    }

    /// Feed a byte to the values being read.
    fn values(&mut self, b: u8) -> Result<(), Exceeded> {
        if let Some(p) = &mut self.ct {
            p.byte(b)?;
        }
        if let Some(p) = &mut self.cd {
            p.byte(b)?;
        }
        if let Some(e) = &mut self.cte {
            e.byte(b);
        }
        Ok(())
    }

    /// A colon: a MIME header field may begin its value here.
    fn field(&mut self) {
        if self.name.ends_with(CONTENT_TYPE) {
            match &mut self.ct {
                Some(p) => p.again(),
                None => self.ct = Some(Params::new(true)),
            }
        } else if self.name.ends_with(CONTENT_DISPOSITION) {
            self.cd.get_or_insert_with(|| Params::new(false));
        } else if self.name.ends_with(CONTENT_TRANSFER_ENCODING) {
            self.cte.get_or_insert_with(Encoding::default);
        }
    }

    fn end_line(&mut self, next: Option<u8>) -> Result<(), Exceeded> {
        if !self.filled {
            self.blank_lines += 1;
        }
        self.dash_lines += usize::from(self.dash);
        self.colon_lines += usize::from(self.colon);
        if self.parts() > MAX_PARTS {
            return Err(Exceeded::Parts);
        }
        if self.colon_lines > MAX_HEADER_LINES {
            return Err(Exceeded::HeaderLines);
        }
        if !matches!(next, Some(b' ' | b'\t')) {
            self.end_values()?;
        }
        // Empty, or white space that is not a folded line: every header
        // block ends here.
        let folded = self.started && matches!(self.first, b' ' | b'\t');
        if !self.filled && !folded {
            self.para_message = false;
            self.para_decodes = false;
        }
        self.started = false;
        self.filled = false;
        self.dash = false;
        self.colon = false;
        self.prev = 0;
        self.name.clear();
        Ok(())
    }

    fn end_values(&mut self) -> Result<(), Exceeded> {
        if let Some(p) = self.ct.take() {
            self.nesting += usize::from(p.multipart || p.message);
            if p.multipart && p.digest {
                self.nesting += 1;
                self.digest = true;
            }
            self.para_message |= p.message;
            if self.nesting > MAX_NESTING {
                return Err(Exceeded::Nesting);
            }
        }
        self.cd = None;
        if let Some(e) = self.cte.take() {
            self.para_decodes |= e.decodes();
        }
        self.any_decodes |= self.para_decodes;
        if (self.para_message && self.para_decodes) || (self.digest && self.any_decodes) {
            return Err(Exceeded::EncodedMessage);
        }
        Ok(())
    }

    fn parts(&self) -> usize {
        2 + self.blank_lines + self.dash_lines
    }

    fn finish(mut self) -> Result<Tally, Exceeded> {
        // The last line, without a line feed, may hold a header field,
        // with or without a colon (the parser takes a name cut by the end).
        self.colon_lines += usize::from(self.colon || self.filled);
        if self.colon_lines > MAX_HEADER_LINES {
            return Err(Exceeded::HeaderLines);
        }
        self.end_values()?;
        Ok(Tally {
            nesting: self.nesting,
            parts: self.parts(),
            header_lines: self.colon_lines,
        })
    }
}

/// What the parser built from a mail, in the terms of [`Tally`]
/// (`nesting` is the depth of its tree of parts), and whether it parsed an
/// attached message it had to decode first. For tests and fuzzing, which
/// check that the screen's counts bound what the parser builds.
pub fn built(msg: &Message<'_>) -> (Tally, bool) {
    let mut tally = Tally::default();
    let mut decoded = false;
    // Messages to visit, with the depth of their first part (no recursion:
    // this runs on whatever the parser made).
    let mut todo = vec![(msg, 0usize)];
    while let Some((m, base)) = todo.pop() {
        let mut depth = vec![base; m.parts.len()];
        for (i, part) in m.parts.iter().enumerate() {
            tally.parts += 1;
            tally.header_lines += part.headers.len();
            tally.nesting = tally.nesting.max(depth[i]);
            match &part.body {
                PartType::Multipart(ids) => {
                    for &j in ids {
                        let j = j as usize;
                        if j > i && j < depth.len() {
                            depth[j] = depth[i] + 1;
                        }
                    }
                }
                PartType::Message(inner) => {
                    decoded |= part.encoding != PartEncoding::None;
                    todo.push((inner, depth[i] + 1));
                }
                _ => {}
            }
        }
    }
    (tally, decoded)
}

#[cfg(test)]
mod tests;
