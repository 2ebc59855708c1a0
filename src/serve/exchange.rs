//! What the server does with one bundle from an authenticated peer: the
//! engine reads it (`Expect::FromPeer`), then the steps of `exchange`, the
//! same as `respond` (a catalog query, a round 1) and `finish` (a round
//! 3) run: admitted, worked without the lock, committed under it with the
//! budget charge, the kept reply and the journal's record. The very
//! request again gets its kept reply; another bundle for an answered
//! session is a replay (409).

use std::path::PathBuf;
use std::time::Duration;

use super::audit::Entry;
use crate::cli::ListIn;
use crate::engine::{self, CatalogQuery, Expect, Header, Kept, Message, Round1};
use crate::error::{Cause, Error};
use crate::exchange::{self, now, Committed, Party, Policy, Reply as Making, Size};
use crate::fsio::{self, Dest};
use crate::group::{NoProgress, POINT_LEN};
use crate::identity::{Identity, PublicIdentity};
use crate::input;
use crate::output::{self, Format};
use crate::store::{hex, Answered, LiveKey, Session, Store};

/// The server's settings and state, shared by every request.
pub struct App {
    pub me: Identity,
    pub store: Store,
    /// `--input`, for round 1s (None: the server answers only catalog queries).
    pub list: Option<ListIn>,
    pub policy: Policy,
    pub expires: Duration,
    pub results: PathBuf,
    /// `--results-format`.
    pub results_format: Format,
}

/// The server's answer to a bundle.
pub enum Reply {
    /// A bundle for the peer.
    Bundle(Vec<u8>),
    /// Nothing to return (the exchange is finished).
    Finished,
}

/// A refusal: HTTP status, a short machine-readable reason, and one
/// sentence (and a hint) for the client that names nothing of the
/// server's disk, its other peers or its other catalogs; the operator's
/// own sentence, when it says more, goes to the audit log and stderr.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    /// `bad-bundle`, `replay`, `conflict`, `too-large`, `over-budget`,
    /// `stale-catalog`, `busy`, `not-served`, `internal`, … (doc/serve.md).
    pub reason: &'static str,
    pub error: Error,
    /// The operator's sentence, when the peer's says less.
    pub operator: Option<Box<Error>>,
    /// Seconds until the request may succeed (429, 503).
    pub retry_after: Option<u64>,
}

impl Refusal {
    pub fn new(status: u16, reason: &'static str, error: Error) -> Self {
        Refusal {
            status,
            reason,
            error,
            operator: None,
            retry_after: None,
        }
    }

    /// Tell the peer `peer` instead; the operator keeps the whole sentence.
    fn masked(self, peer: Error) -> Self {
        Refusal {
            operator: Some(Box::new(self.error)),
            error: peer,
            ..self
        }
    }
}

/// The status of an error of a step: a bundle that cannot be read or does
/// not fit is 400 (`General`), unless its cause says otherwise.
fn refusal(err: Error) -> Refusal {
    let (status, reason, retry_after) = match err.cause() {
        Cause::General => (400, "bad-bundle", None),
        Cause::Replay => (409, "replay", None),
        Cause::Conflict => (409, "conflict", None),
        Cause::Sessions => (429, "too-many-sessions", None),
        Cause::TooLarge => (413, "too-large", None),
        Cause::OverBudget { frees_at } => (429, "over-budget", frees_at.map(|t| t.saturating_sub(now()).max(1))),
        Cause::Stale => {
            let peer = Error::new("the query is against a catalog this server no longer answers (retired or expired)")
                .with_hint(
                    "fetch the current catalog with `cosect send URL --fetch-catalog '' -o FILE` and query it anew",
                );
            return Refusal::new(410, "stale-catalog", err).masked(peer);
        }
        Cause::Internal | Cause::Busy { .. } => return internal(err),
    };
    Refusal {
        status,
        reason,
        error: err,
        operator: None,
        retry_after,
    }
}

