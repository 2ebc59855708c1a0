//! `cosect init --catalog`: the client's query against a published
//! catalog. The engine has checked the catalog; the query's kept state is
//! in `store::catalog`. Its answer is `answer.rs`, its result `lookup.rs`.

use rand::rngs::OsRng;

use super::*;
use crate::bundle::format_time;
use crate::cli::options::Sending;
use crate::cli::{InitArgs, ModeArg};
use crate::engine::{self, catalog_name, Addressed, CatalogQuery, Expect, Message};
use crate::fsio::Dest;
use crate::group::Exec;
use crate::protocol::catalog::Client;
use crate::store::{Keep, QueryState, SecretList};

fn check_init(args: &InitArgs, catalog_path: &[PathBuf]) -> Result<(Dest, Envelope, Option<u64>)> {
    let mut inputs = need_input(&args.list)?;
    inputs.push(&args.peer);
    inputs.extend(catalog_path.iter().map(|p| p.as_path()));
    let Sending { dest, env, split, .. } = args.out.resolve(&inputs)?;
    if args.mode != ModeArg::Mutual {
        return Err(Error::new("--mode does not apply to a catalog query").with_hint("drop --mode"));
    }
    Ok((dest, env, split))
}

/// A query uses the catalog's kind setting; a different `--kind` is refused.
fn same_kind(args: &InitArgs, kind: KindSetting, catalog_path: &[PathBuf]) -> Result<()> {
    match args.kind.filter(|k| *k != kind) {
        Some(asked) => Err(Error::new(format!(
            "{}: the catalog was published with --kind {kind}, you passed --kind {asked}",
            bundle_name(catalog_path)
        ))
        .with_hint("drop --kind: the catalog's setting is used")),
        None => Ok(()),
    }
}

pub fn init(args: &InitArgs, catalog_path: &[PathBuf], ctx: &Ctx) -> Result<()> {
    let (dest, env, split) = check_init(args, catalog_path)?;
    let (me, publisher) = load_pair(&args.id.identity, &args.peer, "the catalog publisher's")?;
    let store = open_store(&args.state.state_dir, &me, ctx)?;
    let got = receive(&me, &store, catalog_path, Expect::Catalog { publisher: &publisher })?;
    let Message::Catalog(cat) = got.message else {
        unreachable!("Expect::Catalog yields a catalog")
    };
    let kind = cat.kind;
    same_kind(args, kind, catalog_path)?;
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
    let first = &catalog_path[0];
    let catalog_abs = std::fs::canonicalize(first).unwrap_or_else(|_| first.to_path_buf());
    let state = QueryState {
        version: crate::store::catalog::STATE_VERSION,
        id: to.session.to_vec().into(),
        publisher: publisher.line(),
        kind: kind.name().into(),
        catalog_path: catalog_abs.display().to_string(),
        catalog_hash: got.header.hash.to_vec().into(),
        key_id: cat.key_id.clone().into(),
        sent_hash: sealed.hash.to_vec().into(),
        entries: SecretList::from_entries(&mut entries),
        client,
        created: to.created,
        expires: crate::store::keep_until(to.created, to.expires, false),
    };
    let shown = send_keeping(
        &store,
        &me,
        vec![Keep::Query(&state)],
        (&dest, &sealed),
        args.out.wrap.force,
        split,
    )?;
    ctx.say(sent_line("catalog query", &to.session, "for", &publisher, &shown));
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
