//! A list file (or standard input) read into entries: what `init`,
//! `respond`, `publish` and a serving `serve` all read. Reporting what was
//! skipped is the carrier's (the CLI prints it; the server does not).

use std::path::Path;

use crate::error::{Error, Result};
use crate::fsio;
use crate::input::{self, Entries, ReadOptions};

/// Read and normalize the list at `path` (`-`: standard input).
pub fn read(path: &Path, opts: &ReadOptions) -> Result<Entries> {
    read_all(&[path], opts)
}

/// Read the lists at `paths` (one of them may be `-`) as one list, each
/// file's format detected on its own; duplicates across files merged.
pub fn read_all(paths: &[&Path], opts: &ReadOptions) -> Result<Entries> {
    let mut sink = input::Collector::from_options(opts);
    let several = paths.len() > 1;
    for path in paths {
        let name = fsio::input_name(path);
        if path.as_os_str() == "-" {
            sink.read(&name, std::io::stdin().lock(), opts, several)
        } else {
            let f = std::fs::File::open(path).map_err(|e| fsio::io_error(&name, "cannot read", &e))?;
            sink.read(&name, std::io::BufReader::with_capacity(1 << 16, f), opts, several)
        }
        .map_err(|e| Error::from(e).in_file(&name))?;
    }
    let entries = sink.finish();
    if several && opts.column.is_some() && !entries.files.iter().any(|f| f.format == "CSV") {
        return Err(
            Error::new("--column applies to CSV input, but none of the inputs was read as CSV")
                .with_hint("name a CSV file (.csv, or a first line with commas), or drop --column"),
        );
    }
    Ok(entries)
}

/// Refuse, before any work, inputs that are not lists (a public identity,
/// an identity file, a bundle, a mail: `input::notlist`) and standard
/// input named twice. A file that cannot be opened is left to the reader
/// (which names the error when the list is read, after the checks of the
/// request); standard input is looked at when it is read.
pub fn check_inputs(paths: &[&Path]) -> Result<()> {
    use std::io::Read;
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(Error::new("--input - (standard input) is named more than once")
            .with_hint("standard input can be read once; name the other lists as files"));
    }
    for path in paths.iter().filter(|p| p.as_os_str() != "-") {
        let name = fsio::input_name(path);
        let Ok(f) = std::fs::File::open(path) else { continue };
        let mut head = Vec::with_capacity(1 << 16);
        if f.take(1 << 16).read_to_end(&mut head).is_err() {
            continue;
        }
        if let Some(n) = input::notlist::not_a_list(&head) {
            return Err(Error::from(input::InputError::NotAList(n)).in_file(&name));
        }
    }
    Ok(())
}
