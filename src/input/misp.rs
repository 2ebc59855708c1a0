//! MISP attributes: which types are indicators, and of which kind.

use super::{InputError, Kind, Pos, Record, Sink};

/// The kind of each part of a MISP attribute type (`domain|ip` has two
/// parts); `None` for a part that is not an indicator (a port, a file
/// name). `None` overall: a type cosect does not compare.
pub fn parts(ty: &str) -> Option<&'static [Option<Kind>]> {
    use Kind::*;
    Some(match ty {
        "domain" | "hostname" => &[Some(Domain)],
        "ip-src" | "ip-dst" => &[Some(Ip)],
        "email" | "email-src" | "email-dst" => &[Some(Email)],
        "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512" => &[Some(Hash)],
        "url" | "uri" | "link" => &[Some(Url)],
        "domain|ip" => &[Some(Domain), Some(Ip)],
        "hostname|port" => &[Some(Domain), None],
        "ip-src|port" | "ip-dst|port" => &[Some(Ip), None],
        "filename|md5" | "filename|sha1" | "filename|sha224" | "filename|sha256" | "filename|sha384"
        | "filename|sha512" => &[None, Some(Hash)],
        _ => return None,
    })
}

/// `Entries::notes` key: composite attributes compared as their parts.
pub const COMPOSITE: &str = "MISP composite attributes (domain|ip, ip-dst|port, ...) compared as their parts";

/// An IP value as MISP writes it: a single-host CIDR suffix is dropped; a
/// wider range is not one indicator (`None`).
pub fn single_ip(v: &str) -> Option<&str> {
    match v.trim().split_once('/') {
        None => Some(v),
        Some((a, "32")) if !a.contains(':') => Some(a),
        Some((a, "128")) if a.contains(':') => Some(a),
        Some(_) => None,
    }
}

/// The ids of an attribute: its own `uuid` and its `event_id`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ids<'a> {
    pub uuid: Option<&'a str>,
    pub event: Option<&'a str>,
}

/// The context an attribute's entries carry into results: its type and
/// event (`Record::context`, keys `CONTEXT_KEYS`).
pub const CONTEXT_KEYS: [&str; 2] = ["misp_type", "misp_event"];

