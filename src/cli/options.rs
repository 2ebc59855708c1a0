//! Options resolved once between clap and the verbs: where a bundle goes,
//! in which envelope, and whether it may replace a file, with the flag
//! conflicts checked here so no verb re-checks them.

use std::path::Path;

use super::BundleOut;
use crate::bundle::Envelope;
use crate::error::Result;
use crate::fsio::{self, Dest};

/// Where and how a verb writes the bundle it sends.
#[derive(Debug, Clone)]
pub struct Sending {
    pub dest: Dest,
    pub env: Envelope,
    pub force: bool,
}

/// The envelope the flags ask for (`--armor` implies encryption).
pub fn envelope(encrypt: bool, armor: bool) -> Envelope {
    match (encrypt, armor) {
        (_, true) => Envelope::Armored,
        (true, false) => Envelope::Age,
        _ => Envelope::Plain,
    }
}

impl BundleOut {
    /// Resolve `-o`, `--encrypt`, `--armor` and `--force`: the output is
    /// none of `inputs`, may be written, and a binary bundle goes to a
    /// terminal only when asked for with `-o -`.
    pub fn resolve(&self, inputs: &[&Path]) -> Result<Sending> {
        let dest = Dest::from_arg(self.output.as_deref());
        let env = envelope(self.wrap.encrypt, self.wrap.armor);
        if let Some(o) = &self.output {
            crate::commands::check_distinct(inputs, &[o])?;
        }
        let binary_to_terminal_check = env != Envelope::Armored && self.output.is_none();
        fsio::check_dest(&dest, self.wrap.force, binary_to_terminal_check)?;
        Ok(Sending {
            dest,
            env,
            force: self.wrap.force,
        })
    }
}
