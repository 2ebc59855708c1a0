//! Lenient reading of age's ASCII armor as mail leaves it: quoted with
//! `> ` (any depth), indented, with trailing white space or CRLF,
//! re-wrapped at any width, or with other text around it. Only white space
//! and `>` are skipped between the BEGIN and END lines; anything else is
//! refused. The decoded bytes are checked strictly after this (age header
//! and MAC, then the signature), so leniency here cannot let altered
//! bytes through.

use base64::Engine as _;

/// The armor's first line, as age writes it.
pub const BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
const END: &str = "-----END AGE ENCRYPTED FILE-----";

/// Why armored text was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ArmorError {
    /// A BEGIN line with no END line after it.
    NoEnd,
    /// An END line with no BEGIN line before it.
    NoBegin,
    /// Something other than base64, white space or `>` between the lines,
    /// or base64 that does not decode (line number of the BEGIN line).
    Damaged(String),
    /// Several armored blocks (line numbers of their BEGIN lines).
    Several(Vec<usize>),
}

impl std::fmt::Display for ArmorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArmorError::NoEnd => write!(f, "the armored text has a BEGIN line but no END line: it was cut short"),
            ArmorError::NoBegin => write!(
                f,
                "the armored text has an END line but no BEGIN line: its start was lost"
            ),
            ArmorError::Damaged(why) => write!(f, "the armored text is damaged: {why}"),
            ArmorError::Several(lines) => {
                let at: Vec<String> = lines.iter().map(|l| format!("line {l}")).collect();
                write!(f, "it holds {} armored bundles (at {})", lines.len(), at.join(", "))
            }
        }
    }
}

/// Whether a byte is dropped from armored text: white space (including
/// CR) and the `>` of quoting.
fn skipped(b: u8) -> bool {
    b.is_ascii_whitespace() || b == b'>'
}

/// `text` without white space and `>`, so that markers and base64 survive
/// quoting and re-wrapping.
fn compact(text: &[u8]) -> Vec<u8> {
    text.iter().copied().filter(|b| !skipped(*b)).collect()
}