/// Pass on the indicator parts of one attribute.
pub fn attribute(
    ty: &str,
    value: &str,
    ids: Ids<'_>,
    deleted: bool,
    pos: Pos,
    sink: &mut dyn Sink,
) -> Result<(), InputError> {
    let uuid = ids.uuid;
    if deleted {
        sink.unusable(pos, uuid, "deleted MISP attributes", &format!("{ty}: {value}"));
        return Ok(());
    }
    let Some(kinds) = parts(ty) else {
        sink.unusable(pos, uuid, "MISP attributes of types not compared", ty);
        return Ok(());
    };
    let values: Vec<&str> = if kinds.len() == 1 {
        vec![value]
    } else {
        value.splitn(kinds.len(), '|').collect()
    };
    if values.len() != kinds.len() {
        sink.unusable(
            pos,
            uuid,
            "MISP attributes with malformed values",
            &format!("{ty} value has no '|': {value}"),
        );
        return Ok(());
    }
    if kinds.len() > 1 {
        sink.note(COMPOSITE);
    }
    let context = format!("{ty}{}{}", super::CONTEXT_SEP, ids.event.unwrap_or(""));
    sink.columns(&CONTEXT_KEYS);
    for (kind, v) in kinds.iter().zip(values) {
        let Some(kind) = *kind else { continue };
        let v = if kind == Kind::Ip {
            match single_ip(v) {
                Some(v) => v,
                None => {
                    sink.unusable(pos, uuid, "address ranges (CIDR)", v);
                    continue;
                }
            }
        } else {
            v
        };
        sink.record(Record {
            value: v,
            kind: Some(kind),
            source: uuid,
            context: Some(&context),
            pos,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::input::{read_entries, InputError, InputFormat, Kind, KindSetting, ReadOptions};

    fn read(json: &str, kind: KindSetting, format: Option<InputFormat>) -> Result<crate::input::Entries, InputError> {
        read_entries(
            json.as_bytes(),
            &ReadOptions {
                format,
                column: None,
                kind,
                skip_invalid: false,
                refang: true,
                widen: Default::default(),
            },
        )
    }

    const EVENT: &str = r#"{"Event": {"info": "phish", "uuid": "e1", "Tag": [{"name": "tlp:amber"}],
      "Attribute": [
        {"type": "domain", "value": "Evil.Example.", "uuid": "a1", "to_ids": true},
        {"uuid": "a2", "value": "198.51.100.7|443", "type": "ip-dst|port"},
        {"type": "comment", "value": "seen in mail", "uuid": "a3"},
        {"type": "md5", "value": "D41D8CD98F00B204E9800998ECF8427E", "uuid": "a4", "deleted": true},
        {"type": "ip-src", "value": "10.0.0.0/8", "uuid": "a5"}
      ],
      "Object": [{"name": "file", "uuid": "o1", "Attribute": [
        {"type": "filename|sha256", "uuid": "a6",
         "value": "x.exe|E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"},
        {"type": "domain|ip", "uuid": "a7", "value": "c2.example|2001:db8:0:0:0:0:0:1"}
      ]}]}}"#;

    #[test]
    fn event_export() {
        let e = read(EVENT, KindSetting::Auto, None).unwrap();
        assert_eq!(e.format, InputFormat::Misp.name());
        let canon: Vec<&[u8]> = (0..e.len()).map(|i| e.get(i).1).collect();
        assert_eq!(
            canon,
            vec![
                &b"evil.example"[..],
                b"198.51.100.7",
                b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                b"c2.example",
                b"2001:db8::1"
            ]
        );
        assert_eq!(e.source(0), Some("a1"));
        assert_eq!(e.source(4), Some("a7"));
        assert_eq!(e.original.get(0), "Evil.Example.");
        assert_eq!(e.skip_counts["MISP attributes of types not compared"], 1);
        assert_eq!(e.skip_counts["deleted MISP attributes"], 1);
        assert_eq!(e.skip_counts["address ranges (CIDR)"], 1);
        assert!(
            e.skipped.iter().any(|s| s.at == "Event.Attribute #3 (a3)"),
            "{:?}",
            e.skipped
        );
        // A fixed kind keeps only entries of that kind, and says so.
        let e = read(EVENT, KindSetting::Fixed(Kind::Ip), None).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e.skip_counts["entries of another kind than --kind"], 3);
        assert!(matches!(
            read(EVENT, KindSetting::Auto, Some(InputFormat::Stix)),
            Err(InputError::Format(_))
        ));
    }

    #[test]
    fn attribute_lists_and_responses() {
        let list = r#"[{"type": "sha1", "value": "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "uuid": "u1"},
                       {"type": "email-src", "value": "Mallory@Example.ORG"}]"#;
        let e = read(list, KindSetting::Auto, None).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e.get(1), (Kind::Email, &b"mallory@example.org"[..]));
        assert_eq!(e.source(1), None);
        let wrapped = r#"{"response": {"Attribute": [{"type": "hostname", "value": "a.example"}]}}"#;
        assert_eq!(read(wrapped, KindSetting::Auto, None).unwrap().len(), 1);
        let events = r#"{"response": [{"Event": {"Attribute": [{"type": "domain", "value": "b.example"}]}},
                                      {"Event": {"Attribute": [{"type": "domain", "value": "c.example"}]}}]}"#;
        assert_eq!(read(events, KindSetting::Auto, None).unwrap().len(), 2);
        let bad = r#"{"Event": {"Attribute": [{"type": "domain", "value": "bad..example", "uuid": "u9"}]}}"#;
        let err = read(bad, KindSetting::Auto, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Event.Attribute #1 (u9): domain name has an empty label: bad..example"
        );
    }

    #[test]
    fn bad_json_names_line_and_column() {
        let err = read(
            "{\"Event\": {\"Attribute\": [\n  {\"type\": \"domain\",, }]}}",
            KindSetting::Auto,
            None,
        )
        .unwrap_err();
        assert!(matches!(err, InputError::Json { line: 2, .. }), "{err}");
        assert!(err.to_string().starts_with("invalid JSON at line 2, column"), "{err}");
        let err = read("{\"info\": 1}", KindSetting::Auto, None).unwrap_err();
        assert!(matches!(err, InputError::Format(_)), "{err}");
        let err = read("{\"Event\": {}} x", KindSetting::Auto, None).unwrap_err();
        assert!(matches!(err, InputError::Json { line: 1, .. }), "{err}");
    }
}
