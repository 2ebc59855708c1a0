//! `cosect demo`: a complete, narrated exchange between two throwaway
//! identities on the shipped sample lists, through real files. Each step
//! is the command line a person would type, parsed by clap.

use std::path::{Path, PathBuf};

use clap::Parser;

use super::*;
use crate::cli::*;

const ALICE_LIST: &str = include_str!("../../testdata/feed.stix.json");
const BOB_LIST: &str = include_str!("../../testdata/misp-event.json");

/// The demo's directory: `--dir` (new), or a temporary one kept alive by
/// the returned guard.
fn demo_dir(args: &DemoArgs) -> Result<(Option<tempfile::TempDir>, PathBuf)> {
    match &args.dir {
        Some(d) => {
            if d.exists() {
                return Err(Error::new(format!("{}: already exists", d.display()))
                    .with_hint("name a new directory for the demo's files"));
            }
            fsio::create_private_dir(d)?;
            Ok((None, d.clone()))
        }
        None => {
            let tmp = tempfile::Builder::new()
                .prefix("cosect-demo-")
                .tempdir()
                .map_err(|e| fsio::io_error("a temporary directory", "cannot create", &e))?;
            let path = tmp.path().to_path_buf();
            Ok((Some(tmp), path))
        }
    }
}

fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| fsio::io_error(&path.display().to_string(), "cannot write", &e))
}

/// Run one command line; `@NAME` is the file NAME in the demo's directory.
fn run(dir: &Path, ctx: &Ctx, line: &str) -> Result<()> {
    let words = line.split_whitespace().map(|w| match w.strip_prefix('@') {
        Some(name) => dir.join(name).into_os_string(),
        None => std::ffi::OsString::from(w),
    });
    let cli = Cli::try_parse_from(std::iter::once("cosect".into()).chain(words))
        .map_err(|e| Error::new(format!("demo: {}", e.to_string().trim_end())))?;
    dispatch(cli.command, ctx)
}

/// Alice's and Bob's identities and public lines, in the demo's directory.
fn identities(dir: &Path, ctx: &Ctx) -> Result<()> {
    for (who, name) in [("alice", "Alice CERT"), ("bob", "Bob MSSP")] {
        let public = keygen::create_identity(&fsio::Dest::File(dir.join(format!("{who}.id"))), name, false)?;
        write(dir, &format!("{who}.pub"), &format!("{}\n", public.line()))?;
        ctx.say(format!(
            "   {name}: fingerprint {} (they compare these by phone)",
            public.short_fingerprint()
        ));
    }
    Ok(())
}

pub fn demo(args: &DemoArgs, ctx: &Ctx) -> Result<()> {
    let (_guard, dir) = demo_dir(args)?;
    let f = |name: &str| dir.join(name);
    let step = |text: &str| {
        if !ctx.quiet {
            super::err_line(&format!("\n== {text}"));
        }
    };
    write(&dir, "alice-feed.stix.json", ALICE_LIST)?;
    write(&dir, "bob-misp-event.json", BOB_LIST)?;

    step("Alice (a CERT) and Bob (an MSSP) each create an identity");
    identities(&dir, ctx)?;

    step("Alice starts: her STIX 2.1 feed (kinds per entry: --kind auto), blinded, encrypted to Bob -> round1.age");
    run(&dir, ctx, "init -i @alice.id --peer @bob.pub --input @alice-feed.stix.json --state-dir @alice-state --expires 1d -o @round1.age --encrypt")?;

    step("Bob looks at what arrived before answering");
    let summary = inspect::summary(&InspectArgs {
        bundle: vec![f("round1.age")],
        identity: Some(f("bob.id")),
        peer: Some(f("alice.pub")),
        json: false,
    })?;
    ctx.say(inspect::render_human(&summary).trim_end());

    step("Bob answers with his MISP event export -> round2.age");
    run(&dir, ctx, "respond @round1.age -i @bob.id --peer @alice.pub --input @bob-misp-event.json --state-dir @bob-state --expires 1d -o @round2.age --encrypt")?;

    step("Alice finishes: she learns the shared entries and writes round3.age for Bob");
    run(
        &dir,
        ctx,
        "finish @round2.age -i @alice.id -o @alice-shared.txt --state-dir @alice-state --reply @round3.age --encrypt",
    )?;

    step("Bob finishes with round 3 and learns the same entries");
    run(
        &dir,
        ctx,
        "finish @round3.age -i @bob.id -o @bob-shared.txt --state-dir @bob-state",
    )?;

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
