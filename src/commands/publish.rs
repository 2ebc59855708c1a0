//! `cosect publish`: read the list (optionally with labels), make a new
//! catalog key (earlier catalogs stay live unless `--replace ID` retires
//! one), write the signed catalog.

use rand::rngs::OsRng;

use super::*;
use crate::bundle::format_time;
use crate::cli::PublishArgs;
use crate::engine::{self, catalog_name, Addressed, Catalog, Message};
use crate::fsio::Dest;
use crate::group::Exec;
use crate::protocol::catalog::{self as proto, CatalogKey, MAX_LABEL};
use crate::store::{Keep, LiveKey};

/// The entry column and the label of each line.
pub type Split = (Vec<u8>, Vec<Option<String>>);

/// A label as published: trimmed, no control characters, at most
/// `MAX_LABEL` bytes.
fn check_label(label: &str) -> std::result::Result<String, String> {
    let label = label.trim();
    if label.chars().any(|c| c.is_control()) {
        return Err("the label contains a control character (a second TAB?)".into());
    }
    if label.len() > MAX_LABEL {
        return Err(format!("the label is longer than {MAX_LABEL} bytes"));
    }
    Ok(label.to_owned())
}

/// Split `entry<TAB>label` lines: the entry column (same line numbering,
/// for the list reader) and each line's label (`None` without a TAB).
/// Labels must be UTF-8 and pass `check_label`.
pub fn split_labels(text: &[u8]) -> std::result::Result<Split, (u64, String)> {
    let mut entries = Vec::with_capacity(text.len());
    let mut labels = Vec::new();
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let line_no = n as u64 + 1;
        match line.iter().position(|&b| b == b'\t') {
            None => {
                entries.extend_from_slice(line);
                labels.push(None);
            }
            Some(t) => {
                entries.extend_from_slice(&line[..t]);
                let raw = &line[t + 1..];
                let label =
                    std::str::from_utf8(raw).map_err(|_| (line_no, "the label is not valid UTF-8".to_owned()))?;
                if label.contains('\t') {
                    return Err((
                        line_no,
                        "the line has a second TAB (one TAB separates entry and label)".into(),
                    ));
                }
                // An empty (or all-blank) field is no label.
                let label = check_label(label).map_err(|why| (line_no, why))?;
                labels.push((!label.is_empty()).then_some(label));
            }
        }
        entries.push(b'\n');
    }
    Ok((entries, labels))
}

fn read_labelled(ctx: &Ctx, args: &PublishArgs, kind: KindSetting) -> Result<(Entries, Vec<Option<String>>)> {
    let input = one_input(args)?;
    let name = fsio::input_name(input);
    let text = fsio::read_input(input, MAX_BUNDLE_BYTES)?;
    let (column, by_line) = split_labels(&text).map_err(|(line, why)| {
        Error::new(format!("{name}: line {line}: {why}")).with_hint("labelled lines are `entry<TAB>label`")
    })?;
    drop(text);
    let opts = input::ReadOptions {
        format: Some(input::InputFormat::Text),
        column: None,
        kind,
        skip_invalid: args.skip_invalid,
        refang: !args.no_refang,
        widen: Default::default(),
    };
    let entries = input::read_entries(&column[..], &opts).map_err(|e| Error::from(e).in_file(&name))?;
    report_entries(ctx, &name, &entries, kind, args.verbose)?;
    // A merged duplicate keeps the label of its first occurrence.
    let labels = entries
        .lines
        .iter()
        .map(|&l| by_line.get(l as usize - 1).cloned().flatten())
        .collect();
    Ok((entries, labels))
}

/// The one `--input` of a labelled list (checked to be a list).
fn one_input(args: &PublishArgs) -> Result<&Path> {
    match args.input.as_slice() {
        [one] => {
            crate::exchange::list::check_inputs(&[one])?;
            Ok(one)
        }
        _ => Err(Error::new("labels are read from one --input")
            .with_hint("merge the labelled lists into one file, or publish them as separate catalogs")),
    }
}

