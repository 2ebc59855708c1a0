//! The state directory's one lock: every load-modify-save of shared
//! records (sessions, catalog keys and counts, budgets, the replay
//! journal) commits under it, across processes and across the threads of
//! one server. It is an OS advisory lock (`flock` on `<state dir>/lock`,
//! through std's `File::lock`), so a holder that crashes or is killed
//! leaves no stale lock: the OS releases it with the process.
//!
//! Each acquisition opens the lock file anew: `flock` locks belong to an
//! open file description, so two threads of one process exclude each other
//! exactly as two processes do. It is held for a commit only (re-check
//! what was read, write, rename), never during the arithmetic, and never
//! taken twice by one caller, so there is no order to get wrong and no
//! deadlock.

use std::fs::{File, OpenOptions, TryLockError};
use std::time::{Duration, Instant};

use super::Store;
use crate::error::Result;
use crate::fsio;

/// How long a process waits quietly before it says why it waits.
const QUIET_WAIT: Duration = Duration::from_secs(1);

/// The lock, held until dropped.
#[must_use = "the lock is released when this is dropped"]
pub struct StateLock {
    _file: File,
}

impl Store {
    /// `<state dir>/lock`.
    fn lock_path(&self) -> std::path::PathBuf {
        self.dir().join("lock")
    }

    /// Take the state directory's lock, waiting for another holder; after
    /// a second of waiting, the store's notice is called once.
    pub fn lock(&self) -> Result<StateLock> {
        fsio::create_private_dir(self.dir())?;
        let path = self.lock_path();
        let name = path.display().to_string();
        let mut o = OpenOptions::new();
        o.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let file = o
            .open(&path)
            .map_err(|e| fsio::io_error(&name, "cannot open the state directory's lock", &e))?;
        let failed = |e: &std::io::Error| fsio::io_error(&name, "cannot lock", e);
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(StateLock { _file: file }),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(failed(&e)),
            }
            if start.elapsed() >= QUIET_WAIT {
                break;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(25));
        }
        self.notice(&format!(
            "cosect: waiting for another cosect using {}",
            self.dir().display()
        ));
        file.lock().map_err(|e| failed(&e))?;
        Ok(StateLock { _file: file })
    }
}
