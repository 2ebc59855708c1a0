//! `cosect inspect`: show a bundle's header, human or JSON.

use serde::Serialize;

use super::*;
use crate::bundle::catalog::{PROTOCOL_CATALOG, TO_ANYONE};
use crate::bundle::format_time;
use crate::bundle::Opened;
use crate::bundle::Payload;
use crate::cli::InspectArgs;
use crate::engine::{catalog_name, typed, Message};
use crate::identity::short_fingerprint;
use crate::protocol::catalog::{false_match_log2, LOG2_QUERY_BOUND, SUITE};
use crate::store::hex;

/// What `inspect` shows, printed two ways.
#[derive(Serialize)]
pub struct Summary {
    file: String,
    envelope: &'static str,
    format_version: u32,
    /// Which message it is ("round 1 of a mutual exchange", "catalog", …),
    /// as the engine types it; "malformed" when it is none.
    message: &'static str,
    /// Why the engine refuses it as any message (then the counts below are
    /// what the bundle declares).
    #[serde(skip_serializing_if = "Option::is_none")]
    malformed: Option<String>,
    protocol: String,
    round: u8,
    mode: String,
    kind: String,
    /// Elements the sender blinded (its set size, padding included).
    points: u64,
    /// Double-encrypted elements returned to the recipient.
    doubled: u64,
    doubled_bytes_each: u8,
    session: String,
    from_name: String,
    from_fingerprint: String,
    to_fingerprint: String,
    created: String,
    expires: String,
    expired: bool,
    answers: Option<String>,
    signature: &'static str,
    signature_note: String,
    /// Catalog protocol only.
    #[serde(skip_serializing_if = "Option::is_none")]
    catalog: Option<CatalogSummary>,
}

pub fn inspect(args: &InspectArgs, ctx: &Ctx) -> Result<()> {
    if let [one] = &args.bundle[..] {
        if let Some(p) = public_identity(one)? {
            return print_stdout(&identity_summary(one, &p, args.json)?);
        }
    }
    let (name, bytes) = read_bundle(&args.bundle)?;
    if let Some(h) = crate::bundle::carrier::part_header(&bytes) {
        return print_stdout(&part_summary(&name, &h, args.json));
    }
    let s = summary_of(args, name, bytes, ctx)?;
    if args.json {
        print_stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&s).expect("JSON to memory")
        ))
    } else {
        print_stdout(&render_human(&s))
    }
}

/// Read a bundle and summarize its header.
/// Whether the signature verifies: under `peer` when given, else under
/// the key the bundle names.
fn signature(bundle: &mut Opened, peer: Option<&Path>) -> Result<(&'static str, String)> {
    Ok(match peer {
        Some(path) => {
            let peer = load_peer_arg(path)?;
            match bundle.check_sender(&peer) {
                Ok(()) => (
                    "valid",
                    format!(
                        "signed by your peer {} ({})",
                        peer.display_name(),
                        peer.short_fingerprint()
                    ),
                ),
                Err(e) => ("invalid", e.to_string()),
            }
        }
        None if bundle.self_signature_valid() => (
            "unchecked",
            "valid for the key the bundle names; pass --peer FILE to check it is your peer's".into(),
        ),
        None => (
            "invalid",
            "the signature does not verify even under the key the bundle names".into(),
        ),
    })
}

/// What one part of a split bundle says about itself.
fn part_summary(name: &str, h: &crate::bundle::parts::PartHeader, json: bool) -> String {
    if json {
        let v = serde_json::json!({
            "file": name,
            "part": h.index,
            "parts": h.count,
            "bundle_sha256": hex(&h.bundle),
            "bundle_bytes": h.size,
        });
        return format!("{}\n", serde_json::to_string_pretty(&v).expect("JSON to memory"));
    }
    format!(
        "{name}: {}\n  pass all {} parts to read it, in any order: cosect inspect FILE.part-*\n",
        h.describe(),
        h.count
    )
}

/// Read a bundle (or its parts) and summarize its header.
pub fn summary(args: &InspectArgs) -> Result<Summary> {
    let (name, bytes) = read_bundle(&args.bundle)?;
    summary_of(
        args,
        name,
        bytes,
        &Ctx {
            quiet: true,
            progress: false,
        },
    )
}

