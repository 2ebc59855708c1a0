//! Command-line definitions (clap). Also the source of the man pages.

pub mod options;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::input::csv::Column;
use crate::input::{InputFormat, Kind, KindSetting};
use crate::output::Format;
use crate::protocol::Mode;

/// Default cap on the initiator's set size accepted by `respond`.
pub const DEFAULT_MAX_PEER_ITEMS: u64 = 10_000_000;
/// Default cap on the size of a catalog query accepted by `respond`.
pub const DEFAULT_MAX_QUERY_ITEMS: u64 = 1_000_000;

#[derive(Parser, Debug)]
#[command(
    name = "cosect",
    version,
    long_version = long_version(),
    about = "Find the entries two private lists share, and nothing else, through signed bundle files",
    long_about = "cosect lets two organizations learn which entries of their private lists they share \
(domains, IPs, file hashes, e-mail addresses, ids) and nothing else, with no live connection: \
each protocol round is one signed, age-encrypted file that a person carries \
by e-mail, shared drive or USB stick. Only `serve` and `send` open network connections.",
    after_help = "Exit status: 0 success, 1 error, 2 usage error, 130 interrupted.",
    max_term_width = 100
)]
pub struct Cli {
    /// Print nothing but errors
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create an identity (an age identity file) and print its public line
    ///
    /// Run once per organization, before the first exchange. Writes a new age identity file
    /// (one AGE-SECRET-KEY-1... line and comments naming the organization, the public line and
    /// the fingerprint), mode 0600, to -o FILE or to identity.txt in the cosect config
    /// directory, which every verb reads by default. It never replaces an existing file without
    /// --force, and with --force only once the new one is fully written. The one-line public
    /// identity goes to standard output: send it to your peer, who passes it as --peer, and
    /// compare the short fingerprint on stderr by phone. age-keygen output works as an identity
    /// too; its signing key is derived from the age key.
    Keygen(KeygenArgs),
    /// Print the public identity of an identity file
    ///
    /// Prints again the one-line public identity (cosect-v1, the age recipient, the Ed25519 key,
    /// the name) that keygen printed, derived from the identity file given with -i (or the
    /// default one), so you can send it to a new peer or check the fingerprint a peer reads
    /// back to you. With --json it prints the age recipient, the Ed25519 key, the fingerprint,
    /// the name and the line as one object. Nothing secret is printed.
    Pubkey(PubkeyArgs),
    /// Start an exchange: write round 1 for your peer
    ///
    /// The first step of every exchange. With --peer FILE, reads your list (--input: text, CSV,
    /// STIX 2.1 or MISP; each entry normalized for its kind, defanged indicators refanged),
    /// blinds every entry with a fresh secret, and writes round 1 for that peer, signed and
    /// age-encrypted to it unless --no-encrypt; the session (your list and the secret) is kept,
    /// encrypted to you, in the state directory until `cosect finish` reads the peer's round 2.
    /// --mode chooses who learns what (mutual, one-sided, cardinality); --pad-to hides your list
    /// size. With --catalog FILE instead, it checks a published catalog and writes a query
    /// against it for its publisher (--peer names the publisher). A list that is not a list, a
    /// bad line or your own identity as --peer is refused before anything is kept.
    Init(InitArgs),
    /// Answer a round-1 bundle with your own list: write round 2
    ///
    /// Reads the round-1 bundle your peer sent (a file, all its parts, an armored text pasted
    /// from a mail or a saved .eml holding it), checks that --peer signed it, that it is for
    /// you and not expired, then blinds your own list with a fresh secret and writes round 2,
    /// age-encrypted to the peer unless --no-encrypt. In mutual and cardinality modes a session
    /// is kept in the state directory until round 3 comes back (`cosect finish ROUND3-FILE`);
    /// one-sided mode keeps none. Your list uses round 1's kind setting. Given a catalog query
    /// instead, it answers it with your catalog key (no --input).
    Respond(RespondArgs),
    /// Finish an exchange with round 2 (initiator) or round 3 (responder)
    ///
    /// Reads the answer to one of your open sessions or catalog queries (a file, all its
    /// parts, armored text or a saved .eml), checks it, and prints the shared entries (or
    /// their number in cardinality mode) on standard output or to -o FILE. The initiator of a
    /// mutual or cardinality exchange passes --reply FILE for round 3, which the responder
    /// needs to learn the result; it is age-encrypted unless --no-encrypt. The session's
    /// secrets are destroyed when it finishes. Given answers of a sightings group (`init` with
    /// several --catalog), in any order and any subset, it reports for each of your entries
    /// which publishers hold it (with their labels), lists the publishers still pending, and
    /// keeps the group open until they have answered too.
    Finish(FinishArgs),
    /// Publish your list as a catalog that many clients can look their entries up in
    ///
    /// The catalog holds truncated RFC 9497 VOPRF outputs of your entries (never the entries or
    /// plain hashes of them) and your VOPRF public key, shuffled, signed by you, addressed to
    /// anyone who holds it and not encrypted (unless --encrypt-to names its readers). Every
    /// answer carries a proof that it was made with that key. The VOPRF key stays in your state
    /// directory, age-encrypted to your identity.
    /// Each publish makes a new key; earlier catalogs stay live (each answers the queries made
    /// against it until it expires) unless `--replace ID` retires one. Answer queries with
    /// `cosect respond QUERY-FILE`; list the live catalogs with `cosect catalogs`. See
    /// doc/catalog-format.md.
    Publish(PublishArgs),
    /// Keep your peers' public identities by name: list them, add one, remove one
    ///
    /// The peers book is the directory peers/ in the cosect config directory (usually
    /// ~/.config/cosect/peers), one NAME.pub file per peer: the layout `cosect serve --peers DIR`
    /// reads, so one directory serves both. `cosect peers add NAME FILE.pub` shows the peer's
    /// name and fingerprint and asks nothing: compare the fingerprint with the one your peer
    /// reads you by phone. Then `--peer NAME` works wherever a public identity file goes (a
    /// value holding / or ending in .pub is a file; anything else is a name in the book).
    /// `cosect peers` lists the names, fingerprints and when each was added.
    Peers(PeersArgs),
    /// List your open sessions and catalog queries, or cancel one
    ///
    /// Each open session or query is listed with its id, your role, the peer (name and
    /// fingerprint), the round awaited, when it was created, and by when the peer must answer
    /// (ANSWER BY: when the bundle you sent expires), and your --note; a sightings group is one
    /// row, its publishers under it, each answered or awaited. Its state is kept as long again,
    /// then destroyed automatically by the next command that opens the state directory, which
    /// says so in one line. `cosect sessions cancel ID` destroys one now (its secrets with it);
    /// its answer, when it comes, is refused saying it was cancelled. A row whose state is
    /// encrypted to another identity than -i says so.
    Sessions(SessionsArgs),
    /// List your live catalogs, or retire one
    ///
    /// Each live catalog is listed with its id (as `publish`, `inspect` and every message name
    /// it), its entries and labels, when it was published and expires, how many queries it
    /// answered, and your `publish --note`. `cosect catalogs retire ID` destroys its key: queries against it are refused.
    Catalogs(CatalogsArgs),
    /// Show a bundle's header without needing its session
    ///
    /// Use it before answering or finishing: it shows who sent a bundle (name and fingerprint),
    /// to whom it is addressed, the protocol, round, mode and kind setting, how many elements
    /// it carries, when it was created and expires, and whether its signature verifies (with
    /// --peer FILE: by that peer; without: only under the key the bundle names). It reads what
    /// the other verbs read (a file, all its parts, armored text, a saved mail), decrypting with
    /// -i or the default identity; it needs no session, changes nothing, and shows an expired or
    /// malformed bundle rather than refusing it. One part alone says what it is part of.
    Inspect(InspectArgs),
    /// Show how cosect reads a list, before any exchange (no identity needed)
    ///
    /// Reads the --input files as `init`, `respond` and `publish` would with the same options,
    /// and prints: the entries per kind, how many were refanged or adjusted, the duplicates
    /// merged, every near-miss (an entry that looks like an indicator but is not a valid one,
    /// compared as written) and every skipped entry with its line and reason, and the first
    /// entries of each kind as written and as compared. Nothing is written or kept.
    Preview(PreviewArgs),
    /// Run a complete exchange between two throwaway identities on sample data
    ///
    /// A first look, or a check that an installation works: creates two identities, reads the
    /// shipped sample lists (a STIX 2.1 feed and a MISP event export), and runs init, inspect,
    /// respond and finish between them through real files, printing on stderr each command line
    /// a person would type and what it does, and the shared entries at the end. Its files go to
    /// a temporary directory that is removed afterwards, or to a new directory named with
    /// --dir, kept for reading. It touches neither your identity nor your state directory.
    Demo(DemoArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell) on standard output
    ///
    /// Writes the completion script for the named shell to standard output, generated from the
    /// same definition as --help, so verbs, options and their values complete. Save it where
    /// your shell loads completions (see EXAMPLES), once per installation; a tarball made by
    /// scripts/dist ships the scripts already, under completions/. It reads no file and needs no
    /// identity.
    Completions(CompletionsArgs),
    /// Answer bundles over mutually authenticated HTTPS: catalog queries and mutual exchanges
    ///
    /// The same bundles as `respond` and `finish` answer offline, carried over TLS 1.3 where
    /// both ends authenticate with their cosect identities (RFC 7250 raw Ed25519 public keys,
    /// no CA): only peers whose public identity is in --peers get past the handshake, and every
    /// bundle is still verified (signed by that same peer, addressed to you). Stops on SIGTERM
    /// after the requests in flight. See doc/serve.md.
    #[cfg(feature = "serve")]
    Serve(ServeArgs),
    /// Send a bundle to a `cosect serve` and write the bundle it returns
    ///
    /// The live carrier's client: instead of mailing a bundle, post it to a peer's `cosect
    /// serve` over TLS 1.3, where the server must hold the identity given with --peer (its raw
    /// public key is pinned, no CA) and you authenticate with -i. Send a round 1 or a catalog
    /// query and the answer (round 2 or the catalog answer) is written to -o, to finish offline
    /// with `cosect finish`; a round 3 gets nothing back. --fetch-catalog downloads the
    /// catalog the server serves instead. With --to, it posts each query of a sightings group (the
    /// directory `init` wrote them into) to its publisher's server, pinned to that publisher's
    /// identity, and writes each answer beside its query. The bundles are the ones files carry,
    /// checked the same way. See doc/serve.md.
    #[cfg(feature = "serve")]
    Send(SendArgs),
}

