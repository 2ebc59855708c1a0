//! `cosect send`: post a bundle to a `cosect serve` over the pinned,
//! mutually authenticated TLS, and write the bundle it returns.

use std::sync::Arc;

use super::*;
use crate::cli::SendArgs;
use crate::fsio::Dest;
use crate::serve::client::{self, Answer};
use crate::serve::tls;

pub fn send(args: &SendArgs, ctx: &Ctx) -> Result<()> {
    let (host, port) = client::parse_url(&args.url)?;
    let (me, server) = load_pair(&args.id.identity, &args.peer, "the server's")?;
    let dest = Dest::from_arg(args.output.as_deref());
    if let Some(o) = &args.output {
        let mut inputs: Vec<&Path> = args.bundle.iter().map(|p| p.as_path()).collect();
        inputs.push(&args.peer);
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
