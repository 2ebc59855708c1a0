//! `cosect respond` to a catalog query: the publisher evaluates the
//! client's blinded elements with the key of the live catalog the query
//! names; `exchange` counts the query in that catalog's record when the
//! answer is committed.

use super::respond::{commit, Out};
use super::*;
use crate::cli::RespondArgs;
use crate::engine::{catalog_name, CatalogQuery, Header};
use crate::exchange::{self, Reply, Size};
use crate::store::LiveKey;

fn check_query_policy(args: &RespondArgs, name: &str) -> Result<()> {
    if !args.list.input.is_empty() || args.list.pad_to.is_some() {
        return Err(Error::new(format!(
            "{name}: this is a catalog query; it is answered with your catalog key, not a list"
        ))
        .with_hint("drop --input and --pad-to"));
    }
    if args.note.is_some() {
        return Err(Error::new(format!(
            "{name}: --note: answering a catalog query keeps no state to keep the note with"
        ))
        .with_hint("drop --note; `publish --note` keeps a note with the catalog"));
    }
    Ok(())
}

pub fn respond(args: &RespondArgs, ctx: &Ctx, out: &Out, h: &Header, q: CatalogQuery, cur: LiveKey) -> Result<()> {
    let name = &out.name;
    check_query_policy(args, name)?;
    let size = Size::of_query(&q);
    exchange::admit(out.party, name, h, size, &out.policy, now())?;
    let n = size.elements();
    let bar = ctx.bar(n, "answering");
    let reply = Reply {
        envelope: out.env,
        expires: args.expires,
        now: now(),
    };
    let p = exchange::answer_query(out.party, name, h, q, &cur, reply, &|n| bar.inc(n))?;
    bar.finish_and_clear();
    let Some(shown) = commit(ctx, out, h, p)? else {
        return Ok(());
    };
    ctx.say(sent_line(
        "answer to catalog query",
        &h.session,
        "from",
        &h.sender,
        &shown,
    ));
    ctx.say(format!(
        "        {n} elements evaluated and proven with the key of catalog {}; you learn nothing else, {}",
        catalog_name(&cur.catalog),
        out.env.describe()
    ));
    Ok(())
}