/// An error of the server's own state or files: 500, whatever it says; the
/// peer learns only that the server failed.
fn internal(err: Error) -> Refusal {
    match err.cause() {
        Cause::General | Cause::Internal => {
            let peer = Error::new("the server could not answer: its own state failed")
                .with_hint("try again later, or tell the server's operator");
            Refusal::new(500, "internal", err).masked(peer)
        }
        _ => refusal(err),
    }
}

const NAME: &str = "the bundle";

fn elements(points: &[u8]) -> u64 {
    (points.len() / POINT_LEN) as u64
}

impl App {
    fn party(&self) -> Party<'_> {
        Party {
            me: &self.me,
            store: &self.store,
        }
    }

    /// Read and answer one bundle from `peer`; `e` gathers the audit facts.
    pub fn exchange(&self, peer: &PublicIdentity, body: Vec<u8>, e: &mut Entry) -> Result<Reply, Refusal> {
        // The one line that opens a request (the mail-free path lands here).
        // Messages name "this server", never its directory (`PeerView`).
        let reader = engine::Reader {
            me: &self.me,
            now: now(),
            store: &PeerView(self.party()),
        };
        let got = reader
            .read_body(NAME, body, Expect::FromPeer { peer })
            .map_err(refusal)?;
        e.session = Some(hex(&got.header.session));
        let h = &got.header;
        e.kind = match &got.message {
            Message::CatalogQuery(_) => "catalog-query",
            Message::Round1(_) => "round1",
            Message::Round3(_) => "round3",
            _ => e.kind,
        };
        match (got.message, got.kept) {
            (_, Kept::Again(a)) => self.again(&a, e),
            (Message::CatalogQuery(q), Kept::Key(cur)) => self.catalog_query(h, q, cur, e),
            (Message::Round1(r1), _) => self.round1(h, r1, e),
            (Message::Round3(r3), Kept::Session(s)) => self.round3(h, r3, s, e),
            _ => Err(Refusal::new(
                400,
                "wrong-round",
                Error::new("the bundle is a round 2; a server only answers, it never starts an exchange")
                    .with_hint("finish it offline with `cosect finish`"),
            )),
        }
    }

    /// The very request answered before (by this server, another one or
    /// `respond` on the same state directory): the same answer again.
    fn again(&self, a: &Answered, e: &mut Entry) -> Result<Reply, Refusal> {
        e.again = true;
        if !a.has_reply() {
            return Ok(Reply::Finished);
        }
        let bytes = self.store.kept_reply(a).map_err(internal)?;
        Ok(Reply::Bundle(bytes))
    }

    /// Commit a prepared answer and return the reply kept.
    fn commit(&self, p: exchange::Prepared, e: &mut Entry) -> Result<Reply, Refusal> {
        e.elements_out = p.sent;
        match exchange::commit_answer(self.party(), NAME, p, &self.policy, None).map_err(internal)? {
            Committed::Now { kept, .. } => std::fs::read(&kept)
                .map(Reply::Bundle)
                .map_err(|err| internal(fsio::io_error(&kept.display().to_string(), "cannot read", &err))),
            Committed::Earlier(a) => self.again(&a, e),
        }
    }

    fn making(&self, h: &Header) -> Making {
        Making {
            envelope: h.envelope,
            expires: self.expires,
            now: now(),
        }
    }

    /// Admit a request of `size`; a refusal says what the server's limits are.
    fn admit(&self, h: &Header, size: Size, e: &mut Entry) -> Result<(), Refusal> {
        e.elements_in = size.elements();
        exchange::admit(self.party(), NAME, h, size, &self.policy, now()).map_err(|err| {
            let r = refusal(err);
            match r.status {
                413 => Refusal {
                    error: r
                        .error
                        .with_hint("split your list, or ask the server's operator for a higher limit"),
                    ..r
                },
                _ => r,
            }
        })
    }

    fn catalog_query(&self, h: &Header, q: CatalogQuery, cur: LiveKey, e: &mut Entry) -> Result<Reply, Refusal> {
        self.admit(h, Size::of_query(&q), e)?;
        let p = exchange::answer_query(self.party(), NAME, h, q, &cur, self.making(h), &NoProgress).map_err(refusal)?;
        self.commit(p, e)
    }

    fn round1(&self, h: &Header, r1: Round1, e: &mut Entry) -> Result<Reply, Refusal> {
        e.elements_in = elements(&r1.elements.points);
        let Some(list) = &self.list else {
            return Err(Refusal::new(
                501,
                "not-served",
                Error::new("this server answers catalog queries only: it was started without --input")
                    .with_hint("exchange with its operator offline, or ask them to serve a list"),
            ));
        };
        self.admit(h, Size::of_round1(&r1), e)?;
        if r1.mode.has_round3() {
            exchange::admit_session(self.party(), NAME, &h.sender.line(), &self.policy).map_err(refusal)?;
        }
        let opts = input::ReadOptions {
            format: list.input_format.map(input::InputFormat::from),
            column: list.column.clone(),
            kind: r1.kind,
            skip_invalid: list.skip_invalid,
            refang: !list.no_refang,
            widen: input::Widen {
                url_hosts: list.widen.url_hosts && r1.kind == input::KindSetting::Auto,
                expand_cidr: list.widen.expand_cidr.filter(|_| {
                    matches!(
                        r1.kind,
                        input::KindSetting::Auto | input::KindSetting::Fixed(input::Kind::Ip)
                    )
                }),
            },
        };
        let paths: Vec<&std::path::Path> = list.input.iter().map(|p| p.as_path()).collect();
        let mut entries = exchange::list::read_all(&paths, &opts).map_err(internal)?;
        if entries.is_empty() {
            return Err(internal(Error::new(format!(
                "the server's list has no entries of kind {}",
                r1.kind
            ))));
        }
        let making = self.making(h);
        let p = exchange::answer_round1(
            self.party(),
            NAME,
            h,
            r1,
            &mut entries,
            list.pad_to,
            making,
            &NoProgress,
        )
        .map_err(refusal)?;
        self.commit(p, e)
    }

    fn round3(&self, h: &Header, r3: engine::Round3, s: Session, e: &mut Entry) -> Result<Reply, Refusal> {
        let f = exchange::finish_round3(NAME, h, r3, s, now()).map_err(refusal)?;
        e.shared = Some(f.outcome.count());
        let (report, ext) = self.results_file(h, &f);
        let path = self.results.join(format!("{}.{ext}", hex(&h.session)));
        fsio::create_private_dir(&self.results).map_err(internal)?;
        let results = exchange::Results {
            dest: &Dest::File(path),
            force: false,
            text: &report,
        };
        exchange::commit_finish(self.party(), NAME, &f, results, None).map_err(internal)?;
        Ok(Reply::Finished)
    }
}