#[derive(Args, Debug, Clone)]
pub struct KeygenArgs {
    /// Write the identity here [default: identity.txt in the cosect config directory]
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Organization name carried in the public identity (e.g. "ACME CERT")
    #[arg(long, default_value = "")]
    pub name: String,
    /// Replace an existing file (only after the new one is fully written); says first how many
    /// open sessions, catalog queries and live catalogs of the state directory the old
    /// identity opens, since they become unreadable
    #[arg(long)]
    pub force: bool,
    /// The state directory whose sessions and catalogs --force counts [default:
    /// $XDG_STATE_HOME/cosect]
    #[arg(long, value_name = "DIR", requires = "force")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct IdentityArg {
    /// Your identity file [default: identity.txt in the cosect config directory]
    #[arg(short, long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct PubkeyArgs {
    #[command(flatten)]
    pub id: IdentityArg,
    /// Print JSON: age_recipient, ed25519, fingerprint, name, line
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct StateArg {
    /// Directory of secret per-session state [default: $XDG_STATE_HOME/cosect]
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct BundleOut {
    /// Write the bundle here ('-' for standard output)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub wrap: Wrap,
}

/// How a sent bundle is wrapped, and whether outputs may replace files:
/// the same flags for every verb that writes a bundle.
#[derive(Args, Debug, Clone, Default)]
pub struct Wrap {
    /// Encrypt the bundle to the peer with age (the default; kept for scripts)
    #[arg(long)]
    pub encrypt: bool,
    /// Do not encrypt the bundle (anyone who sees rounds 2 and 3 learns how many entries are shared)
    #[arg(long, conflicts_with_all = ["encrypt", "armor"])]
    pub no_encrypt: bool,
    /// ASCII-armor the encrypted bundle, e.g. to paste into a mail
    #[arg(long)]
    pub armor: bool,
    /// Write the bundle as parts of at most SIZE bytes each (e.g. 10M, 200K), named FILE.part-1-of-N, …
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub split: Option<u64>,
    /// Replace existing output files
    #[arg(long)]
    pub force: bool,
}

/// A size: bytes, or with K, M or G (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err("use a number of bytes, optionally with K, M or G (e.g. 10M)".into()),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| "use a number of bytes, optionally with K, M or G (e.g. 10M)".to_owned())?;
    let size = n.checked_mul(mult).ok_or("too large")?;
    if size < 1024 {
        return Err("a part must be at least 1K".into());
    }
    Ok(size)
}

#[derive(Args, Debug, Clone)]
pub struct ListIn {
    /// Your list ('-' for standard input): text (one entry per line, '#' comments),
    /// CSV (with --column), a STIX 2.1 bundle or a MISP JSON export. Repeat it to make one
    /// list of several files (each file's format detected on its own; duplicates merged)
    #[arg(long, value_name = "FILE")]
    /// Required except when answering a catalog query.
    pub input: Vec<PathBuf>,
    /// Format of the list (of every --input) [default: detected from each file's content:
    /// JSON is STIX or MISP, CSV with --column, else text]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormatArg>,
    /// CSV field holding the entries: a header name, or a field number from 1 (then
    /// every row is data)
    #[arg(long, value_name = "NAME|N", value_parser = Column::parse)]
    pub column: Option<Column>,
    /// Count and skip invalid entries instead of stopping at the first
    #[arg(long)]
    pub skip_invalid: bool,
    /// List every skipped entry, unusable STIX pattern or MISP attribute and near-miss on stderr
    #[arg(short, long)]
    pub verbose: bool,
    /// Compare defanged entries (evil[.]example, hxxp://...) as written, not refanged
    #[arg(long)]
    pub no_refang: bool,
    #[command(flatten)]
    pub widen: WidenArgs,
    /// Pad your set with random elements up to N, so the peer learns only an upper bound of its size
    #[arg(long, value_name = "N")]
    pub pad_to: Option<u64>,
}

/// Longest `--note`, in characters.
pub const MAX_NOTE: usize = 200;

/// A `--note`: printable text of at most `MAX_NOTE` characters.
fn parse_note(s: &str) -> Result<String, String> {
    if s.chars().count() > MAX_NOTE {
        return Err(format!("a note is at most {MAX_NOTE} characters"));
    }
    if s.chars().any(|c| c.is_control() || crate::text::is_invisible(c)) {
        return Err("a note is one line of printable text (no control or invisible characters)".into());
    }
    Ok(s.trim().to_owned())
}

/// Local widening of your own set: no agreement with the peer needed.
#[derive(Args, Debug, Clone, Default)]
pub struct WidenArgs {
    /// Each URL also adds its host as a domain (or IP) entry, so that your peer's domain
    /// `evil.example` meets your `https://evil.example/path`; reported against the URL's line
    /// (--kind auto)
    #[arg(long)]
    pub url_hosts: bool,
    /// A CIDR range of at most N addresses (N up to 65536) becomes its addresses, so that an
    /// address inside your /28 meets your peer's address; reported against the range's line.
    /// A larger range stays a near-miss
    #[arg(long, value_name = "N", value_parser = parse_expand)]
    pub expand_cidr: Option<u64>,
}

/// Largest `--expand-cidr`: a /16 of IPv4.
pub const MAX_EXPAND_CIDR: u64 = 65_536;

fn parse_expand(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_EXPAND_CIDR).contains(&n) => Ok(n),
        _ => Err(format!(
            "a number of addresses from 1 to {MAX_EXPAND_CIDR} (256 for a /24)"
        )),
    }
}

