use super::*;
use crate::bundle::mail::parser;

const HEAD: &str = "From: a@example.org\nTo: b@example.org\nSubject: s\n";

fn mail(rest: &str) -> Vec<u8> {
    format!("{HEAD}{rest}").into_bytes()
}

/// The screen's counts bound what the parser builds from `raw` (when the
/// screen lets it through), and it parsed no decoded message.
fn bounded(raw: &[u8]) -> Result<Tally, Exceeded> {
    let tally = screen(raw)?;
    if let Some(msg) = parser().parse(raw) {
        let (got, decoded) = built(&msg);
        assert!(
            got.nesting <= tally.nesting,
            "depth {got:?} > {tally:?}: {:?}",
            show(raw)
        );
        assert!(got.parts <= tally.parts, "parts {got:?} > {tally:?}: {:?}", show(raw));
        assert!(
            got.header_lines <= tally.header_lines,
            "headers {got:?} > {tally:?}: {:?}",
            show(raw)
        );
        assert!(!decoded, "a decoded message was parsed: {:?}", show(raw));
    }
    Ok(tally)
}

fn show(raw: &[u8]) -> String {
    String::from_utf8_lossy(&raw[..raw.len().min(2000)]).into_owned()
}

#[test]
fn honest_mails_pass_with_small_counts() {
    for raw in [
        &include_bytes!("../../../../fuzz/seeds/mail/attachment.eml")[..],
        &include_bytes!("../../../../fuzz/seeds/mail/qp-body.eml")[..],
    ] {
        let t = bounded(raw).unwrap();
        assert!(t.nesting <= 2 && t.parts < 40 && t.header_lines < 40, "{t:?}");
    }
    // A forwarded message (7bit, as RFC 2046 wants it) holding an attachment.
    let raw = mail(
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"===out==\"\n\n\
         --===out==\nContent-Type: multipart/alternative; boundary=alt\n\n\
         --alt\nContent-Type: text/plain\n\nforwarded\n--alt\nContent-Type: text/html\n\n<p>forwarded</p>\n--alt--\n\
         --===out==\nContent-Type: message/rfc822\nContent-Transfer-Encoding: 7bit\n\n\
         From: c@example.org\nContent-Type: multipart/mixed; boundary=in\n\n\
         --in\nContent-Type: text/plain\n\nsee attachment\n\
         --in\nContent-Type: application/octet-stream; name=\"message.age\"\n\
         Content-Disposition: attachment; filename*0=\"mes\"; filename*1=\"sage.age\"\n\
         Content-Transfer-Encoding: base64\n\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCg==\n--in--\n\
         --===out==--\n",
    );
    let t = bounded(&raw).unwrap();
    assert_eq!(t.nesting, 4, "{t:?}");
}

#[test]
fn nesting_counts_multipart_and_message_types() {
    let chain = |n: usize| mail(&"Content-Type: message/rfc822\n\n".repeat(n));
    assert_eq!(bounded(&chain(MAX_NESTING)).unwrap().nesting, MAX_NESTING);
    assert_eq!(bounded(&chain(MAX_NESTING + 1)), Err(Exceeded::Nesting));
    assert_eq!(screen(&chain(300_000)), Err(Exceeded::Nesting));
    // The same boundary at every level.
    let mp = |n: usize| {
        mail(&format!(
            "Content-Type: multipart/mixed; boundary=b\n\n{}",
            "--b\nContent-Type: multipart/mixed; boundary=b\n\n".repeat(n)
        ))
    };
    assert_eq!(bounded(&mp(MAX_NESTING - 1)).unwrap().nesting, MAX_NESTING);
    assert_eq!(bounded(&mp(MAX_NESTING)), Err(Exceeded::Nesting));
    // Spelled as the parser reads it: any case, spaces in the name, folded,
    // a comment first, right after a boundary on the same line.
    for field in [
        "CONTENT-TYPE: MESSAGE/RFC822",
        "content - type : message/rfc822",
        "Content-Type:\n  message/rfc822",
        "Content-Type: (a comment) message/rfc822",
        "Content-Type: x (c) message/rfc822",
    ] {
        let raw = mail(&format!("{field}\n\n").repeat(MAX_NESTING + 1));
        assert_eq!(bounded(&raw), Err(Exceeded::Nesting), "{field}");
    }
    let raw = mail(&format!(
        "Content-Type: multipart/mixed; boundary=b\n\n{}",
        "--bContent-Type: message/rfc822\n\n".repeat(MAX_NESTING)
    ));
    assert_eq!(bounded(&raw), Err(Exceeded::Nesting));
    // A field inside another field's value counts once, with what it holds.
    let raw = mail("X-Note: Content-Type: text/plain; x=Content-Type:multipart/mixed; boundary=q\n\n");
    assert_eq!(bounded(&raw).unwrap().nesting, 1);
    // Not a type: a name or a subtype that says "message" or "multipart".
    let raw = mail(
        "Content-Type: application/octet-stream; name=message.age\n\
         Content-Disposition: attachment; filename=multipart.age\n\n",
    );
    assert_eq!(bounded(&raw).unwrap().nesting, 0);
}

