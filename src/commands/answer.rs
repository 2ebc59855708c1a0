//! `cosect respond` to a catalog query: the publisher evaluates the
//! client's blinded elements with the key of the live catalog the query
//! names, and counts the query in that catalog's record.

use super::respond::Out;
use super::*;
use crate::cli::RespondArgs;
use crate::engine::{self, catalog_name, Addressed, CatalogAnswer, CatalogQuery, Header, Message};
use crate::group::Exec;
use crate::protocol::catalog::CatalogKey;
use crate::store::{Keep, LiveKey};

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
/// messages) with the live catalog key `cur`: evaluated elements and proofs.
pub fn answer_query(
    name: &str,
    h: &Header,
    q: &CatalogQuery,
    cur: &LiveKey,
    progress: &dyn crate::group::Progress,
) -> Result<CatalogAnswer> {
    let key = CatalogKey::from_bytes(&cur.sk)?;
    let (points, proofs) = key
        .blind_evaluate_all(&q.points, Exec::Parallel, progress, &mut rand::rngs::OsRng)
        .map_err(|e| Error::from(e).in_file(name))?;
    Ok(CatalogAnswer {
        kind: q.kind,
        query: h.hash,
        key_id: cur.key_id.clone().into_vec(),
        points,
        proofs,
    })
}

pub fn respond(args: &RespondArgs, ctx: &Ctx, out: &Out, h: &Header, q: CatalogQuery, cur: LiveKey) -> Result<()> {
    let name = bundle_name(&args.bundle);
    let n = (q.points.len() / crate::group::POINT_LEN) as u64;
    check_query_policy(args, &name, n)?;
    let bar = ctx.bar(n, "answering");
    let answer = answer_query(&name, h, &q, &cur, &|n| bar.inc(n))?;
    bar.finish_and_clear();

    let to = Addressed::new(h.session, out.me, out.peer, now(), args.expires);
    let sealed = engine::seal_message(Message::CatalogAnswer(answer), &to, out.env);
    let mut keys = out.store.load_keys(out.me)?;
    if let Some(live) = keys.live.iter_mut().find(|k| k.catalog == cur.catalog) {
        live.answered += 1;
    }
    let shown = send_keeping(
        out.store,
        out.me,
        vec![Keep::Keys(&keys)],
        (out.dest, &sealed),
        args.out.wrap.force,
        out.split,
    )?;
    ctx.say(sent_line(
        "answer to catalog query",
        &h.session,
        "from",
        out.peer,
        &shown,
    ));
    ctx.say(format!(
        "        {n} elements evaluated and proven with the key of catalog {}; you learn nothing else, {}",
        catalog_name(&cur.catalog),
        out.env.describe()
    ));
    Ok(())
}
