//! `cosect init`: read the list, blind it, write round 1, keep the secret
//! state for `finish`.

use rand::rngs::OsRng;
use rand::RngCore;

use super::*;
use crate::bundle::format_time;
use crate::bundle::payload::SESSION_LEN;
use crate::cli::options::Sending;
use crate::cli::InitArgs;
use crate::engine::{self, Addressed, Message};
use crate::group::Exec;
use crate::protocol::{Initiator, Mode};
use crate::store::{hex, Keep, Session, Step};

pub fn init(args: &InitArgs, ctx: &Ctx) -> Result<()> {
    if let Some(catalog) = &args.catalog {
        return super::catalog::init(args, catalog, ctx);
    }
    // Auto unless --kind says otherwise (see doc/inputs.md).
    let kind = args.kind.map_or(KindSetting::Auto, KindSetting::from);
    let input = super::catalog::need_input(&args.list)?;
    let mode = Mode::from(args.mode);
    let Sending { dest, env, .. } = args.out.resolve(&[input, &args.peer])?;
    let me = load_identity(&args.id.identity)?;
    let peer = load_peer(&args.peer)?;
    if peer == me.public() {
        return Err(
            Error::new(format!("{}: this is your own public identity", args.peer.display()))
                .with_hint("pass your peer's public identity with --peer"),
        );
    }
    let store = store(&args.state.state_dir)?;
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

    let mut session = [0u8; SESSION_LEN];
    OsRng.fill_bytes(&mut session);
    let created = now();
    let n_points = state.sent();
    let expires = expiry(created, args.expires);
    let to = Addressed {
        session,
        me: &me,
        to: &peer,
        created,
        expires,
    };
    let msg = Message::Round1(engine::Round1 {
        kind,
        mode,
        elements: r1,
    });
    let sealed = engine::seal_message(msg, &to, env);
    let list = crate::store::SecretList::from_entries(&mut entries);
    let state = Session::new(
        &session,
        peer.line(),
        kind.name().into(),
        sealed.hash,
        list,
        Step::AwaitRound2(state),
    );
    store.transaction(Keep::Session(&state), &me, || {
        write_bundle(&dest, &sealed, args.out.wrap.force)
    })?;
    ctx.say(format!(
        "cosect: round 1 of session {} for {} ({}) written to {}",
        &hex(&session)[..8],
        peer.display_name(),
        peer.short_fingerprint(),
        dest.display()
    ));
    ctx.say(format!(
        "        {}, {n_points} elements sent, mode {mode}, {}, expires {}",
        describe_entries(&entries, kind),
        env.describe(),
        format_time(expires)
    ));
    ctx.say("        send it to your peer; finish with `cosect finish ROUND2-FILE`");
    Ok(())
}
