//! `cosect sessions`: list the open sessions and catalog queries of the
//! state directory, or cancel one.

use super::*;
use crate::bundle::format_time;
use crate::cli::{SessionsAction, SessionsArgs};
use crate::store::{hex, Info, Listed};

pub fn sessions(args: &SessionsArgs, ctx: &Ctx) -> Result<()> {
    let me = load_identity(&args.store.identity)?;
    let store = open_store(&args.store.state_dir, &me, ctx)?;
    if let Some(SessionsAction::Cancel { session }) = &args.action {
        let info = store.cancel(session, &me, now())?;
        ctx.say(format!(
            "cosect: session {} ({}, {}) cancelled: its state and secrets are destroyed",
            &hex(&info.id)[..8.min(info.id.len() * 2)],
            info.role,
            peer_shown(&info)
        ));
        return Ok(());
    }
    let listed = store.list(&me)?;
    if args.store.json {
        let all: Vec<serde_json::Value> = listed.iter().map(json).collect();
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
