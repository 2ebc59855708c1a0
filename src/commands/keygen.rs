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
    let opens = path
        .as_ref()
        .filter(|p| p.exists())
        .and_then(|p| what_it_opens(p, &args.state_dir));
    if let (Some(what), true) = (&opens, args.force) {
        ctx.warn(format!(
            "the identity you replace opens {what}: they become unreadable (their answers cannot be \
             finished, the catalogs' queries not answered); `cosect sessions` lists them as another identity's"
        ));
    }
    let public = create_identity(&dest, &args.name, args.force).map_err(|e| match (&opens, args.force) {
        (Some(what), false) => Error::new(format!("{e}, and it opens {what}")).with_hint(
            "finish or cancel them first (`cosect sessions`, `cosect catalogs`), or keep a copy of the file: \
             --force replaces it for good, and a new identity needs a new fingerprint check with every peer",
        ),
        _ => e,
    })?;
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

/// What in the state directory only the identity at `path` opens (open
/// sessions, catalog queries, live catalogs), as "1 open session and 2
/// live catalogs in DIR"; `None` when nothing (or when it is no identity).
fn what_it_opens(path: &std::path::Path, state_dir: &Option<std::path::PathBuf>) -> Option<String> {
    let old = load_identity(&Some(path.to_path_buf())).ok()?;
    let store = super::store(state_dir).ok()?;
    let listed = store.list(&old).unwrap_or_default();
    let opened: Vec<&crate::store::Info> = listed.iter().filter_map(|l| l.info.as_ref().ok()).collect();
    let queries = opened.iter().filter(|i| i.role == "catalog client").count();
    let sessions = opened.len() - queries;
    let catalogs = store.load_keys(&old).map_or(0, |k| k.live.len());
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut lost: Vec<String> = [
        (sessions, plural(sessions, "open session", "open sessions")),
        (queries, plural(queries, "catalog query", "catalog queries")),
        (catalogs, plural(catalogs, "live catalog", "live catalogs")),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(_, s)| s)
    .collect();
    let last = lost.pop()?;
    let all = match lost.is_empty() {
        true => last,
        false => format!("{} and {last}", lost.join(", ")),
    };
    Some(format!("{all} in {}", store.dir().display()))
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
