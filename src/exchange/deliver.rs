//! Where a bundle goes besides the journal: a file (whole, or in
//! `--split` parts) or standard output, written as a pending write of the
//! step's transaction, so the reply and the state are written together or
//! not at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::bundle::parts;
use crate::error::{Error, Result};
use crate::fsio::{self, Dest};
use crate::store::Tx;

/// A bundle's destination as the user asked for it.
#[derive(Clone, Copy)]
pub struct Delivery<'a> {
    pub dest: &'a Dest,
    pub force: bool,
    /// `--split SIZE`.
    pub split: Option<u64>,
}

/// `FILE.part-I-of-N`.
pub fn part_path(path: &Path, i: usize, n: usize) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".part-{i}-of-{n}"));
    PathBuf::from(s)
}

impl Delivery<'_> {
    /// Write the bundle that `fill` writes (and that is `whole` in memory
    /// when it is split) as pending writes of `tx`. Returns how to name
    /// what was written.
    pub fn write(
        &self,
        tx: &mut Tx,
        fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
        whole: impl FnOnce() -> std::io::Result<Vec<u8>>,
    ) -> Result<String> {
        let (Some(size), Dest::File(path)) = (self.split, self.dest) else {
            tx.write(self.dest, (self.force, false), fill)?;
            return Ok(self.dest.display());
        };
        let bytes = whole().map_err(|e| fsio::io_error(&self.dest.display(), "cannot write", &e))?;
        let pieces = parts::split(&bytes, size).ok_or_else(|| {
            Error::new(format!(
                "--split {size}: the bundle would need more than {} parts",
                parts::MAX_PARTS
            ))
            .with_hint("choose a larger --split size")
        })?;
        drop(bytes);
        let n = pieces.len();
        let names: Vec<PathBuf> = (1..=n).map(|i| part_path(path, i, n)).collect();
        for (piece, name) in pieces.iter().zip(&names) {
            tx.write(&Dest::File(name.clone()), (self.force, false), |w| w.write_all(piece))?;
        }
        Ok(format!(
            "{} … {} ({n} parts)",
            names[0].display(),
            names[n - 1].display()
        ))
    }

    /// Write the file at `kept` (a reply the journal keeps) here.
    pub fn copy(&self, tx: &mut Tx, kept: &Path) -> Result<String> {
        let name = kept.display().to_string();
        let open = || std::fs::File::open(kept);
        let mut src = open().map_err(|e| fsio::io_error(&name, "cannot read", &e))?;
        self.write(tx, |w| std::io::copy(&mut src, w).map(drop), || std::fs::read(kept))
    }
}