/// `cosect preview`: the list options of `init`, and `--json`.
#[derive(Args, Debug, Clone)]
pub struct PreviewArgs {
    /// Your list ('-' for standard input): text, CSV (with --column), a STIX 2.1 bundle or a
    /// MISP JSON export; repeat it for several files read as one list
    #[arg(long, value_name = "FILE", required = true)]
    pub input: Vec<PathBuf>,
    /// Format of the list (of every --input) [default: detected from each file's content]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormatArg>,
    /// CSV field holding the entries: a header name, or a field number from 1
    #[arg(long, value_name = "NAME|N", value_parser = Column::parse)]
    pub column: Option<Column>,
    /// What the entries are [default: auto]
    #[arg(long, value_enum, value_name = "KIND")]
    pub kind: Option<KindSetting>,
    /// Count and skip invalid entries instead of stopping at the first
    #[arg(long)]
    pub skip_invalid: bool,
    /// Read defanged entries (evil[.]example, hxxp://...) as written, not refanged
    #[arg(long)]
    pub no_refang: bool,
    #[command(flatten)]
    pub widen: WidenArgs,
    /// Print JSON instead of a summary
    #[arg(long)]
    pub json: bool,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 90m, 12h, 7d)"))?;
    if d.is_zero() || d > Duration::from_secs(366 * 86400) {
        return Err("must be more than zero and at most a year".into());
    }
    Ok(d)
}

