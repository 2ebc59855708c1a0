//! Files that are not lists: a public identity, an identity file, a bundle
//! (binary, armored, a part, a saved mail). Read as a list, each would
//! become a handful of `raw` entries and an exchange that matches nothing
//! (and, answered, burns the peer's round 1). Recognized from the first
//! bytes, before anything is read or kept. Pure.

use crate::bundle::sniff::{sniff, What};

/// What a file that is not a list is, and which verb takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotAList {
    /// `a public identity (a .pub file)`, ...
    pub what: &'static str,
    /// Where such a file goes, as a hint.
    pub goes_to: &'static str,
}

const BUNDLE_GOES: &str = "a round 1 goes to `cosect respond FILE`, a round 2 or 3 to `cosect finish FILE`, \
     a catalog to `cosect init --catalog FILE`; `cosect inspect FILE` says which it is; \
     --input takes your own list of entries";

/// What the file starting with `head` is, when it is plainly not a list
/// of entries. `head` is the first bytes (64 KiB is plenty). The file is
/// told by the bundle layer's [`sniff`], which names files for every verb.
pub fn not_a_list(head: &[u8]) -> Option<NotAList> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let found = |what, goes_to| Some(NotAList { what, goes_to });
    match sniff(head) {
        What::Age => found("an age-encrypted file (a cosect bundle?)", BUNDLE_GOES),
        What::Bundle => found("a signed cosect bundle", BUNDLE_GOES),
        What::Part => found("a part of a split cosect bundle", BUNDLE_GOES),
        What::Mail => found(
            "a saved mail",
            "`cosect respond` and `cosect finish` read the bundle a mail carries; \
             --input takes your own list of entries",
        ),
        What::Armored => found("an ASCII-armored cosect bundle", BUNDLE_GOES),
        What::PublicIdentity => found(
            "a public identity (a .pub file)",
            "a peer's public identity goes to --peer FILE; --input takes your own list of entries",
        ),
        What::SecretIdentity => found(
            "an identity file (a secret key)",
            "your identity goes to -i/--identity FILE (keep it private); --input takes your own list of entries",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_what_is_not_a_list() {
        let what = |b: &[u8]| not_a_list(b).map(|n| n.what);
        assert_eq!(
            what(b"age-encryption.org/v1\n-> X25519 abc\n"),
            Some("an age-encrypted file (a cosect bundle?)")
        );
        assert_eq!(what(&[0xd2, 0x84, 0x43, 0xa1]), Some("a signed cosect bundle"));
        assert_eq!(
            what(b"cosect-part/1 of=2 n=1\n"),
            Some("a part of a split cosect bundle")
        );
        assert_eq!(
            what(b"> -----BEGIN AGE ENCRYPTED FILE-----\n> YWJj\n"),
            Some("an ASCII-armored cosect bundle")
        );
        assert_eq!(
            what(b"From: a@example.org\r\nSubject: round 1\r\n\r\nbody\r\n"),
            Some("a saved mail")
        );
        assert_eq!(
            what(b"# ACME CERT\ncosect-v1 age1xyz abc\n"),
            Some("a public identity (a .pub file)")
        );
        assert_eq!(
            what(b"# created: 2026\n# public key: age1\nAGE-SECRET-KEY-1QQQ\n"),
            Some("an identity file (a secret key)")
        );
        for list in [
            &b"evil.example\n192.0.2.1\n"[..],
            b"# cosect-v1 notes\nevil.example\n",
            b"Subject: x\nevil.example\n",
            b"cosect-v1.example\n",
            b"",
        ] {
            assert_eq!(what(list), None, "{}", String::from_utf8_lossy(list));
        }
    }
}
