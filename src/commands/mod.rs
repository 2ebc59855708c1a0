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
pub mod publish;
pub mod query;
pub mod respond;
#[cfg(feature = "serve")]
pub mod send;
#[cfg(feature = "serve")]
pub mod serve;
pub mod sessions;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressStyle};

use crate::bundle::{carrier, parts, Envelope, Opened};
use crate::cli::ListIn;
use crate::cli::{Cli, Command};
use crate::error::{Error, Result};
use crate::fsio;
use crate::identity::{Identity, PublicIdentity};
use crate::input::{self, Entries, Kind, KindSetting};
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
        Command::Sessions(a) => sessions::sessions(&a, &ctx),
        Command::Catalogs(a) => catalogs::catalogs(&a, &ctx),
        Command::Inspect(a) => inspect::inspect(&a, &ctx),
        Command::Demo(a) => demo::demo(&a, &ctx),
        Command::Completions(a) => completions::completions(&a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::serve(&a, &ctx),
        #[cfg(feature = "serve")]
        Command::Send(a) => send::send(&a, &ctx),
    }
}

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

pub fn store(arg: &Option<PathBuf>) -> Result<Store> {
    Ok(Store::new(match arg {
        Some(d) => d.clone(),
        None => default_state_dir()?,
    }))
}

