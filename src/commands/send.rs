//! `cosect send`: post a bundle to a `cosect serve` over the pinned,
//! mutually authenticated TLS, and write the bundle it returns.

use std::sync::Arc;

use std::path::PathBuf;

use super::*;
use crate::cli::SendArgs;
use crate::fsio::Dest;
use crate::serve::client::{self, Answer};
use crate::serve::tls;

pub fn send(args: &SendArgs, ctx: &Ctx) -> Result<()> {
    if !args.to.is_empty() {
        return send_group(args, ctx);
    }
    let (host, port) = client::parse_url(&args.url)?;
    let peer = args
        .peer
        .as_deref()
        .ok_or_else(|| Error::new("--peer FILE is required").with_hint("name the server's public identity file"))?;
    let (me, server) = load_pair(&args.id.identity, peer, "the server's")?;
    let dest = Dest::from_arg(args.output.as_deref());
    if let Some(o) = &args.output {
        let mut inputs: Vec<&Path> = args.bundle.iter().map(|p| p.as_path()).collect();
        inputs.push(peer);
        check_distinct(&inputs, &[o])?;
    }
    fsio::check_dest(&dest, args.force, args.output.is_none())?;
    // Parts are joined here, as every offline verb joins them: the server
    // receives the whole bundle.
    let (name, body) = match (args.fetch_catalog.as_deref(), args.bundle.as_slice()) {
        (Some(""), _) => ("a request for its newest catalog".to_owned(), Vec::new()),
        (Some(id), _) => (format!("a request for catalog {}", crate::text::shown(id)), Vec::new()),
        (None, [one]) if one.as_os_str() == "-" => (shown_path(one), fsio::read_input(one, MAX_BUNDLE_BYTES)?),
        (None, paths) => read_bundle(paths)?,
    };
    let cfg =
        tls::client_config(me.signing_key(), &server).map_err(|e| Error::new(format!("cannot set up TLS: {e}")))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(format!("cannot start the client: {e}")))?;
    let cfg = Arc::new(cfg);
    let answer = match args.fetch_catalog.as_deref() {
        Some(id) => {
            let path = match id {
                "" => "/v1/catalog".to_owned(),
                id => format!("/v1/catalog/{id}"),
            };
            rt.block_on(client::get(&host, port, cfg, &path, args.timeout))?
        }
        None => rt.block_on(client::post(&host, port, cfg, body, args.timeout))?,
    };
    let who = format!("{} ({})", server.display_name(), server.short_fingerprint());
    match answer {
        Answer::Bundle(b) if args.fetch_catalog.is_some() => {
            // Named by its one id, as `publish` and `inspect` name it.
            let id = crate::bundle::Opened::open(b.clone(), Some(&me))
                .map(|o| crate::engine::catalog_name(&o.hash))
                .ok();
            fsio::write_atomic(&dest, &b, args.force, false)?;
            ctx.say(match id {
                Some(id) => format!(
                    "cosect: catalog {id} from {who} written to {}; look your list up in it with \
                     `cosect init --catalog FILE`",
                    dest.display()
                ),
                None => format!(
                    "cosect: sent {name} to {who}; what it returned written to {}",
                    dest.display()
                ),
            });
        }
        Answer::Bundle(b) => {
            fsio::write_atomic(&dest, &b, args.force, false)?;
            ctx.say(format!(
                "cosect: sent {name} to {who}; its answer written to {}",
                dest.display()
            ));
        }
        Answer::Finished => ctx.say(format!(
            "cosect: sent {name} to {who}; the server finished the exchange, there is no bundle to return"
        )),
    }
    Ok(())
}

/// One `--to PUBLISHER=URL`.
fn parse_to(to: &str) -> Result<(&str, &str)> {
    match to.find("=https://") {
        Some(i) if i > 0 => Ok((&to[..i], &to[i + 1..])),
        _ => Err(
            Error::new(format!("--to {}: not PUBLISHER=URL", crate::text::shown(to))).with_hint(
                "name the publisher (its name, fingerprint or query file) and its server, e.g. \
                 --to \"ACME CERT=https://203.0.113.5:8443\"",
            ),
        ),
    }
}

/// Whether `key` names group member `m` of publisher `p`: its query file
/// (with or without `.query`, with or without a directory), its name or
/// its short fingerprint, ignoring case.
fn names(key: &str, m: &crate::store::Member, p: &PublicIdentity) -> bool {
    let key = key.trim().to_lowercase();
    let base = key.rsplit('/').next().unwrap_or(&key);
    let file = m.file.to_lowercase();
    base == file
        || Some(base) == file.strip_suffix(".query")
        || key == p.name.to_lowercase()
        || key == p.short_fingerprint()
}

