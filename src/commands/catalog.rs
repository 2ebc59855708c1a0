//! The published-catalog protocol's command paths: the client's query
//! (`init --catalog`) and result (`finish`), the publisher's answer
//! (`respond` to a catalog query), and the state they keep — the
//! publisher's catalog key and the client's open queries, each
//! age-encrypted to its owner's own identity, 0600, written atomically.
//!
//! State layout under the state directory:
//! - `catalog/key.age`: the current catalog key (one at a time) and the
//!   public facts of retired catalogs, so a stale query is refused by name.
//! - `catalog/queries/<session>.age`: a client's blinds and entries until
//!   `finish`, then deleted.

use std::path::{Path, PathBuf};

use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::*;
use crate::bundle::catalog::{CatalogExt, PROTOCOL_CATALOG, TO_ANYONE};
use crate::bundle::payload::{Payload, HASH_LEN, SESSION_LEN};
use crate::bundle::{format_time, seal, BundleError};
use crate::cli::{FinishArgs, InitArgs, ListIn, ModeArg, RespondArgs};
use crate::fsio::Dest;
use crate::group::Exec;
use crate::protocol::catalog::{self as proto, CatalogKey, CatalogView, Client, MODE, SUITE};
use crate::store::{hex, SecretList};
use crate::store::{load_sealed, save_sealed};

const STATE_VERSION: u32 = 1;
/// Retired catalogs remembered, so that stale queries are refused by name.
const MAX_RETIRED: usize = 64;

/// `--input`, which every command but `respond` to a catalog query needs.
pub fn need_input(list: &ListIn) -> Result<&Path> {
    list.input.as_deref().ok_or_else(|| {
        Error::new("--input FILE is required").with_hint("name your list with --input FILE ('-' for standard input)")
    })
}

/// How people name a catalog: the first 16 hex digits of the SHA-256 of its
/// COSE bytes (what queries name in `answers`).
pub fn catalog_name(hash: &[u8]) -> String {
    hex(&hash[..hash.len().min(8)])
}

// ---------------------------------------------------------------- state

fn catalog_dir(store: &Store) -> PathBuf {
    store.dir().join("catalog")
}

pub fn key_path(store: &Store) -> PathBuf {
    catalog_dir(store).join("key.age")
}

fn query_path(store: &Store, id: &[u8]) -> PathBuf {
    catalog_dir(store).join("queries").join(format!("{}.age", hex(id)))
}

/// The publisher's current catalog key and what it published with it.
#[derive(Serialize, Deserialize)]
pub struct CurrentKey {
    #[serde(with = "serde_bytes")]
    pub sk: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub key_id: Vec<u8>,
    /// SHA-256 of the catalog's COSE bytes.
    #[serde(with = "serde_bytes")]
    pub catalog: Vec<u8>,
    pub kind: String,
    pub entries: u64,
    pub published: u64,
}

impl Drop for CurrentKey {
    fn drop(&mut self) {
        self.sk.zeroize();
    }
}

/// A catalog whose key was destroyed by a later `publish`.
#[derive(Serialize, Deserialize, Clone)]
pub struct Retired {
    #[serde(with = "serde_bytes")]
    pub key_id: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub catalog: Vec<u8>,
    pub published: u64,
    pub retired: u64,
    /// The catalog that replaced it.
    #[serde(with = "serde_bytes")]
    pub replaced_by: Vec<u8>,
}

/// `catalog/key.age`.
#[derive(Serialize, Deserialize, Default)]
pub struct KeyState {
    pub version: u32,
    pub current: Option<CurrentKey>,
    pub retired: Vec<Retired>,
}

impl KeyState {
    pub fn load(store: &Store, me: &Identity) -> Result<KeyState> {
        let path = key_path(store);
        let s: Option<KeyState> = load_sealed(&path, me, "the catalog key")?;
        match s {
            None => Ok(KeyState {
                version: STATE_VERSION,
                ..Default::default()
            }),
            Some(s) if s.version == STATE_VERSION => Ok(s),
            Some(_) => Err(Error::new(format!(
                "{}: the catalog key is of another cosect version",
                path.display()
            ))),
        }
    }

    pub fn save(&self, store: &Store, me: &Identity) -> Result<()> {
        save_sealed(&key_path(store), self, me, true)
    }