fn summary_of(args: &InspectArgs, name: String, bytes: Vec<u8>, ctx: &Ctx) -> Result<Summary> {
    // An identity is only needed to decrypt; use the default one if present.
    let me = match &args.identity {
        Some(_) => Some(load_identity(&args.identity)?),
        None => default_identity_path()
            .ok()
            .filter(|p| p.exists())
            .and_then(|_| load_identity(&None).ok()),
    };
    let mut bundle = Opened::open(bytes, me.as_ref()).map_err(|e| Error::from(e).in_file(&name))?;
    if let Some(picked) = &bundle.picked {
        ctx.say(format!("cosect: {name}: {picked}"));
    }
    let (signature, signature_note) = signature(&mut bundle, args.peer.as_deref())?;
    let p = &bundle.payload;
    let mut s = Summary {
        file: name,
        envelope: bundle.envelope.describe(),
        format_version: p.cosect,
        message: "malformed",
        malformed: None,
        protocol: crate::text::shown(&p.protocol),
        round: p.round,
        mode: crate::text::shown(&p.mode),
        kind: crate::text::shown(&p.kind),
        points: p.n_points,
        doubled: p.n_doubled,
        doubled_bytes_each: p.trunc,
        session: hex(&p.session),
        from_name: bundle.sender.display_name(),
        from_fingerprint: bundle.sender.short_fingerprint(),
        to_fingerprint: if is_public(p) {
            "anyone (a public catalog)".into()
        } else {
            short_fingerprint(&p.to)
        },
        created: format_time(p.created),
        expires: format_time(p.expires),
        expired: now() >= p.expires,
        answers: (!p.answers.is_empty()).then(|| hex(&p.answers)),
        signature,
        signature_note,
        catalog: None,
    };
    match typed(&mut bundle.payload) {
        Ok(m) => s.show(&m, &bundle.hash),
        Err(e) => s.malformed = Some(e.to_string()),
    }
    Ok(s)
}

impl Summary {
    /// The message's own fields, as the engine typed them.
    fn show(&mut self, m: &Message, hash: &[u8; 32]) {
        let each = |bytes: &[u8], n: usize| bytes.len().checked_div(n).unwrap_or(0) as u64;
        let (message, points, doubled, trunc) = match m {
            Message::Round1(r) => ("round 1 of a mutual exchange", &r.elements.points[..], &[][..], 0),
            Message::Round2(r) => {
                let e = &r.elements;
                ("round 2 of a mutual exchange", &e.points[..], &e.doubled[..], e.trunc)
            }
            Message::Round3(r) => (
                "round 3 of a mutual exchange",
                &[][..],
                &r.elements.doubled[..],
                r.elements.trunc,
            ),
            Message::CatalogQuery(q) => ("catalog query", &q.points[..], &[][..], 0),
            Message::CatalogAnswer(a) => ("catalog answer", &a.points[..], &[][..], 0),
            Message::Catalog(c) => ("catalog", &[][..], &c.outputs[..], c.trunc as usize),
        };
        self.message = message;
        self.points = each(points, 32);
        self.doubled = each(doubled, trunc);
        self.doubled_bytes_each = trunc as u8;
        self.catalog = catalog_summary(m, hash);
    }
}

/// The human summary: counts first, then who, when and the signature.
pub fn render_human(s: &Summary) -> String {
    let mut out = String::new();
    match &s.catalog {
        Some(c) => out.push_str(&render_summary(c, s.points, s.round)),
        None => out.push_str(&format!(
            "{:<11}{} blinded (32 B each), {} double-encrypted ({} B each)\n",
            "elements:", s.points, s.doubled, s.doubled_bytes_each
        )),
    }
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<11}{v}\n"));
    line("file:", format!("{} ({})", s.file, s.envelope));
    line(
        "bundle:",
        format!(
            "cosect v{}, protocol {}, round {}, mode {}, kind {}",
            s.format_version, s.protocol, s.round, s.mode, s.kind
        ),
    );
    line("message:", s.message.into());
    if let Some(why) = &s.malformed {
        line("malformed:", format!("{why} (the counts above are what it declares)"));
    }
    line("from:", format!("{} ({})", s.from_name, s.from_fingerprint));
    line("to:", s.to_fingerprint.clone());
    line("session:", s.session.clone());
    line("created:", s.created.clone());
    line(
        "expires:",
        format!("{}{}", s.expires, if s.expired { " (EXPIRED)" } else { "" }),
    );
    line("answers:", s.answers.clone().unwrap_or_else(|| "-".into()));
    line("signature:", format!("{}: {}", s.signature, s.signature_note));
    out
}

// ---------------------------------------------------------------- catalog facts

/// Catalog facts for `inspect`.
#[derive(Serialize, Debug)]
pub struct CatalogSummary {
    /// How people name this catalog (first 16 hex digits of its hash);
    /// empty for an answer.
    pub catalog: String,
    pub suite: String,
    pub key_id: String,
    pub entries: u64,
    pub bytes_each: u8,
    /// log2 of the chance that a query of 2^24 entries has a false match.
    pub false_match_log2_per_2_24_query: f64,
    pub labels: u64,
    pub label_bytes: u32,
}