#[derive(Args, Debug, Clone)]
pub struct InitArgs {
    #[command(flatten)]
    pub id: IdentityArg,
    #[command(flatten)]
    pub state: StateArg,
    /// Your peer: a name in your peers book (`cosect peers`), or their public identity file
    /// (the line `cosect pubkey` prints; a value with / or ending in .pub); with several
    /// --catalog, repeat it for each publisher: each catalog is matched to the one that signed it
    #[arg(long, value_name = "NAME|FILE", required = true)]
    pub peer: Vec<PathBuf>,
    /// Look your list up in this catalog (from `cosect publish` by the peer) instead of a mutual
    /// exchange (or all its parts, in any order). Repeat it to look the list up in several
    /// publishers' catalogs in one step (sightings): -o DIR then gets one query per publisher,
    /// named after it, and `cosect finish` reports which publishers hold each entry
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub catalog: Vec<PathBuf>,
    #[command(flatten)]
    pub list: ListIn,
    /// What the entries are; they are normalized before matching. The peer must use the same
    /// setting [default: auto]
    #[arg(long, value_enum, value_name = "KIND")]
    pub kind: Option<KindSetting>,
    /// Who learns what: both sides the shared entries, only you, or both only their number
    #[arg(long, value_enum, default_value_t = ModeArg::Mutual)]
    pub mode: ModeArg,
    /// How long the peer may take to answer (e.g. 90m, 12h, 7d)
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    pub expires: Duration,
    /// A note for yourself, kept (encrypted) with the session or query and shown by
    /// `cosect sessions`; never sent to the peer (at most 200 characters)
    #[arg(long, value_name = "TEXT", value_parser = parse_note)]
    pub note: Option<String>,
    #[command(flatten)]
    pub out: BundleOut,
}

