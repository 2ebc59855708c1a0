//! `cosect finish`: read round 2 (initiator) or round 3 (responder), print
//! the result, write round 3 if the mode has one, destroy the session.

use rand::rngs::OsRng;

use super::*;
use crate::bundle::payload::{Payload, PROTOCOL_PSI};
use crate::bundle::{seal, BundleError};
use crate::cli::FinishArgs;
use crate::fsio::Dest;
use crate::group::Exec;
use crate::output::{self, Report};
use crate::protocol::mutual::{Round2, Round3};
use crate::protocol::{Mode, Outcome};
use crate::store::{hex, Session, Step};

pub fn finish(args: &FinishArgs, ctx: &Ctx) -> Result<()> {
    let name = shown_path(&args.bundle);
    let in_file = |e: BundleError| Error::from(e).in_file(&name);
    let outputs: Vec<&Path> = args
        .output
        .iter()
        .chain(args.reply.iter())
        .map(|p| p.as_path())
        .collect();
    check_distinct(&[&args.bundle], &outputs)?;
    let results = Dest::from_arg(args.output.as_deref());
    let reply = args.reply.as_deref().map(|p| Dest::from_arg(Some(p)));
    let env = envelope(args.encrypt, args.armor);
    if results == Dest::Stdout && reply == Some(Dest::Stdout) {
        return Err(Error::new("the results and round 3 cannot both go to standard output")
            .with_hint("name a file with --reply FILE or -o FILE"));
    }
    fsio::check_dest(&results, args.force, false)?;
    if let Some(r) = &reply {
        // `--reply` always names its destination, so `--reply -` is an
        // explicit request for standard output, like `-o -`.
        fsio::check_dest(r, args.force, false)?;
    }
    let me = load_identity(&args.id.identity)?;
    let store = store(&args.state.state_dir)?;
    let mut bundle = open_bundle(&args.bundle, Some(&me))?;
    bundle.check_not_own(&me.public()).map_err(in_file)?;
    if bundle.payload.protocol == crate::bundle::catalog::PROTOCOL_CATALOG {
        return super::catalog::finish(args, ctx, bundle, &me, &store, &results);
    }
    let sid = hex(&bundle.payload.session)[..8].to_owned();
    let Some(session) = store.load(&bundle.payload.session, &me)? else {
        // Without the session the peer is unknown, but a bundle addressed to
        // someone else (typically your own round 1 or round 3 fed back to you)
        // fails "addressed to me" before "session exists": say so.
        bundle.check_recipient(&me.public()).map_err(in_file)?;
        return Err(Error::new(format!(
            "{name}: no open session {sid} in {} (already finished, or started with another --state-dir or identity)",
            store.dir().display()
        ))
        .with_hint("a session can be finished only once: its secrets are destroyed when it finishes"));
    };
    let peer = PublicIdentity::parse_line(&session.peer)
        .map_err(|_| Error::new(format!("session {sid}: the stored peer identity is damaged")))?;

    // Signature by the session's peer, addressee, time, then session and round.
    bundle.check_sender(&peer).map_err(in_file)?;
    bundle.check_recipient(&me.public()).map_err(in_file)?;
    bundle.check_time(now()).map_err(in_file)?;
    let (mode, want_round) = match &session.step {
        Step::AwaitRound2(i) => (i.mode(), 2),
        Step::AwaitRound3(r) => (r.mode(), 3),
    };
    check_answer(&bundle.payload, &session, mode, want_round, &sid).map_err(in_file)?;
    if want_round == 2 && mode.has_round3() && reply.is_none() {
        return Err(
            Error::new(format!("this session is in {mode} mode: your peer needs round 3"))
                .with_hint("name a file for it with --reply FILE"),
        );
    }
    if (want_round == 3 || !mode.has_round3()) && reply.is_some() {
        return Err(Error::new("this step writes no round 3").with_hint("drop --reply"));
    }

    let Session {
        id,
        kind,
        entries,
        step,
        ..
    } = session;
    let p = &mut bundle.payload;
    let bar = ctx.bar(p.n_points, "finishing");
    let (outcome, r3) = match step {
        Step::AwaitRound2(init) => {
            let r2 = Round2 {
                doubled: std::mem::take(&mut p.doubled),
                points: std::mem::take(&mut p.points),
                trunc: p.trunc as usize,
            };
            init.finish(r2, Exec::Parallel, &|n| bar.inc(n), &mut OsRng)
        }
        Step::AwaitRound3(resp) => {
            let r3 = Round3 {
                doubled: std::mem::take(&mut p.doubled),
                trunc: p.trunc as usize,
            };
            resp.finish(&r3).map(|o| (o, None))
        }
    }
    .map_err(|e| Error::from(e).in_file(&name))?;
    bar.finish_and_clear();

    let mut written_reply = None;
    if let (Some(r3), Some(reply)) = (r3, &reply) {
        let payload = round3_payload(&me, &peer, &bundle.payload, &bundle.hash, mode, r3);
        write_bundle(reply, &seal(payload, &me, &peer, env), args.force)?;
        written_reply = Some(reply);
    }
    let shared = match &outcome {
        Outcome::Matches(m) => Some(m.iter().map(|&i| entries.shared(i)).collect()),
        Outcome::Count(_) => None,
    };
    let report = Report {
        mode: mode.name(),
        kind: &kind,
        count: outcome.count(),
        entries: shared,
        with_source: entries.has_sources(),
        with_label: false,
    };
    if let Err(e) = fsio::write_atomic(&results, &output::render(&report, args.format), args.force, false) {
        // The session stays open: remove the new round 3 so that a retry
        // starts from the same files (unless --force replaced an old one).
        if let (Some(Dest::File(p)), false) = (written_reply, args.force) {
            let _ = std::fs::remove_file(p);
        }
        return Err(e);
    }
    if let Some(reply) = written_reply {
        ctx.say(format!(
            "cosect: round 3 written to {} ({}); send it to your peer",
            reply.display(),
            env.describe()
        ));
    }
    store.remove(&id)?;
    ctx.say(format!(
        "cosect: session {sid} finished: you share {} of your {} entries with {} ({}){}",
        outcome.count(),
        entries.len(),
        peer.display_name(),
        peer.short_fingerprint(),
        match &results {
            Dest::Stdout => String::new(),
            Dest::File(p) => format!("; written to {}", p.display()),
        }
    ));
    Ok(())
}

