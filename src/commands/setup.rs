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
    // A public identity (or another file that holds no secret) is named
    // as what it is, before its permissions are blamed.
    if let Some(e) = not_an_identity(&path, &name) {
        return Err(e);
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

/// Why the file given as the identity is not one, when its first bytes
/// tell (a public identity, a bundle, a list): `-i` wants the secret
/// identity file. `None` when it may be an identity (or cannot be read:
/// the read that follows says why).
fn not_an_identity(path: &Path, name: &str) -> Option<Error> {
    use crate::bundle::sniff::{sniff, What};
    use std::io::Read;
    let mut head = zeroize::Zeroizing::new(vec![0u8; 4096]);
    let n = std::fs::File::open(path)
        .and_then(|f| f.take(4096).read(&mut head))
        .ok()?;
    let what = sniff(&head[..n]);
    let wants = "-i wants your secret identity file, the AGE-SECRET-KEY-1… file `cosect keygen` wrote \
                 (by default identity.txt in the cosect config directory)";
    let is = match what {
        What::SecretIdentity | What::Binary => return None,
        What::Text | What::Csv => {
            "a text file with no AGE-SECRET-KEY-1… line (a list?), not an identity file".to_owned()
        }
        What::PublicIdentity => {
            let text = std::str::from_utf8(&head[..n]).ok()?;
            match PublicIdentity::parse(text) {
                Ok(p) => format!(
                    "a public identity ({}, fingerprint {}), not an identity file",
                    p.display_name(),
                    p.short_fingerprint()
                ),
                Err(_) => "a public identity line, not an identity file".to_owned(),
            }
        }
        What::AgeRecipient => "an age public key, not an identity file".to_owned(),
        What::Empty | What::Blank => "an empty file, not an identity file".to_owned(),
        w => format!(
            "{}, not an identity file",
            w.describe().trim_end_matches(", not a bundle")
        ),
    };
    Some(Error::new(format!("{name}: this is {is}")).with_hint(match what {
        What::PublicIdentity => format!("{wants}; a public identity goes with --peer"),
        _ => wants.to_owned(),
    }))
}

/// Load a public identity file.
pub fn load_peer(path: &Path) -> Result<PublicIdentity> {
    use crate::bundle::sniff::{sniff, What};
    let name = path.display().to_string();
    let bytes = zeroize::Zeroizing::new(fsio::read_input(path, 1 << 16)?);
    // A file that is something else is named for what it is.
    let is = match sniff(&bytes) {
        What::SecretIdentity => Some("an identity file (a secret key), not a public identity".to_owned()),
        w @ (What::Bundle | What::Age | What::Armored | What::Part | What::Mail) => {
            Some(format!("{}, not a public identity", w.describe()))
        }
        What::Empty | What::Blank => Some("an empty file, not a public identity".to_owned()),
        What::Text | What::Csv if !bytes.windows(10).any(|w| w == b"cosect-v1 ") => {
            Some("a text file (a list?), not a public identity".to_owned())
        }
        w @ (What::Html | What::Stix | What::Misp | What::Json | What::Pdf | What::Zip | What::Gzip) => Some(format!(
            "{}, not a public identity",
            w.describe()
                .trim_end_matches(", not a bundle")
                .trim_end_matches(", not a cosect bundle")
        )),
        _ => None,
    };
    if let Some(is) = is {
        return Err(Error::new(format!("{name}: this is {is}")).with_hint(
            "give your peer's public identity: the one line `cosect pubkey` prints on their side, \
             or a name of your peers book (`cosect peers`)",
        ));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::new(format!("{name}: not UTF-8 text")))?;
    PublicIdentity::parse(text).map_err(|e| Error::from(e).in_file(&name))
}

/// Load the public identity a `--peer` value names: a file, or a name in
/// the peers book (`cosect peers`).
pub fn load_peer_arg(arg: &Path) -> Result<PublicIdentity> {
    load_peer(&super::peers::resolve(arg)?)
}

/// Load my identity and the peer's public one (`--peer`: a file or a name
/// in the peers book), refusing my own as the peer; `whose` names the
/// peer in the hint ("your peer's").
pub fn load_pair(id: &Option<PathBuf>, peer: &Path, whose: &str) -> Result<(Identity, PublicIdentity)> {
    let me = load_identity(id)?;
    let other = load_peer_arg(peer)?;
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