/// Collects one CSV field per line, for `--label-column`: read by the same
/// CSV reader as the entries, so both agree on line numbers.
#[derive(Default)]
struct LabelColumn(std::collections::HashMap<u64, String>);

impl input::Sink for LabelColumn {
    fn record(&mut self, r: input::Record<'_>) -> std::result::Result<(), input::InputError> {
        let label = check_label(r.value).map_err(|why| input::InputError::Invalid {
            at: r.pos.to_string(),
            reason: "the label is not usable",
            shown: why,
        })?;
        if !label.is_empty() {
            self.0.insert(r.pos.number(), label);
        }
        Ok(())
    }

    fn unusable(&mut self, _: input::Pos, _: Option<&str>, _: &'static str, _: &str) {}
}

/// Entries from one CSV column and their labels from another.
fn read_csv_labelled(
    ctx: &Ctx,
    args: &PublishArgs,
    column: &input::csv::Column,
    label_column: &input::csv::Column,
    kind: KindSetting,
) -> Result<(Entries, Vec<Option<String>>)> {
    let input = one_input(args)?;
    let name = fsio::input_name(input);
    // Read once into memory: standard input cannot be read twice.
    let text = fsio::read_input(input, MAX_BUNDLE_BYTES)?;
    let opts = input::ReadOptions {
        format: Some(input::InputFormat::Csv),
        column: Some(column.clone()),
        kind,
        skip_invalid: args.skip_invalid,
        refang: !args.no_refang,
        widen: Default::default(),
    };
    let entries = input::read_entries(&text[..], &opts).map_err(|e| Error::from(e).in_file(&name))?;
    report_entries(ctx, &name, &entries, kind, args.verbose)?;
    let mut by_line = LabelColumn::default();
    input::csv::read(&text[..], label_column, &mut by_line).map_err(|e| Error::from(e).in_file(&name))?;
    // A merged duplicate keeps the label of its first occurrence.
    let labels = entries.lines.iter().map(|l| by_line.0.get(l).cloned()).collect();
    Ok((entries, labels))
}

/// The entries to publish and their labels, read the way the flags ask.
fn read_entries(ctx: &Ctx, args: &PublishArgs, kind: KindSetting) -> Result<(Entries, Option<Vec<Option<String>>>)> {
    let labelled = args.labels || args.label_column.is_some();
    let wanted = args.input_format.map(input::InputFormat::from);
    let needed = match args.column {
        Some(_) => input::InputFormat::Csv,
        None => input::InputFormat::Text,
    };
    if labelled && wanted.is_some_and(|f| f != needed) {
        return Err(Error::new(format!(
            "labels are read from {} input, not {}",
            needed.name(),
            wanted.map_or("", |f| f.name())
        ))
        .with_hint("labelled lists are `entry<TAB>label` text lines, or CSV with --column and --label-column"));
    }
    if let (Some(col), Some(label_col)) = (&args.column, &args.label_column) {
        let (e, l) = read_csv_labelled(ctx, args, col, label_col, kind)?;
        return Ok((e, Some(l)));
    }
    if args.labels {
        if args.column.is_some() {
            return Err(Error::new("--labels with --column needs --label-column")
                .with_hint("name the CSV field that holds the labels with --label-column NAME|N"));
        }
        let (e, l) = read_labelled(ctx, args, kind)?;
        return Ok((e, Some(l)));
    }
    let list = crate::cli::ListIn {
        input: args.input.clone(),
        input_format: args.input_format,
        column: args.column.clone(),
        skip_invalid: args.skip_invalid,
        verbose: args.verbose,
        no_refang: args.no_refang,
        widen: Default::default(),
        pad_to: None,
    };
    Ok((read_list(ctx, &list, kind)?, None))
}

fn retired_line(r: &crate::store::Retired) -> String {
    format!(
        "        catalog {} (published {}) is retired: its key is destroyed and queries against it will be refused",
        catalog_name(&r.catalog),
        format_time(r.published)
    )
}

/// The live catalog `--replace` names, found before any work.
fn to_replace(keys: &crate::store::KeyState, id: Option<&str>) -> Result<Option<usize>> {
    let Some(id) = id else { return Ok(None) };
    keys.find(id).map(Some).ok_or_else(|| {
        Error::new(format!(
            "--replace {}: not one of your live catalogs",
            crate::text::shown(id)
        ))
        .with_hint("`cosect catalogs` lists them; give the id or its first 8 or more hex digits")
    })
}

/// Add the new catalog's key to the live ones, and retire the one
/// `--replace` named; `facts` are its kind, entries, labels, created and
/// expires.
fn keep_catalog(
    keys: &mut crate::store::KeyState,
    key: &CatalogKey,
    hash: &[u8; 32],
    facts: (KindSetting, u64, u64, u64, u64),
    replace: Option<usize>,
    note: Option<&str>,
) -> Option<crate::store::Retired> {
    let (kind, entries, labels, created, expires) = facts;
    keys.add(LiveKey {
        sk: key.to_bytes().to_vec().into(),
        key_id: key.key_id().to_vec().into(),
        catalog: hash.to_vec().into(),
        kind: kind.name().into(),
        entries,
        labels,
        published: created,
        expires,
        answered: 0,
        note: note.unwrap_or_default().to_owned(),
    });
    let why = format!("replaced by catalog {}", catalog_name(hash));
    replace.map(|i| keys.retire(i, created, why))
}

/// The age recipients of `--encrypt-to` files, the publisher's own first
/// (so the publisher can inspect what it sent); none without the option.
fn readers(me: &Identity, files: &[PathBuf]) -> Result<Vec<age::x25519::Recipient>> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = vec![me.public().recipient.clone()];
    for f in files {
        out.push(load_peer_arg(f)?.recipient);
    }
    Ok(out)
}

