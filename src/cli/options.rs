//! Options resolved once between clap and the verbs: where a bundle goes,
//! in which envelope, and whether it may replace a file, with the flag
//! conflicts checked here so no verb re-checks them.

use std::path::Path;

use super::{BundleOut, Wrap};
use crate::bundle::Envelope;
use crate::error::{Error, Result};
use crate::fsio::{self, Dest};

/// Where and how a verb writes the bundle it sends.
#[derive(Debug, Clone)]
pub struct Sending {
    pub dest: Dest,
    pub env: Envelope,
    pub force: bool,
    /// Largest part, with `--split`.
    pub split: Option<u64>,
}

/// The envelope the flags ask for: encrypted unless `--no-encrypt`.
pub fn envelope(wrap: &Wrap) -> Envelope {
    match (wrap.no_encrypt, wrap.armor) {
        (_, true) => Envelope::Armored,
        (true, false) => Envelope::Plain,
        (false, false) => Envelope::Age,
    }
}

/// Refuse what the bundle's destination cannot take: an unencrypted
/// bundle under a name that says it is encrypted (`.age`), and parts on
/// standard output.
pub fn check_wrapped(dest: &Dest, env: Envelope, split: Option<u64>) -> Result<()> {
    let Dest::File(p) = dest else {
        if split.is_some() {
            return Err(
                Error::new("--split writes files, not standard output").with_hint("name the bundle with -o FILE")
            );
        }
        return Ok(());
    };
    let is_age = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("age"));
    if env == Envelope::Plain && is_age {
        return Err(Error::new(format!(
            "{}: refusing to write an unencrypted bundle to a name ending in .age",
            p.display()
        ))
        .with_hint("drop --no-encrypt (bundles are encrypted by default), or choose a name without .age"));
    }
    Ok(())
}

impl BundleOut {
    /// Resolve `-o`, `--no-encrypt`, `--armor`, `--split` and `--force`: the output is
    /// none of `inputs`, may be written, and a binary bundle goes to a
    /// terminal only when asked for with `-o -`.
    pub fn resolve(&self, inputs: &[&Path]) -> Result<Sending> {
        let dest = Dest::from_arg(self.output.as_deref());
        let env = envelope(&self.wrap);
        if let Some(o) = &self.output {
            crate::fsio::check_distinct(inputs, &[o])?;
        }
        check_wrapped(&dest, env, self.wrap.split)?;
        let binary_to_terminal_check = env != Envelope::Armored && self.output.is_none();
        fsio::check_dest(&dest, self.wrap.force, binary_to_terminal_check)?;
        Ok(Sending {
            dest,
            env,
            force: self.wrap.force,
            split: self.wrap.split,
        })
    }
}
