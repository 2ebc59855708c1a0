//! `cosect finish` on a catalog answer: the client unblinds the answer,
//! looks its entries up in the catalog it queried, writes the matches and
//! destroys the query's state, in one transaction.

use super::finish::{written_to, Outputs};
use super::*;
use crate::cli::FinishArgs;
use crate::engine::{self, catalog_name, CatalogAnswer, Header};
use crate::fsio::Dest;
use crate::group::Exec;
use crate::store::{hex, QueryState, SecretList};

/// The catalog query `state` was made against, byte for byte: the file
/// the state names (with its parts), or the one `--catalog` gives (when it
/// moved); with its name for messages.
pub fn queried_catalog(
    given: &[PathBuf],
    me: &Identity,
    state: &QueryState,
) -> Result<(String, Header, engine::Catalog)> {
    let cat_path = match given {
        [] => with_siblings(Path::new(&state.catalog_path)),
        given => given.to_vec(),
    };
    let (cat_name, bytes) = read_bundle(&cat_path)
        .map_err(|e| e.with_hint("the catalog is needed to finish; if it moved, pass --catalog FILE"))?;
    let reader = engine::Reader {
        me,
        now: now(),
        store: &engine::NoState,
    };
    let (header, cat) = reader.catalog_of(&cat_name, bytes, state)?;
    Ok((cat_name, header, cat))
}

pub fn finish(
    args: &FinishArgs,
    ctx: &Ctx,
    me: &Identity,
    store: &Store,
    out: &Outputs,
    (answer, answer_created): (CatalogAnswer, u64),
    state: QueryState,
) -> Result<()> {
    if args.reply.is_some() {
        return Err(Error::new("a catalog answer needs no reply").with_hint("drop --reply"));
    }
    let (cat_name, cat_header, cat) = queried_catalog(&args.catalog, me, &state)?;
    let QueryState {
        id,
        kind,
        entries,
        client,
        ..
    } = state;
    let lookup = client
        .finish(&answer.points, &answer.proofs, &cat.view(), Exec::Parallel)
        .map_err(|e| Error::from(e).in_file(&bundle_name(&args.bundle)))?;
    if lookup.bad_labels > 0 {
        ctx.warn(format!(
            "{} label(s) in {cat_name} did not decrypt and are left out (damaged catalog?)",
            lookup.bad_labels
        ));
    }
    let with_labels = cat.n_labels > 0;
    let mine = me.public();
    let who = crate::output::Who {
        me: crate::output::Party {
            name: &mine.name,
            fingerprint: &mine.fingerprint(),
        },
        peer: crate::output::Party {
            name: &cat_header.sender.name,
            fingerprint: &cat_header.sender.fingerprint(),
        },
        whence: crate::output::Whence::InCatalog,
        session: &id,
        time: answer_created,
    };
    let (rendered, count, labelled) = render_matches(args.format, &who, &kind, &entries, &lookup, with_labels)?;
    let mut tx = store.begin(me)?;
    if !tx.query_open(&id) {
        return Err(Error::new(format!(
            "{}: catalog query {} was finished or cancelled by another cosect while this one worked; \
             nothing was written",
            bundle_name(&args.bundle),
            &hex(&id)[..8]
        ))
        .with_hint("the other command wrote the results; `cosect sessions` lists what is still open"));
    }
    tx.write(&out.results, (args.wrap.force, true), |w| w.write_all(&rendered.bytes))?;
    tx.end_query(&id)?;
    tx.commit()?;
    super::finish::left_out_warning(ctx, args.format, rendered.left_out);
    let labelled = with_labels.then_some(labelled);
    repeat_near_misses(ctx, &entries);
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
    who: &crate::output::Who<'_>,
    kind: &str,
    entries: &SecretList,
    lookup: &crate::protocol::catalog::Lookup,
    with_label: bool,
) -> Result<(crate::output::Rendered, u64, usize)> {
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
    let rendered = crate::output::render(&report, format, who).map_err(|e| Error::new(e.to_string()))?;
    Ok((rendered, report.count, labelled))
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