/// Where the catalog goes and in which envelope, checked before any work.
fn destination(args: &PublishArgs) -> Result<(Dest, Envelope)> {
    let dest = Dest::from_arg(args.output.as_deref());
    if let Some(o) = &args.output {
        let inputs: Vec<&Path> = args.input.iter().map(|p| p.as_path()).collect();
        check_distinct(&inputs, &[o])?;
    }
    // A binary catalog goes to a terminal only when asked for with `-o -`.
    let env = match (args.encrypt_to.is_empty(), args.armor) {
        (true, _) => Envelope::Plain,
        (false, false) => Envelope::Age,
        (false, true) => Envelope::Armored,
    };
    fsio::check_dest(&dest, args.force, args.output.is_none() && env != Envelope::Armored)?;
    crate::cli::options::check_wrapped(&dest, env, args.split)?;
    Ok((dest, env))
}

/// The catalog of the user's list (and labels) under `key`.
fn build(ctx: &Ctx, args: &PublishArgs, kind: KindSetting, key: &CatalogKey) -> Result<(Entries, proto::Catalog)> {
    let (entries, labels) = read_entries(ctx, args, kind)?;
    let bar = ctx.bar(entries.len() as u64, "publishing");
    let cat = proto::publish(
        key,
        &entries,
        labels.as_deref(),
        Exec::Parallel,
        &|n| bar.inc(n),
        &mut OsRng,
    )?;
    bar.finish_and_clear();
    Ok((entries, cat))
}