fn marker(m: &str) -> Vec<u8> {
    compact(m.as_bytes())
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Whether `text` holds (the start of) an armored age file.
pub fn contains_armor(text: &[u8]) -> bool {
    find(&compact(text), &marker(BEGIN), 0).is_some()
}

/// One armored age file found in a text.
#[derive(Debug, PartialEq, Eq)]
pub struct Block {
    /// The line (from 1) its BEGIN marker starts on.
    pub line: usize,
    /// The binary age file it decodes to, or why it does not.
    pub decoded: Result<Vec<u8>, ArmorError>,
}

/// The line (from 1) of the byte of `text` at each index of its compact
/// form in `at` (ascending): one pass, no copy.
fn lines_of(text: &[u8], at: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(at.len());
    let (mut line, mut k) = (1, 0);
    for &b in text {
        if out.len() == at.len() {
            break;
        }
        if b == b'\n' {
            line += 1;
        }
        if !skipped(b) {
            while out.len() < at.len() && at[out.len()] == k {
                out.push(line);
            }
            k += 1;
        }
    }
    out
}

/// The base64 between a BEGIN and an END marker, decoded.
fn decode_body(body: &[u8]) -> Result<Vec<u8>, ArmorError> {
    if let Some(bad) = body
        .iter()
        .find(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
    {
        let shown = crate::text::shown(&String::from_utf8_lossy(&[*bad]));
        return Err(ArmorError::Damaged(format!(
            "it holds a character that is not base64 ({shown})"
        )));
    }
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| ArmorError::Damaged("its base64 does not decode (lines lost or cut short)".into()))
}

/// Every armored age file in `text`, in order, each decoded on its own
/// (a reply that quotes an earlier mail holds two); empty when `text`
/// holds no BEGIN marker. Refused as a whole only when the first block
/// has no END marker, or an END marker stands with no BEGIN before it.
pub fn blocks(text: &[u8]) -> Result<Vec<Block>, ArmorError> {
    let c = compact(text);
    let (begin, end) = (marker(BEGIN), marker(END));
    let mut found: Vec<(usize, Result<Vec<u8>, ArmorError>)> = Vec::new();
    let mut from = 0;
    while let Some(start) = find(&c, &begin, from) {
        let body_start = start + begin.len();
        match find(&c, &end, body_start) {
            Some(stop) => {
                found.push((start, decode_body(&c[body_start..stop])));
                from = stop + end.len();
            }
            None if found.is_empty() => return Err(ArmorError::NoEnd),
            None => {
                found.push((start, Err(ArmorError::NoEnd)));
                break;
            }
        }
    }
    if found.is_empty() && find(&c, &end, 0).is_some() {
        return Err(ArmorError::NoBegin);
    }
    let starts: Vec<usize> = found.iter().map(|(s, _)| *s).collect();
    Ok(lines_of(text, &starts)
        .into_iter()
        .zip(found)
        .map(|(line, (_, decoded))| Block { line, decoded })
        .collect())
}

/// The one armored age file in `text`, decoded to binary age bytes;
/// `Ok(None)` when `text` holds no BEGIN line; several are refused naming
/// their lines.
pub fn decode(text: &[u8]) -> Result<Option<Vec<u8>>, ArmorError> {
    let mut found = blocks(text)?;
    match found.len() {
        0 => Ok(None),
        1 => found.pop().expect("one block").decoded.map(Some),
        _ => Err(ArmorError::Several(found.iter().map(|b| b.line).collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn armored() -> (age::x25519::Identity, Vec<u8>, Vec<u8>) {
        let id = age::x25519::Identity::generate();
        let asc = crate::bundle::envelope::encrypt(b"bundle bytes", &id.to_public(), true);
        let mut bin = Vec::new();
        std::io::Read::read_to_end(&mut age::armor::ArmoredReader::new(&asc[..]), &mut bin).unwrap();
        (id, bin, asc)
    }

    fn rewrap(asc: &[u8], width: usize) -> String {
        let s = String::from_utf8(asc.to_vec()).unwrap();
        let mut out = String::new();
        for line in s.lines() {
            if line.starts_with("-----") {
                out.push_str(line);
                out.push('\n');
            } else {
                for chunk in line.as_bytes().chunks(width) {
                    out.push_str(std::str::from_utf8(chunk).unwrap());
                    out.push('\n');
                }
            }
        }
        out
    }

    #[test]
    fn mangled_armor_decodes_to_the_binary_file() {
        let (_, bin, asc) = armored();
        let text = String::from_utf8(asc.clone()).unwrap();
        let quoted: String = text.lines().map(|l| format!("> > {l}  \r\n")).collect();
        let indented: String = text.lines().map(|l| format!("    {l}\t\n")).collect();
        let around = format!("Hi Bob,\n\nhere it is:\n\n{text}\n-- \nAlice\n");
        for t in [text, quoted, indented, around, rewrap(&asc, 76), rewrap(&asc, 13)] {
            assert_eq!(decode(t.as_bytes()).unwrap().unwrap(), bin, "{t}");
        }
    }

    #[test]
    fn damaged_armor_is_named() {
        let (_, _, asc) = armored();
        let text = String::from_utf8(asc).unwrap();
        let cut = &text[..text.len() - 40];
        assert_eq!(decode(cut.as_bytes()), Err(ArmorError::NoEnd));
        let bad = text.replacen("-----\n", "-----\n*", 1);
        assert!(matches!(decode(bad.as_bytes()), Err(ArmorError::Damaged(_))));
        let two = format!("{text}\n{text}");
        assert!(matches!(decode(two.as_bytes()), Err(ArmorError::Several(v)) if v.len() == 2 && v[0] == 1));
        assert_eq!(decode(b"just some text"), Ok(None));
        let headless = text.replacen("BEGIN", "BEGUN", 1);
        assert_eq!(decode(headless.as_bytes()), Err(ArmorError::NoBegin));
    }

    #[test]
    fn each_block_of_a_quoting_reply_is_decoded_with_its_line() {
        let (_, bin, asc) = armored();
        let text = String::from_utf8(asc).unwrap();
        let quoted: String = text.lines().map(|l| format!("> {l}\n")).collect();
        let damaged = text.replacen("-----\n", "-----\n*", 1);
        let reply = format!("Hi,\n\n{text}\n-- \nB\n\n{quoted}\n{damaged}");
        let found = blocks(reply.as_bytes()).unwrap();
        let n = text.lines().count();
        let lines: Vec<usize> = found.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![3, 3 + n + 4, 3 + 2 * n + 5]);
        assert_eq!(found[0].decoded.as_ref().unwrap(), &bin);
        assert_eq!(found[1].decoded.as_ref().unwrap(), &bin);
        assert!(matches!(found[2].decoded, Err(ArmorError::Damaged(_))));
        // A marker re-wrapped over two lines is found on the line it starts.
        let split = text.replacen("AGE ENCRYPTED", "AGE\nENCRYPTED", 1);
        assert_eq!(blocks(format!("x\n{split}").as_bytes()).unwrap()[0].line, 2);
    }
}
