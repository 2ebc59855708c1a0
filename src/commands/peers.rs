//! `cosect peers`: the peers book, your peers' public identities kept by
//! name as `<config dir>/peers/NAME.pub` (the layout `serve --peers DIR`
//! reads), and how `--peer NAME` finds one.

use super::*;
use crate::cli::{PeersAction, PeersArgs};

/// Longest peer name, in characters.
pub const MAX_PEER_NAME: usize = 64;

/// `$XDG_CONFIG_HOME/cosect/peers` (beside the default identity).
pub fn book_dir() -> Result<PathBuf> {
    let id = default_identity_path()?;
    Ok(id.parent().expect("the identity path has a parent").join("peers"))
}

/// Check a book name: it becomes a file name, so letters, digits, `.`,
/// `_` and `-` only, starting with a letter or digit, not ending in
/// `.pub` (a value ending so is a file).
pub fn check_peer_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("it is empty");
    }
    if name.chars().count() > MAX_PEER_NAME {
        return Err("it is longer than 64 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err("use only letters, digits, '.', '_' and '-'");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("it must start with a letter or digit");
    }
    if name.to_ascii_lowercase().ends_with(".pub") {
        return Err("a name ending in .pub is read as a file");
    }
    Ok(())
}

/// What a `--peer` value names: a value holding `/` or ending in `.pub`
/// (or `-`) is a file; anything else is a name in the peers book.
pub fn is_path(arg: &Path) -> bool {
    let s = arg.as_os_str().to_string_lossy();
    s == "-" || s.contains('/') || s.to_ascii_lowercase().ends_with(".pub")
}

/// The file a `--peer` value names: the path itself, or the book's entry.
pub fn resolve(arg: &Path) -> Result<PathBuf> {
    if is_path(arg) {
        return Ok(arg.to_path_buf());
    }
    let name = arg.as_os_str().to_string_lossy().into_owned();
    let shown = crate::text::shown(&name);
    if let Err(why) = check_peer_name(&name) {
        return Err(Error::new(format!(
            "--peer {shown}: neither a file (no / and no .pub) nor a name of your peers book ({why})"
        ))
        .with_hint("give the public identity file as ./FILE or FILE.pub, or a name `cosect peers` lists"));
    }
    let dir = book_dir()?;
    let path = dir.join(format!("{name}.pub"));
    if path.exists() {
        return Ok(path);
    }
    let file_here = arg.exists();
    let pub_here = Path::new(&format!("{name}.pub")).exists();
    Err(Error::new(format!(
        "--peer {shown}: no peer {shown} in your peers book ({}); a value without / or .pub names a peer there",
        dir.display()
    ))
    .with_hint(if pub_here {
        format!("to use the file {shown}.pub in this directory, write --peer {shown}.pub; or add it: `cosect peers add {shown} {shown}.pub`")
    } else if file_here {
        format!("to use the file {shown} in this directory, write ./{shown}; or add it: `cosect peers add {shown} ./{shown}`")
    } else {
        format!("add it with `cosect peers add {shown} FILE.pub`; `cosect peers` lists the names")
    }))
}

pub fn peers(args: &PeersArgs, ctx: &Ctx) -> Result<()> {
    let dir = book_dir()?;
    match &args.action {
        Some(PeersAction::Add { name, file }) => add(&dir, name, file, ctx),
        Some(PeersAction::Remove { name }) => remove(&dir, name, ctx),
        None => list(&dir, args.json, ctx),
    }
}

/// The book's name for `name`, refused when unusable.
fn book_name(name: &str) -> Result<String> {
    check_peer_name(name).map_err(|why| {
        Error::new(format!(
            "{}: not usable as a peer name: {why}",
            crate::text::shown(name)
        ))
        .with_hint("a short name such as bob-mssp or cert.example (it becomes the file NAME.pub)")
    })?;
    Ok(name.to_owned())
}

/// `# added: TIME` in an entry, or `None`.
fn added_at(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("# added:").map(|t| t.trim().to_owned()))
}

/// One entry of the book.
struct Entry {
    name: String,
    peer: Result<PublicIdentity>,
    added: Option<String>,
}

