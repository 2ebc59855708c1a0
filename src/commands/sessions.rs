//! `cosect sessions`: list the open sessions and catalog queries of the
//! state directory, or cancel one.

use super::*;
use crate::bundle::format_time;
use crate::cli::{SessionsAction, SessionsArgs};
use crate::store::{hex, GroupState, Info, Listed};

pub fn sessions(args: &SessionsArgs, ctx: &Ctx) -> Result<()> {
    let me = load_identity(&args.store.identity)?;
    let store = open_store(&args.store.state_dir, &me, ctx)?;
    if let Some(SessionsAction::Cancel { session }) = &args.action {
        let info = store.cancel(session, &me, now())?;
        if info.role == "sightings" {
            ctx.say(format!(
                "cosect: sightings group {} cancelled: its open queries, their state and secrets are destroyed",
                &hex(&info.id)[..8.min(info.id.len() * 2)]
            ));
            return Ok(());
        }
        ctx.say(format!(
            "cosect: session {} ({}, {}) cancelled: its state and secrets are destroyed",
            &hex(&info.id)[..8.min(info.id.len() * 2)],
            info.role,
            peer_shown(&info)
        ));
        return Ok(());
    }
    let listed = store.list(&me)?;
    // A sightings group is one row; its queries are listed under it.
    let groups = store.groups(&me)?;
    let listed: Vec<Listed> = listed
        .into_iter()
        .filter(|l| {
            l.info
                .as_ref()
                .map_or(true, |i| !groups.iter().any(|g| g.member(&i.id).is_some()))
        })
        .collect();
    let group_of = |l: &Listed| {
        l.info.as_ref().ok().and_then(|i| {
            groups
                .iter()
                .find(|g| g.id == i.id && l.path == store.group_path(&g.id))
        })
    };
    if args.store.json {
        let all: Vec<serde_json::Value> = listed
            .iter()
            .map(|l| match group_of(l) {
                Some(g) => group_json(l, g),
                None => json(l),
            })
            .collect();
        return print_stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&all).expect("JSON to memory")
        ));
    }
    if listed.is_empty() {
        ctx.say(format!("cosect: no open sessions in {}", store.dir().display()));
        return Ok(());
    }
    let head = format!(
        "{:<8}  {:<14}  {:<36}  {:<14}  {:<20}  {:<20}  {}",
        "ID", "ROLE", "PEER", "AWAITS", "CREATED", "ANSWER BY", "NOTE"
    );
    let mut text = format!("{}\n", head.trim_end());
    for l in &listed {
        text.push_str(row(l).trim_end());
        text.push('\n');
        if let Some(g) = group_of(l) {
            text.push_str(&group_lines(&store, g));
        }
    }
    print_stdout(&text)
}

/// When the awaited answer must be made by (the bundle sent expires then).
fn answer_by(i: &Info) -> String {
    match i.answer_by {
        0 => "-".into(),
        t => format_time(t),
    }
}

/// `Name (fingerprint)` of the session's peer.
fn peer_shown(i: &Info) -> String {
    if i.role == "sightings" {
        return "several publishers (below)".into();
    }
    match PublicIdentity::parse_line(&i.peer) {
        Ok(p) => format!("{} ({})", p.display_name(), p.short_fingerprint()),
        Err(_) => "unknown peer".into(),
    }
}

fn row(l: &Listed) -> String {
    match &l.info {
        Ok(i) => format!(
            "{:<8}  {:<14}  {:<36}  {:<14}  {:<20}  {:<20}  {}\n",
            &hex(&i.id)[..8.min(i.id.len() * 2)],
            i.role,
            peer_shown(i),
            i.awaited,
            format_time(i.created),
            answer_by(i),
            crate::text::shown(&i.note)
        ),
        Err(_) if l.foreign => format!(
            "{:<8}  belongs to another identity: its state is encrypted to another identity file than -i; \
             use that identity, or cancel it\n",
            short_id(l)
        ),
        Err(e) => format!("{:<8}  {e}\n", short_id(l)),
    }
}

/// The first 8 hex digits of the id a state file is named after.
fn short_id(l: &Listed) -> String {
    let stem = l
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    stem.chars().take(8).collect()
}

fn json(l: &Listed) -> serde_json::Value {
    match &l.info {
        Ok(i) => {
            let peer = PublicIdentity::parse_line(&i.peer).ok();
            serde_json::json!({
                "id": hex(&i.id),
                "role": i.role,
                "peer_name": peer.as_ref().map(|p| p.display_name()),
                "peer_fingerprint": peer.as_ref().map(|p| p.short_fingerprint()),
                "awaits": i.awaited,
                "kind": i.kind,
                "created": format_time(i.created),
                "answer_by": (i.answer_by != 0).then(|| format_time(i.answer_by)),
                "kept_until": format_time(i.expires),
                "note": i.note,
                "file": l.path.display().to_string(),
            })
        }
        Err(e) => serde_json::json!({
            "file": l.path.display().to_string(),
            "other_identity": l.foreign,
            "error": e.to_string(),
        }),
    }
}

/// Under a sightings group's row, one line per publisher: answered, or
/// the query that awaits its answer.
fn group_lines(store: &Store, g: &GroupState) -> String {
    let mut out = String::new();
    for m in &g.members {
        let who = match PublicIdentity::parse_line(&m.publisher) {
            Ok(p) => format!("{} ({})", p.display_name(), p.short_fingerprint()),
            Err(_) => "unknown publisher".into(),
        };
        let state = match m.answered {
            Some(at) => format!("answered {}", format_time(at)),
            None if !store.query_path(&m.query).exists() => format!("its query {} was cancelled", &hex(&m.query)[..8]),
            None => format!("awaits its answer to {} (query {})", m.file, &hex(&m.query)[..8]),
        };
        out.push_str(&format!("          - {who}: {state}\n"));
    }
    out
}

fn group_json(l: &Listed, g: &GroupState) -> serde_json::Value {
    let publishers: Vec<serde_json::Value> = g
        .members
        .iter()
        .map(|m| {
            let p = PublicIdentity::parse_line(&m.publisher).ok();
            serde_json::json!({
                "name": p.as_ref().map(|p| p.display_name()),
                "fingerprint": p.as_ref().map(|p| p.short_fingerprint()),
                "catalog": crate::engine::catalog_name(&m.catalog),
                "query": hex(&m.query),
                "query_file": m.file,
                "answered": m.answered.map(format_time),
            })
        })
        .collect();
    let answered = g.members.iter().filter(|m| m.answered.is_some()).count();
    serde_json::json!({
        "id": hex(&g.id),
        "role": "sightings",
        "publishers": publishers,
        "answered": answered,
        "awaits": format!("{} of {} answers", g.members.len() - answered, g.members.len()),
        "dir": g.dir,
        "created": format_time(g.created),
        "expires": format_time(g.expires),
        "file": l.path.display().to_string(),
    })
}
