//! `cosect init`: read the list, blind it, write round 1, keep the secret
//! state for `finish`.

use rand::rngs::OsRng;

use super::*;
use crate::bundle::format_time;
use crate::cli::options::Sending;
use crate::cli::InitArgs;
use crate::engine::{self, Addressed, Message};
use crate::group::Exec;
use crate::protocol::{Initiator, Mode};
use crate::store::{Keep, Session, Step};

pub fn init(args: &InitArgs, ctx: &Ctx) -> Result<()> {
    if !args.catalog.is_empty() {
        // Each catalog a file or all its parts: told apart by their headers.
        let mut catalogs = read_bundles_from(&args.catalog)?;
        if catalogs.len() > 1 {
            return super::sightings::init(args, ctx, catalogs);
        }
        return super::query::init(args, catalogs.pop().expect("one catalog"), ctx);
    }
    let peer_path = one_peer(args)?;
    // Auto unless --kind says otherwise (see doc/inputs.md).
    let kind = args.kind.unwrap_or(KindSetting::Auto);
    let mut inputs = need_input(&args.list)?;
    let mode = Mode::from(args.mode);
    inputs.push(peer_path);
    let Sending {
        dest,
        env,
        force,
        split,
    } = args.out.resolve(&inputs)?;
    let (me, peer) = load_pair(&args.id.identity, peer_path, "your peer's")?;
    let store = open_store(&args.state.state_dir, &me, ctx)?;
    let mut entries = read_list(ctx, &args.list, kind)?;

    let bar = ctx.bar(entries.len() as u64, "blinding");
    let (state, r1) = Initiator::start(
        &entries,
        mode,
        args.list.pad_to,
        Exec::Parallel,
        &|n| bar.inc(n),
        &mut OsRng,
    )?;
    bar.finish_and_clear();
    entries.release_canonical();

    let n_points = state.sent();
    let to = Addressed::new(new_session(), &me, &peer, now(), args.expires);
    let msg = Message::Round1(engine::Round1 {
        kind,
        mode,
        elements: r1,
    });
    let sealed = engine::seal_message(msg, &to, env);
    let list = crate::store::SecretList::from_entries(&mut entries);
    let step = Step::AwaitRound2(state);
    let times = (to.created, to.expires);
    let state = Session::new(
        &to.session,
        peer.line(),
        kind.name().into(),
        sealed.hash,
        list,
        step,
        times,
    )
    .with_note(args.note.as_deref());
    let shown = send_keeping(&store, &me, vec![Keep::Session(&state)], (&dest, &sealed), force, split)?;
    ctx.say(sent_line("round 1 of session", &to.session, "for", &peer, &shown));
    ctx.say(format!(
        "        {}, {n_points} elements sent, mode {mode}, {}, expires {}",
        describe_entries(&entries, kind),
        env.describe(),
        format_time(to.expires)
    ));
    ctx.say("        send it to your peer; finish with `cosect finish ROUND2-FILE`");
    Ok(())
}

/// The one `--peer` of a mutual exchange or of a query against one catalog.
pub fn one_peer(args: &InitArgs) -> Result<&Path> {
    match args.peer.as_slice() {
        [one] => Ok(one),
        _ => Err(Error::new(format!(
            "--peer was given {} times, and {} has one peer",
            args.peer.len(),
            if args.catalog.is_empty() {
                "a mutual exchange"
            } else {
                "a query against one catalog"
            }
        ))
        .with_hint(
            "pass --peer once; to look your list up in several publishers' catalogs, pass --catalog once for each",
        )),
    }
}