fn entries(dir: &Path) -> Result<Vec<Entry>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(fsio::io_error(
                &dir.display().to_string(),
                "cannot read the peers book",
                &e,
            ))
        }
    };
    let mut out: Vec<Entry> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pub"))
        .map(|p| {
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            Entry {
                name,
                peer: load_peer(&p),
                added: added_at(&text),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn add(dir: &Path, name: &str, file: &Path, ctx: &Ctx) -> Result<()> {
    let name = book_name(name)?;
    let peer = load_peer(file)?;
    if let Ok(me) = load_identity(&None) {
        if me.public() == peer {
            return Err(
                Error::new(format!("{}: this is your own public identity", shown_path(file)))
                    .with_hint("the peers book keeps your peers' public identities; add the file your peer sent"),
            );
        }
    }
    let fp = peer.short_fingerprint();
    let path = dir.join(format!("{name}.pub"));
    let same_key_elsewhere = entries(dir)?
        .into_iter()
        .find(|e| e.name != name && e.peer.as_ref().is_ok_and(|p| *p == peer));
    if let Some(other) = same_key_elsewhere {
        return Err(Error::new(format!(
            "{} ({fp}) is already in your peers book as {}",
            peer.display_name(),
            other.name
        ))
        .with_hint(format!(
            "use --peer {}; to keep it under another name, `cosect peers remove {}` first",
            other.name, other.name
        )));
    }
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let text = format!("# cosect peers book: {name}\n# added: {now}\n{}\n", peer.line());
    fsio::create_private_dir(dir)?;
    // Never over an entry: a rename that does not replace, so of two
    // `peers add` at once one writes and the other is told.
    if let Err(e) = fsio::write_atomic(&fsio::Dest::File(path.clone()), text.as_bytes(), false, false) {
        return Err(match load_peer(&path) {
            Ok(old) if old == peer => Error::new(format!(
                "{name} is already in your peers book, with this very key ({fp})"
            ))
            .with_hint(format!("use it with --peer {name}")),
            Ok(old) => Error::new(format!(
                "{name} is already in your peers book with another key: {} ({}), not {fp}",
                old.display_name(),
                old.short_fingerprint()
            ))
            .with_hint(format!(
                "if your peer's key changed (confirm it by phone), `cosect peers remove {name}` first"
            )),
            Err(_) if path.exists() => Error::new(format!(
                "{}: an entry exists and is not a public identity",
                path.display()
            ))
            .with_hint(format!("`cosect peers remove {name}` first")),
            Err(_) => e,
        });
    }
    ctx.say(format!(
        "cosect: added {} with fingerprint {fp} to your peers book as {name} ({})",
        peer.display_name(),
        path.display()
    ));
    ctx.say(format!(
        "        compare the fingerprint with the one your peer reads you by phone; then use --peer {name}"
    ));
    Ok(())
}

fn remove(dir: &Path, name: &str, ctx: &Ctx) -> Result<()> {
    let name = book_name(name)?;
    let path = dir.join(format!("{name}.pub"));
    let peer = load_peer(&path).ok();
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(
                Error::new(format!("no peer {name} in your peers book ({})", dir.display()))
                    .with_hint("`cosect peers` lists the names"),
            )
        }
        Err(e) => return Err(fsio::io_error(&path.display().to_string(), "cannot remove", &e)),
    }
    ctx.say(match peer {
        Some(p) => format!(
            "cosect: removed {name}: {} ({}) from your peers book",
            p.display_name(),
            p.short_fingerprint()
        ),
        None => format!("cosect: removed {name} from your peers book"),
    });
    Ok(())
}

fn list(dir: &Path, json: bool, ctx: &Ctx) -> Result<()> {
    let all = entries(dir)?;
    if json {
        let v: Vec<serde_json::Value> = all
            .iter()
            .map(|e| match &e.peer {
                Ok(p) => serde_json::json!({
                    "name": e.name,
                    "peer_name": p.name,
                    "fingerprint": p.short_fingerprint(),
                    "added": e.added,
                    "line": p.line(),
                }),
                Err(err) => serde_json::json!({"name": e.name, "error": err.to_string()}),
            })
            .collect();
        return print_stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).expect("JSON to memory")
        ));
    }
    if all.is_empty() {
        ctx.say(format!(
            "cosect: your peers book ({}) is empty; add a peer with `cosect peers add NAME FILE.pub`",
            dir.display()
        ));
        return Ok(());
    }
    let mut text = format!(
        "{:<20}  {:<24}  {:<24}  {}\n",
        "NAME", "FINGERPRINT", "ADDED", "THEIR NAME"
    );
    for e in &all {
        let line = match &e.peer {
            Ok(p) => format!(
                "{:<20}  {:<24}  {:<24}  {}",
                crate::text::shown(&e.name),
                p.short_fingerprint(),
                e.added.as_deref().map(crate::text::shown).unwrap_or_else(|| "-".into()),
                p.display_name()
            ),
            Err(err) => format!("{:<20}  {err}", crate::text::shown(&e.name)),
        };
        text.push_str(line.trim_end());
        text.push('\n');
    }
    print_stdout(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_are_told_apart() {
        for ok in ["bob", "cert.example", "Bob_MSSP-2", "9acd"] {
            assert!(check_peer_name(ok).is_ok(), "{ok}");
            assert!(!is_path(Path::new(ok)), "{ok}");
        }
        for bad in [
            "",
            ".hidden",
            "-x",
            "a/b",
            "bob.pub",
            "Bob.PUB",
            "a b",
            "é",
            "x\u{202e}",
        ] {
            assert!(check_peer_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_peer_name(&"a".repeat(65)).is_err());
        for path in ["./bob", "bob.pub", "/etc/x", "dir/bob", "-", "B.PUB"] {
            assert!(is_path(Path::new(path)), "{path}");
        }
    }
}
