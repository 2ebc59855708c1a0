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
        let info = store.cancel(session, &me)?;
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
        "{:<8}  {:<14}  {:<36}  {:<14}  {:<20}  {:<20}",
        "ID", "ROLE", "PEER", "AWAITS", "CREATED", "EXPIRES"
    );
    let mut text = format!("{}\n", head.trim_end());
    for l in &listed {
        text.push_str(row(l).trim_end());
        text.push('\n');
    }
    print_stdout(&text)
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
            "{:<8}  {:<14}  {:<36}  {:<14}  {:<20}  {:<20}\n",
            &hex(&i.id)[..8.min(i.id.len() * 2)],
            i.role,
            peer_shown(i),
            i.awaited,
            format_time(i.created),
            format_time(i.expires)
        ),
        Err(e) => format!("?         {e}\n"),
    }
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
                "expires": format_time(i.expires),
                "file": l.path.display().to_string(),
            })
        }
        Err(e) => serde_json::json!({
            "file": l.path.display().to_string(),
            "error": e.to_string(),
        }),
    }
}
