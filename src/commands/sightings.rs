//! Sightings: one list against several publishers' catalogs in one step.
//! `init --catalog A --catalog B …` makes one ordinary catalog query per
//! catalog (each for its own publisher, blinded under that catalog's key),
//! writes them into a directory named after their publishers, and keeps a
//! group record beside the queries; `finish` with any of the answers adds
//! them to the group and reports which publishers hold each entry.

use std::path::{Path, PathBuf};

use super::finish::{written_to, Outputs};
use super::*;
use crate::bundle::format_time;
use crate::cli::{FinishArgs, InitArgs, ModeArg};
use crate::engine::{self, catalog_name, CatalogAnswer};
use crate::fsio::Dest;
use crate::group::Exec;
use crate::sightings::{Answered, Holding, Publisher, Report};
use crate::store::{hex, GroupState, Held, Keep, Member, QueryState, GROUP_VERSION};

/// The query file of a publisher in the group's directory:
/// `<name>-<catalog id, 8 hex digits>.query`, the name reduced to letters,
/// digits, `.`, `_` and `-` (two publishers of one name are told apart by
/// their catalogs' ids).
pub fn query_file(publisher: &PublicIdentity, catalog: &[u8]) -> String {
    let mut name = String::new();
    for c in publisher.name.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            c.to_ascii_lowercase()
        } else {
            '-'
        };
        if !(c == '-' && (name.is_empty() || name.ends_with('-'))) {
            name.push(c);
        }
        if name.len() >= 40 {
            break;
        }
    }
    let name = name.trim_matches(|c| c == '-' || c == '.');
    let name = if name.is_empty() { "publisher" } else { name };
    format!("{name}-{}.query", &catalog_name(catalog)[..8])
}

/// `X.answer` beside `X.query`.
pub fn answer_file(query_file: &str) -> String {
    format!("{}.answer", query_file.strip_suffix(".query").unwrap_or(query_file))
}

