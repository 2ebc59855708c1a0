//! `cosect inspect`: show a bundle's header, human or JSON.

use serde::Serialize;

use super::*;
use crate::bundle::catalog::{PROTOCOL_CATALOG, TO_ANYONE};
use crate::bundle::format_time;
use crate::bundle::Payload;
use crate::cli::InspectArgs;
use crate::engine::catalog_name;
use crate::identity::short_fingerprint;
use crate::store::hex;

/// What `inspect` shows, printed two ways.
#[derive(Serialize)]
pub struct Summary {
    file: String,
    envelope: &'static str,
    format_version: u32,
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

pub fn inspect(args: &InspectArgs, _ctx: &Ctx) -> Result<()> {
    let (name, bytes) = read_bundle(&args.bundle)?;
    if let Some((h, _)) = crate::bundle::parts::header(&bytes) {
        return print_stdout(&part_summary(&name, &h, args.json));
    }
    let s = summary_of(args, name, bytes)?;
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
            let peer = load_peer(path)?;
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
    summary_of(args, name, bytes)
}

fn summary_of(args: &InspectArgs, name: String, bytes: Vec<u8>) -> Result<Summary> {
    // An identity is only needed to decrypt; use the default one if present.
    let me = match &args.identity {
        Some(_) => Some(load_identity(&args.identity)?),
        None => default_identity_path()
            .ok()
            .filter(|p| p.exists())
            .and_then(|_| load_identity(&None).ok()),
    };
    let mut bundle = Opened::open(bytes, me.as_ref()).map_err(|e| Error::from(e).in_file(&name))?;
    let (signature, signature_note) = signature(&mut bundle, args.peer.as_deref())?;
    let p = &bundle.payload;
    let s = Summary {
        file: name,
        envelope: bundle.envelope.describe(),
        format_version: p.cosect,
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
        catalog: catalog_summary(p, &bundle.hash),
    };
    Ok(s)
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

/// For `inspect`: the catalog fields of a catalog-protocol bundle.
pub fn catalog_summary(p: &Payload, hash: &[u8; 32]) -> Option<CatalogSummary> {
    let e = p.catalog.as_ref()?;
    Some(CatalogSummary {
        catalog: match p.round {
            0 => catalog_name(hash),
            1 => catalog_name(&p.answers),
            // An answer names the query; the query names the catalog.
            _ => String::new(),
        },
        suite: crate::text::shown(&e.suite),
        key_id: hex(&e.key_id),
        entries: p.n_doubled,
        bytes_each: p.trunc,
        false_match_log2_per_2_24_query: if p.round == 0 && p.trunc > 0 {
            (crate::protocol::catalog::false_match_log2(
                p.n_doubled,
                1 << crate::protocol::catalog::LOG2_QUERY_BOUND,
                p.trunc as usize,
            ) * 10.0)
                .round()
                / 10.0
        } else {
            0.0
        },
        labels: e.n_labels,
        label_bytes: e.label_len,
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
