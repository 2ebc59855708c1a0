//! File conventions: `-` is stdin/stdout, outputs are written atomically
//! (temporary file in the same directory, then rename) and never replace an
//! existing file without `--force`; secret files are created 0600.

use std::fs;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dest {
    Stdout,
    File(PathBuf),
}

impl Dest {
    pub fn from_arg(arg: Option<&Path>) -> Dest {
        match arg {
            None => Dest::Stdout,
            Some(p) if p.as_os_str() == "-" => Dest::Stdout,
            Some(p) => Dest::File(p.to_path_buf()),
        }
    }

    pub fn display(&self) -> String {
        match self {
            Dest::Stdout => "standard output".into(),
            Dest::File(p) => p.display().to_string(),
        }
    }
}

/// How messages name an input file: `-` is standard input.
pub fn input_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Read a whole input (`-` = stdin), at most `limit` bytes.
pub fn read_input(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let name = path.display().to_string();
    let res = if path.as_os_str() == "-" {
        std::io::stdin().lock().take(limit + 1).read_to_end(&mut buf)
    } else {
        // Reserve the file's size up front: a large bundle is then read
        // without the copies that growing the buffer would make.
        fs::File::open(path).and_then(|f| {
            let size = f.metadata().map(|m| m.len()).unwrap_or(0).min(limit + 1);
            buf.reserve_exact(size as usize + 1);
            f.take(limit + 1).read_to_end(&mut buf)
        })
    };
    res.map_err(|e| io_error(&name, "cannot read", &e))?;
    if buf.len() as u64 > limit {
        return Err(Error::new(format!("{name}: larger than the {limit}-byte limit")));
    }
    Ok(buf)
}

/// Read a whole input (`-` = stdin), at most `limit` bytes, after `check`
/// has passed on its first `screen` bytes (`true` when that is all of it):
/// a file that is refused from its start is never read whole.
pub fn read_screened(
    path: &Path,
    limit: u64,
    screen: usize,
    check: impl FnOnce(&[u8], bool) -> Result<()>,
) -> Result<Vec<u8>> {
    let name = path.display().to_string();
    let mut input: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(fs::File::open(path).map_err(|e| io_error(&name, "cannot read", &e))?)
    };
    let mut buf = Vec::with_capacity(screen.min(limit as usize) + 1);
    (&mut input)
        .take(screen as u64)
        .read_to_end(&mut buf)
        .map_err(|e| io_error(&name, "cannot read", &e))?;
    check(&buf, buf.len() < screen)?;
    if buf.len() == screen {
        // Reserve the file's size: a large bundle is then read without the
        // copies that growing the buffer would make.
        let size = fs::metadata(path).map(|m| m.len()).unwrap_or(0).min(limit + 1);
        buf.reserve_exact((size as usize).saturating_sub(buf.len()) + 1);
        input
            .take(limit + 1 - buf.len() as u64)
            .read_to_end(&mut buf)
            .map_err(|e| io_error(&name, "cannot read", &e))?;
    }
    if buf.len() as u64 > limit {
        return Err(Error::new(format!("{name}: larger than the {limit}-byte limit")));
    }
    Ok(buf)
}

pub fn io_error(name: &str, what: &str, e: &std::io::Error) -> Error {
    let reason = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    };
    Error::new(format!("{what} {name}: {reason}"))
}