/// The group's directory: `-o DIR`, new or empty (or `--force`).
fn check_dir(args: &InitArgs) -> Result<PathBuf> {
    let Some(dir) = args.out.output.clone().filter(|o| o.as_os_str() != "-") else {
        return Err(
            Error::new("a query against several catalogs writes one file per publisher")
                .with_hint("name a new directory for them with -o DIR"),
        );
    };
    if args.out.wrap.split.is_some() {
        return Err(
            Error::new("--split applies to one bundle, not to the queries of several catalogs")
                .with_hint("drop --split: the queries of a sightings group are written whole"),
        );
    }
    if args.mode != ModeArg::Mutual {
        return Err(Error::new("--mode does not apply to a catalog query").with_hint("drop --mode"));
    }
    let shown = dir.display();
    match std::fs::read_dir(&dir).map(|mut rd| rd.next().is_some()) {
        Ok(true) if !args.out.wrap.force => Err(Error::new(format!("{shown}: the directory exists and is not empty"))
            .with_hint("choose a new directory, or pass --force to write the queries into it")),
        Ok(_) => Ok(dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(dir),
        Err(_) if dir.exists() => Err(Error::new(format!("{shown}: not a directory"))
            .with_hint("name a new directory for the queries with -o DIR")),
        Err(e) => Err(fsio::io_error(&shown.to_string(), "cannot read", &e)),
    }
}

/// `init --catalog A --catalog B …`: one query per catalog, written into a
/// directory, and the group record, in one transaction.
pub fn init(args: &InitArgs, ctx: &Ctx, catalogs: Vec<Given>) -> Result<()> {
    let dir = check_dir(args)?;
    let mut inputs = need_input(&args.list)?;
    inputs.extend(args.peer.iter().map(|p| p.as_path()));
    inputs.extend(args.catalog.iter().map(|p| p.as_path()));
    check_distinct(&inputs, &[&dir])?;
    let env = envelope(&args.out.wrap);
    let me = load_identity(&args.id.identity)?;
    let mut publishers: Vec<PublicIdentity> = Vec::new();
    for p in &args.peer {
        let peer = load_peer(p)?;
        if peer == me.public() {
            return Err(Error::new(format!("{}: this is your own public identity", p.display()))
                .with_hint("pass each catalog publisher's public identity with --peer"));
        }
        if !publishers.contains(&peer) {
            publishers.push(peer);
        }
    }
    let store = open_store(&args.state.state_dir, &me, ctx)?;
    let party = crate::exchange::Party { me: &me, store: &store };
    let mut made: Vec<(usize, super::query::Made)> = Vec::new();
    let mut used = vec![false; publishers.len()];
    let mut lists = super::query::Lists::default();
    for (name, bytes, paths) in catalogs {
        let (i, got) = party.read_catalog_by(&name, bytes, &publishers)?;
        if made.iter().any(|(_, m)| m.catalog.0 == got.header.hash) {
            return Err(Error::new(format!(
                "{name}: catalog {} is given twice",
                catalog_name(&got.header.hash)
            ))
            .with_hint("pass each catalog once"));
        }
        used[i] = true;
        made.push((
            i,
            super::query::make(args, ctx, &me, &publishers[i], got, &paths, env, &mut lists)?,
        ));
    }
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(Error::new(format!(
            "--peer {}: {} ({}) signed none of the catalogs given",
            args.peer[i].display(),
            publishers[i].display_name(),
            publishers[i].short_fingerprint()
        ))
        .with_hint("pass with --peer only the publishers of the catalogs you give with --catalog"));
    }

    let now = now();
    let dir_abs = std::fs::canonicalize(
        dir.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )
    .map(|p| p.join(dir.file_name().unwrap_or_default()))
    .unwrap_or_else(|_| dir.clone());
    let members: Vec<Member> = made
        .iter()
        .map(|(i, m)| Member {
            query: m.state.id.clone(),
            publisher: publishers[*i].line(),
            catalog: m.catalog.0.to_vec().into(),
            labelled: m.catalog.2,
            file: query_file(&publishers[*i], &m.catalog.0),
            answered: None,
            held: Vec::new(),
        })
        .collect();
    let group = GroupState {
        version: GROUP_VERSION,
        id: new_session().to_vec().into(),
        dir: dir_abs.display().to_string(),
        entries: made.first().map_or(0, |(_, m)| m.state.entries.len() as u64),
        members,
        created: now,
        expires: made.iter().map(|(_, m)| m.state.expires).max().unwrap_or(now),
    };

    let created = !dir.exists();
    if created {
        std::fs::create_dir(&dir).map_err(|e| fsio::io_error(&dir.display().to_string(), "cannot create", &e))?;
    }
    let written = (|| {
        let mut tx = store.begin(&me)?;
        for ((_, m), member) in made.iter().zip(&group.members) {
            tx.keep(Keep::Query(&m.state))?;
            let dest = Dest::File(dir.join(&member.file));
            write_in_tx(&mut tx, &dest, &m.sealed, args.out.wrap.force, None)?;
        }
        tx.keep(Keep::Group(&group))?;
        tx.commit()
    })();
    if let Err(e) = written {
        if created {
            let _ = std::fs::remove_dir(&dir);
        }
        return Err(e);
    }

    ctx.say(format!(
        "cosect: sightings group {}: {} catalog queries written to {}",
        &hex(&group.id)[..8],
        made.len(),
        dir.display()
    ));
    for ((i, m), member) in made.iter().zip(&group.members) {
        let p = &publishers[*i];
        ctx.say(format!(
            "        {} for {} ({}): catalog {} ({} entries{}), {} elements",
            member.file,
            p.display_name(),
            p.short_fingerprint(),
            catalog_name(&m.catalog.0),
            m.catalog.1,
            if m.catalog.2 { ", labelled" } else { "" },
            m.n_points
        ));
    }
    if let Some((_, m)) = made.first() {
        ctx.say(format!(
            "        {}, {}, expires {}",
            m.described,
            env.describe(),
            format_time(made.iter().map(|(_, m)| m.expires).min().unwrap_or(m.expires))
        ));
    }
    ctx.say("        send each query to its publisher; finish with `cosect finish ANSWER…` (any of the answers)");
    Ok(())
}

/// One answer of a group, checked by the engine, with its query's state.
pub struct GroupAnswer {
    pub name: String,
    pub answer: CatalogAnswer,
    pub state: QueryState,
}