#[derive(Args, Debug, Clone)]
pub struct RespondArgs {
    /// The round-1 bundle from your peer (or all its parts, in any order)
    #[arg(value_name = "BUNDLE", required = true, num_args = 1..)]
    pub bundle: Vec<PathBuf>,
    #[command(flatten)]
    pub id: IdentityArg,
    #[command(flatten)]
    pub state: StateArg,
    /// Your peer (a name in your peers book, or a public identity file); the bundle must be
    /// signed by it
    #[arg(long, value_name = "NAME|FILE")]
    pub peer: PathBuf,
    #[command(flatten)]
    pub list: ListIn,
    /// Must equal the kind setting of round 1, which is used when this is omitted
    #[arg(long, value_enum, value_name = "KIND")]
    pub kind: Option<KindSetting>,
    /// Refuse a peer set larger than N (a huge set could enumerate your list)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_PEER_ITEMS)]
    pub max_peer_items: u64,
    /// Refuse a catalog query of more than N elements
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_QUERY_ITEMS)]
    pub max_query_items: u64,
    /// How long the peer may take to finish (e.g. 90m, 12h, 7d)
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    pub expires: Duration,
    /// A note for yourself, kept (encrypted) with the session until round 3 comes and shown by
    /// `cosect sessions`; never sent to the peer (at most 200 characters)
    #[arg(long, value_name = "TEXT", value_parser = parse_note)]
    pub note: Option<String>,
    #[command(flatten)]
    pub budget: BudgetArg,
    #[command(flatten)]
    pub out: BundleOut,
}

/// Per-peer budgets, kept in the state directory.
#[derive(Args, Debug, Clone)]
pub struct BudgetArg {
    /// Evaluate at most N entries per peer per rolling 24 hours (catalog queries and round-1
    /// sizes together); a request over it is refused, saying when the budget frees up
    #[arg(long, value_name = "N")]
    pub budget: Option<u64>,
    /// The budget's rolling window (testing only; default 24h)
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration, hide = true)]
    pub budget_window: Duration,
}