/// Refuse before any work when a destination exists and `--force` is off,
/// or when a binary output would go to a terminal. Callers pass
/// `binary = false` when the user named standard output explicitly (`-o -`).
pub fn check_dest(dest: &Dest, force: bool, binary: bool) -> Result<()> {
    match dest {
        Dest::Stdout if binary && std::io::stdout().is_terminal() => {
            Err(Error::new("refusing to write a binary bundle to the terminal")
                .with_hint("name a file with -o FILE, use --armor for text, or pass -o - to force it"))
        }
        Dest::File(p) if !force && p.exists() => Err(Error::new(format!("{}: file exists", p.display()))
            .with_hint("choose another name, or pass --force to replace it")),
        _ => Ok(()),
    }
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

/// Work in flight that an interrupt (Ctrl-C, SIGTERM) must undo: the
/// temporary files being written, and the files already put in place by a
/// transaction that has not reached its commit point (each with how to
/// undo it). A stopped command leaves the files as they were before it,
/// or as they are after it, never a mix.
#[derive(Default)]
struct Flight {
    temps: Vec<PathBuf>,
    undo: Vec<(u64, PathBuf, Undo)>,
    next: u64,
}

/// How an uncommitted change to a file is undone.
enum Undo {
    /// The file did not exist: remove it.
    Remove,
    /// Its previous content is this other name of it (a hard link, or the
    /// file itself renamed away): rename it back. Deleted on commit.
    Backup(PathBuf),
    /// Its previous content, when no second name could be made.
    Bytes(Vec<u8>),
}

static FLIGHT: std::sync::Mutex<Flight> = std::sync::Mutex::new(Flight {
    temps: Vec::new(),
    undo: Vec::new(),
    next: 0,
});

fn flight() -> std::sync::MutexGuard<'static, Flight> {
    FLIGHT.lock().unwrap_or_else(|p| p.into_inner())
}

/// Registration of one temporary file in `FLIGHT`, undone on drop.
struct InFlight(PathBuf);

impl InFlight {
    fn register(path: &Path) -> Self {
        flight().temps.push(path.to_path_buf());
        InFlight(path.to_path_buf())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        flight().temps.retain(|p| p != &self.0);
    }
}

/// Remove the temporary files and undo the uncommitted changes in `f`.
fn clean_up(f: &mut Flight) {
    for p in f.temps.drain(..) {
        let _ = fs::remove_file(p);
    }
    // Latest first, so a file changed twice gets its first content back.
    for (_, path, undo) in f.undo.drain(..).rev() {
        let _ = match undo {
            Undo::Remove => fs::remove_file(&path),
            Undo::Backup(b) => fs::rename(b, &path),
            Undo::Bytes(b) => {
                put_back(&path, &b);
                Ok(())
            }
        };
    }
}

/// A fresh name beside `path` for its backup.
fn backup_name(path: &Path, f: &mut Flight) -> PathBuf {
    f.next += 1;
    let name = format!(".cosect-{}-{}.bak", std::process::id(), f.next);
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.join(name),
        _ => PathBuf::from(name),
    }
}

/// Write `bytes` back to `path` (0600, atomic), without touching `FLIGHT`.
fn put_back(path: &Path, bytes: &[u8]) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(mut t) = tempfile::Builder::new()
        .prefix(".cosect-")
        .suffix(".tmp")
        .tempfile_in(dir)
    {
        if t.write_all(bytes).and_then(|_| t.as_file().sync_all()).is_ok() {
            let _ = t.persist(path);
        }
    }
}

/// Called by the interrupt handler just before the process exits: remove
/// every temporary file still being written and undo every uncommitted
/// transaction, then hold the registry for good, so that the command
/// (still running on another thread until the exit) can neither rename a
/// file into place nor pass a commit point.
pub fn remove_in_flight() {
    let mut f = flight();
    clean_up(&mut f);
    std::mem::forget(f);
}

/// Changes made by a transaction that are undone unless it commits: on an
/// interrupt (by the handler), on an error or a drop without `commit*`.
/// Only the last step of a transaction, `commit_write` or `commit_with`,
/// runs under the same lock as the interrupt handler, so an interrupt
/// sees either every change undone or the transaction committed.
#[must_use = "dropping a Pending undoes its changes"]
#[derive(Default)]
pub struct Pending(Vec<u64>);

impl Pending {
    pub fn new() -> Self {
        Pending(Vec::new())
    }

