//! Bundle files in and out: read (screened, or joined from parts), named
//! in messages, run through the engine; written with the state they
//! belong to in one transaction.

use std::path::{Path, PathBuf};

use crate::bundle::{carrier, parts};
use crate::error::{Error, Result};
use crate::exchange::{part_path, Delivery};
use crate::fsio;
use crate::identity::{Identity, PublicIdentity};
use crate::store::Store;

use super::MAX_BUNDLE_BYTES;

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
        parts.extend(named_parts(p)?);
    }
    Ok((bundle_name(paths), join_parts(&parts)?))
}

/// What file `p` carries to be joined, each named for messages: the file
/// itself (a part, or anything else for the join to refuse), or every part
/// a saved mail carries (`FILE (attachment 2)`).
fn named_parts(p: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let name = shown_path(p);
    let found = carrier::parts_of(read_bundle_file(p)?).map_err(|e| Error::from(e).in_file(&name))?;
    Ok(found
        .into_iter()
        .map(|(place, part)| match place.is_empty() {
            true => (name.clone(), part),
            false => (format!("{name} ({place})"), part),
        })
        .collect())
}

/// The parts of one bundle joined, or why not.
fn join_parts(parts: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    parts::join(parts).map_err(|e| {
        Error::new(e.to_string())
            .with_hint("pass every part of the bundle once, and nothing else; ask the sender for a missing part")
    })
}

/// The bundles given as files: one bundle (one file, or all its parts),
/// or several (each a file, or all the parts of one), each with the name
/// messages use for it. Parts are grouped by the bundle their header names.
pub fn read_bundles(paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>> {
    Ok(read_bundles_from(paths)?.into_iter().map(|(n, b, _)| (n, b)).collect())
}

/// One bundle given on the command line: its name for messages, its
/// bytes (parts joined), and the files it was read from.
pub type Given = (String, Vec<u8>, Vec<PathBuf>);

/// As [`read_bundles`], with the files each bundle was read from.
pub fn read_bundles_from(paths: &[PathBuf]) -> Result<Vec<Given>> {
    if paths.len() == 1 {
        let (name, bytes) = read_bundle(paths)?;
        return Ok(vec![(name, bytes, paths.to_vec())]);
    }
    let mut wholes = Vec::new();
    type Parts = ([u8; 32], Vec<PathBuf>, Vec<(String, Vec<u8>)>);
    let mut groups: Vec<Parts> = Vec::new();
    for p in paths {
        // A file is a bundle, a part, or a saved mail carrying parts.
        for (named, bytes) in named_parts(p)? {
            match parts::header(&bytes) {
                Some((h, _)) => match groups.iter_mut().find(|g| g.0 == h.bundle) {
                    Some(g) => {
                        if !g.1.contains(p) {
                            g.1.push(p.clone());
                        }
                        g.2.push((named, bytes));
                    }
                    None => groups.push((h.bundle, vec![p.clone()], vec![(named, bytes)])),
                },
                None => wholes.push((named, bytes, vec![p.clone()])),
            }
        }
    }
    for (_, names, parts) in groups {
        let joined = join_parts(&parts)?;
        wholes.push((bundle_name(&names), joined, names));
    }
    Ok(wholes)
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

/// The name of a bundle argument for messages.
pub fn shown_path(p: &Path) -> String {
    crate::text::shown(&p.display().to_string())
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
    let mut tx = store.begin(me)?;
    let (dest, sealed) = sent;
    // Standard output is written at once, not undone: it goes last. A
    // file is a pending write: written first, so the state kept after it
    // carries the bundle's mark.
    if let fsio::Dest::Stdout = dest {
        for k in keeps {
            tx.keep(k)?;
        }
        let shown = write_in_tx(&mut tx, dest, sealed, force, split)?;
        tx.commit()?;
        return Ok(shown);
    }
    let shown = write_in_tx(&mut tx, dest, sealed, force, split)?;
    tx.mark_sent(sealed.mark());
    for k in keeps {
        tx.keep(k)?;
    }
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
    let to = Delivery { dest, force, split };
    to.write(tx, |w| sealed.write_to(w), || Ok(sealed.to_vec()))
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

/// Read a bundle file and run the engine's pipeline on it as `me`; says
/// which bundle was read when the file held several.
pub fn receive(
    ctx: &super::Ctx,
    me: &Identity,
    store: &Store,
    paths: &[PathBuf],
    expect: crate::engine::Expect<'_>,
) -> Result<crate::engine::Received> {
    let (name, bytes) = read_bundle(paths)?;
    receive_named(ctx, me, store, &name, bytes, expect)
}

/// [`receive_bytes`], saying which of several armored bundles was read.
pub fn receive_named(
    ctx: &super::Ctx,
    me: &Identity,
    store: &Store,
    name: &str,
    bytes: Vec<u8>,
    expect: crate::engine::Expect<'_>,
) -> Result<crate::engine::Received> {
    let got = receive_bytes(me, store, name, bytes, expect)?;
    if let Some(picked) = &got.header.picked {
        ctx.say(format!("cosect: {name}: {picked}"));
    }
    Ok(got)
}

/// Run the engine's pipeline as `me` on a bundle already read.
pub fn receive_bytes(
    me: &Identity,
    store: &Store,
    name: &str,
    bytes: Vec<u8>,
    expect: crate::engine::Expect<'_>,
) -> Result<crate::engine::Received> {
    crate::exchange::Party { me, store }.read(name, bytes, expect)
}

/// A fresh random session id.
pub fn new_session() -> [u8; crate::bundle::payload::SESSION_LEN] {
    use rand::RngCore;
    let mut session = [0u8; crate::bundle::payload::SESSION_LEN];
    rand::rngs::OsRng.fill_bytes(&mut session);
    session
}
