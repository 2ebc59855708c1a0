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

/// Temporary files being written right now, so that an interrupt (Ctrl-C,
/// SIGTERM) can remove them: a stopped command leaves no file behind.
static IN_FLIGHT: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Registration of one temporary file in `IN_FLIGHT`, undone on drop.
struct InFlight(PathBuf);

impl InFlight {
    fn register(path: &Path) -> Self {
        if let Ok(mut v) = IN_FLIGHT.lock() {
            v.push(path.to_path_buf());
        }
        InFlight(path.to_path_buf())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut v) = IN_FLIGHT.lock() {
            v.retain(|p| p != &self.0);
        }
    }
}

/// Remove every temporary file still being written. Called by the
/// interrupt handler just before the process exits; a file already renamed
/// into place is not touched (its temporary name no longer exists).
pub fn remove_in_flight() {
    if let Ok(v) = IN_FLIGHT.lock() {
        for p in v.iter() {
            let _ = fs::remove_file(p);
        }
    }
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
    persist(tmp, path, &name, force)?;
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

    #[test]
    fn an_interrupt_removes_the_file_being_written() {
        let dir = tempfile::tempdir().unwrap();
        let dest = Dest::File(dir.path().join("out.bin"));
        let r = write_atomic_with(&dest, false, false, |w| {
            w.write_all(b"half")?;
            assert_eq!(
                temp_files(dir.path()).len(),
                1,
                "the temporary file exists while writing"
            );
            remove_in_flight(); // what the Ctrl-C handler does
            assert!(temp_files(dir.path()).is_empty(), "the handler removed it");
            Err(std::io::ErrorKind::Interrupted.into())
        });
        assert!(r.is_err());
        assert!(!dir.path().join("out.bin").exists());
        // A finished write is no longer registered: an interrupt afterwards
        // leaves the file in place.
        write_atomic(&dest, b"whole", false, false).unwrap();
        remove_in_flight();
        assert_eq!(fs::read(dir.path().join("out.bin")).unwrap(), b"whole");
    }
}