    /// Make `new` current; the previous key is destroyed and its catalog
    /// remembered as retired. Returns the retired catalog, if any.
    pub fn rotate(&mut self, new: CurrentKey, now: u64) -> Option<Retired> {
        let replaced_by = new.catalog.clone();
        let old = self.current.replace(new)?;
        let r = Retired {
            key_id: old.key_id.clone(),
            catalog: old.catalog.clone(),
            published: old.published,
            retired: now,
            replaced_by,
        };
        self.retired.push(r.clone());
        if self.retired.len() > MAX_RETIRED {
            let drop = self.retired.len() - MAX_RETIRED;
            self.retired.drain(..drop);
        }
        Some(r)
    }
}

/// A client's open query.
#[derive(Serialize, Deserialize)]
struct QueryState {
    version: u32,
    #[serde(with = "serde_bytes")]
    id: Vec<u8>,
    /// The publisher's public identity line.
    publisher: String,
    kind: String,
    /// Where the catalog was when the query was made (absolute if possible).
    catalog_path: String,
    #[serde(with = "serde_bytes")]
    catalog_hash: Vec<u8>,
    #[serde(with = "serde_bytes")]
    key_id: Vec<u8>,
    /// SHA-256 of the query's COSE bytes; the answer must name it.
    #[serde(with = "serde_bytes")]
    sent_hash: Vec<u8>,
    entries: SecretList,
    client: Client,
}

// ---------------------------------------------------------------- checks

fn ext(p: &Payload) -> Result<&CatalogExt, BundleError> {
    let e = p
        .catalog
        .as_ref()
        .ok_or_else(|| BundleError::Structure("a catalog-protocol bundle without its catalog fields".into()))?;
    if e.suite != SUITE {
        return Err(BundleError::Structure(format!(
            "unknown OPRF ciphersuite {:?}",
            input::shown(&e.suite)
        )));
    }
    Ok(e)
}

fn kind_of(p: &Payload) -> Result<KindSetting, BundleError> {
    p.kind
        .parse()
        .map_err(|_| BundleError::Structure(format!("unknown kind {:?}", input::shown(&p.kind))))
}

/// A verified bundle is a well-formed catalog; returns its kind.
pub fn check_catalog(p: &Payload) -> Result<KindSetting, BundleError> {
    if p.protocol != PROTOCOL_CATALOG || p.round != 0 {
        return Err(BundleError::Structure(format!(
            "this is a round-{} bundle of protocol {:?}, not a catalog (from `cosect publish`)",
            p.round,
            input::shown(&p.protocol)
        )));
    }
    if p.mode != MODE {
        return Err(BundleError::Structure(format!(
            "unknown mode {:?}",
            input::shown(&p.mode)
        )));
    }
    let kind = kind_of(p)?;
    let e = ext(p)?;
    if p.to[..] != TO_ANYONE || !p.answers.is_empty() || p.n_points != 0 {
        return Err(BundleError::Structure(
            "a catalog is addressed to no one, answers nothing and holds no blinded elements".into(),
        ));
    }
    view(p, e).check().map_err(|e| BundleError::Counts(e.to_string()))?;
    Ok(kind)
}

fn view<'a>(p: &'a Payload, e: &'a CatalogExt) -> CatalogView<'a> {
    CatalogView {
        key_id: &e.key_id,
        trunc: p.trunc as usize,
        outputs: &p.doubled,
        label_len: e.label_len as usize,
        labels: &e.labels,
    }
}

/// A query or answer: round `round` of the catalog protocol, with blinded
/// or evaluated elements and nothing else.
fn check_exchange(p: &Payload, round: u8) -> Result<(), BundleError> {
    if p.protocol != PROTOCOL_CATALOG || p.round != round {
        return Err(BundleError::Structure(format!(
            "this is a round-{} bundle of protocol {:?}; expected a catalog {}",
            p.round,
            input::shown(&p.protocol),
            if round == 1 {
                "query (from `cosect init --catalog`)"
            } else {
                "answer"
            }
        )));
    }
    if p.mode != MODE {
        return Err(BundleError::Structure(format!(
            "unknown mode {:?}",
            input::shown(&p.mode)
        )));
    }
    kind_of(p)?;
    let e = ext(p)?;
    if p.answers.len() != HASH_LEN || p.n_doubled != 0 || p.trunc != 0 || e.n_labels != 0 || e.label_len != 0 {
        return Err(BundleError::Counts(
            "a catalog query or answer names one bundle and carries only 32-byte elements".into(),
        ));
    }
    if p.n_points == 0 {
        return Err(BundleError::Counts("it holds no elements".into()));
    }
    Ok(())
}