/// The server's state as the engine reads it for a peer: the same
/// records, but messages name "this server", never its directory.
struct PeerView<'a>(Party<'a>);

impl engine::Lookup for PeerView<'_> {
    // Party's own answers, through the trait.
    fn session(&self, id: &[u8]) -> crate::error::Result<Option<Session>> {
        self.0.session(id)
    }
    fn query(&self, id: &[u8]) -> crate::error::Result<Option<crate::store::QueryState>> {
        self.0.query(id)
    }
    fn keys(&self) -> crate::error::Result<crate::store::KeyState> {
        self.0.keys()
    }
    fn answered(&self, id: &[u8]) -> crate::error::Result<Option<Answered>> {
        self.0.answered(id)
    }
    fn finished(&self, id: &[u8]) -> crate::error::Result<Option<Answered>> {
        self.0.finished(id)
    }
    fn place(&self) -> String {
        "this server".into()
    }
}

impl App {
    /// The results of a finished exchange, as `finish --format` writes
    /// them, and the file name's extension. A cardinality session's count
    /// is text whatever the format.
    fn results_file(&self, h: &Header, f: &exchange::Finished) -> (Vec<u8>, &'static str) {
        let me = self.me.public();
        match f.render(self.results_format, &me, &h.sender, h.created) {
            Ok(r) => (r.bytes, self.results_format.extension()),
            Err(output::Unfit::CountOnly(_)) => (
                format!("{}\n", f.outcome.count()).into_bytes(),
                Format::Text.extension(),
            ),
        }
    }
}