#[cfg(feature = "serve")]
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address and port to listen on (e.g. 127.0.0.1:8443)
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    /// Directory of the public identity files (*.pub) of the peers allowed to connect
    /// [default: your peers book, peers/ in the cosect config directory (`cosect peers`)]
    #[arg(long, value_name = "DIR")]
    pub peers: Option<PathBuf>,
    /// A catalog you published (`cosect publish`) to serve for download; repeatable
    #[arg(long, value_name = "FILE")]
    pub catalog: Vec<PathBuf>,
    #[command(flatten)]
    pub id: IdentityArg,
    #[command(flatten)]
    pub state: StateArg,
    #[command(flatten)]
    pub list: ListIn,
    /// Append one JSON line per request here (never an entry, a label or a secret)
    #[arg(long, value_name = "FILE")]
    pub audit: Option<PathBuf>,
    /// Write the result of each finished mutual exchange here, one 0600 file per session
    /// [default: results/ in the state directory]
    #[arg(long, value_name = "DIR")]
    pub results: Option<PathBuf>,
    /// Format of each results file, as `finish --format`: text (SESSION.txt), json, csv,
    /// stix (SESSION.stix.json) or misp (SESSION.misp.json). A cardinality session's count is
    /// written as text
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text)]
    pub results_format: Format,
    #[command(flatten)]
    pub budget: BudgetArg,
    /// Refuse a peer set larger than N
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_PEER_ITEMS)]
    pub max_peer_items: u64,
    /// Refuse a catalog query of more than N elements
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_QUERY_ITEMS)]
    pub max_query_items: u64,
    /// Refuse a request body larger than N bytes [default: room for the larger of
    /// --max-query-items and --max-peer-items elements]
    #[arg(long, value_name = "BYTES")]
    pub max_request: Option<u64>,
    /// How long a peer may take to finish a mutual exchange (send its round 3), e.g. 10m,
    /// 12h; the session is kept as long again, then destroyed
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub expires: Duration,
    /// Open mutual exchanges kept for one peer at most; a round 1 beyond gets 429
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_sessions_per_peer: usize,
    /// How long a connection may take to send its request head or body
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// On SIGTERM, how long the requests in flight may take to finish
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub grace: Duration,
    /// Open connections at most; more are closed at once [default: 1024, or less to stay
    /// well inside the descriptor limit]
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Requests admitted at once (reading, queued or being answered); more get 503 with
    /// Retry-After [default: 16 per core]
    #[arg(long, value_name = "N")]
    pub max_in_flight: Option<usize>,
    /// Requests admitted at once from one peer [default: a quarter of --max-in-flight, at
    /// least 1]
    #[arg(long, value_name = "N")]
    pub max_in_flight_per_peer: Option<usize>,
    /// Request bodies held in memory at once, all peers together [default: 256 MiB, or
    /// two of the largest request if more]
    #[arg(long, value_name = "BYTES")]
    pub max_body_memory: Option<u64>,
    /// How often refused handshakes are written to the audit log, one line per source
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub audit_every: Duration,
}

#[cfg(feature = "serve")]
#[derive(Args, Debug, Clone)]
pub struct SendArgs {
    /// The server: https://HOST:PORT (an IP address or a name); with --to, the directory
    /// `init` wrote a sightings group's queries into
    #[arg(value_name = "URL")]
    pub url: String,
    /// The bundle to send (or all its parts, in any order; '-' for standard input)
    #[arg(value_name = "BUNDLE", required_unless_present_any = ["fetch_catalog", "to"], num_args = 1..)]
    pub bundle: Vec<PathBuf>,
    /// Sightings: post the group's query for PUBLISHER (its name, fingerprint or query file)
    /// to its `cosect serve` at URL (https://HOST:PORT), pinned to that publisher's identity,
    /// and write the answer beside the query (X.answer); repeat for each publisher
    #[arg(long, value_name = "PUBLISHER=URL", conflicts_with_all = ["bundle", "fetch_catalog", "output", "peer"])]
    pub to: Vec<String>,
    /// Send nothing: download a catalog the server serves (its newest, or
    /// the one with this id) and write it to -o; `init --catalog` checks it
    #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "", conflicts_with = "bundle")]
    pub fetch_catalog: Option<String>,
    /// The server (a name in your peers book, or its public identity file): its TLS key must
    /// be this identity's
    #[arg(long, value_name = "NAME|FILE", required_unless_present = "to")]
    pub peer: Option<PathBuf>,
    #[command(flatten)]
    pub id: IdentityArg,
    /// With --to: the state directory the group was made with
    #[command(flatten)]
    pub state: StateArg,
    /// Write the returned bundle here ('-' for standard output)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing output file
    #[arg(long)]
    pub force: bool,
    /// Give up when the server has not answered within this time
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
}

