//! `cosect keygen` and `cosect pubkey`.

use std::io::IsTerminal;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::{default_identity_path, load_identity, print_stdout, Ctx};
use crate::cli::{KeygenArgs, PubkeyArgs};
use crate::error::{Error, Result};
use crate::fsio::{self, Dest};
use crate::identity::{Identity, PublicIdentity};

pub fn keygen(args: &KeygenArgs, ctx: &Ctx) -> Result<()> {
    let path = match &args.output {
        Some(p) if p.as_os_str() == "-" => {
            if std::io::stdout().is_terminal() {
                return Err(
                    Error::new("refusing to print a secret key to the terminal").with_hint("name a file with -o FILE")
                );
            }
            None
        }
        Some(p) => Some(p.clone()),
        None => {
            let p = default_identity_path()?;
            fsio::create_private_dir(p.parent().expect("config path has a parent"))?;
            Some(p)
        }
    };
    let dest = path.clone().map(Dest::File).unwrap_or(Dest::Stdout);
    let public = create_identity(&dest, &args.name, args.force)?;
    if let Some(p) = &path {
        ctx.say(format!(
            "cosect: identity written to {} (keep it secret; mode 0600)",
            p.display()
        ));
        print_stdout(&format!("{}\n", public.line()))?;
    }
    ctx.say(format!(
        "cosect: fingerprint {}; send the public line to your peer and compare fingerprints by phone",
        public.short_fingerprint()
    ));
    Ok(())
}

/// Generate an identity and write it (0600, atomically) to `dest`; an
/// existing identity is replaced only with `force`, and the refusal says
/// what would be lost.
pub fn create_identity(dest: &Dest, name: &str, force: bool) -> Result<PublicIdentity> {
    if let (Dest::File(p), false) = (dest, force) {
        if p.exists() {
            return Err(
                Error::new(format!("{}: an identity file already exists", p.display())).with_hint(
                    "--force replaces it, and loses it for good: the old identity, every open session and \
                 catalog key encrypted to it, and your peers' trust in its fingerprint; or choose another file with -o",
                ),
            );
        }
    }
    fsio::check_dest(dest, force, false)?;
    let id = Identity::generate(name).map_err(|e| Error::from(e).in_file("--name"))?;
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let text = id.to_file_text(&created);
    fsio::write_atomic(dest, text.as_bytes(), force, true)?;
    Ok(id.public())
}

/// The public identity in JSON form.
pub fn public_json(p: &PublicIdentity) -> serde_json::Value {
    serde_json::json!({
        "age_recipient": p.recipient.to_string(),
        "ed25519": B64.encode(p.ed25519.as_bytes()),
        "fingerprint": p.short_fingerprint(),
        "fingerprint_full": crate::store::hex(&p.fingerprint()),
        "name": p.name,
        "line": p.line(),
    })
}

pub fn pubkey(args: &PubkeyArgs, _ctx: &Ctx) -> Result<()> {
    let public = load_identity(&args.id.identity)?.public();
    if args.json {
        print_stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&public_json(&public)).expect("JSON to memory")
        ))
    } else {
        print_stdout(&format!("{}\n", public.line()))
    }
}