/// Open a catalog file and check it is the publisher's, valid now.
fn open_catalog(path: &Path, me: &Identity, publisher: &PublicIdentity) -> Result<(Opened, KindSetting)> {
    let name = shown_path(path);
    let in_file = |e: BundleError| Error::from(e).in_file(&name);
    let mut cat = open_bundle(path, Some(me))?;
    cat.check_sender(publisher).map_err(in_file)?;
    let kind = check_catalog(&cat.payload).map_err(in_file)?;
    cat.check_time(now()).map_err(|e| {
        Error::from(e)
            .in_file(&name)
            .with_hint("ask the publisher for its current catalog")
    })?;
    Ok((cat, kind))
}

fn ext_for_exchange(key_id: &[u8]) -> CatalogExt {
    CatalogExt {
        suite: SUITE.into(),
        key_id: key_id.to_vec(),
        label_len: 0,
        n_labels: 0,
        labels: Vec::new(),
    }
}

// ---------------------------------------------------------------- client: init

pub fn init(args: &InitArgs, catalog_path: &Path, ctx: &Ctx) -> Result<()> {
    let input = need_input(&args.list)?;
    let dest = Dest::from_arg(args.out.output.as_deref());
    let env = envelope(args.out.encrypt, args.out.armor);
    if let Some(o) = &args.out.output {
        check_distinct(&[input, &args.peer, catalog_path], &[o])?;
    }
    // A binary bundle goes to a terminal only when asked for with `-o -`.
    fsio::check_dest(
        &dest,
        args.out.force,
        env != Envelope::Armored && args.out.output.is_none(),
    )?;
    if args.mode != ModeArg::Mutual {
        return Err(Error::new("--mode does not apply to a catalog query").with_hint("drop --mode"));
    }
    let me = load_identity(&args.id.identity)?;
    let publisher = load_peer(&args.peer)?;
    if publisher == me.public() {
        return Err(
            Error::new(format!("{}: this is your own public identity", args.peer.display()))
                .with_hint("pass the catalog publisher's public identity with --peer"),
        );
    }
    let store = store(&args.state.state_dir)?;
    let (cat, kind) = open_catalog(catalog_path, &me, &publisher)?;
    if let Some(asked) = args.kind.map(KindSetting::from).filter(|k| *k != kind) {
        return Err(Error::new(format!(
            "{}: the catalog was published with --kind {kind}, you passed --kind {asked}",
            shown_path(catalog_path)
        ))
        .with_hint("drop --kind: the catalog's setting is used"));
    }
    let e = ext(&cat.payload).expect("checked by check_catalog");
    let key_id = e.key_id.clone();
    let mut entries = read_list(ctx, &args.list, kind)?;

    let bar = ctx.bar(entries.len() as u64, "blinding");
    let (client, points) = Client::start(&entries, args.list.pad_to, Exec::Parallel, &|n| bar.inc(n), &mut OsRng)?;
    bar.finish_and_clear();

    let mut session = [0u8; SESSION_LEN];
    OsRng.fill_bytes(&mut session);
    let created = now();
    let n_points = client.sent();
    let payload = Payload {
        kind: kind.name().into(),
        mode: MODE.into(),
        created,
        expires: expiry(created, args.expires).min(cat.payload.expires),
        answers: cat.hash.to_vec(),
        n_points,
        points,
        catalog: Some(ext_for_exchange(&key_id)),
        ..Payload::addressed(PROTOCOL_CATALOG, 1, &session, &me.public(), &publisher.fingerprint())
    };
    let expires = payload.expires;
    let sealed = seal(payload, &me, &publisher, env);
    let catalog_abs = std::fs::canonicalize(catalog_path).unwrap_or_else(|_| catalog_path.to_path_buf());
    let state = QueryState {
        version: STATE_VERSION,
        id: session.to_vec(),
        publisher: publisher.line(),
        kind: kind.name().into(),
        catalog_path: catalog_abs.display().to_string(),
        catalog_hash: cat.hash.to_vec(),
        key_id,
        sent_hash: sealed.hash.to_vec(),
        entries: SecretList::from_entries(&mut entries),
        client,
    };
    // State first: a query whose state was not saved could never be finished.
    let qpath = query_path(&store, &session);
    save_sealed(&qpath, &state, &me, false)?;
    if let Err(e) = write_bundle(&dest, &sealed, args.out.force) {
        let _ = std::fs::remove_file(&qpath);
        return Err(e);
    }
    ctx.say(format!(
        "cosect: catalog query {} for {} ({}) written to {}",
        &hex(&session)[..8],
        publisher.display_name(),
        publisher.short_fingerprint(),
        dest.display()
    ));
    ctx.say(format!(
        "        {}, {n_points} blinded elements, against catalog {} ({} entries), {}, expires {}",
        describe_entries(&entries, kind),
        catalog_name(&cat.hash),
        cat.payload.n_doubled,
        env.describe(),
        format_time(expires)
    ));
    ctx.say("        send it to the publisher; finish with `cosect finish ANSWER-FILE`");
    Ok(())
}

