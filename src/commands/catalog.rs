//! The published-catalog protocol's verb paths: the client's query
//! (`init --catalog`) and result (`finish`), the publisher's answer
//! (`respond` to a catalog query). The engine has checked every bundle;
//! the state they keep is in `store::catalog`.

use std::path::{Path, PathBuf};

use rand::rngs::OsRng;

use super::finish::{written_to, Outputs};
use super::respond::Out;
use super::*;
use crate::bundle::format_time;
use crate::cli::options::Sending;
use crate::cli::{FinishArgs, InitArgs, ListIn, ModeArg, RespondArgs};
use crate::engine::{self, catalog_name, Addressed, CatalogAnswer, CatalogQuery, Expect, Header, Message};
use crate::fsio::Dest;
use crate::group::Exec;
use crate::protocol::catalog::{CatalogKey, Client};
use crate::store::{hex, CurrentKey, Keep, QueryState, SecretList};

/// `--input`, which every command but `respond` to a catalog query needs.
pub fn need_input(list: &ListIn) -> Result<&Path> {
    list.input.as_deref().ok_or_else(|| {
        Error::new("--input FILE is required").with_hint("name your list with --input FILE ('-' for standard input)")
    })
}

// ---------------------------------------------------------------- client: init

fn check_init(args: &InitArgs, catalog_path: &Path) -> Result<(Dest, Envelope)> {
    let input = need_input(&args.list)?;
    let Sending { dest, env, .. } = args.out.resolve(&[input, &args.peer, catalog_path])?;
    if args.mode != ModeArg::Mutual {
        return Err(Error::new("--mode does not apply to a catalog query").with_hint("drop --mode"));
    }
    Ok((dest, env))
}

pub fn init(args: &InitArgs, catalog_path: &Path, ctx: &Ctx) -> Result<()> {
    let (dest, env) = check_init(args, catalog_path)?;
    let (me, publisher) = load_pair(&args.id.identity, &args.peer, "the catalog publisher's")?;
    let store = store(&args.state.state_dir)?;
    let got = receive(&me, &store, catalog_path, Expect::Catalog { publisher: &publisher })?;
    let Message::Catalog(cat) = got.message else {
        unreachable!("Expect::Catalog yields a catalog")
    };
    let kind = cat.kind;
    if let Some(asked) = args.kind.map(KindSetting::from).filter(|k| *k != kind) {
        return Err(Error::new(format!(
            "{}: the catalog was published with --kind {kind}, you passed --kind {asked}",
            shown_path(catalog_path)
        ))
        .with_hint("drop --kind: the catalog's setting is used"));
    }
    let mut entries = read_list(ctx, &args.list, kind)?;
    let bar = ctx.bar(entries.len() as u64, "blinding");
    let (client, points) = Client::start(&entries, args.list.pad_to, Exec::Parallel, &|n| bar.inc(n), &mut OsRng)?;
    bar.finish_and_clear();

    let mut to = Addressed::new(new_session(), &me, &publisher, now(), args.expires);
    to.expires = to.expires.min(got.header.expires);
    let n_points = client.sent();
    let query = CatalogQuery {
        kind,
        catalog: got.header.hash,
        key_id: cat.key_id.clone(),
        points,
    };
    let sealed = engine::seal_message(Message::CatalogQuery(query), &to, env);
    let catalog_abs = std::fs::canonicalize(catalog_path).unwrap_or_else(|_| catalog_path.to_path_buf());
    let state = QueryState {
        version: crate::store::catalog::STATE_VERSION,
        id: to.session.to_vec(),
        publisher: publisher.line(),
        kind: kind.name().into(),
        catalog_path: catalog_abs.display().to_string(),
        catalog_hash: got.header.hash.to_vec(),
        key_id: cat.key_id.clone(),
        sent_hash: sealed.hash.to_vec(),
        entries: SecretList::from_entries(&mut entries),
        client,
    };
    store.transaction(Keep::Query(&state), &me, || {
        write_bundle(&dest, &sealed, args.out.wrap.force)
    })?;
    ctx.say(sent_line("catalog query", &to.session, "for", &publisher, &dest));
    ctx.say(format!(
        "        {}, {n_points} blinded elements, against catalog {} ({} entries), {}, expires {}",
        describe_entries(&entries, kind),
        catalog_name(&got.header.hash),
        cat.len(),
        env.describe(),
        format_time(to.expires)
    ));
    ctx.say("        send it to the publisher; finish with `cosect finish ANSWER-FILE`");
    Ok(())
}

// ---------------------------------------------------------------- publisher: respond

fn check_query_policy(args: &RespondArgs, name: &str, n: u64) -> Result<()> {
    if args.list.input.is_some() || args.list.pad_to.is_some() {
        return Err(Error::new(format!(
            "{name}: this is a catalog query; it is answered with your catalog key, not a list"
        ))
        .with_hint("drop --input and --pad-to"));
    }
    if n > args.max_query_items {
        return Err(Error::new(format!(
            "{name}: the query has {n} elements, more than --max-query-items {}",
            args.max_query_items
        ))
        .with_hint(
            "a very large query can enumerate your catalog; raise --max-query-items only if you expect this size",
        ));
    }
    Ok(())
}

