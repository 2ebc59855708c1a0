//! A list file (or standard input) read into entries: what `init`,
//! `respond`, `publish` and a serving `serve` all read. Reporting what was
//! skipped is the carrier's (the CLI prints it; the server does not).

use std::path::Path;

use crate::error::{Error, Result};
use crate::fsio;
use crate::input::{self, Entries, ReadOptions};

/// Read and normalize the list at `path` (`-`: standard input).
pub fn read(path: &Path, opts: &ReadOptions) -> Result<Entries> {
    let name = fsio::input_name(path);
    if path.as_os_str() == "-" {
        input::read_entries(std::io::stdin().lock(), opts)
    } else {
        let f = std::fs::File::open(path).map_err(|e| fsio::io_error(&name, "cannot read", &e))?;
        input::read_entries(std::io::BufReader::with_capacity(1 << 16, f), opts)
    }
    .map_err(|e| Error::from(e).in_file(&name))
}
