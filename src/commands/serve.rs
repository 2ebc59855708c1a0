//! `cosect serve`: load the identity, the peers and the catalogs, then run
//! the HTTPS carrier (`crate::serve`) until SIGTERM.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use super::*;
use crate::cli::ServeArgs;
use crate::engine::{catalog_name, Expect, Message};
use crate::serve::admit::{self, Admission, Caps};
use crate::serve::audit::{Audit, Tally};
use crate::serve::exchange::App;
use crate::serve::http::{self, Limits, Served, Shared};
use crate::serve::tls;

/// Every `*.pub` file of the peers directory, refusing my own identity.
fn load_peers(dir: &Path, me: &Identity) -> Result<Vec<PublicIdentity>> {
    let name = dir.display().to_string();
    let list = std::fs::read_dir(dir).map_err(|e| fsio::io_error(&name, "cannot read the peers directory", &e))?;
    let mut peers = Vec::new();
    for entry in list.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "pub") {
            let p = load_peer(&path)?;
            if p != me.public() {
                peers.push(p);
            }
        }
    }
    if peers.is_empty() {
        return Err(Error::new(format!("{name}: no peer's public identity (*.pub) in it"))
            .with_hint("put the .pub file of every client allowed to connect there (`cosect peers add NAME FILE` adds one to your peers book)"));
    }
    Ok(peers)
}

/// The catalogs to serve, each checked as a catalog I published.
fn load_catalogs(args: &ServeArgs, me: &Identity, store: &Store) -> Result<Vec<Served>> {
    let mut served = Vec::new();
    for path in &args.catalog {
        // Read once: the served bytes are the bytes the engine checked.
        let (name, bytes) = read_bundle(std::slice::from_ref(path))?;
        let got = receive_bytes(
            me,
            store,
            &name,
            bytes.clone(),
            Expect::Catalog {
                publisher: &me.public(),
            },
        )?;
        let Message::Catalog(_) = got.message else {
            unreachable!("Expect::Catalog yields a catalog")
        };
        served.push(Served {
            name: catalog_name(&got.header.hash),
            hash: got.header.hash,
            bytes: bytes.into(),
        });
    }
    Ok(served)
}

/// Room for the largest request the limits allow: 32 bytes per element,
/// armor's 4/3, and 64 KiB of header and signature.
fn default_max_request(args: &ServeArgs) -> u64 {
    let round1 = if !args.list.input.is_empty() {
        args.max_peer_items
    } else {
        0
    };
    let n = args.max_query_items.max(round1);
    n.saturating_mul(32).saturating_mul(4) / 3 + (64 << 10)
}

fn app(args: &ServeArgs, me: Identity, store: Store) -> App {
    let results = args.results.clone().unwrap_or_else(|| store.dir().join("results"));
    App {
        me,
        store,
        list: (!args.list.input.is_empty()).then(|| args.list.clone()),
        policy: crate::exchange::Policy {
            max_peer_items: args.max_peer_items,
            max_query_items: args.max_query_items,
            budget: args.budget.budget,
            window: args.budget.budget_window.as_secs(),
            max_sessions: Some(args.max_sessions_per_peer),
        },
        expires: args.expires,
        results,
        results_format: args.results_format,
    }
}

/// `--input` is read again for every round 1: a file that exists.
fn check_input(inputs: &[PathBuf]) -> Result<()> {
    for input in inputs {
        if input.as_os_str() == "-" {
            return Err(
                Error::new("--input - (standard input) cannot be read again for every round 1")
                    .with_hint("name a file"),
            );
        }
        std::fs::metadata(input).map_err(|e| fsio::io_error(&shown_path(input), "cannot read --input", &e))?;
    }
    let paths: Vec<&Path> = inputs.iter().map(|p| p.as_path()).collect();
    crate::exchange::list::check_inputs(&paths)
}

