//! `cosect finish`: read round 2 (initiator) or round 3 (responder), print
//! the result, write round 3 if the mode has one, destroy the session (or
//! finish a catalog query: `catalog::finish`).

use rand::rngs::OsRng;

use super::*;
use crate::cli::FinishArgs;
use crate::engine::{self, Addressed, Expect, Header, Kept, Message, Round3};
use crate::fsio::Dest;
use crate::group::Exec;
use crate::output::{self, Report};
use crate::protocol::{Mode, Outcome};
use crate::store::{hex, Session, Step};

/// Where `finish` writes: the results, and round 3 when the mode has one.
pub struct Outputs {
    pub results: Dest,
    pub reply: Option<Dest>,
    pub env: Envelope,
}

fn outputs(args: &FinishArgs) -> Result<Outputs> {
    let outputs: Vec<&Path> = args
        .output
        .iter()
        .chain(args.reply.iter())
        .map(|p| p.as_path())
        .collect();
    check_distinct(&[&args.bundle], &outputs)?;
    let results = Dest::from_arg(args.output.as_deref());
    let reply = args.reply.as_deref().map(|p| Dest::from_arg(Some(p)));
    if results == Dest::Stdout && reply == Some(Dest::Stdout) {
        return Err(Error::new("the results and round 3 cannot both go to standard output")
            .with_hint("name a file with --reply FILE or -o FILE"));
    }
    fsio::check_dest(&results, args.wrap.force, false)?;
    if let Some(r) = &reply {
        // `--reply` always names its destination, so `--reply -` is an
        // explicit request for standard output, like `-o -`.
        fsio::check_dest(r, args.wrap.force, false)?;
    }
    Ok(Outputs {
        results,
        reply,
        env: envelope(args.wrap.encrypt, args.wrap.armor),
    })
}

pub fn finish(args: &FinishArgs, ctx: &Ctx) -> Result<()> {
    let out = outputs(args)?;
    let me = load_identity(&args.id.identity)?;
    let store = store(&args.state.state_dir)?;
    let got = receive(&me, &store, &args.bundle, Expect::Answer)?;
    match (got.message, got.kept) {
        (Message::CatalogAnswer(a), Kept::Query(q)) => super::catalog::finish(args, ctx, &me, &store, &out, a, q),
        (message, Kept::Session(s)) => {
            let Session {
                id,
                kind,
                entries,
                step,
                ..
            } = s;
            let (outcome, reply, mode) = run_step(args, ctx, &me, &out, &got.header, message, step)?;
            let done = Done {
                id,
                kind,
                entries,
                outcome,
                mode,
                reply,
                peer: &got.header.sender,
            };
            report(args, ctx, &store, &out, done)
        }
        _ => unreachable!("Expect::Answer yields an answer with its kept state"),
    }
}

/// Refuse a `--reply` the step does not write, or its absence when it does.
fn check_reply(mode: Mode, round: u8, reply: &Option<Dest>) -> Result<()> {
    if round == 2 && mode.has_round3() && reply.is_none() {
        return Err(
            Error::new(format!("this session is in {mode} mode: your peer needs round 3"))
                .with_hint("name a file for it with --reply FILE"),
        );
    }
    if (round == 3 || !mode.has_round3()) && reply.is_some() {
        return Err(Error::new("this step writes no round 3").with_hint("drop --reply"));
    }
    Ok(())
}

/// The protocol step: the outcome, and round 3 written when the mode has
/// one (returns where it went).
fn run_step<'a>(
    args: &FinishArgs,
    ctx: &Ctx,
    me: &Identity,
    out: &'a Outputs,
    h: &Header,
    message: Message,
    step: Step,
) -> Result<(Outcome, Option<&'a Dest>, Mode)> {
    let name = shown_path(&args.bundle);
    match (message, step) {
        (Message::Round2(r2), Step::AwaitRound2(init)) => {
            check_reply(r2.mode, 2, &out.reply)?;
            let bar = ctx.bar((r2.elements.points.len() / crate::group::POINT_LEN) as u64, "finishing");
            let (outcome, r3) = init
                .finish(r2.elements, Exec::Parallel, &|n| bar.inc(n), &mut OsRng)
                .map_err(|e| Error::from(e).in_file(&name))?;
            bar.finish_and_clear();
            let written = match (r3, &out.reply) {
                (Some(r3), Some(reply)) => {
                    let to = Addressed::new(h.session, me, &h.sender, now(), reply_lifetime(h));
                    let msg = Message::Round3(Round3 {
                        kind: r2.kind,
                        mode: r2.mode,
                        answers: h.hash,
                        elements: r3,
                    });
                    write_bundle(reply, &engine::seal_message(msg, &to, out.env), args.wrap.force)?;
                    Some(reply)
                }
                _ => None,
            };
            Ok((outcome, written, r2.mode))
        }
        (Message::Round3(r3), Step::AwaitRound3(resp)) => {
            check_reply(r3.mode, 3, &out.reply)?;
            let outcome = resp.finish(&r3.elements).map_err(|e| Error::from(e).in_file(&name))?;
            Ok((outcome, None, r3.mode))
        }
        _ => unreachable!("check_answer matched the round to the session's step"),
    }
}

/// A finished session, ready to report.
struct Done<'a> {
    id: Vec<u8>,
    kind: String,
    entries: crate::store::SecretList,
    outcome: Outcome,
    mode: Mode,
    /// Where round 3 went, if it was written.
    reply: Option<&'a Dest>,
    peer: &'a PublicIdentity,
}

/// Write the results, then destroy the session and say what happened. If
/// the results cannot be written the session stays open and the new round
/// 3 is removed, so that a retry starts from the same files (unless
/// --force replaced an old one).
fn report(args: &FinishArgs, ctx: &Ctx, store: &Store, out: &Outputs, d: Done) -> Result<()> {
    let shared = match &d.outcome {
        Outcome::Matches(m) => Some(m.iter().map(|&i| d.entries.shared(i)).collect()),
        Outcome::Count(_) => None,
    };
    let report = Report {
        mode: d.mode.name(),
        kind: &d.kind,
        count: d.outcome.count(),
        entries: shared,
        with_source: d.entries.has_sources(),
        with_label: false,
    };
    let force = args.wrap.force;
    if let Err(e) = fsio::write_atomic(&out.results, &output::render(&report, args.format), force, true) {
        if let (Some(Dest::File(p)), false) = (d.reply, force) {
            let _ = std::fs::remove_file(p);
        }
        return Err(e);
    }
    if let Some(reply) = d.reply {
        ctx.say(format!(
            "cosect: round 3 written to {} ({}); send it to your peer",
            reply.display(),
            out.env.describe()
        ));
    }
    store.remove(&d.id)?;
    ctx.say(format!(
        "cosect: session {} finished: you share {} of your {} entries with {} ({}){}",
        &hex(&d.id)[..8],
        d.outcome.count(),
        d.entries.len(),
        d.peer.display_name(),
        d.peer.short_fingerprint(),
        written_to(&out.results)
    ));
    Ok(())
}

/// `; written to FILE` when the results went to a file.
pub fn written_to(results: &Dest) -> String {
    match results {
        Dest::Stdout => String::new(),
        Dest::File(p) => format!("; written to {}", p.display()),
    }
}

/// The responder has already waited for round 3; give it as long as round
/// 2 gave us.
fn reply_lifetime(r2: &Header) -> std::time::Duration {
    std::time::Duration::from_secs(r2.expires.saturating_sub(r2.created).max(3600))
}