    /// Write `dest` atomically as `write_atomic_with` does; undone (the
    /// previous content put back, or the file removed) unless committed.
    pub fn write<F>(&mut self, dest: &Dest, force: bool, secret: bool, fill: F) -> Result<()>
    where
        F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
    {
        let path = match dest {
            Dest::Stdout => return write_atomic_with(dest, force, secret, fill),
            Dest::File(p) => p.clone(),
        };
        // The previous content keeps a second name (a hard link, no copy)
        // until the commit; known to the interrupt handler from now on.
        let backup = path.exists().then(|| backup_name(&path, &mut flight()));
        let undo = match &backup {
            None => Undo::Remove,
            Some(b) if fs::hard_link(&path, b).is_ok() => Undo::Backup(b.clone()),
            Some(_) => {
                Undo::Bytes(fs::read(&path).map_err(|e| io_error(&path.display().to_string(), "cannot read", &e))?)
            }
        };
        let linked = match &undo {
            Undo::Backup(b) => Some(InFlight::register(b)),
            _ => None,
        };
        let ids = &mut self.0;
        let r = write_renaming(dest, force, secret, fill, |f| {
            // From now on the backup is undone by renaming it back, not
            // removed as a temporary file.
            if let Undo::Backup(b) = &undo {
                f.temps.retain(|p| p != b);
            }
            f.next += 1;
            ids.push(f.next);
            f.undo.push((f.next, path.clone(), undo));
        });
        if let (Err(_), Some(l)) = (&r, &linked) {
            let _ = fs::remove_file(&l.0);
        }
        r
    }

    /// Remove `path` (renamed away, no copy), put back unless committed.
    pub fn remove(&mut self, path: &Path, what: &str) -> Result<()> {
        let name = path.display().to_string();
        let mut f = flight();
        let backup = backup_name(path, &mut f);
        match fs::rename(path, &backup) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_error(&name, &format!("cannot delete {what}"), &e)),
        }
        f.next += 1;
        let id = f.next;
        f.undo.push((id, path.to_path_buf(), Undo::Backup(backup)));
        self.0.push(id);
        Ok(())
    }

    /// The commit point: write `dest` (its rename) and keep every change.
    pub fn commit_write<F>(mut self, dest: &Dest, force: bool, secret: bool, fill: F) -> Result<()>
    where
        F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
    {
        hold_for_test();
        let ids = std::mem::take(&mut self.0);
        let r = match dest {
            Dest::Stdout => write_atomic_with(dest, force, secret, fill).map(|()| forget(&mut flight(), &ids)),
            Dest::File(_) => write_renaming(dest, force, secret, fill, |f| forget(f, &ids)),
        };
        self.0 = if r.is_err() { ids } else { Vec::new() };
        r
    }

    /// The commit point: run `last` (e.g. delete the finished session)
    /// and, if it succeeds, keep every change.
    pub fn commit_with(mut self, last: impl FnOnce() -> Result<()>) -> Result<()> {
        hold_for_test();
        let mut f = flight();
        last()?;
        forget(&mut f, &std::mem::take(&mut self.0));
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let mut f = flight();
        let mut mine = Flight::default();
        let (undo, keep) = std::mem::take(&mut f.undo)
            .into_iter()
            .partition(|(id, _, _)| self.0.contains(id));
        mine.undo = undo;
        f.undo = keep;
        clean_up(&mut mine);
    }
}

/// TEST ONLY, inert unless `COSECT_TEST_HOLD_AT_COMMIT` is set: just
/// before a transaction's commit point, create the file that variable
/// names and wait there until it is removed (at most a minute), so that a
/// test can deliver SIGTERM to a command that has saved its state but not
/// committed.
fn hold_for_test() {
    hold_at("COSECT_TEST_HOLD_AT_COMMIT");
}

/// TEST ONLY, inert unless `COSECT_TEST_HOLD_AFTER_COMMIT` is set: the
/// same hold just after a commit (and its lock) ended, so that a test can
/// kill a server that committed an answer but has not sent it, or cut
/// the connection of its client.
pub fn hold_after_for_test() {
    hold_at("COSECT_TEST_HOLD_AFTER_COMMIT");
}