/// `send DIR --to PUBLISHER=URL …`: post each named publisher's query of
/// the sightings group written into DIR to its server (TLS pinned to that
/// publisher's identity, from the group record), at once, and write each
/// answer beside its query. An answer already there is not asked again
/// without --force.
fn send_group(args: &SendArgs, ctx: &Ctx) -> Result<()> {
    let dir = PathBuf::from(&args.url);
    let me = load_identity(&args.id.identity)?;
    let store = open_store(&args.state.state_dir, &me, ctx)?;
    let want = std::fs::canonicalize(&dir).map_err(|e| fsio::io_error(&shown_path(&dir), "cannot read", &e))?;
    let group = store
        .groups(&me)?
        .into_iter()
        .find(|g| std::fs::canonicalize(&g.dir).is_ok_and(|d| d == want))
        .ok_or_else(|| {
            Error::new(format!(
                "{}: no open sightings group of yours was written there",
                shown_path(&dir)
            ))
            .with_hint("`cosect sessions` lists your open groups and their directories (the same -i and --state-dir)")
        })?;
    let members: Vec<(usize, PublicIdentity)> = group
        .members
        .iter()
        .enumerate()
        .filter_map(|(i, m)| PublicIdentity::parse_line(&m.publisher).ok().map(|p| (i, p)))
        .collect();
    // Each --to names exactly one publisher of the group, and each at most once.
    let mut posts: Vec<(usize, String, u16)> = Vec::new();
    for to in &args.to {
        let (key, url) = parse_to(to)?;
        let hits: Vec<&(usize, PublicIdentity)> = members
            .iter()
            .filter(|(i, p)| names(key, &group.members[*i], p))
            .collect();
        let (i, _) = match hits[..] {
            [one] => one,
            [] => {
                return Err(Error::new(format!(
                    "--to {}: no publisher of group {} is named so",
                    crate::text::shown(key),
                    &crate::store::hex(&group.id)[..8]
                ))
                .with_hint("name it by its name, its fingerprint or its query file, as `cosect sessions` lists them"))
            }
            _ => {
                return Err(Error::new(format!(
                    "--to {}: {} publishers of the group are named so",
                    crate::text::shown(key),
                    hits.len()
                ))
                .with_hint("name it by its query file or its fingerprint"))
            }
        };
        if posts.iter().any(|(j, ..)| j == i) {
            return Err(Error::new(format!(
                "--to {}: that publisher is named twice",
                crate::text::shown(key)
            ))
            .with_hint("give one --to per publisher"));
        }
        let (host, port) = client::parse_url(url)?;
        posts.push((*i, host, port));
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(format!("cannot start the client: {e}")))?;
    let mut tasks = tokio::task::JoinSet::new();
    let mut skipped = Vec::new();
    for (i, host, port) in posts {
        let m = &group.members[i];
        let p = members
            .iter()
            .find(|(j, _)| *j == i)
            .map(|(_, p)| p.clone())
            .expect("matched above");
        let query = dir.join(&m.file);
        let answer = dir.join(super::sightings::answer_file(&m.file));
        if m.answered.is_some() {
            skipped.push(format!("{}: already answered and finished", m.file));
            continue;
        }
        if answer.exists() && !args.force {
            skipped.push(format!("{} exists (pass --force to ask again)", shown_path(&answer)));
            continue;
        }
        let body = read_bundle_file(&query)?;
        let cfg =
            tls::client_config(me.signing_key(), &p).map_err(|e| Error::new(format!("cannot set up TLS: {e}")))?;
        let (cfg, timeout) = (Arc::new(cfg), args.timeout);
        tasks.spawn_on(
            async move {
                let r = client::post(&host, port, cfg, body, timeout).await;
                (p, query, answer, r)
            },
            rt.handle(),
        );
    }
    let done = rt.block_on(async {
        let mut done = Vec::new();
        while let Some(r) = tasks.join_next().await {
            done.push(r);
        }
        done
    });
    for s in &skipped {
        ctx.say(format!("cosect: not sent: {s}"));
    }
    let mut failed = Vec::new();
    for r in done {
        let (p, query, answer, r) = r.map_err(|e| Error::new(format!("a post failed: {e}")))?;
        let who = format!("{} ({})", p.display_name(), p.short_fingerprint());
        match r {
            Ok(Answer::Bundle(b)) => {
                fsio::write_atomic(&Dest::File(answer.clone()), &b, args.force, false)?;
                ctx.say(format!(
                    "cosect: sent {} to {who}; its answer written to {}",
                    shown_path(&query),
                    shown_path(&answer)
                ));
            }
            Ok(Answer::Finished) => failed.push(format!("{who} returned no answer")),
            Err(e) => failed.push(format!("{who}: {e}")),
        }
    }
    match failed.len() {
        0 => {
            ctx.say(format!(
                "        finish with `cosect finish {}/*.answer`",
                shown_path(&dir)
            ));
            Ok(())
        }
        _ => Err(Error::new(format!("not answered: {}", failed.join("; ")))
            .with_hint("send again to ask them: an answer already written beside its query is not asked again")),
    }
}