#[test]
fn a_digest_counts_twice_and_refuses_encoded_parts() {
    let raw = mail("Content-Type: multipart/digest; boundary=d\n\n--d\n\nFrom: x\n\nhi\n--d--\n");
    assert_eq!(bounded(&raw).unwrap().nesting, 2);
    // A digest's part without a type is a message: encoded, it is refused.
    let raw = mail(
        "Content-Type: multipart/digest; boundary=d\n\n--d\nContent-Transfer-Encoding: base64\n\n\
         RnJvbTogeAoKaGkK\n--d--\n",
    );
    assert_eq!(bounded(&raw), Err(Exceeded::EncodedMessage));
}

#[test]
fn attached_messages_in_base64_or_quoted_printable_are_refused() {
    for (cte, refused) in [
        ("base64", true),
        ("Quoted-Printable", true),
        (" BASE64 ", true),
        ("=?us-ascii?q?base64?=", true),
        ("x-unknown", true),
        ("7bit", false),
        ("8BIT", false),
        ("binary", false),
    ] {
        for (a, b) in [
            (
                "Content-Type: message/rfc822".to_owned(),
                format!("Content-Transfer-Encoding: {cte}"),
            ),
            (
                format!("Content-Transfer-Encoding: {cte}"),
                "Content-Type: message/rfc822".to_owned(),
            ),
        ] {
            let raw = mail(&format!(
                "Content-Type: multipart/mixed; boundary=b\n\n--b\n{a}\n{b}\n\nRnJvbTogeAoKaGkK\n--b--\n"
            ));
            let got = bounded(&raw);
            assert_eq!(got == Err(Exceeded::EncodedMessage), refused, "{cte}: {got:?}");
        }
    }
    // Encoded parts beside a message part are fine: the encoding is another part's.
    let raw = mail(
        "Content-Type: multipart/mixed; boundary=b\n\n\
         --b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nYWdl\n\
         --b\nContent-Type: message/rfc822\n\nFrom: x\nContent-Transfer-Encoding: base64\n\naGkK\n--b--\n",
    );
    assert!(bounded(&raw).is_ok());
    // A header block goes on across a blank line that is a folded one.
    let raw = mail(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\nX-A: a\n \n\
         Content-Transfer-Encoding: base64\n\nRnJvbTogeAoKaGkK\n--b--\n",
    );
    assert_eq!(bounded(&raw), Err(Exceeded::EncodedMessage));
}

#[test]
fn parts_and_header_lines_are_bounded() {
    let parts = |n: usize| {
        mail(&format!(
            "Content-Type: multipart/mixed; boundary=b\n\n{}--b--\n",
            "--b\n\nx\n".repeat(n)
        ))
    };
    assert!(bounded(&parts(MAX_PARTS / 2 - 10)).is_ok());
    assert_eq!(screen(&parts(MAX_PARTS / 2 + 10)), Err(Exceeded::Parts));
    // Parts without blank lines: boundaries directly followed by a line
    // feed, or by white space that is not one.
    for sep in ["--b\n", "--b\x0c\x0c\n", "--b\r\n"] {
        let raw = mail(&format!(
            "Content-Type: multipart/mixed; boundary=b\n\n{}",
            sep.repeat(MAX_PARTS - 50)
        ));
        assert!(bounded(&raw).is_ok(), "{sep:?}");
        let raw = mail(&format!(
            "Content-Type: multipart/mixed; boundary=b\n\n{}",
            sep.repeat(MAX_PARTS)
        ));
        assert_eq!(screen(&raw), Err(Exceeded::Parts), "{sep:?}");
    }
    // Pairs of dashes, where the parser compares boundaries: `---` is two.
    let dashes = |n: usize| mail(&format!("\n{}\n", "-".repeat(n)));
    assert!(bounded(&dashes(MAX_DASH_PAIRS + 1)).is_ok());
    assert_eq!(screen(&dashes(MAX_DASH_PAIRS + 2)), Err(Exceeded::Dashes));
    // A name cut by the end of the mail is a header, colon or not.
    assert_eq!(bounded(b"b").unwrap().header_lines, 1);
    let headers = |n: usize| mail(&format!("{}\nbody\n", "a:\n".repeat(n)));
    assert!(bounded(&headers(MAX_HEADER_LINES - 10)).is_ok());
    assert_eq!(screen(&headers(MAX_HEADER_LINES)), Err(Exceeded::HeaderLines));
}