#[derive(Args, Debug, Clone)]
pub struct FinishArgs {
    /// The round-2 or round-3 bundle from your peer (or all its parts, in any order), or the
    /// answers of one sightings group (any of them, in any order)
    #[arg(value_name = "BUNDLE", required = true, num_args = 1..)]
    pub bundle: Vec<PathBuf>,
    #[command(flatten)]
    pub id: IdentityArg,
    #[command(flatten)]
    pub state: StateArg,
    /// Write the shared entries here [default: standard output]
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format. `stix` and `misp` are files for a threat-intelligence platform (OpenCTI,
    /// MISP): canonical values, your identity and your peer's, the exchange's own times and
    /// ids, so the same result is always the same bytes; they reveal nothing you did not learn.
    /// STIX has no pattern for a raw entry: raw entries are left out (a warning counts them)
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Sightings: report only the entries seen by at least K of the publishers that answered
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    pub min_seen: Option<u64>,
    /// Catalog query: the catalog (or all its parts), if it moved since `init --catalog`
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub catalog: Vec<PathBuf>,
    /// Write round 3 for your peer here (initiator, mutual and cardinality modes)
    #[arg(long, value_name = "FILE")]
    pub reply: Option<PathBuf>,
    /// Round 3's envelope, and whether outputs may replace files
    #[command(flatten)]
    pub wrap: Wrap,
}

#[derive(Args, Debug, Clone)]
pub struct PublishArgs {
    #[command(flatten)]
    pub id: IdentityArg,
    #[command(flatten)]
    pub state: StateArg,
    /// Your list ('-' for standard input): text (one entry per line, '#' comments),
    /// CSV (with --column), a STIX 2.1 bundle or a MISP JSON export. Repeat it to make one
    /// list of several files (each file's format detected on its own; duplicates merged)
    #[arg(long, value_name = "FILE", required = true)]
    pub input: Vec<PathBuf>,
    /// Format of the list [default: detected from the content: JSON is STIX or MISP,
    /// CSV with --column, else text]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormatArg>,
    /// Count and skip invalid entries instead of stopping at the first
    #[arg(long)]
    pub skip_invalid: bool,
    /// List every skipped entry, unusable STIX pattern or MISP attribute and near-miss on stderr
    #[arg(short, long)]
    pub verbose: bool,
    /// Compare defanged entries (evil[.]example, hxxp://...) as written, not refanged
    #[arg(long)]
    pub no_refang: bool,
    /// What the entries are; they are normalized before matching. Clients use the
    /// catalog's setting [default: auto]
    #[arg(long, value_enum, value_name = "KIND")]
    pub kind: Option<KindSetting>,
    /// CSV field holding the entries: a header name, or a field number from 1 (then
    /// every row is data)
    #[arg(long, value_name = "NAME|N", value_parser = Column::parse)]
    pub column: Option<Column>,
    /// CSV field holding each entry's label (with --column; implies --labels)
    #[arg(long, value_name = "NAME|N", value_parser = Column::parse, requires = "column")]
    pub label_column: Option<Column>,
    /// Each entry carries a label: lines are `entry<TAB>label`, or see --label-column. Each
    /// label is encrypted so that a client reads only the labels of entries it holds
    #[arg(long)]
    pub labels: bool,
    /// How long clients may query the catalog (e.g. 30d; at most a year)
    #[arg(long, value_name = "DURATION", default_value = "90d", value_parser = parse_duration)]
    pub expires: Duration,
    /// Write the catalog here ('-' for standard output)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Encrypt the catalog to this peer (a name in your peers book, or a public identity
    /// file); repeat for several recipients, each of whom reads it with their own identity
    /// [default: not encrypted]
    #[arg(long, value_name = "NAME|FILE")]
    pub encrypt_to: Vec<PathBuf>,
    /// ASCII-armor the encrypted catalog (with --encrypt-to)
    #[arg(long, requires = "encrypt_to")]
    pub armor: bool,
    /// Write the catalog as parts of at most SIZE bytes each (e.g. 10M, 200K)
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub split: Option<u64>,
    /// Replace an existing output file
    #[arg(long)]
    pub force: bool,
    /// Retire this live catalog (its id, or its first 8 or more hex digits) once the new one is
    /// written
    #[arg(long, value_name = "ID")]
    pub replace: Option<String>,
    /// A note for yourself, kept (encrypted) with the catalog's key and shown by
    /// `cosect catalogs`; never in the catalog (at most 200 characters)
    #[arg(long, value_name = "TEXT", value_parser = parse_note)]
    pub note: Option<String>,
}

/// The identity and state directory of `sessions` and `catalogs`, given
/// before or after their action (`cosect sessions cancel ID -i FILE`).
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// Your identity file [default: identity.txt in the cosect config directory]
    #[arg(short, long, value_name = "FILE", global = true)]
    pub identity: Option<PathBuf>,
    /// Directory of secret per-session state [default: $XDG_STATE_HOME/cosect]
    #[arg(long, value_name = "DIR", global = true)]
    pub state_dir: Option<PathBuf>,
    /// Print JSON: one object per listed session, query or catalog
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct PeersArgs {
    /// Print JSON: one object per peer (name, their name, fingerprint, when added, line)
    #[arg(long)]
    pub json: bool,
    #[command(subcommand)]
    pub action: Option<PeersAction>,
}

#[derive(Subcommand, Debug, Clone)]
pub enum PeersAction {
    /// Add a peer's public identity under NAME; shows its name and fingerprint to compare
    Add {
        /// The name to use with --peer: letters, digits, '.', '_' and '-' (e.g. bob-mssp)
        #[arg(value_name = "NAME")]
        name: String,
        /// The public identity file your peer sent (the line `cosect pubkey` prints)
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Remove a peer from the book
    Remove {
        /// The peer's name in the book
        #[arg(value_name = "NAME")]
        name: String,
    },
}

#[derive(Args, Debug, Clone)]
pub struct SessionsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub action: Option<SessionsAction>,
}

#[derive(Subcommand, Debug, Clone)]
pub enum SessionsAction {
    /// Destroy an open session or catalog query (its secrets with it)
    Cancel {
        /// The session id, or its first 8 or more hex digits
        #[arg(value_name = "ID")]
        session: String,
    },
}

#[derive(Args, Debug, Clone)]
pub struct CatalogsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub action: Option<CatalogsAction>,
}