/// The state directory, opened as `me`: sessions and queries past their
/// expiry are destroyed and expired catalogs retired first, in one line.
pub fn open_store(arg: &Option<PathBuf>, me: &Identity, ctx: &Ctx) -> Result<Store> {
    let store = store(arg)?;
    let pruned = store.prune(me, now())?;
    let mut gone: Vec<String> = pruned
        .sessions
        .iter()
        .map(|i| {
            let peer = crate::identity::PublicIdentity::parse_line(&i.peer)
                .map_or_else(|_| "an unknown peer".to_owned(), |p| p.display_name());
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

/// `--input`, which every command but `respond` to a catalog query needs.
pub fn need_input(list: &ListIn) -> Result<&Path> {
    list.input.as_deref().ok_or_else(|| {
        Error::new("--input FILE is required").with_hint("name your list with --input FILE ('-' for standard input)")
    })
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

/// Print text on standard output; a closed pipe (`cosect inspect f | head`)
/// ends the output quietly instead of panicking.
pub fn print_stdout(text: &str) -> Result<()> {
    fsio::write_atomic(&fsio::Dest::Stdout, text.as_bytes(), false, false)
}

/// Read and normalize a list in any input format, reporting what was
/// skipped (each skipped entry with `--verbose`).
pub fn read_list(ctx: &Ctx, list: &ListIn, kind: KindSetting) -> Result<Entries> {
    let path = need_input(list)?;
    let name = fsio::input_name(path);
    let format = list.input_format.map(input::InputFormat::from);
    let opts = input::ReadOptions {
        format,
        column: list.column.clone(),
        kind,
        skip_invalid: list.skip_invalid,
        refang: !list.no_refang,
    };
    let entries = if path.as_os_str() == "-" {
        input::read_entries(std::io::stdin().lock(), &opts)
    } else {
        let f = std::fs::File::open(path).map_err(|e| fsio::io_error(&name, "cannot read", &e))?;
        input::read_entries(std::io::BufReader::with_capacity(1 << 16, f), &opts)
    }
    .map_err(|e| Error::from(e).in_file(&name))?;
    report_entries(ctx, &name, &entries, kind, list.verbose)?;
    Ok(entries)
}

/// Warn about what was skipped (every entry with `verbose`) and refuse a
/// list with nothing left to compare.
pub fn report_entries(ctx: &Ctx, name: &str, entries: &Entries, kind: KindSetting, verbose: bool) -> Result<()> {
    let total = entries.skipped_total();
    if total > 0 {
        let why: Vec<String> = entries.skip_counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let more = match (&entries.skipped.first(), verbose) {
            (Some(first), false) => format!(
                " (first: {}, {}; --verbose lists them all)",
                first.at,
                crate::text::shown(&first.detail)
            ),
            _ => String::new(),
        };
        ctx.warn(format!("{name}: skipped {total}: {}{more}", why.join(", ")));
        if verbose {
            list_details(ctx, &entries.skipped, total);
        }
    }
    report_near_misses(ctx, name, entries, verbose);
    if entries.is_empty() {
        return Err(Error::new(format!("{name}: no entries of kind {kind} to compare"))
            .with_hint(match kind {
                KindSetting::Auto => "the list must hold at least one entry; blank lines and '#' comments are skipped",
                KindSetting::Fixed(_) => "the list must hold at least one entry of this kind; STIX and MISP entries of other kinds are skipped",
            }));
    }
    Ok(())
}

/// Warn about entries that look like indicators but were compared as raw
/// (`N look like IP ranges (CIDR): compared as raw`), each with `verbose`.
fn report_near_misses(ctx: &Ctx, name: &str, entries: &Entries, verbose: bool) {
    for (category, n) in &entries.near_miss_counts {
        ctx.warn(format!("{name}: {n} {category}: compared as raw"));
    }
    let total: u64 = entries.near_miss_counts.values().sum();
    if total == 0 {
        return;
    }
    if !verbose {
        ctx.say("        --verbose lists them with their line; fix them, or leave them to be compared as written");
        return;
    }
    list_details(ctx, &entries.near_misses, total);
}

/// `  WHERE: CATEGORY: DETAIL` for each kept entry, then how many more.
fn list_details(ctx: &Ctx, details: &[input::Skipped], total: u64) {
    for s in details {
        ctx.say(format!("  {}: {}: {}", s.at, s.category, s.detail));
    }
    if (details.len() as u64) < total {
        ctx.say(format!("  ... and {} more", total - details.len() as u64));
    }
}

/// One bundle file, screened from its first MiB before it is read whole
/// (a file that cannot be a bundle is refused without reading it).
pub fn read_bundle_file(path: &Path) -> Result<Vec<u8>> {
    let name = shown_path(path);
    fsio::read_screened(path, MAX_BUNDLE_BYTES, carrier::SCREEN_BYTES, |prefix, whole| {
        carrier::screen(prefix, whole).map_err(|e| Error::from(e).in_file(&name))
    })
}

/// The bundle given as one file, or as all its parts in any order; with
/// the name messages use for it.
pub fn read_bundle(paths: &[PathBuf]) -> Result<(String, Vec<u8>)> {
    if let [one] = paths {
        return Ok((shown_path(one), read_bundle_file(one)?));
    }
    let mut parts = Vec::with_capacity(paths.len());
    for p in paths {
        parts.push((shown_path(p), read_bundle_file(p)?));
    }
    let joined = parts::join(&parts).map_err(|e| {
        Error::new(e.to_string())
            .with_hint("pass every part of the bundle once, and nothing else; ask the sender for a missing part")
    })?;
    Ok((bundle_name(paths), joined))
}

/// How messages name a bundle given as one file or as parts.
pub fn bundle_name(paths: &[PathBuf]) -> String {
    match paths {
        [one] => shown_path(one),
        many => format!("{} ({} parts)", whole_name(&many[0]), many.len()),
    }
}

/// Every part's name when `path` is named like one (`FILE.part-2-of-4`),
/// else `path` alone: how a kept path to a split catalog is read again.
pub fn with_siblings(path: &Path) -> Vec<PathBuf> {
    let s = path.as_os_str().to_string_lossy();
    let parsed = s.rfind(".part-").and_then(|i| {
        let (_, n) = s[i + 6..].split_once("-of-")?;
        Some((i, n.parse::<usize>().ok()?))
    });
    match parsed {
        Some((i, n)) if n <= parts::MAX_PARTS as usize => {
            (1..=n).map(|k| part_path(Path::new(&s[..i]), k, n)).collect()
        }
        _ => vec![path.to_path_buf()],
    }
}

/// `r1.age` for `r1.age.part-2-of-4`.
fn whole_name(part: &Path) -> String {
    let s = shown_path(part);
    match s.rfind(".part-") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// The parts of a sealed bundle, each at most `size` bytes.
fn split_pieces(sealed: &crate::bundle::Sealed, size: u64) -> Result<Vec<Vec<u8>>> {
    parts::split(&sealed.to_vec(), size).ok_or_else(|| {
        Error::new(format!(
            "--split {size}: the bundle would need more than {} parts",
            parts::MAX_PARTS
        ))
        .with_hint("choose a larger --split size")
    })
}

/// `FILE.part-I-of-N`.
pub fn part_path(path: &Path, i: usize, n: usize) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".part-{i}-of-{n}"));
    PathBuf::from(s)
}

/// Keep `keeps` and write the sealed bundle they belong to, in one
/// transaction whose commit point is the bundle's rename: the state and
/// the bundle are both written, or neither (on an error or an interrupt).
pub fn send_keeping(
    store: &Store,
    me: &Identity,
    keeps: Vec<crate::store::Keep>,
    sent: (&fsio::Dest, &crate::bundle::Sealed),
    force: bool,
    split: Option<u64>,
) -> Result<String> {
    let mut tx = store.begin(me);
    for k in keeps {
        tx.keep(k)?;
    }
    let (dest, sealed) = sent;
    let shown = write_in_tx(&mut tx, dest, sealed, force, split)?;
    tx.commit()?;
    Ok(shown)
}

/// Write a bundle (whole, or in `--split` parts) as pending writes of `tx`:
/// an error or an interrupt before the commit leaves no part and no state.
/// Returns how to name what was written.
pub fn write_in_tx(
    tx: &mut crate::store::Tx,
    dest: &fsio::Dest,
    sealed: &crate::bundle::Sealed,
    force: bool,
    split: Option<u64>,
) -> Result<String> {
    let (Some(size), fsio::Dest::File(path)) = (split, dest) else {
        tx.write(dest, (force, false), |w| sealed.write_to(w))?;
        return Ok(dest.display());
    };
    let pieces = split_pieces(sealed, size)?;
    let n = pieces.len();
    let names: Vec<PathBuf> = (1..=n).map(|i| part_path(path, i, n)).collect();
    for (piece, name) in pieces.iter().zip(&names) {
        tx.write(&fsio::Dest::File(name.clone()), (force, false), |w| w.write_all(piece))?;
    }
    Ok(format!(
        "{} … {} ({n} parts)",
        names[0].display(),
        names[n - 1].display()
    ))
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn expiry(now: u64, d: Duration) -> u64 {
    now.saturating_add(d.as_secs())
}

pub use crate::cli::options::envelope;

/// The name of a bundle argument for messages.
pub fn shown_path(p: &Path) -> String {
    crate::text::shown(&p.display().to_string())
}

/// `n entries from FORMAT input (kind setting; per-kind counts, duplicates merged)`.
pub fn describe_entries(e: &Entries, kind: KindSetting) -> String {
    let mut s = format!("{} entries from {} input, kind {kind}", e.len(), e.format);
    if kind == KindSetting::Auto {
        let counts = e.count_by_kind();
        let parts: Vec<String> = [Kind::Domain, Kind::Ip, Kind::Url, Kind::Hash, Kind::Email, Kind::Raw]
            .iter()
            .filter(|k| counts[**k as usize] > 0)
            .map(|k| format!("{} {k}", counts[*k as usize]))
            .collect();
        s.push_str(&format!(" ({})", parts.join(", ")));
    }
    for (what, n) in &e.notes {
        s.push_str(&format!(", {n} {what}"));
    }
    if e.duplicates > 0 {
        s.push_str(&format!(", {} duplicates merged", e.duplicates));
    }
    let skipped = e.skipped_total();
    if skipped > 0 {
        s.push_str(&format!(", {skipped} skipped"));
    }
    s
}

/// Refuse `input == output` and the same output twice.
pub fn check_distinct(inputs: &[&Path], outputs: &[&Path]) -> Result<()> {
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    for (i, o) in outputs.iter().enumerate() {
        if o.as_os_str() == "-" {
            continue;
        }
        for inp in inputs {
            if inp == o || (canon(inp).is_some() && canon(inp) == canon(o)) {
                return Err(Error::new(format!("{} is both an input and an output", o.display()))
                    .with_hint("write the output to another file"));
            }
        }
        if outputs[..i].contains(o) {
            return Err(Error::new(format!("{} is named as two outputs", o.display())));
        }
    }
    Ok(())
}

/// `cosect: WHAT 1a2b3c4d for NAME (FINGERPRINT) written to DEST`: the
/// first line of every verb that sends a bundle (`rel` is "for" or "from").
pub fn sent_line(what: &str, session: &[u8], rel: &str, peer: &PublicIdentity, dest: &str) -> String {
    format!(
        "cosect: {what} {} {rel} {} ({}) written to {}",
        &crate::store::hex(session)[..8],
        peer.display_name(),
        peer.short_fingerprint(),
        dest
    )
}

/// Read a bundle file and run the engine's pipeline on it as `me`.
pub fn receive(
    me: &Identity,
    store: &Store,
    paths: &[PathBuf],
    expect: crate::engine::Expect<'_>,
) -> Result<crate::engine::Received> {
    let (name, bytes) = read_bundle(paths)?;
    receive_bytes(me, store, &name, bytes, expect)
}

/// Run the engine's pipeline as `me` on a bundle already read.
pub fn receive_bytes(
    me: &Identity,
    store: &Store,
    name: &str,
    bytes: Vec<u8>,
    expect: crate::engine::Expect<'_>,
) -> Result<crate::engine::Received> {
    let unlocked = store.unlocked(me);
    let reader = crate::engine::Reader {
        me,
        now: now(),
        store: &unlocked,
    };
    reader.read(name, bytes, expect)
}

/// A fresh random session id.
pub fn new_session() -> [u8; crate::bundle::payload::SESSION_LEN] {
    use rand::RngCore;
    let mut session = [0u8; crate::bundle::payload::SESSION_LEN];
    rand::rngs::OsRng.fill_bytes(&mut session);
    session
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
