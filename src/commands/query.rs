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
    inputs.extend(args.peer.iter().map(|p| p.as_path()));
    inputs.extend(catalog_path.iter().map(|p| p.as_path()));
    let Sending { dest, env, split, .. } = args.out.resolve(&inputs)?;
    if args.mode != ModeArg::Mutual {
        return Err(Error::new("--mode does not apply to a catalog query").with_hint("drop --mode"));
    }
    Ok((dest, env, split))
}

/// A query uses the catalog's kind setting; a different `--kind` is refused.
pub fn same_kind(args: &InitArgs, kind: KindSetting, catalog_path: &[PathBuf]) -> Result<()> {
    match args.kind.filter(|k| *k != kind) {
        Some(asked) => Err(Error::new(format!(
            "{}: the catalog was published with --kind {kind}, you passed --kind {asked}",
            bundle_name(catalog_path)
        ))
        .with_hint("drop --kind: the catalog's setting is used")),
        None => Ok(()),
    }
}

/// One query made against one checked catalog: the state to keep, the
/// bundle to write, and what to say of it.
pub struct Made {
    pub state: QueryState,
    pub sealed: crate::bundle::Sealed,
    pub session: [u8; crate::bundle::payload::SESSION_LEN],
    pub expires: u64,
    pub n_points: u64,
    /// `N entries from … input, kind …`.
    pub described: String,
    /// The catalog's hash, entries and whether it has labels.
    pub catalog: ([u8; 32], u64, bool),
}

/// The user's list as read for each kind setting met so far: several
/// catalogs of one setting read it once (standard input can only be read
/// once).
#[derive(Default)]
pub struct Lists(Vec<(KindSetting, Entries)>);

impl Lists {
    fn get(&mut self, ctx: &Ctx, args: &InitArgs, kind: KindSetting) -> Result<Entries> {
        if let Some((_, e)) = self.0.iter().find(|(k, _)| *k == kind) {
            return Ok(e.clone());
        }
        if let Some((other, _)) = self
            .0
            .first()
            .filter(|_| need_input(&args.list).is_ok_and(|ps| ps.iter().any(|p| p.as_os_str() == "-")))
        {
            return Err(Error::new(format!(
                "the catalogs were published with different kind settings ({other}, {kind}), and standard input \
                 can be read only once"
            ))
            .with_hint("pass your list as a file with --input FILE"));
        }
        let e = read_list(ctx, &args.list, kind)?;
        self.0.push((kind, e.clone()));
        Ok(e)
    }
}

/// Read the list with the catalog's kind setting (or take it from
/// `lists`), blind it and seal the query for `publisher`: no file is
/// written here.
#[allow(clippy::too_many_arguments)]
pub fn make(
    args: &InitArgs,
    ctx: &Ctx,
    me: &Identity,
    publisher: &PublicIdentity,
    got: engine::Received,
    catalog_path: &[PathBuf],
    env: Envelope,
    lists: &mut Lists,
) -> Result<Made> {
    let Message::Catalog(cat) = got.message else {
        unreachable!("Expect::Catalog yields a catalog")
    };
    let kind = cat.kind;
    same_kind(args, kind, catalog_path)?;
    let mut entries = lists.get(ctx, args, kind)?;
    let bar = ctx.bar(entries.len() as u64, "blinding");
    let (client, points) = Client::start(&entries, args.list.pad_to, Exec::Parallel, &|n| bar.inc(n), &mut OsRng)?;
    bar.finish_and_clear();

    let mut to = Addressed::new(new_session(), me, publisher, now(), args.expires);
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
        answer_by: to.expires,
        note: args.note.clone().unwrap_or_default(),
    };
    Ok(Made {
        state,
        sealed,
        session: to.session,
        expires: to.expires,
        n_points,
        described: describe_entries(&entries, kind),
        catalog: (got.header.hash, cat.len(), cat.n_labels > 0),
    })
}

pub fn init(args: &InitArgs, catalog: Given, ctx: &Ctx) -> Result<()> {
    let (name, bytes, catalog_path) = catalog;
    let peer = super::init::one_peer(args)?;
    let (dest, env, split) = check_init(args, &catalog_path)?;
    let (me, publisher) = load_pair(&args.id.identity, peer, "the catalog publisher's")?;
    let store = open_store(&args.state.state_dir, &me, ctx)?;
    let got = receive_bytes(&me, &store, &name, bytes, Expect::Catalog { publisher: &publisher })?;
    let made = make(
        args,
        ctx,
        &me,
        &publisher,
        got,
        &catalog_path,
        env,
        &mut Lists::default(),
    )?;
    let shown = send_keeping(
        &store,
        &me,
        vec![Keep::Query(&made.state)],
        (&dest, &made.sealed),
        args.out.wrap.force,
        split,
    )?;
    ctx.say(sent_line("catalog query", &made.session, "for", &publisher, &shown));
    ctx.say(format!(
        "        {}, {} blinded elements, against catalog {} ({} entries), {}, expires {}",
        made.described,
        made.n_points,
        catalog_name(&made.catalog.0),
        made.catalog.1,
        env.describe(),
        format_time(made.expires)
    ));
    ctx.say("        send it to the publisher; finish with `cosect finish ANSWER-FILE`");
    Ok(())
}
