//! `cosect init`: read the list, blind it, write round 1, keep the secret
//! state for `finish`.

use rand::rngs::OsRng;
use rand::RngCore;

use super::*;
use crate::bundle::payload::{Payload, PROTOCOL_PSI, SESSION_LEN};
use crate::bundle::{format_time, seal};
use crate::cli::InitArgs;
use crate::fsio::Dest;
use crate::group::Exec;
use crate::protocol::{Initiator, Mode};
use crate::store::{hex, Session, Step};

pub fn init(args: &InitArgs, ctx: &Ctx) -> Result<()> {
    if let Some(catalog) = &args.catalog {
        return super::catalog::init(args, catalog, ctx);
    }
    // Auto unless --kind says otherwise (see doc/inputs.md).
    let kind = args.kind.map_or(KindSetting::Auto, KindSetting::from);
    let input = super::catalog::need_input(&args.list)?;
    let mode = Mode::from(args.mode);
    let dest = Dest::from_arg(args.out.output.as_deref());
    let env = envelope(args.out.encrypt, args.out.armor);
    if let Some(o) = &args.out.output {
        check_distinct(&[input, &args.peer], &[o])?;
    }
    // A binary bundle goes to a terminal only when asked for with `-o -`.
    let binary_to_terminal_check = env != Envelope::Armored && args.out.output.is_none();
    fsio::check_dest(&dest, args.out.force, binary_to_terminal_check)?;
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
    let payload = Payload {
        kind: kind.name().into(),
        mode: mode.name().into(),
        created,
        expires: expiry(created, args.expires),
        n_points,
        points: r1.points,
        ..Payload::addressed(PROTOCOL_PSI, 1, &session, &me.public(), &peer.fingerprint())
    };
    let expires = payload.expires;
    let sealed = seal(payload, &me, &peer, env);
    let state = Session::new(
        &session,
        peer.line(),
        kind.name().into(),
        sealed.hash,
        crate::store::SecretList::from_entries(&mut entries),
        Step::AwaitRound2(state),
    );
    save_then_write(&store, Some(&state), &me, &dest, &sealed, args.out.force)?;
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