/// For `inspect`: the catalog facts of a catalog-protocol message.
fn catalog_summary(m: &Message, hash: &[u8; 32]) -> Option<CatalogSummary> {
    let facts = |catalog: String, key_id: &[u8]| CatalogSummary {
        catalog,
        suite: SUITE.into(),
        key_id: hex(key_id),
        entries: 0,
        bytes_each: 0,
        false_match_log2_per_2_24_query: 0.0,
        labels: 0,
        label_bytes: 0,
    };
    Some(match m {
        Message::CatalogQuery(q) => facts(catalog_name(&q.catalog), &q.key_id),
        // An answer names the query; the query names the catalog.
        Message::CatalogAnswer(a) => facts(String::new(), &a.key_id),
        Message::Catalog(c) => CatalogSummary {
            entries: c.len(),
            bytes_each: c.trunc,
            false_match_log2_per_2_24_query: if c.trunc > 0 {
                (false_match_log2(c.len(), 1 << LOG2_QUERY_BOUND, c.trunc as usize) * 10.0).round() / 10.0
            } else {
                0.0
            },
            labels: c.n_labels,
            label_bytes: c.label_len,
            ..facts(catalog_name(hash), &c.key_id)
        },
        _ => return None,
    })
}

/// The human lines `inspect` shows first for a catalog-protocol bundle
/// (`points`: the elements of a query or answer). A catalog is named by
/// one id everywhere (`catalog_name`, the prefix of its hash); the key id
/// appears in full in `--json` only, so that no second 16-hex id shows.
pub fn render_summary(s: &CatalogSummary, points: u64, round: u8) -> String {
    if s.entries > 0 {
        format!(
            "catalog:   {}: {} entries, truncated PRF outputs of {} B each ({});\n           \
             a query of up to 2^24 entries has a false match with probability below 2^{:.0};\n           \
             {}\n",
            s.catalog,
            s.entries,
            s.bytes_each,
            s.suite,
            s.false_match_log2_per_2_24_query.ceil(),
            if s.labels > 0 {
                format!("{} encrypted labels, padded to {} B each", s.labels, s.label_bytes)
            } else {
                "no labels".into()
            }
        )
    } else if round == 1 {
        format!(
            "elements:  {points} blinded (32 B each), a query against catalog {}\n",
            s.catalog
        )
    } else {
        format!("elements:  {points} evaluated (32 B each), an answer made with the key of the queried catalog\n")
    }
}

/// For `inspect`'s `to:` line: a catalog is addressed to no one in particular.
pub fn is_public(p: &Payload) -> bool {
    p.protocol == PROTOCOL_CATALOG && p.to[..] == TO_ANYONE
}

/// The public identity in `path`, when the file is one (a `.pub`).
fn public_identity(path: &Path) -> Result<Option<PublicIdentity>> {
    use std::io::Read;
    if path.as_os_str() == "-" {
        return Ok(None);
    }
    let mut head = Vec::new();
    let Ok(f) = std::fs::File::open(path) else {
        return Ok(None);
    };
    if f.take(64 << 10).read_to_end(&mut head).is_err() {
        return Ok(None);
    }
    if crate::bundle::sniff::sniff(&head) != crate::bundle::sniff::What::PublicIdentity {
        return Ok(None);
    }
    load_peer(path).map(Some)
}

/// What `inspect FILE.pub` prints: whose identity it is, its fingerprint,
/// and its name in the peers book if it is there.
fn identity_summary(path: &Path, p: &PublicIdentity, json: bool) -> Result<String> {
    let in_book = super::peers::book_dir()
        .ok()
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|e| e.extension().is_some_and(|x| x == "pub"))
        .find(|e| load_peer(e).is_ok_and(|q| q == *p))
        .and_then(|e| e.file_stem().map(|s| s.to_string_lossy().into_owned()));
    if json {
        let mut v = super::keygen::public_json(p);
        v["file"] = shown_path(path).into();
        v["peers_book_name"] = in_book.into();
        return Ok(format!(
            "{}\n",
            serde_json::to_string_pretty(&v).expect("JSON to memory")
        ));
    }
    Ok(format!(
        "file:        {} (a public identity)\nname:        {}\nfingerprint: {}\npeers book:  {}\n",
        shown_path(path),
        p.display_name(),
        p.short_fingerprint(),
        match in_book {
            Some(n) => format!("in your peers book as {}", crate::text::shown(&n)),
            None => "not in your peers book (`cosect peers add NAME FILE` adds it)".into(),
        }
    ))
}
