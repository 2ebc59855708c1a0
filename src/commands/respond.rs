//! `cosect respond`: check round 1, answer it with your own list as round 2
//! (or answer a catalog query with your catalog key: `answer::respond`).
//! The steps are `exchange`'s; this verb wires the files and the terminal.

use std::sync::atomic::{AtomicBool, Ordering};

use super::*;
use crate::bundle::format_time;
use crate::cli::options::Sending;
use crate::cli::RespondArgs;
use crate::engine::{Expect, Header, Kept, Message, Round1};
use crate::exchange::{self, Committed, Delivery, Party, Policy, Reply, Size};
use crate::protocol::Mode;
use crate::store::Answered;

pub fn respond(args: &RespondArgs, ctx: &Ctx) -> Result<()> {
    let mut inputs = vec![args.peer.as_path()];
    inputs.extend(args.bundle.iter().map(|p| p.as_path()));
    let lists: Vec<&Path> = args.list.input.iter().map(|p| p.as_path()).collect();
    // A .pub, a bundle or a mail given as the list is refused before the
    // round 1 is even opened: nothing is kept, and the right list can
    // still answer it.
    crate::exchange::list::check_inputs(&lists)?;
    inputs.extend(lists);
    let Sending { dest, env, split, .. } = args.out.resolve(&inputs)?;
    let (me, peer) = load_pair(&args.id.identity, &args.peer, "the sender's")?;
    let store = open_store(&args.state.state_dir, &me, ctx)?;
    let got = receive(ctx, &me, &store, &args.bundle, Expect::Request { peer: &peer })?;
    let out = Out {
        party: Party { me: &me, store: &store },
        name: bundle_name(&args.bundle),
        to: Delivery {
            dest: &dest,
            force: args.out.wrap.force,
            split,
        },
        env,
        policy: Policy {
            max_peer_items: args.max_peer_items,
            max_query_items: args.max_query_items,
            budget: args.budget.budget,
            window: args.budget.budget_window.as_secs(),
            max_sessions: None,
        },
    };
    match (got.message, got.kept) {
        (_, Kept::Again(a)) => again(ctx, &out, &got.header, &a),
        (Message::Round1(r1), _) => answer_round1(args, ctx, &out, &got.header, r1),
        (Message::CatalogQuery(q), Kept::Key(key)) => super::answer::respond(args, ctx, &out, &got.header, q, key),
        _ => unreachable!("Expect::Request yields a round 1 or a catalog query"),
    }
}

/// Where and how `respond` writes the bundle it sends, and what it accepts.
pub struct Out<'a> {
    pub party: Party<'a>,
    /// The request, as messages name it.
    pub name: String,
    pub to: Delivery<'a>,
    pub env: Envelope,
    pub policy: Policy,
}

/// The very request answered before: its kept reply, written again.
pub fn again(ctx: &Ctx, out: &Out, h: &Header, a: &Answered) -> Result<()> {
    let kept = out.party.store.reply_path(&a.id);
    let mut tx = out.party.store.begin(out.party.me)?;
    let shown = out.to.copy(&mut tx, &kept)?;
    tx.commit()?;
    let what = match a.answer {
        crate::store::Answer::CatalogAnswer => "answer to catalog query",
        _ => "round 2 of session",
    };
    ctx.say(sent_line(what, &h.session, "for", &h.sender, &shown));
    ctx.say(format!(
        "        this very bundle was answered on {}: the same answer, byte for byte, is written again \
         (kept until {}); nothing was computed or charged",
        format_time(a.at),
        format_time(a.until)
    ));
    Ok(())
}

/// Commit a reply made, and say where it went; the same request answered
/// meanwhile by another process is written from its kept reply instead.
pub fn commit(ctx: &Ctx, out: &Out, h: &Header, p: exchange::Prepared) -> Result<Option<String>> {
    match exchange::commit_answer(out.party, &out.name, p, &out.policy, Some(out.to))? {
        Committed::Now { shown, .. } => Ok(shown),
        Committed::Earlier(a) => again(ctx, out, h, &a).map(|()| None),
    }
}

/// Both sides must assign kinds the same way, or equal entries would never
/// meet (a domain hashed as raw on one side, as domain on the other).
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
    Ok(())
}

fn answer_round1(args: &RespondArgs, ctx: &Ctx, out: &Out, h: &Header, r1: Round1) -> Result<()> {
    let name = &out.name;
    check_round1_policy(args, name, &r1)?;
    if args.note.is_some() && r1.mode == Mode::OneSided {
        return Err(Error::new(format!(
            "{name}: --note: this one-sided exchange keeps no session to keep the note with"
        ))
        .with_hint("drop --note: the responder of a one-sided exchange keeps nothing"));
    }
    let size = Size::of_round1(&r1);
    exchange::admit(out.party, name, h, size, &out.policy, now())?;
    let peer_n = size.elements();
    let (kind, mode) = (r1.kind, r1.mode);
    let reply = Reply {
        envelope: out.env,
        expires: args.expires,
        now: now(),
    };
    let pad_to = args.list.pad_to;
    // The list is read on a thread of its own while round 1 is answered,
    // which needs no list; a list that cannot be read stops that work.
    let bar = ctx.bar(2 * peer_n, "answering");
    let stop = AtomicBool::new(false);
    let stopped = || stop.load(Ordering::Relaxed);
    let (first, list) = std::thread::scope(|s| {
        let reading = s.spawn(|| {
            let list = read_list(ctx, &args.list, kind);
            if list.as_ref().map_or(true, |e| e.is_empty()) {
                stop.store(true, Ordering::Relaxed);
            }
            list
        });
        let first = exchange::answer_round1_first(name, r1, &|n| bar.inc(n), &stopped);
        (first, reading.join())
    });
    let mut entries = list.map_err(|_| Error::new("reading the list failed unexpectedly"))??;
    bar.set_length(peer_n + pad_to.unwrap_or(entries.len() as u64));
    let first = first?.ok_or_else(|| Error::new("answering round 1 was stopped, yet the list was read"))?;
    let p = exchange::answer_round1_rest(out.party, name, h, first, &mut entries, pad_to, reply, &|n| bar.inc(n))?;
    bar.finish_and_clear();
    let p = p.with_note(args.note.as_deref());
    let n_points = p.sent;
    let expires = crate::exchange::expiry(reply.now, args.expires);
    let Some(shown) = commit(ctx, out, h, p)? else {
        return Ok(());
    };
    ctx.say(sent_line("round 2 of session", &h.session, "for", &h.sender, &shown));
    ctx.say(format!(
        "        peer sent {peer_n} elements; you: {}, {n_points} elements sent, mode {mode}, {}, expires {}",
        describe_entries(&entries, kind),
        out.env.describe(),
        format_time(expires)
    ));
    ctx.say(match mode {
        Mode::OneSided => "        one-sided mode: your peer learns which of their entries you share; you learn nothing; no round 3 follows",
        _ => "        send it to your peer; finish with `cosect finish ROUND3-FILE` when round 3 comes back",
    });
    Ok(())
}
