//! `cosect respond`: check round 1, answer it with your own list as round 2
//! (or answer a catalog query with your catalog key: `answer::respond`).

use rand::rngs::OsRng;

use super::*;
use crate::bundle::format_time;
use crate::cli::options::Sending;
use crate::cli::RespondArgs;
use crate::engine::{self, Addressed, Expect, Header, Kept, Message, Round1, Round2};
use crate::fsio::Dest;
use crate::group::Exec;
use crate::protocol::{Mode, Responder};
use crate::store::budget::Refused;
use crate::store::{Answered, Keep, Session, Step};

pub fn respond(args: &RespondArgs, ctx: &Ctx) -> Result<()> {
    let mut inputs = vec![args.peer.as_path()];
    inputs.extend(args.bundle.iter().map(|p| p.as_path()));
    inputs.extend(args.list.input.as_deref());
    let Sending { dest, env, split, .. } = args.out.resolve(&inputs)?;
    let (me, peer) = load_pair(&args.id.identity, &args.peer, "the sender's")?;
    let store = open_store(&args.state.state_dir, &me, ctx)?;
    let got = receive(&me, &store, &args.bundle, Expect::Request { peer: &peer })?;
    charge_budget(args, &me, &store, &peer, &got)?;
    let out = Out {
        me: &me,
        peer: &peer,
        dest: &dest,
        env,
        split,
        store: &store,
    };
    match (got.message, got.kept) {
        (Message::Round1(r1), _) => answer_round1(args, ctx, &out, &got.header, r1),
        (Message::CatalogQuery(q), Kept::Key(key)) => super::answer::respond(args, ctx, &out, &got.header, q, key),
        _ => unreachable!("Expect::Request yields a round 1 or a catalog query"),
    }
}

/// `--budget`: charge the request's entries to the peer's budget in the
/// store, or refuse it over budget (answering the same bundle again is not
/// charged twice).
fn charge_budget(
    args: &RespondArgs,
    me: &Identity,
    store: &Store,
    peer: &PublicIdentity,
    got: &engine::Received,
) -> Result<()> {
    let Some(budget) = args.budget.budget else {
        return Ok(());
    };
    let n = match &got.message {
        Message::Round1(r1) => r1.elements.points.len(),
        Message::CatalogQuery(q) => q.points.len(),
        _ => 0,
    } as u64
        / crate::group::POINT_LEN as u64;
    let limit = (Some(budget), args.budget.budget_window.as_secs());
    match store.charge_budget(me, peer, (n, got.header.hash), now(), limit)? {
        Ok(_) | Err(Refused::Replay { .. }) => Ok(()),
        Err(over) => Err(over.to_error(n).in_file(&bundle_name(&args.bundle))),
    }
}

/// Where and how a verb writes the bundle it sends.
pub struct Out<'a> {
    pub me: &'a Identity,
    pub peer: &'a PublicIdentity,
    pub dest: &'a Dest,
    pub env: Envelope,
    pub split: Option<u64>,
    pub store: &'a Store,
}

/// Both sides must assign kinds the same way, or equal entries would never
/// meet (a domain hashed as raw on one side, as domain on the other); and a
/// very large set is refused unless expected.
fn check_round1_policy(args: &RespondArgs, name: &str, r1: &Round1) -> Result<()> {
    let kind = r1.kind;
    if let Some(mine) = args.kind {
        if mine != kind {
            return Err(Error::new(format!(
                "{name}: your peer built round 1 with --kind {kind}, you passed --kind {mine}: \
                 the two sides must use the same kind setting, or equal entries would not match"
            ))
            .with_hint(format!(
                "drop --kind to use your peer's setting ({kind}), or ask your peer to start again with --kind {mine}"
            )));
        }
    }
    let n = (r1.elements.points.len() / crate::group::POINT_LEN) as u64;
    if n > args.max_peer_items {
        return Err(Error::new(format!(
            "{name}: the peer's set has {n} elements, more than --max-peer-items {}",
            args.max_peer_items
        ))
        .with_hint("a very large set can enumerate your list; raise --max-peer-items only if you expect this size"));
    }
    Ok(())
}

/// Round 2 over the user's list, and the state that reads round 3.
type Answer = (Entries, crate::protocol::mutual::Round2, Option<Responder>);

fn round2(args: &RespondArgs, ctx: &Ctx, name: &str, r1: Round1, peer_n: u64) -> Result<Answer> {
    let mut entries = read_list(ctx, &args.list, r1.kind)?;
    let bar = ctx.bar(peer_n + args.list.pad_to.unwrap_or(entries.len() as u64), "answering");
    let (r2, state) = Responder::respond(
        &r1.elements,
        &entries,
        r1.mode,
        args.list.pad_to,
        Exec::Parallel,
        &|n| bar.inc(n),
        &mut OsRng,
    )
    .map_err(|e| Error::from(e).in_file(name))?;
    bar.finish_and_clear();
    entries.release_canonical();
    Ok((entries, r2, state))
}

fn answer_round1(args: &RespondArgs, ctx: &Ctx, out: &Out, h: &Header, r1: Round1) -> Result<()> {
    let name = bundle_name(&args.bundle);
    check_round1_policy(args, &name, &r1)?;
    let (kind, mode) = (r1.kind, r1.mode);
    let peer_n = (r1.elements.points.len() / crate::group::POINT_LEN) as u64;
    let (mut entries, r2, state) = round2(args, ctx, &name, r1, peer_n)?;

    let n_points = (r2.points.len() / crate::group::POINT_LEN) as u64;
    let to = Addressed::new(h.session, out.me, out.peer, now(), args.expires);
    let msg = Message::Round2(Round2 {
        kind,
        mode,
        answers: h.hash,
        elements: r2,
    });
    let sealed = engine::seal_message(msg, &to, out.env);
    let state = state.map(|state| {
        let list = crate::store::SecretList::from_entries(&mut entries);
        Session::new(
            &h.session,
            out.peer.line(),
            kind.name().into(),
            sealed.hash,
            list,
            Step::AwaitRound3(state),
            (to.created, to.expires),
        )
    });
    // Remembered as answered until round 1 expires, one-sided too.
    let answered = Answered {
        id: h.session.to_vec(),
        at: to.created,
        until: h.expires,
    };
    let keeps = std::iter::once(Keep::Answered(answered)).chain(state.as_ref().map(Keep::Session));
    let shown = send_keeping(
        out.store,
        out.me,
        keeps.collect(),
        (out.dest, &sealed),
        args.out.wrap.force,
        out.split,
    )?;
    ctx.say(sent_line("round 2 of session", &h.session, "for", out.peer, &shown));
    ctx.say(format!(
        "        peer sent {peer_n} elements; you: {}, {n_points} elements sent, mode {mode}, {}, expires {}",
        describe_entries(&entries, kind),
        out.env.describe(),
        format_time(to.expires)
    ));
    ctx.say(match mode {
        Mode::OneSided => "        one-sided mode: your peer learns which of their entries you share; you learn nothing; no round 3 follows",
        _ => "        send it to your peer; finish with `cosect finish ROUND3-FILE` when round 3 comes back",
    });
    Ok(())
}