/// The answer to the query `q` (of the bundle `h`, named `name` in
/// messages) with the current catalog key: evaluated elements and proofs.
pub fn answer_query(
    name: &str,
    h: &Header,
    q: &CatalogQuery,
    cur: &CurrentKey,
    progress: &dyn crate::group::Progress,
) -> Result<CatalogAnswer> {
    let key = CatalogKey::from_bytes(&cur.sk)?;
    let (points, proofs) = key
        .blind_evaluate_all(&q.points, Exec::Parallel, progress, &mut OsRng)
        .map_err(|e| Error::from(e).in_file(name))?;
    Ok(CatalogAnswer {
        kind: q.kind,
        query: h.hash,
        key_id: cur.key_id.clone(),
        points,
        proofs,
    })
}

pub fn respond(args: &RespondArgs, ctx: &Ctx, out: &Out, h: &Header, q: CatalogQuery, cur: CurrentKey) -> Result<()> {
    let name = shown_path(&args.bundle);
    let n = (q.points.len() / crate::group::POINT_LEN) as u64;
    check_query_policy(args, &name, n)?;
    let bar = ctx.bar(n, "answering");
    let answer = answer_query(&name, h, &q, &cur, &|n| bar.inc(n))?;
    bar.finish_and_clear();

    let to = Addressed::new(h.session, out.me, out.peer, now(), args.expires);
    let sealed = engine::seal_message(Message::CatalogAnswer(answer), &to, out.env);
    write_bundle(out.dest, &sealed, args.out.wrap.force)?;
    ctx.say(sent_line(
        "answer to catalog query",
        &h.session,
        "from",
        out.peer,
        out.dest,
    ));
    ctx.say(format!(
        "        {n} elements evaluated and proven with the key of catalog {}; you learn nothing else, {}",
        catalog_name(&cur.catalog),
        out.env.describe()
    ));
    Ok(())
}

// ---------------------------------------------------------------- client: finish

pub fn finish(
    args: &FinishArgs,
    ctx: &Ctx,
    me: &Identity,
    store: &Store,
    out: &Outputs,
    answer: CatalogAnswer,
    state: QueryState,
) -> Result<()> {
    if args.reply.is_some() {
        return Err(Error::new("a catalog answer needs no reply").with_hint("drop --reply"));
    }
    // The catalog, byte for byte the one the query was made against.
    let cat_path = args
        .catalog
        .clone()
        .unwrap_or_else(|| PathBuf::from(&state.catalog_path));
    let cat_name = shown_path(&cat_path);
    let bytes = fsio::read_input(&cat_path, MAX_BUNDLE_BYTES)
        .map_err(|e| e.with_hint("the catalog is needed to finish; if it moved, pass --catalog FILE"))?;
    let reader = engine::Reader {
        me,
        now: now(),
        store: &engine::NoState,
    };
    let (cat_header, cat) = reader.catalog_of(&cat_name, bytes, &state)?;
    let QueryState {
        id,
        kind,
        entries,
        client,
        ..
    } = state;
    let lookup = client
        .finish(&answer.points, &answer.proofs, &cat.view(), Exec::Parallel)
        .map_err(|e| Error::from(e).in_file(&shown_path(&args.bundle)))?;
    if lookup.bad_labels > 0 {
        ctx.warn(format!(
            "{} label(s) in {cat_name} did not decrypt and are left out (damaged catalog?)",
            lookup.bad_labels
        ));
    }
    let with_labels = cat.n_labels > 0;
    let (text, count, labelled) = render_matches(args.format, &kind, &entries, &lookup, with_labels);
    fsio::write_atomic(&out.results, &text, args.wrap.force, true)?;
    store.remove_query(&id)?;
    let labelled = with_labels.then_some(labelled);
    ctx.say(finished_line(
        &id,
        count,
        entries.len(),
        &cat_header,
        labelled,
        &out.results,
    ));
    Ok(())
}

/// The report of the matches (labels escaped: they come from the
/// publisher), how many matched and how many of those carry a label.
fn render_matches(
    format: crate::output::Format,
    kind: &str,
    entries: &SecretList,
    lookup: &crate::protocol::catalog::Lookup,
    with_label: bool,
) -> (Vec<u8>, u64, usize) {
    let labels: Vec<Option<String>> = lookup
        .found
        .iter()
        .map(|f| f.label.as_deref().map(crate::text::escape))
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
        kind,
        count: found.len() as u64,
        entries: Some(found),
        with_source: entries.has_sources(),
        with_label,
    };
    let labelled = labels.iter().filter(|l| l.is_some()).count();
    (crate::output::render(&report, format), report.count, labelled)
}

/// `cosect: catalog query … finished: N of your M entries are in catalog …`.
fn finished_line(id: &[u8], count: u64, of: usize, cat: &Header, labelled: Option<usize>, results: &Dest) -> String {
    format!(
        "cosect: catalog query {} finished: {count} of your {of} entries are in catalog {} of {} ({}){}{}",
        &hex(id)[..8],
        catalog_name(&cat.hash),
        cat.sender.display_name(),
        cat.sender.short_fingerprint(),
        labelled.map_or(String::new(), |n| format!(", {n} with labels")),
        written_to(results)
    )
}