fn hold_at(var: &str) {
    let Some(marker) = std::env::var_os(var) else { return };
    let marker = std::path::PathBuf::from(marker);
    let _ = fs::write(&marker, b"holding\n");
    let start = std::time::Instant::now();
    while marker.exists() && start.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Keep the changes `ids` made: they are no longer undone, and the
/// backups of what they replaced or removed are deleted.
fn forget(f: &mut Flight, ids: &[u64]) {
    for (_, _, undo) in f.undo.iter().filter(|(id, _, _)| ids.contains(id)) {
        if let Undo::Backup(b) = undo {
            let _ = fs::remove_file(b);
        }
    }
    f.undo.retain(|(id, _, _)| !ids.contains(id));
}

/// Turn core dumps off for this process: a core of cosect would hold the
/// age identity and the plain list. Sets `RLIMIT_CORE` to 0 (soft and hard)
/// and, on Linux, `PR_SET_DUMPABLE` to 0 (which also stops a piped
/// `core_pattern` and ptrace by other users). Best effort: a failure here
/// must not stop the command.
pub fn no_core_dumps() {
    #[cfg(unix)]
    {
        use rustix::process::{setrlimit, Resource, Rlimit};
        let zero = Rlimit {
            current: Some(0),
            maximum: Some(0),
        };
        let _ = setrlimit(Resource::Core, zero);
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}

/// Write `data` to `dest` atomically. With `secret`, the file is 0600.
/// Returns only after the data is on disk; on error no file is left behind.
pub fn write_atomic(dest: &Dest, data: &[u8], force: bool, secret: bool) -> Result<()> {
    write_atomic_with(dest, force, secret, |w| w.write_all(data))
}

/// A temporary file in `dir`: 0600 for secrets (tempfile's default),
/// else the usual 0644 (less the umask).
fn temp_beside(dir: &Path, name: &str, secret: bool) -> Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".cosect-").suffix(".tmp");
    #[cfg(unix)]
    if !secret {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    #[cfg(not(unix))]
    let _ = secret;
    builder
        .tempfile_in(dir)
        .map_err(|e| io_error(name, "cannot create a file beside", &e))
}

/// Rename the finished temporary file into place; without `force`, never
/// over an existing file.
fn persist(tmp: tempfile::NamedTempFile, path: &Path, name: &str, force: bool) -> Result<()> {
    if force {
        tmp.persist(path)
            .map_err(|e| io_error(name, "cannot write", &e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::new(format!("{name}: file exists"))
                    .with_hint("choose another name, or pass --force to replace it")
            } else {
                io_error(name, "cannot write", &e.error)
            }
        })?;
    }
    Ok(())
}

/// Like `write_atomic`, with the content produced by `fill` into a buffered
/// writer (so large outputs stream to disk without a copy in memory).
pub fn write_atomic_with<F>(dest: &Dest, force: bool, secret: bool, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    write_renaming(dest, force, secret, fill, |_| {})
}

