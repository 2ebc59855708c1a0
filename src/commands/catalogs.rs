//! `cosect catalogs`: list the live catalogs published from the state
//! directory, or retire one.

use super::*;
use crate::bundle::format_time;
use crate::cli::{CatalogsAction, CatalogsArgs};
use crate::engine::catalog_name;
use crate::store::{Keep, LiveKey};

pub fn catalogs(args: &CatalogsArgs, ctx: &Ctx) -> Result<()> {
    let me = load_identity(&args.store.identity)?;
    let store = open_store(&args.store.state_dir, &me, ctx)?;
    if let Some(CatalogsAction::Retire { catalog }) = &args.action {
        // Under the lock, so that a count or a catalog another process
        // commits meanwhile is not lost.
        let mut tx = store.begin(&me)?;
        let mut keys = tx.keys()?;
        let i = keys.find(catalog).ok_or_else(|| {
            Error::new(format!(
                "{}: not one of your live catalogs",
                crate::text::shown(catalog)
            ))
            .with_hint("`cosect catalogs` lists them; give the id or its first 8 or more hex digits")
        })?;
        let r = keys.retire(i, now(), "retired with `cosect catalogs retire`".into());
        tx.keep(Keep::Keys(&keys))?;
        tx.commit()?;
        ctx.say(format!(
            "cosect: catalog {} retired: its key is destroyed and queries against it will be refused",
            catalog_name(&r.catalog)
        ));
        return Ok(());
    }
    let keys = store.load_keys(&me)?;
    if args.store.json {
        let all: Vec<serde_json::Value> = keys.live.iter().map(json).collect();
        return print_stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&all).expect("JSON to memory")
        ));
    }
    if keys.live.is_empty() {
        ctx.say(format!("cosect: no live catalogs in {}", store.dir().display()));
        return Ok(());
    }
    let head = format!(
        "{:<16}  {:>9}  {:>9}  {:<20}  {:<20}  {:>8}  {}",
        "ID", "ENTRIES", "LABELS", "CREATED", "EXPIRES", "ANSWERED", "NOTE"
    );
    let mut text = format!("{}\n", head.trim_end());
    for k in &keys.live {
        let row = format!(
            "{:<16}  {:>9}  {:>9}  {:<20}  {:<20}  {:>8}  {}",
            catalog_name(&k.catalog),
            k.entries,
            k.labels,
            format_time(k.published),
            format_time(k.expires),
            k.answered,
            crate::text::shown(&k.note)
        );
        text.push_str(row.trim_end());
        text.push('\n');
    }
    print_stdout(&text)
}

fn json(k: &LiveKey) -> serde_json::Value {
    serde_json::json!({
        "id": catalog_name(&k.catalog),
        "kind": k.kind,
        "entries": k.entries,
        "labels": k.labels,
        "created": format_time(k.published),
        "expires": format_time(k.expires),
        "queries_answered": k.answered,
        "note": k.note,
    })
}
