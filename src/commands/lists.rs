//! A user's list in: read through `exchange::list`, then what was
//! skipped, merged or compared as raw told on stderr.

use std::path::Path;

use super::Ctx;
use crate::cli::ListIn;
use crate::error::{Error, Result};
use crate::fsio;
use crate::input::{self, Entries, Kind, KindSetting};

/// `--input`, which every command but `respond` to a catalog query needs
/// (each file checked to be a list, not a `.pub`, a bundle or a mail).
pub fn need_input(list: &ListIn) -> Result<Vec<&Path>> {
    if list.input.is_empty() {
        return Err(Error::new("--input FILE is required")
            .with_hint("name your list with --input FILE ('-' for standard input)"));
    }
    let paths: Vec<&Path> = list.input.iter().map(|p| p.as_path()).collect();
    crate::exchange::list::check_inputs(&paths)?;
    Ok(paths)
}

/// The inputs as messages name them: `a.txt`, or `a.txt, b.csv and c.json`.
pub fn inputs_name(paths: &[&Path]) -> String {
    let names: Vec<String> = paths.iter().map(|p| fsio::input_name(p)).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// Read and normalize a list in any input format, reporting what was
/// skipped (each skipped entry with `--verbose`).
pub fn read_list(ctx: &Ctx, list: &ListIn, kind: KindSetting) -> Result<Entries> {
    let paths = need_input(list)?;
    let opts = read_options(list, kind)?;
    let entries = crate::exchange::list::read_all(&paths, &opts)?;
    report_entries(ctx, &inputs_name(&paths), &entries, kind, list.verbose)?;
    Ok(entries)
}

/// How `list` says to read: its format, column, refanging and widening.
pub fn read_options(list: &ListIn, kind: KindSetting) -> Result<input::ReadOptions> {
    if list.widen.url_hosts && kind != KindSetting::Auto {
        return Err(Error::new(format!(
            "--url-hosts adds domain and IP entries beside URLs, which --kind {kind} would not compare"
        ))
        .with_hint("use --kind auto (the default), or drop --url-hosts"));
    }
    if list.widen.expand_cidr.is_some() && !matches!(kind, KindSetting::Auto | KindSetting::Fixed(Kind::Ip)) {
        return Err(Error::new(format!(
            "--expand-cidr makes IP entries, which --kind {kind} would not compare"
        ))
        .with_hint("use --kind auto or --kind ip, or drop --expand-cidr"));
    }
    Ok(input::ReadOptions {
        format: list.input_format.map(input::InputFormat::from),
        column: list.column.clone(),
        kind,
        skip_invalid: list.skip_invalid,
        refang: !list.no_refang,
        widen: input::Widen {
            url_hosts: list.widen.url_hosts,
            expand_cidr: list.widen.expand_cidr,
        },
    })
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
    let raw = entries.count_by_kind()[Kind::Raw as usize];
    if kind == KindSetting::Auto && raw * 2 > entries.len() as u64 {
        ctx.warn(format!(
            "{name}: {raw} of {} entries are raw: nothing in them looks like a domain, IP address, URL, hash \
             or e-mail address. Is this the list you meant? `cosect preview --input FILE` shows how it is read",
            entries.len()
        ));
    }
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

/// At `finish`: the near-misses of the user's own list, again (counts by
/// reason; where to see each one), since a match they would have made is
/// missing from the results.
pub fn repeat_near_misses(ctx: &Ctx, list: &crate::store::SecretList) {
    let total: u64 = list.near_misses.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return;
    }
    let files: Vec<&str> = list.files.iter().map(|f| f.name.as_str()).collect();
    let why: Vec<String> = list.near_misses.iter().map(|(k, n)| format!("{n} {k}")).collect();
    ctx.warn(format!(
        "{total} entries of your list were compared as written, not as indicators ({}): they match only the \
         same spelling",
        why.join(", ")
    ));
    let inputs = match files.as_slice() {
        [] => "FILE".to_owned(),
        f => f
            .iter()
            .map(|n| format!("--input {}", crate::text::shown(n)))
            .collect::<Vec<_>>()
            .join(" "),
    };
    ctx.say(format!("        `cosect preview {inputs}` lists them with their line"));
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
