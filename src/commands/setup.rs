//! What every verb sets up first: the default directories, the identity
//! and the peer's public identity, the state directory (opened with its
//! clean-up), standard output.

use std::path::{Path, PathBuf};

use super::Ctx;
use crate::error::{Error, Result};
use crate::fsio;
use crate::identity::{Identity, PublicIdentity};
use crate::store::Store;

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from)
}

fn xdg(var: &str, fallback: &str) -> Result<PathBuf> {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(v) => Ok(PathBuf::from(v)),
        None => home().map(|h| h.join(fallback)).ok_or_else(|| {
            Error::new(format!(
                "cannot find a default directory: neither {var} nor HOME is set"
            ))
            .with_hint("pass the file or directory explicitly")
        }),
    }
}

/// `$XDG_CONFIG_HOME/cosect/identity.txt`.
pub fn default_identity_path() -> Result<PathBuf> {
    Ok(xdg("XDG_CONFIG_HOME", ".config")?.join("cosect").join("identity.txt"))
}

fn default_state_dir() -> Result<PathBuf> {
    Ok(xdg("XDG_STATE_HOME", ".local/state")?.join("cosect"))
}

/// The state directory `--state-dir` names, or the default one; a commit
/// that waits for another process's lock says so once on stderr.
pub fn store(arg: &Option<PathBuf>) -> Result<Store> {
    let store = Store::new(match arg {
        Some(d) => d.clone(),
        None => default_state_dir()?,
    });
    Ok(store.with_notice(std::sync::Arc::new(|line: &str| super::err_line(line))))
}

/// The state directory, opened as `me`: sessions and queries past their
/// expiry are destroyed and expired catalogs retired first, in one line.
pub fn open_store(arg: &Option<PathBuf>, me: &Identity, ctx: &Ctx) -> Result<Store> {
    let store = store(arg)?;
    let pruned = store.prune(me, crate::exchange::now())?;
    let mut gone: Vec<String> = pruned
        .sessions
        .iter()
        .map(|i| {
            let peer = match crate::identity::PublicIdentity::parse_line(&i.peer) {
                Ok(p) => p.display_name(),
                Err(_) if i.role == "sightings" => "its publishers".to_owned(),
                Err(_) => "an unknown peer".to_owned(),
            };
            format!("{} ({}, {peer})", &crate::store::hex(&i.id)[..8], i.role)
        })
        .collect();
    gone.extend(
        pruned
            .catalogs
            .iter()
            .map(|r| format!("catalog {}", crate::engine::catalog_name(&r.catalog))),
    );
    if !gone.is_empty() {
        ctx.say(format!("cosect: expired and destroyed: {}", gone.join(", ")));
    }
    Ok(store)
}

/// Load the identity named by `-i`, or the default one.
pub fn load_identity(arg: &Option<PathBuf>) -> Result<Identity> {
    let path = match arg {
        Some(p) => p.clone(),
        None => default_identity_path()?,
    };
    let name = path.display().to_string();
    if arg.is_none() && !path.exists() {
        return Err(Error::new(format!("no identity given and none at {name}"))
            .with_hint("create one with `cosect keygen`, or pass -i FILE"));
    }
    if path.as_os_str() == "-" {
        return Err(Error::new("the identity cannot be read from standard input").with_hint("pass -i FILE"));
    }
    // Refuse before reading the secret, as ssh does.
    if fsio::too_open(&path) {
        return Err(
            Error::new(format!("{name}: identity file is readable by other users")).with_hint(format!(
                "run `chmod 600 {name}` (and consider the key exposed if others could read it)"
            )),
        );
    }
    let text = zeroize::Zeroizing::new(fsio::read_input(&path, 1 << 20)?);
    let text =
        std::str::from_utf8(&text).map_err(|_| Error::new(format!("{name}: identity file is not UTF-8 text")))?;
    Identity::parse(text).map_err(|e| Error::from(e).in_file(&name))
}

/// Load a public identity file.
pub fn load_peer(path: &Path) -> Result<PublicIdentity> {
    let name = path.display().to_string();
    let text = fsio::read_input(path, 1 << 16)?;
    let text = std::str::from_utf8(&text).map_err(|_| Error::new(format!("{name}: not UTF-8 text")))?;
    PublicIdentity::parse(text).map_err(|e| Error::from(e).in_file(&name))
}

/// Load my identity and the peer's public one (`--peer`), refusing my own
/// as the peer; `whose` names the peer in the hint ("your peer's").
pub fn load_pair(id: &Option<PathBuf>, peer: &Path, whose: &str) -> Result<(Identity, PublicIdentity)> {
    let me = load_identity(id)?;
    let other = load_peer(peer)?;
    if other == me.public() {
        return Err(
            Error::new(format!("{}: this is your own public identity", peer.display()))
                .with_hint(format!("pass {whose} public identity with --peer")),
        );
    }
    Ok((me, other))
}

/// Print text on standard output; a closed pipe (`cosect inspect f | head`)
/// ends the output quietly instead of panicking.
pub fn print_stdout(text: &str) -> Result<()> {
    fsio::write_atomic(&fsio::Dest::Stdout, text.as_bytes(), false, false)
}
