//! What the server does with one bundle from an authenticated peer: the
//! engine reads it (`Expect::FromPeer`), then the same protocol steps as
//! `respond` (a catalog query, a round 1) and `finish` (a round 3), with
//! the peer's budget charged first and the state kept in the store.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use super::audit::Entry;
use crate::cli::ListIn;
use crate::commands::answer::answer_query;
use crate::commands::{now, read_list, Ctx};
use crate::engine::{self, Addressed, CatalogQuery, Expect, Header, Kept, Message, Round1, Round2};
use crate::error::Error;
use crate::fsio::{self, Dest};
use crate::group::{Exec, NoProgress, POINT_LEN};
use crate::identity::{Identity, PublicIdentity};
use crate::protocol::{Outcome, Responder};
use crate::store::budget::Refused;
use crate::store::{hex, Keep, LiveKey, SecretList, Session, Step, Store};

/// The server's settings and state, shared by every request.
pub struct App {
    pub me: Identity,
    pub store: Store,
    /// `--input`, for round 1s (None: the server answers only catalog queries).
    pub list: Option<ListIn>,
    pub budget: Option<u64>,
    pub window: Duration,
    pub max_peer_items: u64,
    pub max_query_items: u64,
    pub expires: Duration,
    pub results: PathBuf,
    /// Budget charges are load–check–save: one at a time.
    pub charging: Mutex<()>,
}

/// The server's answer to a bundle.
pub enum Reply {
    /// A bundle for the peer.
    Bundle(Vec<u8>),
    /// Nothing to return (the exchange is finished).
    Finished,
}

/// A refusal: HTTP status and one sentence (and a hint) for the client.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub error: Error,
    /// Seconds until the request may succeed (429).
    pub retry_after: Option<u64>,
}

impl Refusal {
    pub fn new(status: u16, error: Error) -> Self {
        Refusal {
            status,
            error,
            retry_after: None,
        }
    }
}

const NAME: &str = "the bundle";

fn elements(points: &[u8]) -> u64 {
    (points.len() / POINT_LEN) as u64
}

impl App {
    /// Read and answer one bundle from `peer`; `e` gathers the audit facts.
    pub fn exchange(&self, peer: &PublicIdentity, body: Vec<u8>, e: &mut Entry) -> Result<Reply, Refusal> {
        let hash: [u8; 32] = Sha256::digest(&body).into();
        self.not_replayed(peer, &hash)?;
        let unlocked = self.store.unlocked(&self.me);
        let reader = engine::Reader {
            me: &self.me,
            now: now(),
            store: &unlocked,
        };
        let got = reader
            .read(NAME, body, Expect::FromPeer { peer })
            .map_err(|err| Refusal::new(400, err))?;
        e.session = Some(hex(&got.header.session));
        let h = &got.header;
        match (got.message, got.kept) {
            (Message::CatalogQuery(q), Kept::Key(cur)) => {
                e.kind = "catalog-query";
                self.catalog_query(h, q, cur, hash, e)
            }
            (Message::Round1(r1), _) => {
                e.kind = "round1";
                self.round1(h, r1, hash, e)
            }
            (Message::Round3(r3), Kept::Session(s)) => {
                e.kind = "round3";
                self.charge(peer, 0, hash)?;
                self.round3(h, r3, s, e)
            }
            _ => Err(Refusal::new(
                400,
                Error::new("the bundle is a round 2; a server only answers, it never starts an exchange")
                    .with_hint("finish it offline with `cosect finish`"),
            )),
        }
    }

    /// A request whose bytes were already answered is refused (409).
    fn not_replayed(&self, peer: &PublicIdentity, hash: &[u8; 32]) -> Result<(), Refusal> {
        let log = self
            .store
            .load_budget(peer, &self.me)
            .map_err(|e| Refusal::new(500, e))?;
        match log.charges.iter().find(|c| c.hash[..] == hash[..]) {
            Some(c) => Err(replayed(c.at)),
            None => Ok(()),
        }
    }