pub fn publish(args: &PublishArgs, ctx: &Ctx) -> Result<()> {
    // Auto unless --kind says otherwise, as for `init`.
    let kind = args.kind.unwrap_or(KindSetting::Auto);
    let (dest, env) = destination(args)?;
    let me = load_identity(&args.id.identity)?;
    let readers = readers(&me, &args.encrypt_to)?;
    let store = open_store(&args.state.state_dir, &me, ctx)?;
    // Before the work: a damaged or foreign key state, or an unknown
    // --replace, stops us here.
    let replace = {
        let keys = store.load_keys(&me)?;
        to_replace(&keys, args.replace.as_deref())?.map(|i| keys.live[i].catalog.clone())
    };
    let key = CatalogKey::generate(&mut OsRng);
    let (entries, cat) = build(ctx, args, kind, &key)?;

    let (trunc, n_labels) = (cat.trunc, cat.n_labels as u64);
    let catalog = Catalog::published(kind, key.key_id().to_vec(), cat);
    // A catalog is public to its clients: signed, not encrypted.
    let public = me.public();
    let to = Addressed::new(new_session(), &me, &public, now(), args.expires);
    let mut sealed = engine::seal_message(Message::Catalog(catalog), &to, Envelope::Plain);
    if !readers.is_empty() {
        sealed = sealed.readable_by(readers, env);
    }
    // Key state and the catalog in one transaction, under the lock: the
    // keys are read again there, so a catalog another process published
    // (or a count it added) meanwhile is kept; on an error or an
    // interrupt the previous key state is put back.
    let facts = (kind, entries.len() as u64, n_labels, to.created, to.expires);
    let mut tx = store.begin(&me)?;
    let mut keys = tx.keys()?;
    let replace = match replace {
        None => None,
        Some(old) => Some(keys.live.iter().position(|k| k.catalog == old).ok_or_else(|| {
            Error::new(format!(
                "--replace: catalog {} was retired by another cosect while this one worked; nothing was written",
                catalog_name(&old)
            ))
            .with_hint("`cosect catalogs` lists the live ones; publish again")
        })?),
    };
    let retired = keep_catalog(&mut keys, &key, &sealed.hash, facts, replace, args.note.as_deref());
    let others: Vec<String> = keys
        .live
        .iter()
        .filter(|k| k.catalog[..] != sealed.hash[..])
        .map(|k| catalog_name(&k.catalog))
        .collect();
    tx.keep(Keep::Keys(&keys))?;
    let shown = write_in_tx(&mut tx, &dest, &sealed, args.force, args.split)?;
    tx.commit()?;
    ctx.say(format!(
        "cosect: catalog {} written to {}: {}",
        catalog_name(&sealed.hash),
        shown,
        describe_entries(&entries, kind)
    ));
    ctx.say(format!(
        "        {trunc} B per entry, {n_labels} labels, signed, {}, expires {}",
        match args.encrypt_to.len() {
            0 => "not encrypted (public to its clients)".to_owned(),
            n => format!("{} to {n} recipient(s) and you", env.describe()),
        },
        format_time(to.expires)
    ));
    if let Some(r) = retired {
        ctx.say(retired_line(&r));
    }
    if !others.is_empty() {
        ctx.say(format!(
            "        your earlier {} {} {} live: each answers the queries made against it until it expires \
             (`cosect catalogs` lists them; `cosect catalogs retire ID` or `publish --replace ID` retires one)",
            if others.len() == 1 { "catalog" } else { "catalogs" },
            others.join(", "),
            if others.len() == 1 { "stays" } else { "stay" },
        ));
    }
    ctx.say("        clients query it with `cosect init --catalog FILE`; answer with `cosect respond QUERY-FILE`");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_split_at_the_first_tab() {
        let (col, labels) = split_labels(b"a.example\tfirst seen 2026-01-02 \nb.example\n# c\tx\n\tonly").unwrap();
        assert_eq!(col, b"a.example\nb.example\n# c\n\n");
        assert_eq!(
            labels,
            vec![
                Some("first seen 2026-01-02".into()),
                None,
                Some("x".into()),
                Some("only".into())
            ]
        );
        assert_eq!(split_labels(b"a\tb\tc").unwrap_err().0, 1);
        assert_eq!(split_labels(b"ok\na\t\xff").unwrap_err().0, 2);
        let long = format!("x\t{}", "y".repeat(MAX_LABEL + 1));
        assert_eq!(split_labels(long.as_bytes()).unwrap_err().0, 1);
    }
}