// ---------------------------------------------------------------- server: respond

pub fn respond(
    args: &RespondArgs,
    ctx: &Ctx,
    me: &Identity,
    peer: &PublicIdentity,
    store: &Store,
    mut q: Opened,
) -> Result<()> {
    let name = shown_path(&args.bundle);
    let in_file = |e: BundleError| Error::from(e).in_file(&name);
    if args.list.input.is_some() || args.list.pad_to.is_some() {
        return Err(Error::new(format!(
            "{name}: this is a catalog query; it is answered with your catalog key, not a list"
        ))
        .with_hint("drop --input and --pad-to"));
    }
    if q.payload.round == 0 {
        return Err(Error::new(format!("{name}: this is a catalog, not a query"))
            .with_hint("clients query a catalog with `cosect init --catalog FILE`; answer their query files"));
    }
    let dest = Dest::from_arg(args.out.output.as_deref());
    let env = envelope(args.out.encrypt, args.out.armor);
    q.check_sender(peer).map_err(in_file)?;
    q.check_recipient(&me.public()).map_err(in_file)?;
    q.check_time(now()).map_err(in_file)?;
    check_exchange(&q.payload, 1).map_err(in_file)?;
    let p = &q.payload;
    let e = ext(p).map_err(in_file)?;
    if p.n_points > args.max_query_items {
        return Err(Error::new(format!(
            "{name}: the query has {} elements, more than --max-query-items {}",
            p.n_points, args.max_query_items
        ))
        .with_hint(
            "a very large query can enumerate your catalog; raise --max-query-items only if you expect this size",
        ));
    }
    let keys = KeyState::load(store, me)?;
    let queried = catalog_name(&p.answers);
    let Some(cur) = &keys.current else {
        return Err(Error::new(format!(
            "{name}: the query is against catalog {queried}, but you have no catalog key in {}",
            store.dir().display()
        ))
        .with_hint("publish with `cosect publish` first, or pass the --state-dir you published with"));
    };
    if p.answers[..] != cur.catalog[..] || e.key_id[..] != cur.key_id[..] {
        let retired = keys
            .retired
            .iter()
            .rev()
            .find(|r| r.catalog[..] == p.answers[..] || r.key_id[..] == e.key_id[..]);
        return Err(match retired {
            Some(r) => Error::new(format!(
                "{name}: the query is against catalog {} (published {}), which was retired on {} when you \
                 published catalog {}; its key is destroyed and the query is refused",
                catalog_name(&r.catalog),
                format_time(r.published),
                format_time(r.retired),
                catalog_name(&r.replaced_by),
            )),
            None => Error::new(format!(
                "{name}: the query is against catalog {queried}, which is not your current catalog {} \
                 and not one you published with this state directory; it is refused",
                catalog_name(&cur.catalog)
            )),
        }
        .with_hint(format!(
            "send the client your current catalog ({}) and ask for a new query",
            catalog_name(&cur.catalog)
        )));
    }
    if p.kind != cur.kind {
        return Err(
            Error::new(format!("{name}: the query's kind differs from your catalog's"))
                .with_hint("ask the client for a new query against your current catalog"),
        );
    }
    let key = CatalogKey::from_bytes(&cur.sk)?;
    let bar = ctx.bar(p.n_points, "answering");
    let points = key
        .blind_evaluate_all(&p.points, Exec::Parallel, &|n| bar.inc(n))
        .map_err(|e| Error::from(e).in_file(&name))?;
    bar.finish_and_clear();

    let created = now();
    let payload = Payload {
        kind: p.kind.clone(),
        mode: MODE.into(),
        created,
        expires: expiry(created, args.expires),
        answers: q.hash.to_vec(),
        n_points: p.n_points,
        points,
        catalog: Some(ext_for_exchange(&cur.key_id)),
        ..Payload::addressed(PROTOCOL_CATALOG, 2, &p.session, &me.public(), &peer.fingerprint())
    };
    write_bundle(&dest, &seal(payload, me, peer, env), args.out.force)?;
    ctx.say(format!(
        "cosect: answer to catalog query {} from {} ({}) written to {}",
        &hex(&p.session)[..8],
        peer.display_name(),
        peer.short_fingerprint(),
        dest.display()
    ));
    ctx.say(format!(
        "        {} elements evaluated with the key of catalog {}; you learn nothing else, {}",
        p.n_points,
        catalog_name(&cur.catalog),
        env.describe()
    ));
    Ok(())
}