    /// Charge `entries` to the peer's budget, or refuse (429, 409).
    fn charge(&self, peer: &PublicIdentity, entries: u64, hash: [u8; 32]) -> Result<(), Refusal> {
        let _one = self.charging.lock().unwrap_or_else(|p| p.into_inner());
        let limit = (self.budget, self.window.as_secs());
        match self.store.charge_budget(&self.me, peer, (entries, hash), now(), limit) {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(Refused::Replay { at })) => Err(replayed(at)),
            Ok(Err(over)) => Err(over_budget(entries, &over)),
            Err(err) => Err(Refusal::new(500, err)),
        }
    }

    /// Seal `message` for the sender of `h`, in the envelope the request
    /// came in (an armored request gets an armored answer).
    fn reply_to(&self, h: &Header, message: Message) -> crate::bundle::Sealed {
        let to = Addressed::new(h.session, &self.me, &h.sender, now(), self.expires);
        engine::seal_message(message, &to, h.envelope)
    }

    fn catalog_query(
        &self,
        h: &Header,
        q: CatalogQuery,
        cur: LiveKey,
        hash: [u8; 32],
        e: &mut Entry,
    ) -> Result<Reply, Refusal> {
        let n = elements(&q.points);
        e.elements_in = n;
        if n > self.max_query_items {
            return Err(too_many(n, "catalog query", self.max_query_items, "--max-query-items"));
        }
        self.charge(&h.sender, n, hash)?;
        let answer = answer_query(NAME, h, &q, &cur, &NoProgress).map_err(|err| Refusal::new(400, err))?;
        e.elements_out = elements(&answer.points);
        Ok(Reply::Bundle(self.reply_to(h, Message::CatalogAnswer(answer)).to_vec()))
    }

    fn round1(&self, h: &Header, r1: Round1, hash: [u8; 32], e: &mut Entry) -> Result<Reply, Refusal> {
        let n = elements(&r1.elements.points);
        e.elements_in = n;
        let Some(list) = &self.list else {
            return Err(Refusal::new(
                501,
                Error::new("this server answers catalog queries only: it was started without --input")
                    .with_hint("exchange with its operator offline, or ask them to serve a list"),
            ));
        };
        if n > self.max_peer_items {
            return Err(too_many(n, "round 1", self.max_peer_items, "--max-peer-items"));
        }
        self.charge(&h.sender, n, hash)?;
        let quiet = Ctx {
            quiet: true,
            progress: false,
        };
        let mut entries = read_list(&quiet, list, r1.kind).map_err(|err| Refusal::new(500, err))?;
        let (r2, state) = Responder::respond(
            &r1.elements,
            &entries,
            r1.mode,
            list.pad_to,
            Exec::Parallel,
            &NoProgress,
            &mut OsRng,
        )
        .map_err(|err| Refusal::new(400, Error::from(err).in_file(NAME)))?;
        e.elements_out = elements(&r2.points);
        let (kind, mode) = (r1.kind, r1.mode);
        let msg = Message::Round2(Round2 {
            kind,
            mode,
            answers: h.hash,
            elements: r2,
        });
        let sealed = self.reply_to(h, msg);
        if let Some(state) = state {
            let list = SecretList::from_entries(&mut entries);
            let step = Step::AwaitRound3(state);
            let created = now();
            let times = (created, crate::commands::expiry(created, self.expires));
            let s = Session::new(
                &h.session,
                h.sender.line(),
                kind.name().into(),
                sealed.hash,
                list,
                step,
                times,
            );
            let mut tx = self.store.begin(&self.me);
            tx.keep(Keep::Session(&s))
                .and_then(|()| tx.commit())
                .map_err(|err| Refusal::new(500, err))?;
        }
        Ok(Reply::Bundle(sealed.to_vec()))
    }

    fn round3(&self, h: &Header, r3: engine::Round3, s: Session, e: &mut Entry) -> Result<Reply, Refusal> {
        let Step::AwaitRound3(resp) = s.step else {
            return Err(Refusal::new(400, Error::new("the session does not await a round 3")));
        };
        let outcome = resp
            .finish(&r3.elements)
            .map_err(|err| Refusal::new(400, Error::from(err).in_file(NAME)))?;
        e.shared = Some(outcome.count());
        let report = results_text(&s.kind, &s.entries, &outcome, r3.mode.name());
        let path = self.results.join(format!("{}.txt", hex(&h.session)));
        fsio::create_private_dir(&self.results).map_err(|err| Refusal::new(500, err))?;
        // Results and the end of the session in one transaction, as `finish`.
        let mut tx = self.store.begin(&self.me);
        tx.write(&Dest::File(path), (false, true), |w| w.write_all(&report))
            .and_then(|()| tx.end_session(&s.id))
            .and_then(|()| tx.commit())
            .map_err(|err| Refusal::new(500, err))?;
        Ok(Reply::Finished)
    }
}

/// The results of a finished exchange, as `finish` writes them (text).
fn results_text(kind: &str, entries: &SecretList, outcome: &Outcome, mode: &str) -> Vec<u8> {
    let shared = match outcome {
        Outcome::Matches(m) => Some(m.iter().map(|&i| entries.shared(i)).collect()),
        Outcome::Count(_) => None,
    };
    let report = crate::output::Report {
        mode,
        kind,
        count: outcome.count(),
        entries: shared,
        with_source: entries.has_sources(),
        with_label: false,
    };
    crate::output::render(&report, crate::output::Format::Text)
}

fn replayed(at: u64) -> Refusal {
    Refusal::new(409, Refused::Replay { at }.to_error(0))
}

fn too_many(n: u64, what: &str, max: u64, flag: &str) -> Refusal {
    Refusal::new(
        413,
        Error::new(format!(
            "the {what} has {n} elements, more than the server's {flag} {max}"
        ))
        .with_hint("split your list, or ask the server's operator for a higher limit"),
    )
}

fn over_budget(entries: u64, over: &Refused) -> Refusal {
    let retry_after = match over {
        Refused::Over { frees_at: Some(t), .. } => Some(t.saturating_sub(now()).max(1)),
        _ => None,
    };
    Refusal {
        status: 429,
        error: over.to_error(entries),
        retry_after,
    }
}