/// What the TLS layer calls when a peer's key comes without its proof.
fn claimed(tally: Arc<Tally>, peers: &[PublicIdentity]) -> Box<dyn Fn(&tls::PeerKey) + Send + Sync> {
    let names: HashMap<[u8; 32], String> = peers
        .iter()
        .map(|p| {
            (
                p.ed25519.to_bytes(),
                format!("{} ({})", p.display_name(), p.short_fingerprint()),
            )
        })
        .collect();
    Box::new(move |key: &tls::PeerKey| {
        let who = names.get(key).cloned().unwrap_or_else(|| crate::store::hex(key));
        tally.claimed(who);
    })
}

/// The admission limits (`serve::admit`), from the flags or sized to this
/// machine, and the descriptor limit as raised, for the start line.
fn caps(args: &ServeArgs, max_request: u64) -> (Caps, String) {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (fds, shown) = match admit::raise_descriptor_limit() {
        Some((soft, hard)) => (soft, format!("descriptor limit {soft} of {hard}")),
        None => (1024, "descriptor limit unknown".into()),
    };
    // Room for the state files, the audit log and the listener beside
    // the connections.
    let fit = (fds.saturating_sub(64) / 2).max(16) as usize;
    let max_in_flight = args.max_in_flight.unwrap_or(16 * cores).max(1);
    let caps = Caps {
        max_connections: args.max_connections.unwrap_or(1024).min(fit).max(1),
        per_source: 64,
        rate: 100.0,
        max_in_flight,
        per_peer: args.max_in_flight_per_peer.unwrap_or((max_in_flight / 4).max(1)).max(1),
        body_memory: args
            .max_body_memory
            .unwrap_or((256u64 << 20).max(max_request.saturating_mul(2))),
        workers: cores,
    };
    (caps, shown)
}

pub fn serve(args: &ServeArgs, ctx: &Ctx) -> Result<()> {
    let me = load_identity(&args.id.identity)?;
    // Expired sessions, journal records and catalogs go first.
    let store = open_store(&args.state.state_dir, &me, ctx)?;
    let peers_dir = match &args.peers {
        Some(d) => d.clone(),
        None => super::peers::book_dir()?,
    };
    let peers = load_peers(&peers_dir, &me)?;
    let catalogs = load_catalogs(args, &me, &store)?;
    check_input(&args.list.input)?;
    let audit = Arc::new(Audit::open(args.audit.as_deref())?);
    let tally = Arc::new(Tally::default());
    let tls_cfg = tls::server_config(me.signing_key(), &peers, claimed(tally.clone(), &peers))
        .map_err(|e| Error::new(format!("cannot set up TLS: {e}")))?;
    let limits = Limits {
        timeout: args.timeout,
        max_request: args.max_request.unwrap_or_else(|| default_max_request(args)),
        grace: args.grace,
        audit_every: args.audit_every,
    };
    let (n_peers, n_cat) = (peers.len(), catalogs.len());
    let (caps, fds) = caps(args, limits.max_request);
    let shared = Arc::new(Shared {
        admission: Admission::new(caps),
        app: app(args, me, store),
        audit,
        tally,
        catalogs,
        peers: peers
            .into_iter()
            .map(|p| (p.ed25519.to_bytes(), p))
            .collect::<HashMap<_, _>>(),
        limits,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(format!("cannot start the server: {e}")))?;
    rt.block_on(async {
        let listener = http::bind(args.listen).await?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::new(format!("cannot listen: {e}")))?;
        ctx.say(format!(
            "cosect: serving on https://{addr} for {n_peers} peer(s), {n_cat} catalog(s){}; stop with SIGTERM",
            if !args.list.input.is_empty() {
                ", round 1s answered with --input"
            } else {
                ""
            }
        ));
        ctx.say(format!(
            "        up to {} connections ({fds}), {} requests at once ({} per peer), {} MiB of bodies, \
             {} answered at a time",
            caps.max_connections,
            caps.max_in_flight,
            caps.per_peer,
            caps.body_memory >> 20,
            caps.workers
        ));
        http::serve(listener, Arc::new(tls_cfg), shared, http::termination()).await;
        // A closed stderr must not turn a clean stop into a panic.
        if !ctx.quiet {
            let _ = writeln!(std::io::stderr(), "cosect: stopped");
        }
        Ok(())
    })
}
