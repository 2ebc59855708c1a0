//! `cosect demo`: a complete, narrated exchange between two throwaway
//! identities on the shipped sample lists, through real files.

use std::path::PathBuf;

use super::*;
use crate::cli::*;
use crate::output::Format;

const ALICE_LIST: &str = include_str!("../../testdata/feed.stix.json");
const BOB_LIST: &str = include_str!("../../testdata/misp-event.json");

pub fn demo(args: &DemoArgs, ctx: &Ctx) -> Result<()> {
    let tmp;
    let dir: PathBuf = match &args.dir {
        Some(d) => {
            if d.exists() {
                return Err(Error::new(format!("{}: already exists", d.display()))
                    .with_hint("name a new directory for the demo's files"));
            }
            fsio::create_private_dir(d)?;
            d.clone()
        }
        None => {
            tmp = tempfile::Builder::new()
                .prefix("cosect-demo-")
                .tempdir()
                .map_err(|e| fsio::io_error("a temporary directory", "cannot create", &e))?;
            tmp.path().to_path_buf()
        }
    };
    let f = |name: &str| dir.join(name);
    let write = |name: &str, text: &str| {
        std::fs::write(f(name), text).map_err(|e| fsio::io_error(&f(name).display().to_string(), "cannot write", &e))
    };
    let step = |text: &str| {
        if !ctx.quiet {
            eprintln!("\n== {text}");
        }
    };
    write("alice-feed.stix.json", ALICE_LIST)?;
    write("bob-misp-event.json", BOB_LIST)?;
    let state_a = Some(f("alice-state"));
    let state_b = Some(f("bob-state"));
    let id = |n: &str| IdentityArg { identity: Some(f(n)) };

    step("Alice (a CERT) and Bob (an MSSP) each create an identity");
    for (who, name) in [("alice", "Alice CERT"), ("bob", "Bob MSSP")] {
        let public = keygen::create_identity(&fsio::Dest::File(f(&format!("{who}.id"))), name, false)?;
        write(&format!("{who}.pub"), &format!("{}\n", public.line()))?;
        ctx.say(format!(
            "   {name}: fingerprint {} (they compare these by phone)",
            public.short_fingerprint()
        ));
    }

    step("Alice starts: her STIX 2.1 feed (kinds per entry: --kind auto), blinded, encrypted to Bob -> round1.age");
    init::init(
        &InitArgs {
            id: id("alice.id"),
            state: StateArg {
                state_dir: state_a.clone(),
            },
            peer: f("bob.pub"),
            catalog: None,
            list: ListIn {
                input: Some(f("alice-feed.stix.json")),
                input_format: None,
                column: None,
                skip_invalid: false,
                verbose: false,
                pad_to: None,
            },
            kind: None,
            mode: ModeArg::Mutual,
            expires: std::time::Duration::from_secs(86400),
            out: BundleOut {
                output: Some(f("round1.age")),
                encrypt: true,
                armor: false,
                force: false,
            },
        },
        ctx,
    )?;

    step("Bob looks at what arrived before answering");
    let summary = inspect::summary(&InspectArgs {
        bundle: f("round1.age"),
        identity: Some(f("bob.id")),
        peer: Some(f("alice.pub")),
        json: false,
    })?;
    ctx.say(inspect::render_human(&summary).trim_end());

    step("Bob answers with his MISP event export -> round2.age");
    respond::respond(
        &RespondArgs {
            bundle: f("round1.age"),
            id: id("bob.id"),
            state: StateArg {
                state_dir: state_b.clone(),
            },
            peer: f("alice.pub"),
            list: ListIn {
                input: Some(f("bob-misp-event.json")),
                input_format: None,
                column: None,
                skip_invalid: false,
                verbose: false,
                pad_to: None,
            },
            kind: None,
            max_peer_items: DEFAULT_MAX_PEER_ITEMS,
            max_query_items: crate::cli::DEFAULT_MAX_QUERY_ITEMS,
            expires: std::time::Duration::from_secs(86400),
            out: BundleOut {
                output: Some(f("round2.age")),
                encrypt: true,
                armor: false,
                force: false,
            },
        },
        ctx,
    )?;

    step("Alice finishes: she learns the shared entries and writes round3.age for Bob");
    let finish_args = |bundle: &str, who: &str, state: &Option<PathBuf>, reply: Option<PathBuf>| FinishArgs {
        bundle: f(bundle),
        id: id(&format!("{who}.id")),
        state: StateArg {
            state_dir: state.clone(),
        },
        output: Some(f(&format!("{who}-shared.txt"))),
        format: Format::Text,
        catalog: None,
        reply,
        encrypt: true,
        armor: false,
        force: false,
    };
    finish::finish(
        &finish_args("round2.age", "alice", &state_a, Some(f("round3.age"))),
        ctx,
    )?;

    step("Bob finishes with round 3 and learns the same entries");
    finish::finish(&finish_args("round3.age", "bob", &state_b, None), ctx)?;

    let read = |n: &str| std::fs::read_to_string(f(n)).map_err(|e| fsio::io_error(n, "cannot read", &e));
    let (a, b) = (read("alice-shared.txt")?, read("bob-shared.txt")?);
    step("Shared entries, each side in its own spelling and order");
    ctx.say(format!("   Alice: {}", a.lines().collect::<Vec<_>>().join(", ")));
    ctx.say(format!("   Bob:   {}", b.lines().collect::<Vec<_>>().join(", ")));
    if a.lines().count() != b.lines().count() {
        return Err(Error::new(
            "demo: the two sides found different numbers of shared entries",
        ));
    }
    print_stdout(&a)?;
    match &args.dir {
        Some(d) => ctx.say(format!("\nThe demo's files are in {}.", d.display())),
        None => ctx.say("\nThe demo's files were temporary and are gone; keep them with --dir DIR."),
    }
    Ok(())
}