/// `finish` given several bundles: each must answer a query of one and the
/// same sightings group.
pub fn finish_many(
    args: &FinishArgs,
    ctx: &Ctx,
    (me, store): (&Identity, &Store),
    out: &Outputs,
    bundles: Vec<(String, Vec<u8>)>,
) -> Result<()> {
    let party = crate::exchange::Party { me, store };
    let mut answers: Vec<GroupAnswer> = Vec::new();
    let mut group: Option<(String, GroupState)> = None;
    for (name, bytes) in bundles {
        let got = party.read(&name, bytes, engine::Expect::Answer)?;
        let (engine::Message::CatalogAnswer(answer), engine::Kept::Query(state)) = (got.message, got.kept) else {
            return Err(not_of_group(&name));
        };
        let Some(g) = store.group_of(&state.id, me)? else {
            return Err(not_of_group(&name));
        };
        if let Some((first, earlier)) = &group {
            if earlier.id != g.id {
                return Err(Error::new(format!(
                    "{name}: this answer is of sightings group {}, {first} of group {}",
                    &hex(&g.id)[..8],
                    &hex(&earlier.id)[..8]
                ))
                .with_hint("finish the answers of one group at a time"));
            }
        }
        if let Some(a) = answers.iter().find(|a| a.state.id == state.id) {
            return Err(Error::new(format!("{name}: this answers the same query as {}", a.name))
                .with_hint("pass each answer once"));
        }
        if group.is_none() {
            group = Some((name.clone(), g));
        }
        answers.push(GroupAnswer { name, answer, state });
    }
    let (_, g) = group.expect("finish_many has at least two bundles");
    finish(args, ctx, (me, store), out, &g.id, answers)
}

fn not_of_group(name: &str) -> Error {
    Error::new(format!(
        "{name}: this is not an answer of a sightings group, and `finish` takes several bundles only as \
         the answers of one group"
    ))
    .with_hint("finish other bundles one at a time (the parts of one bundle are joined)")
}

/// What the answer's publisher holds of the user's entries.
fn held(args: &FinishArgs, ctx: &Ctx, me: &Identity, a: GroupAnswer) -> Result<Vec<Held>> {
    let (cat_name, _, cat) = super::lookup::queried_catalog(&args.catalog, me, &a.state)?;
    let GroupAnswer { name, answer, state } = a;
    let QueryState { client, entries, .. } = state;
    let lookup = client
        .finish(&answer.points, &answer.proofs, &cat.view(), Exec::Parallel)
        .map_err(|e| Error::from(e).in_file(&name))?;
    if lookup.bad_labels > 0 {
        ctx.warn(format!(
            "{} label(s) in {cat_name} did not decrypt and are left out (damaged catalog?)",
            lookup.bad_labels
        ));
    }
    Ok(lookup
        .found
        .iter()
        .map(|f| {
            let s = entries.shared(f.index);
            Held {
                index: f.index as u64,
                kind: s.kind.to_owned(),
                value: s.value.to_owned(),
                source: s.source.map(str::to_owned),
                label: f.label.as_deref().map(crate::text::escape),
            }
        })
        .collect())
}

/// A group member as the report names it.
fn publisher_of(m: &Member) -> Publisher {
    let (name, fingerprint, key) = match PublicIdentity::parse_line(&m.publisher) {
        Ok(p) => (p.display_name(), p.short_fingerprint(), p.fingerprint().to_vec()),
        Err(_) => ("unknown publisher".into(), String::new(), Vec::new()),
    };
    Publisher {
        name,
        fingerprint,
        catalog: catalog_name(&m.catalog),
        key,
    }
}

/// The report of everything the group has received.
pub fn report(g: &GroupState, min_seen: u64) -> Report<'_> {
    let members = g
        .members
        .iter()
        .map(|m| Answered {
            publisher: publisher_of(m),
            held: m.answered.map(|_| {
                m.held
                    .iter()
                    .map(|h| Holding {
                        index: h.index,
                        kind: &h.kind,
                        value: &h.value,
                        source: h.source.as_deref(),
                        label: h.label.as_deref(),
                    })
                    .collect()
            }),
        })
        .collect();
    Report::build(hex(&g.id)[..16].to_owned(), g.entries, members, min_seen)
}

