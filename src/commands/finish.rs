//! `cosect finish`: read round 2 (initiator) or round 3 (responder), print
//! the result, write round 3 if the mode has one, destroy the session (or
//! finish a catalog query: `lookup::finish`).

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
    let inputs: Vec<&Path> = args.bundle.iter().map(|p| p.as_path()).collect();
    check_distinct(&inputs, &outputs)?;
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
        crate::cli::options::check_wrapped(r, envelope(&args.wrap), args.wrap.split)?;
    }
    Ok(Outputs {
        results,
        reply,
        env: envelope(&args.wrap),
    })
}

pub fn finish(args: &FinishArgs, ctx: &Ctx) -> Result<()> {
    let out = outputs(args)?;
    let me = load_identity(&args.id.identity)?;
    let store = open_store(&args.state.state_dir, &me, ctx)?;
    let got = receive(&me, &store, &args.bundle, Expect::Answer)?;
    match (got.message, got.kept) {
        (Message::CatalogAnswer(a), Kept::Query(q)) => super::lookup::finish(args, ctx, &me, &store, &out, a, q),
        (message, Kept::Session(s)) => {
            let Session {
                id,
                kind,
                entries,
                step,
                ..
            } = s;
            let mut tx = store.begin(&me);
            let (outcome, reply, mode) = run_step(args, ctx, &mut tx, &out, &got.header, message, step)?;
            let done = Done {
                id: id.into_vec(),
                kind,
                entries,
                outcome,
                mode,
                reply,
                peer: &got.header.sender,
            };
            report(args, ctx, tx, &out, done)
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
fn run_step(
    args: &FinishArgs,
    ctx: &Ctx,
    tx: &mut crate::store::Tx,
    out: &Outputs,
    h: &Header,
    message: Message,
    step: Step,
) -> Result<(Outcome, Option<String>, Mode)> {
    let name = bundle_name(&args.bundle);
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
                    let to = Addressed::new(h.session, tx.me(), &h.sender, now(), reply_lifetime(h));
                    let msg = Message::Round3(Round3 {
                        kind: r2.kind,
                        mode: r2.mode,
                        answers: h.hash,
                        elements: r3,
                    });
                    let sealed = engine::seal_message(msg, &to, out.env);
                    Some(write_in_tx(tx, reply, &sealed, args.wrap.force, args.wrap.split)?)
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
    reply: Option<String>,
    peer: &'a PublicIdentity,
}

/// Write the results, then destroy the session and say what happened, in
/// one transaction with round 3: if the results cannot be written (or the
/// command is interrupted) the session stays open and round 3 is removed
/// (or put back as it was), so that a retry starts from the same files.
fn report(args: &FinishArgs, ctx: &Ctx, mut tx: crate::store::Tx, out: &Outputs, d: Done) -> Result<()> {
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
    let text = output::render(&report, args.format);
    // Results hold the shared entries: 0600, like every file cosect writes.
    tx.write(&out.results, (args.wrap.force, true), |w| w.write_all(&text))?;
    tx.end_session(&d.id)?;
    tx.commit()?;
    if let Some(reply) = d.reply {
        ctx.say(format!(
            "cosect: round 3 written to {} ({}); send it to your peer",
            reply,
            out.env.describe()
        ));
    }
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
