//! `cosect finish`: read round 2 (initiator) or round 3 (responder), print
//! the result, write round 3 if the mode has one, destroy the session (or
//! finish a catalog query: `lookup::finish`).

use super::*;
use crate::cli::FinishArgs;
use crate::engine::{Expect, Kept, Message};
use crate::exchange::{self, Party};
use crate::fsio::Dest;
use crate::output;
use crate::protocol::Mode;
use crate::store::hex;

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
    let mut bundles = read_bundles(&args.bundle)?;
    if bundles.len() > 1 {
        return super::sightings::finish_many(args, ctx, (&me, &store), &out, bundles);
    }
    let (name, bytes) = bundles.pop().expect("one bundle");
    let got = receive_named(ctx, &me, &store, &name, bytes, Expect::Answer)?;
    let party = Party { me: &me, store: &store };
    let h = &got.header;
    let f = match (got.message, got.kept) {
        (Message::CatalogAnswer(a), Kept::Query(q)) => {
            if let Some(g) = store.group_of(&q.id, &me)? {
                let one = super::sightings::GroupAnswer {
                    name,
                    answer: a,
                    state: q,
                };
                return super::sightings::finish(args, ctx, (&me, &store), &out, &g.id, vec![one]);
            }
            no_min_seen(args)?;
            return super::lookup::finish(args, ctx, &me, &store, &out, (a, h.created), q);
        }
        _ if args.min_seen.is_some() => return no_min_seen(args),
        (_, Kept::Again(a)) => return Err(finished_before(&name, &a)),
        (Message::Round2(r2), Kept::Session(s)) => {
            check_reply(r2.mode, 2, &out.reply)?;
            check_format(args.format, r2.mode)?;
            let bar = ctx.bar((r2.elements.points.len() / crate::group::POINT_LEN) as u64, "finishing");
            let f = exchange::finish_round2(party, &name, h, r2, s, (out.env, now()), &|n| bar.inc(n))?;
            bar.finish_and_clear();
            f
        }
        (Message::Round3(r3), Kept::Session(s)) => {
            check_reply(r3.mode, 3, &out.reply)?;
            check_format(args.format, r3.mode)?;
            exchange::finish_round3(&name, h, r3, s, now())?
        }
        _ => unreachable!("Expect::Answer yields an answer with its kept state"),
    };
    report(args, ctx, party, &out, &name, f, h)
}

/// `--min-seen` is for the answers of a sightings group.
fn no_min_seen(args: &FinishArgs) -> Result<()> {
    match args.min_seen {
        Some(_) => Err(
            Error::new("--min-seen applies to the answers of a sightings group, and this is not one")
                .with_hint("drop --min-seen"),
        ),
        None => Ok(()),
    }
}

/// A round 3 read again after it finished its session.
fn finished_before(name: &str, a: &crate::store::Answered) -> Error {
    Error::new(format!(
        "{name}: session {} was finished on {} with this very round 3; its results were written then",
        &hex(&a.id)[..8],
        crate::bundle::format_time(a.at)
    ))
    .with_hint("cosect keeps no copy of results; the session's secrets are destroyed")
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

/// Refuse, before any work, a format that lists entries for a session that
/// yields only a count.
fn check_format(format: output::Format, mode: Mode) -> Result<()> {
    if format.needs_entries() && mode == Mode::Cardinality {
        return Err(Error::new(output::Unfit::CountOnly(format).to_string())
            .with_hint("finish with --format text, json or csv"));
    }
    Ok(())
}

/// Write the results and round 3, destroy the session and say what
/// happened, in one commit: if the results cannot be written (or the
/// command is interrupted) the session stays open and round 3 is removed
/// (or put back as it was), so that a retry starts from the same files.
fn report(
    args: &FinishArgs,
    ctx: &Ctx,
    party: Party,
    out: &Outputs,
    name: &str,
    f: exchange::Finished,
    h: &crate::engine::Header,
) -> Result<()> {
    let peer = &h.sender;
    let rendered = f
        .render(args.format, &party.me.public(), peer, h.created)
        .map_err(|e| Error::new(e.to_string()).with_hint("finish with --format text, json or csv"))?;
    let results = exchange::Results {
        dest: &out.results,
        force: args.wrap.force,
        text: &rendered.bytes,
    };
    let reply = out.reply.as_ref().map(|dest| exchange::Delivery {
        dest,
        force: args.wrap.force,
        split: args.wrap.split,
    });
    let shown = exchange::commit_finish(party, name, &f, results, reply)?;
    left_out_warning(ctx, args.format, rendered.left_out);
    if let Some(reply) = shown {
        ctx.say(format!(
            "cosect: round 3 written to {} ({}); send it to your peer",
            reply,
            out.env.describe()
        ));
    }
    repeat_near_misses(ctx, &f.entries);
    ctx.say(format!(
        "cosect: session {} finished: you share {} of your {} entries with {} ({}){}",
        &hex(&f.id)[..8],
        f.outcome.count(),
        f.entries.len(),
        peer.display_name(),
        peer.short_fingerprint(),
        written_to(&out.results)
    ));
    Ok(())
}

/// Say how many entries the format could not carry (raw entries in STIX).
pub fn left_out_warning(ctx: &Ctx, format: output::Format, n: u64) {
    if n > 0 {
        ctx.warn(format!(
            "{n} raw entr{} left out of the {} results: no STIX pattern compares an arbitrary string \
             (--format misp or csv lists them)",
            if n == 1 { "y is" } else { "ies are" },
            format.name()
        ));
    }
}

/// `; written to FILE` when the results went to a file.
pub fn written_to(results: &Dest) -> String {
    match results {
        Dest::Stdout => String::new(),
        Dest::File(p) => format!("; written to {}", p.display()),
    }
}