#[test]
fn parameter_pieces_and_lengths_are_bounded() {
    let pieces = |n: usize, field: &str| {
        let p: String = (0..n).map(|i| format!(";\n name*{i}=aaaa")).collect();
        mail(&format!(
            "Content-Type: multipart/mixed; boundary=b\n\n--b\n{field}: application/octet-stream{p}\n\nx\n--b--\n"
        ))
    };
    for field in ["Content-Type", "Content-Disposition"] {
        assert!(bounded(&pieces(MAX_PIECES, field)).is_ok());
        assert_eq!(bounded(&pieces(MAX_PIECES + 1, field)), Err(Exceeded::Pieces));
    }
    let long = |n: usize| mail(&format!("Content-Type: text/plain; name=\"{}\"\n\nx\n", "a".repeat(n)));
    assert!(bounded(&long(MAX_PARAMS_BYTES - 100)).is_ok());
    assert_eq!(bounded(&long(MAX_PARAMS_BYTES)), Err(Exceeded::ParamsBytes));
    let boundary = |n: usize| {
        mail(&format!(
            "Content-Type: multipart/mixed; boundary=\"{}\"\n\n",
            "-".repeat(n)
        ))
    };
    assert!(bounded(&boundary(MAX_MULTIPART_BYTES - 100)).is_ok());
    assert_eq!(bounded(&boundary(MAX_MULTIPART_BYTES)), Err(Exceeded::MultipartBytes));
}

#[test]
fn every_refusal_is_one_short_sentence() {
    for e in [
        Exceeded::Nesting,
        Exceeded::Parts,
        Exceeded::HeaderLines,
        Exceeded::Dashes,
        Exceeded::Pieces,
        Exceeded::ParamsBytes,
        Exceeded::MultipartBytes,
        Exceeded::EncodedMessage,
    ] {
        let s = e.to_string();
        assert!(s.starts_with("the mail ") || s.starts_with("a "), "{s}");
        assert!(s.len() < 160 && !s.contains('\n') && !s.ends_with('.'), "{s}");
    }
}

mod generated {
    //! Mails made of the pieces that matter to the parser's structure, in
    //! random order: the screen's counts must bound what it builds.
    use super::*;
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "Content-Type: multipart/mixed; boundary=b",
        "Content-Type: multipart/mixed; boundary=c",
        "Content-Type: multipart/digest; boundary=d",
        "content-type:message/rfc822",
        "Content-Type: message/global",
        "Content - Type : (x) multipart/alternative;\n boundary=\"b\"",
        "Content-Type:\n multipart/related; boundary=c",
        "Content-Type: text/plain; name*0=a; name*1=b",
        "Content-Type: application/octet-stream; name=message.age",
        "Content-Disposition: attachment; filename=\"a.age\"",
        "Content-Transfer-Encoding: base64",
        "Content-Transfer-Encoding: quoted-printable",
        "Content-Transfer-Encoding: 7bit",
        "From: a@example.org",
        "X: y",
        "a:",
        "no colon here",
        "--b",
        "--b--",
        "--c",
        "--c--",
        "--d",
        "--d--",
        "--bContent-Type: message/rfc822",
        "--b\x0c\x0c",
        "--c \t",
        "---b",
        "",
        "\r",
        " ",
        "\t",
        "\x0c",
        "hello world",
        "aGVsbG8gd29ybGQK",
        "hello=20world=",
        "-----BEGIN AGE ENCRYPTED FILE-----",
    ];

    fn joined(picks: &[(usize, bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        for &(i, crlf) in picks {
            out.extend_from_slice(PIECES[i % PIECES.len()].as_bytes());
            out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn counts_bound_what_the_parser_builds(picks in prop::collection::vec((0usize..64, prop::bool::weighted(0.1)), 0..120)) {
            let _ = bounded(&joined(&picks));
        }

        #[test]
        fn counts_bound_what_the_parser_builds_from_any_bytes(raw in prop::collection::vec(
            prop::sample::select(&b"-:;/\n\r \t\x0cbdcmessagmultipartCONTENTtype=*()\"'?"[..]), 0..400)) {
            let _ = bounded(&raw);
        }
    }
}