// ---------------------------------------------------------------- client: finish

pub fn finish(
    args: &FinishArgs,
    ctx: &Ctx,
    mut answer: Opened,
    me: &Identity,
    store: &Store,
    results: &Dest,
) -> Result<()> {
    let name = shown_path(&args.bundle);
    let in_file = |e: BundleError| Error::from(e).in_file(&name);
    if args.reply.is_some() {
        return Err(Error::new("a catalog answer needs no reply").with_hint("drop --reply"));
    }
    let sid = hex(&answer.payload.session)[..8].to_owned();
    let qpath = query_path(store, &answer.payload.session);
    let Some(state) = load_sealed::<QueryState>(&qpath, me, "the query state")? else {
        return Err(Error::new(format!(
            "{name}: no open catalog query {sid} in {} (already finished, or made with another --state-dir or identity)",
            store.dir().display()
        ))
        .with_hint("a query can be finished only once: its secrets are destroyed when it finishes"));
    };
    if state.version != STATE_VERSION || state.id != answer.payload.session {
        return Err(Error::new(format!(
            "{}: the query state is of another version or query",
            qpath.display()
        )));
    }
    let publisher = PublicIdentity::parse_line(&state.publisher)
        .map_err(|_| Error::new(format!("query {sid}: the stored publisher identity is damaged")))?;
    answer.check_sender(&publisher).map_err(in_file)?;
    answer.check_recipient(&me.public()).map_err(in_file)?;
    answer.check_time(now()).map_err(in_file)?;
    check_exchange(&answer.payload, 2).map_err(in_file)?;
    let p = &answer.payload;
    if p.answers[..] != state.sent_hash[..] {
        return Err(in_file(BundleError::Structure(
            "it answers another bundle than the query you sent (replayed or mixed up)".into(),
        )));
    }
    if p.kind != state.kind || ext(p).map_err(in_file)?.key_id != state.key_id {
        return Err(in_file(BundleError::Structure(
            "its kind or catalog key differs from the query's".into(),
        )));
    }
    if p.n_points != state.client.sent() {
        return Err(in_file(BundleError::Counts(format!(
            "the answer has {} elements, the query sent {}",
            p.n_points,
            state.client.sent()
        ))));
    }

    // The catalog, byte for byte the one the query was made against.
    let cat_path = args
        .catalog
        .clone()
        .unwrap_or_else(|| PathBuf::from(&state.catalog_path));
    let cat_name = shown_path(&cat_path);
    let mut cat = open_bundle(&cat_path, Some(me))
        .map_err(|e| e.with_hint("the catalog is needed to finish; if it moved, pass --catalog FILE"))?;
    if cat.hash[..] != state.catalog_hash[..] {
        return Err(Error::new(format!(
            "{cat_name}: this is catalog {}, but the query was made against catalog {}",
            catalog_name(&cat.hash),
            catalog_name(&state.catalog_hash)
        ))
        .with_hint("pass the catalog you queried with --catalog FILE"));
    }
    cat.check_sender(&publisher)
        .map_err(|e| Error::from(e).in_file(&cat_name))?;
    check_catalog(&cat.payload).map_err(|e| Error::from(e).in_file(&cat_name))?;
    let ce = ext(&cat.payload).expect("checked by check_catalog");
    let with_labels = ce.n_labels > 0;

    let QueryState {
        id,
        kind,
        entries,
        client,
        ..
    } = state;
    let points = std::mem::take(&mut answer.payload.points);
    let lookup = client
        .finish(&points, &view(&cat.payload, ce), Exec::Parallel)
        .map_err(|e| Error::from(e).in_file(&name))?;
    if lookup.bad_labels > 0 {
        ctx.warn(format!(
            "{} label(s) in {cat_name} did not decrypt and are left out (damaged catalog?)",
            lookup.bad_labels
        ));
    }
    let labels: Vec<Option<String>> = lookup
        .found
        .iter()
        .map(|f| f.label.as_deref().map(escape_label))
        .collect();
    let found: Vec<crate::output::Shared> = lookup
        .found
        .iter()
        .zip(&labels)
        .map(|(f, l)| crate::output::Shared {
            label: l.as_deref(),
            ..entries.shared(f.index)
        })
        .collect();
    let report = crate::output::Report {
        mode: "catalog",
        kind: &kind,
        count: found.len() as u64,
        entries: Some(found),
        with_source: entries.has_sources(),
        with_label: with_labels,
    };
    let out = crate::output::render(&report, args.format);
    fsio::write_atomic(results, &out, args.force, false)?;
    std::fs::remove_file(query_path(store, &id)).map_err(|e| {
        fsio::io_error(
            &query_path(store, &id).display().to_string(),
            "cannot delete query state",
            &e,
        )
    })?;
    ctx.say(format!(
        "cosect: catalog query {sid} finished: {} of your {} entries are in catalog {} of {} ({}){}{}",
        report.count,
        entries.len(),
        catalog_name(&cat.hash),
        publisher.display_name(),
        publisher.short_fingerprint(),
        if with_labels {
            format!(", {} with labels", labels.iter().filter(|l| l.is_some()).count())
        } else {
            String::new()
        },
        match results {
            Dest::Stdout => String::new(),
            Dest::File(p) => format!("; written to {}", p.display()),
        }
    ));
    Ok(())
}