#[derive(Subcommand, Debug, Clone)]
pub enum CatalogsAction {
    /// Retire a live catalog: its key is destroyed and queries against it are refused
    Retire {
        /// The catalog id (16 hex digits), or its first 8 or more
        #[arg(value_name = "ID")]
        catalog: String,
    },
}

#[derive(Args, Debug, Clone)]
pub struct InspectArgs {
    /// The bundle to show (or all its parts, in any order; one part alone says what it is part of)
    #[arg(value_name = "BUNDLE", required = true, num_args = 1..)]
    pub bundle: Vec<PathBuf>,
    /// Your identity, to decrypt an encrypted bundle [default: the one in the config directory]
    #[arg(short, long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Check the signature against this peer (a name in your peers book, or a public identity
    /// file)
    #[arg(long, value_name = "NAME|FILE")]
    pub peer: Option<PathBuf>,
    /// Print JSON instead of a summary
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Keep the demo's files in this new directory instead of a temporary one
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `--kind` values: the settings themselves, each with its help.
impl ValueEnum for KindSetting {
    fn value_variants<'a>() -> &'a [Self] {
        &KindSetting::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self {
            KindSetting::Auto => {
                "Each entry's own kind: named by STIX/MISP, or detected (IP, hash, URL, e-mail, domain, else raw)"
            }
            KindSetting::Fixed(Kind::Raw) => "Exact bytes of the line",
            KindSetting::Fixed(Kind::Domain) => "Lower-case, trailing dot stripped, IDNA to ASCII",
            KindSetting::Fixed(Kind::Ip) => "Canonical IPv4/IPv6 text",
            KindSetting::Fixed(Kind::Hash) => "Lower-case hex, length of MD5/SHA-1/SHA-2",
            KindSetting::Fixed(Kind::Email) => "Domain part normalized, local part exact",
            KindSetting::Fixed(Kind::Url) => "scheme://host/path: RFC 3986 syntax normalization, host as domain or ip",
        };
        Some(clap::builder::PossibleValue::new(self.name()).help(help))
    }
}

/// `--input-format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormatArg {
    /// One entry per line; blank lines and '#' comments skipped
    Text,
    /// Comma-separated values; --column names the field
    Csv,
    /// A STIX 2.1 bundle: indicator patterns and observable objects
    Stix,
    /// A MISP event export or attribute list (JSON)
    Misp,
}

impl From<InputFormatArg> for InputFormat {
    fn from(f: InputFormatArg) -> InputFormat {
        match f {
            InputFormatArg::Text => InputFormat::Text,
            InputFormatArg::Csv => InputFormat::Csv,
            InputFormatArg::Stix => InputFormat::Stix,
            InputFormatArg::Misp => InputFormat::Misp,
        }
    }
}

/// `--mode` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Both sides learn the shared entries
    Mutual,
    /// Only the initiator learns them (no round 3)
    OneSided,
    /// Both sides learn only how many entries they share
    Cardinality,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Mutual => Mode::Mutual,
            ModeArg::OneSided => Mode::OneSided,
            ModeArg::Cardinality => Mode::Cardinality,
        }
    }
}

/// The clap command, for man pages and completions.
/// `--version`: the version, the arithmetic backend this CPU runs, and the
/// build: its git commit and the oldest glibc it needs, as far as build.rs
/// knew them (`-V` prints the version alone).
fn long_version() -> String {
    let mut v = format!(
        "{}\narithmetic: curve25519-dalek 5, {} backend (chosen at run time for this CPU)",
        env!("CARGO_PKG_VERSION"),
        crate::group::backend()
    );
    let build: Vec<String> = [
        option_env!("COSECT_BUILD_COMMIT").map(|c| format!("commit {c}")),
        Some(env!("COSECT_BUILD_GLIBC").to_owned()).filter(|g| !g.is_empty()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !build.is_empty() {
        v.push_str("\nbuild: ");
        v.push_str(&build.join(", "));
    }
    v
}

pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