/// `write_atomic_with`, running `renamed` under the registry's lock right
/// after the rename (so an interrupt sees both or neither).
fn write_renaming<F>(dest: &Dest, force: bool, secret: bool, fill: F, renamed: impl FnOnce(&mut Flight)) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let path = match dest {
        Dest::Stdout => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            return match fill(&mut out).and_then(|_| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.map_err(|e| io_error("standard output", "cannot write", &e)),
            };
        }
        Dest::File(p) => p,
    };
    let name = path.display().to_string();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = temp_beside(&dir, &name, secret)?;
    // Known to the interrupt handler until it is renamed or removed.
    let _in_flight = InFlight::register(tmp.path());
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        fill(&mut w)
            .and_then(|_| w.flush())
            .map_err(|e| io_error(&name, "cannot write", &e))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| io_error(&name, "cannot write", &e))?;
    {
        let mut f = flight();
        persist(tmp, path, &name, force)?;
        renamed(&mut f);
    }
    // Make the rename itself durable, so a crash after we return leaves the
    // new file, not the old or none.
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Whether a file is readable or writable by group or others.
#[cfg(unix)]
pub fn too_open(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o077 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
pub fn too_open(_path: &Path) -> bool {
    false
}

/// Whether an open file is readable or writable by group or others: the
/// file itself (fstat), not whatever its path names by now.
#[cfg(unix)]
pub fn file_too_open(file: &fs::File) -> bool {
    use std::os::unix::fs::PermissionsExt;
    file.metadata()
        .map(|m| m.permissions().mode() & 0o077 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
pub fn file_too_open(_file: &fs::File) -> bool {
    false
}

/// Create a private directory (0700) and its parents.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| io_error(&dir.display().to_string(), "cannot create directory", &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_files(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".cosect-"))
            .collect()
    }

    /// The registry is process-wide: tests that clean it up run one at a time.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn an_interrupt_removes_the_file_being_written() {
        let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let dest = Dest::File(dir.path().join("out.bin"));
        let r = write_atomic_with(&dest, false, false, |w| {
            w.write_all(b"half")?;
            assert_eq!(
                temp_files(dir.path()).len(),
                1,
                "the temporary file exists while writing"
            );
            clean_up(&mut flight()); // what the Ctrl-C handler does
            assert!(temp_files(dir.path()).is_empty(), "the handler removed it");
            Err(std::io::ErrorKind::Interrupted.into())
        });
        assert!(r.is_err());
        assert!(!dir.path().join("out.bin").exists());
        // A finished write is no longer registered: an interrupt afterwards
        // leaves the file in place.
        write_atomic(&dest, b"whole", false, false).unwrap();
        clean_up(&mut flight());
        assert_eq!(fs::read(dir.path().join("out.bin")).unwrap(), b"whole");
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn pending_changes_are_undone_unless_committed() {
        let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
        fs::write(&a, b"old a").unwrap();
        fs::write(&b, b"old b").unwrap();
        let fill = |data: &'static [u8]| move |w: &mut dyn Write| w.write_all(data);
        // Dropped: a replaced file, a removed one and a new one are undone.
        let mut p = Pending::new();
        p.write(&Dest::File(a.clone()), true, true, fill(b"new a")).unwrap();
        p.remove(&b, "b").unwrap();
        p.write(&Dest::File(c.clone()), false, false, fill(b"new c")).unwrap();
        assert_eq!(
            (fs::read(&a).unwrap(), b.exists(), c.exists()),
            (b"new a".to_vec(), false, true)
        );
        drop(p);
        assert_eq!(names(dir.path()), ["a", "b"]);
        assert_eq!(
            (fs::read(&a).unwrap(), fs::read(&b).unwrap()),
            (b"old a".to_vec(), b"old b".to_vec())
        );
        // Committed: kept, and no backup is left.
        let mut p = Pending::new();
        p.write(&Dest::File(a.clone()), true, true, fill(b"new a")).unwrap();
        p.remove(&b, "b").unwrap();
        p.commit_write(&Dest::File(c.clone()), false, false, fill(b"new c"))
            .unwrap();
        assert_eq!(names(dir.path()), ["a", "c"]);
        assert_eq!(fs::read(&a).unwrap(), b"new a");
    }

    /// The check looks at the file that was opened, not at whatever the
    /// path names by the time it is checked.
    #[cfg(unix)]
    #[test]
    fn the_permission_check_is_on_the_opened_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (path, other) = (dir.path().join("state"), dir.path().join("other"));
        fs::write(&path, b"s").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let opened = fs::File::open(&path).unwrap();
        // A private file is swapped in under the same name after the open.
        fs::write(&other, b"o").unwrap();
        fs::set_permissions(&other, fs::Permissions::from_mode(0o600)).unwrap();
        fs::rename(&other, &path).unwrap();
        assert!(!too_open(&path), "the path now names a private file");
        assert!(
            file_too_open(&opened),
            "but the file that was opened is readable by others"
        );
    }
}
