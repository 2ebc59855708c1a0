//! One module per verb. The only layer that touches files and the terminal:
//! it reads inputs, calls the pure protocol and bundle code, and writes
//! outputs atomically.

pub mod answer;
pub mod catalogs;
pub mod completions;
pub mod demo;
pub mod finish;
pub mod init;
pub mod inspect;
pub mod keygen;
pub mod lookup;
pub mod peers;
pub mod preview;
pub mod publish;
pub mod query;
pub mod respond;
#[cfg(feature = "serve")]
pub mod send;
#[cfg(feature = "serve")]
pub mod serve;
pub mod sessions;
pub mod sightings;

use std::io::IsTerminal;
// What the verbs (`use super::*`) share.
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use crate::bundle::Envelope;
use crate::cli::{Cli, Command};
use crate::error::{Error, Result};
use crate::fsio;
use crate::identity::{Identity, PublicIdentity};
use crate::input::{self, Entries, KindSetting};
use crate::store::Store;

/// Largest bundle file read (64 GiB): beyond any real exchange, small
/// enough to refuse a runaway stream.
pub const MAX_BUNDLE_BYTES: u64 = 64 << 30;

/// How the run talks to the person at the terminal.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    pub quiet: bool,
    pub progress: bool,
}

impl Ctx {
    pub fn from_env(quiet: bool) -> Self {
        Ctx {
            quiet,
            progress: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// A line for the human, on stderr.
    pub fn say(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            err_line(msg.as_ref());
        }
    }

    /// A warning on stderr, unless --quiet.
    pub fn warn(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            err_line(&format!("warning: {}", msg.as_ref()));
        }
    }

    /// A progress bar for `len` elements, visible only on a terminal.
    pub fn bar(&self, len: u64, what: &str) -> ProgressBar {
        if !self.progress || len < 4096 {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len).with_message(what.to_owned());
        bar.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} ({eta} left)")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar
    }
}

/// One line on stderr. A closed stderr (`cosect … 2>&1 | tee log` after
/// tee died) loses the line instead of panicking halfway through a verb.
pub fn err_line(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Run one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    dispatch(cli.command, &Ctx::from_env(cli.quiet))
}

/// Run one verb.
pub fn dispatch(command: Command, ctx: &Ctx) -> Result<()> {
    let ctx = *ctx;
    match command {
        Command::Keygen(a) => keygen::keygen(&a, &ctx),
        Command::Pubkey(a) => keygen::pubkey(&a, &ctx),
        Command::Init(a) => init::init(&a, &ctx),
        Command::Respond(a) => respond::respond(&a, &ctx),
        Command::Finish(a) => finish::finish(&a, &ctx),
        Command::Publish(a) => publish::publish(&a, &ctx),
        Command::Peers(a) => peers::peers(&a, &ctx),
        Command::Sessions(a) => sessions::sessions(&a, &ctx),
        Command::Catalogs(a) => catalogs::catalogs(&a, &ctx),
        Command::Inspect(a) => inspect::inspect(&a, &ctx),
        Command::Preview(a) => preview::preview(&a, &ctx),
        Command::Demo(a) => demo::demo(&a, &ctx),
        Command::Completions(a) => completions::completions(&a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::serve(&a, &ctx),
        #[cfg(feature = "serve")]
        Command::Send(a) => send::send(&a, &ctx),
    }
}

mod bundles;
mod lists;
mod setup;

pub use crate::cli::options::envelope;
pub use crate::exchange::{expiry, now, part_path};
pub use crate::fsio::check_distinct;
pub use bundles::*;
pub use lists::*;
pub use setup::*;