/// Session known and at this round: the bundle answers the one we sent in
/// this session, with its protocol, kind and mode.
fn check_answer(p: &Payload, s: &Session, mode: Mode, round: u8, sid: &str) -> Result<(), BundleError> {
    if p.protocol != PROTOCOL_PSI {
        return Err(BundleError::Structure(
            "it is not a bundle of this session's protocol".into(),
        ));
    }
    if p.round != round {
        return Err(BundleError::Structure(format!(
            "this is a round-{} bundle, but session {sid} waits for round {round}",
            p.round
        )));
    }
    if p.answers[..] != s.sent_hash[..] {
        return Err(BundleError::Structure(
            "it answers another bundle than the one you sent in this session (replayed or mixed up)".into(),
        ));
    }
    if p.catalog.is_some() {
        return Err(BundleError::Structure(
            "a mutual-exchange bundle carries no catalog field".into(),
        ));
    }
    // Round 2 carries the responder's blinded elements; round 3 none.
    match (round, p.n_points) {
        (2, 0) => {
            return Err(BundleError::Counts(
                "round 2 holds none of the responder's elements".into(),
            ))
        }
        (3, n) if n > 0 => {
            return Err(BundleError::Counts(
                "round 3 carries blinded elements it never has".into(),
            ))
        }
        _ => {}
    }
    if p.kind != s.kind || p.mode != mode.name() {
        return Err(BundleError::Structure(format!(
            "its kind and mode ({}, {}) differ from the session's ({}, {mode})",
            input::shown(&p.kind),
            input::shown(&p.mode),
            s.kind
        )));
    }
    Ok(())
}

fn round3_payload(
    me: &Identity,
    peer: &PublicIdentity,
    r2: &Payload,
    r2_hash: &[u8; 32],
    mode: Mode,
    r3: Round3,
) -> Payload {
    let created = now();
    Payload {
        kind: r2.kind.clone(),
        mode: mode.name().into(),
        created,
        // The responder has already waited for this; give it as long as round 2 gave us.
        expires: expiry(
            created,
            std::time::Duration::from_secs(r2.expires.saturating_sub(r2.created).max(3600)),
        ),
        answers: r2_hash.to_vec(),
        trunc: r3.trunc as u8,
        n_doubled: (r3.doubled.len() / r3.trunc) as u64,
        doubled: r3.doubled,
        ..Payload::addressed(PROTOCOL_PSI, 3, &r2.session, &me.public(), &peer.fingerprint())
    }
}