/// Labels come from the publisher: never let one drive the terminal.
fn escape_label(s: &str) -> String {
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

// ---------------------------------------------------------------- inspect

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
pub fn summary(p: &Payload, hash: &[u8; 32]) -> Option<CatalogSummary> {
    let e = p.catalog.as_ref()?;
    Some(CatalogSummary {
        catalog: match p.round {
            0 => catalog_name(hash),
            1 => catalog_name(&p.answers),
            // An answer names the query; the query names the catalog.
            _ => String::new(),
        },
        suite: input::shown(&e.suite),
        key_id: hex(&e.key_id),
        entries: p.n_doubled,
        bytes_each: p.trunc,
        false_match_log2_per_2_24_query: if p.round == 0 && p.trunc > 0 {
            (proto::false_match_log2(p.n_doubled, 1 << proto::LOG2_QUERY_BOUND, p.trunc as usize) * 10.0).round() / 10.0
        } else {
            0.0
        },
        labels: e.n_labels,
        label_bytes: e.label_len,
    })
}

/// The human lines `inspect` shows first for a catalog-protocol bundle
/// (`points`: the elements of a query or answer).
pub fn render_summary(s: &CatalogSummary, points: u64, round: u8) -> String {
    let key = &s.key_id[..16.min(s.key_id.len())];
    if s.entries > 0 {
        format!(
            "catalog:   {} entries, truncated PRF outputs of {} B each ({}, key {key});\n           \
             a query of up to 2^24 entries has a false match with probability below 2^{:.0};\n           \
             {}\n",
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
            "elements:  {points} blinded (32 B each), a query against catalog {} (key {key})\n",
            s.catalog
        )
    } else {
        format!("elements:  {points} evaluated (32 B each), an answer with catalog key {key}\n")
    }
}

/// For `inspect`'s `to:` line: a catalog is addressed to no one in particular.
pub fn is_public(p: &Payload) -> bool {
    p.protocol == PROTOCOL_CATALOG && p.to[..] == TO_ANYONE
}
