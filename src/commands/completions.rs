//! `cosect completions SHELL`: shell completions from the clap definition.

use super::*;
use crate::cli::CompletionsArgs;

pub fn completions(args: &CompletionsArgs) -> Result<()> {
    let mut cmd = crate::cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "cosect", &mut out);
    fsio::write_atomic(&fsio::Dest::Stdout, &out, false, false)
}
