//! `cosect respond`: check round 1, answer it with your own list as round 2.

use rand::rngs::OsRng;

use super::*;
use crate::bundle::payload::{Payload, PROTOCOL_PSI};
use crate::bundle::{format_time, seal};
use crate::cli::RespondArgs;
use crate::fsio::Dest;
use crate::group::Exec;
use crate::protocol::mutual::Round1;
use crate::protocol::{Mode, Responder};
use crate::store::{hex, Session, Step};

/// Check that a verified bundle is a well-formed round-1 bundle of the
/// mutual protocol; returns its kind setting and mode.
pub fn check_round1(p: &Payload) -> Result<(KindSetting, Mode), crate::bundle::BundleError> {
    use crate::bundle::BundleError::{Counts, Structure};
    if p.protocol != PROTOCOL_PSI {
        return Err(Structure(format!(
            "protocol {:?} is not one `respond` answers",
            input::shown(&p.protocol)
        )));
    }
    if p.round != 1 {
        return Err(Structure(format!(
            "this is a round-{} bundle; `respond` answers round 1 (use `cosect finish` for rounds 2 and 3)",
            p.round
        )));
    }
    let kind: KindSetting = p
        .kind
        .parse()
        .map_err(|_| Structure(format!("unknown kind {:?}", input::shown(&p.kind))))?;
    let mode: Mode = p
        .mode
        .parse()
        .map_err(|_| Structure(format!("unknown mode {:?}", input::shown(&p.mode))))?;
    if !p.answers.is_empty() || p.n_doubled != 0 || p.trunc != 0 {
        return Err(Counts(
            "a round-1 bundle carries no answered hash and no double-encrypted elements".into(),
        ));
    }
    if p.n_points == 0 {
        return Err(Counts("round 1 holds no elements".into()));
    }
    if p.catalog.is_some() {
        return Err(Structure("a mutual-exchange bundle carries no catalog field".into()));
    }
    Ok((kind, mode))
}

pub fn respond(args: &RespondArgs, ctx: &Ctx) -> Result<()> {
    let bundle_name = shown_path(&args.bundle);
    let dest = Dest::from_arg(args.out.output.as_deref());
    let env = envelope(args.out.encrypt, args.out.armor);
    if let Some(o) = &args.out.output {
        let mut inputs = vec![args.peer.as_path(), args.bundle.as_path()];
        inputs.extend(args.list.input.as_deref());
        check_distinct(&inputs, &[o])?;
    }
    // A binary bundle goes to a terminal only when asked for with `-o -`.
    let binary_to_terminal_check = env != Envelope::Armored && args.out.output.is_none();
    fsio::check_dest(&dest, args.out.force, binary_to_terminal_check)?;
    let me = load_identity(&args.id.identity)?;
    let peer = load_peer(&args.peer)?;
    let store = store(&args.state.state_dir)?;

    let mut r1 = open_bundle(&args.bundle, Some(&me))?;
    if r1.payload.protocol == crate::bundle::catalog::PROTOCOL_CATALOG {
        return super::catalog::respond(args, ctx, &me, &peer, &store, r1);
    }
    let in_file = |e: crate::bundle::BundleError| Error::from(e).in_file(&bundle_name);
    r1.check_not_own(&me.public()).map_err(in_file)?;
    r1.check_sender(&peer).map_err(in_file)?;
    r1.check_recipient(&me.public()).map_err(in_file)?;
    r1.check_time(now()).map_err(in_file)?;
    let (kind, mode) = check_round1(&r1.payload).map_err(in_file)?;
    let p = &r1.payload;
    // Both sides must assign kinds the same way, or equal entries would
    // never meet (a domain hashed as raw on one side, as domain on the other).
    if let Some(mine) = args.kind.map(KindSetting::from) {
        if mine != kind {
            return Err(Error::new(format!(
                "{bundle_name}: your peer built round 1 with --kind {kind}, you passed --kind {mine}: \
                 the two sides must use the same kind setting, or equal entries would not match"
            ))
            .with_hint(format!(
                "drop --kind to use your peer's setting ({kind}), or ask your peer to start again with --kind {mine}"
            )));
        }
    }
    if p.n_points > args.max_peer_items {
        return Err(Error::new(format!(
            "{bundle_name}: the peer's set has {} elements, more than --max-peer-items {}",
            p.n_points, args.max_peer_items
        ))
        .with_hint("a very large set can enumerate your list; raise --max-peer-items only if you expect this size"));
    }
    if store.load(&p.session, &me)?.is_some() {
        return Err(Error::new(format!(
            "{bundle_name}: session {} was already answered",
            &hex(&p.session)[..8]
        ))
        .with_hint("each round-1 bundle is answered once; ask your peer to start a new exchange"));
    }

    let mut entries = read_list(ctx, &args.list, kind)?;
    let total = p.n_points + args.list.pad_to.unwrap_or(entries.len() as u64);
    let bar = ctx.bar(total, "answering");
    let round1 = Round1 {
        points: std::mem::take(&mut r1.payload.points),
    };
    let p = &r1.payload;
    let (r2, state) = Responder::respond(
        &round1,
        &entries,
        mode,
        args.list.pad_to,
        Exec::Parallel,
        &|n| bar.inc(n),
        &mut OsRng,
    )
    .map_err(|e| Error::from(e).in_file(&bundle_name))?;
    bar.finish_and_clear();
    drop(round1);
    entries.release_canonical();

    let created = now();
    let n_points = (r2.points.len() / crate::group::POINT_LEN) as u64;
    let payload = Payload {
        kind: kind.name().into(),
        mode: mode.name().into(),
        created,
        expires: expiry(created, args.expires),
        answers: r1.hash.to_vec(),
        n_points,
        points: r2.points,
        trunc: r2.trunc as u8,
        n_doubled: p.n_points,
        doubled: r2.doubled,
        ..Payload::addressed(PROTOCOL_PSI, 2, &p.session, &me.public(), &peer.fingerprint())
    };
    let expires = payload.expires;
    let sealed = seal(payload, &me, &peer, env);
    let state = state.map(|state| {
        Session::new(
            &p.session,
            peer.line(),
            kind.name().into(),
            sealed.hash,
            crate::store::SecretList::from_entries(&mut entries),
            Step::AwaitRound3(state),
        )
    });
    save_then_write(&store, state.as_ref(), &me, &dest, &sealed, args.out.force)?;
    ctx.say(format!(
        "cosect: round 2 of session {} for {} ({}) written to {}",
        &hex(&p.session)[..8],
        peer.display_name(),
        peer.short_fingerprint(),
        dest.display()
    ));
    ctx.say(format!(
        "        peer sent {} elements; you: {}, {n_points} elements sent, mode {mode}, {}, expires {}",
        p.n_points,
        describe_entries(&entries, kind),
        env.describe(),
        format_time(expires)
    ));
    ctx.say(match mode {
        Mode::OneSided => "        one-sided mode: your peer learns which of their entries you share; you learn nothing; no round 3 follows",
        _ => "        send it to your peer; finish with `cosect finish ROUND3-FILE` when round 3 comes back",
    });
    Ok(())
}