/// Add the answers to group `id` and write the report of all it has
/// received, in one transaction: the group is re-read under the lock, so
/// answers finished at once by several processes are each added once.
pub fn finish(
    args: &FinishArgs,
    ctx: &Ctx,
    (me, store): (&Identity, &Store),
    out: &Outputs,
    id: &[u8],
    answers: Vec<GroupAnswer>,
) -> Result<()> {
    if args.reply.is_some() {
        return Err(Error::new("a catalog answer needs no reply").with_hint("drop --reply"));
    }
    if !args.catalog.is_empty() && answers.len() > 1 {
        return Err(Error::new("--catalog names the catalog of one answer")
            .with_hint("finish the answer whose catalog moved alone, with --catalog FILE"));
    }
    let mut done = Vec::with_capacity(answers.len());
    for a in answers {
        let (name, query) = (a.name.clone(), a.state.id.to_vec());
        done.push((name, query, held(args, ctx, me, a)?));
    }
    let mut tx = store.begin(me)?;
    let Some(mut g) = tx.group(id)? else {
        if let Some((name, query, _)) = done.iter().find(|(_, q, _)| !tx.query_open(q)) {
            return Err(Error::new(format!(
                "{name}: catalog query {} was finished by another cosect while this one worked, \
                 and its group is complete; nothing was written",
                &hex(query)[..8]
            ))
            .with_hint("the other command wrote the report; cosect keeps no copy of it"));
        }
        return Err(Error::new(format!(
            "sightings group {} was cancelled or expired while this cosect worked; nothing was written",
            &hex(id)[..8]
        ))
        .with_hint("`cosect sessions` lists what is still open"));
    };
    let mut added = Vec::new();
    for (name, query, held) in done {
        let Some(i) = g.member(&query) else {
            return Err(not_of_group(&name));
        };
        let m = &mut g.members[i];
        if m.answered.is_some() {
            // Added by another cosect while this one worked: once only.
            ctx.say(format!(
                "cosect: {name}: its answer was added to the group by another cosect meanwhile; counted once"
            ));
            continue;
        }
        if !tx.query_open(&query) {
            return Err(Error::new(format!(
                "{name}: catalog query {} was cancelled by another cosect while this one worked; nothing was written",
                &hex(&query)[..8]
            ))
            .with_hint("`cosect sessions` lists what is still open"));
        }
        m.answered = Some(now());
        m.held = held;
        tx.end_query(&query)?;
        added.push(publisher_of(m).shown());
    }
    let r = report(&g, args.min_seen.unwrap_or(1));
    let mine = me.public();
    let who = crate::output::Who {
        me: crate::output::Party {
            name: &mine.name,
            fingerprint: &mine.fingerprint(),
        },
        // Unused for a group: each publisher is named with its sighting.
        peer: crate::output::Party {
            name: "",
            fingerprint: &[],
        },
        whence: crate::output::Whence::Sightings,
        session: &g.id,
        // The report's time: its latest answer's, so that the same answers
        // are always the same bytes.
        time: g.members.iter().filter_map(|m| m.answered).max().unwrap_or(g.created),
    };
    let (text, left_out) = r.render(args.format, &who);
    super::finish::left_out_warning(ctx, args.format, left_out);
    tx.write(&out.results, (args.wrap.force, true), |w| w.write_all(&text))?;
    let (covers, pending, seen) = (r.covers.len(), Report::names(&r.pending), r.entries.len());
    let min = r.min_seen;
    drop(r);
    // Complete when every publisher has answered, or had its query
    // cancelled by hand (`sessions cancel QUERY`): nothing more can come.
    let complete = g
        .members
        .iter()
        .all(|m| m.answered.is_some() || !tx.query_open(&m.query));
    if complete {
        tx.end_group(id)?;
    } else {
        tx.keep(Keep::Group(&g))?;
    }
    tx.commit()?;
    ctx.say(format!(
        "cosect: sightings group {}: added {}; the report covers {covers} of {} publishers: \
         {seen} of your {} entries seen by at least {min}{}",
        &hex(id)[..8],
        if added.is_empty() {
            "nothing new".to_owned()
        } else {
            added.join(", ")
        },
        g.members.len(),
        g.entries,
        written_to(&out.results)
    ));
    if complete {
        ctx.say("        no answer is awaited any more: the group is finished and its state destroyed");
    } else {
        ctx.say(format!(
            "        pending: {pending}; a later `cosect finish` with their answers adds them"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> PublicIdentity {
        let id = Identity::parse(include_str!("../../testdata/vectors/alice.id")).unwrap();
        PublicIdentity {
            name: name.into(),
            ..id.public()
        }
    }

    #[test]
    fn query_files_are_safe_names_that_say_whose() {
        let cat = [0xab; 32];
        for (name, file) in [
            ("ACME CERT", "acme-cert-abababab.query"),
            ("../../etc/passwd", "etc-passwd-abababab.query"),
            ("..", "publisher-abababab.query"),
            ("", "publisher-abababab.query"),
            ("Ärzte CERT / Süd", "rzte-cert-s-d-abababab.query"),
            ("a\u{1b}[31mb", "a-31mb-abababab.query"),
        ] {
            assert_eq!(query_file(&named(name), &cat), file, "{name:?}");
        }
        let long = query_file(&named(&"x".repeat(300)), &cat);
        assert!(long.len() < 60, "{long}");
        assert_eq!(answer_file("acme-cert-abababab.query"), "acme-cert-abababab.answer");
    }
}
