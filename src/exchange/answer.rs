//! Answering a request: a round 1 (with the party's list) or a catalog
//! query (with the key of the live catalog it names). `admit` refuses
//! what the policy or the budget would refuse before any work;
//! `answer_round1` and `answer_query` do the work without the lock;
//! `commit_answer` re-checks and commits under it.

use std::path::PathBuf;
use std::time::Duration;

use rand::rngs::OsRng;

use super::{Delivery, Party};
use crate::bundle::{Envelope, Sealed};
use crate::engine::{self, catalog_name, Addressed, CatalogAnswer, CatalogQuery, Header, Message, Round1, Round2};
use crate::error::{Cause, Error, Result};
use crate::group::{Exec, Progress, POINT_LEN};
use crate::input::Entries;
use crate::input::KindSetting;
use crate::protocol::catalog::CatalogKey;
use crate::protocol::mutual::Answering;
use crate::protocol::{Mode, Responder};
use crate::store::budget::Refused;
use crate::store::{Answer, Answered, Keep, LiveKey, SecretList, Session, Step, JOURNAL_VERSION};

/// What a party accepts from a peer.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// `--max-peer-items`: the largest round 1.
    pub max_peer_items: u64,
    /// `--max-query-items`: the largest catalog query.
    pub max_query_items: u64,
    /// `--budget`: entries per peer per window (None: no cap, no record).
    pub budget: Option<u64>,
    /// The budget's window, seconds.
    pub window: u64,
    /// Open sessions kept for one peer at most (None: no cap).
    pub max_sessions: Option<usize>,
}

fn elements(points: &[u8]) -> u64 {
    (points.len() / POINT_LEN) as u64
}

/// How many elements a request asks to have evaluated, and of which kind.
#[derive(Clone, Copy, Debug)]
pub enum Size {
    Round1(u64),
    Query(u64),
}

impl Size {
    pub fn of_round1(r1: &Round1) -> Size {
        Size::Round1(elements(&r1.elements.points))
    }

    pub fn of_query(q: &CatalogQuery) -> Size {
        Size::Query(elements(&q.points))
    }

    pub fn elements(self) -> u64 {
        match self {
            Size::Round1(n) | Size::Query(n) => n,
        }
    }
}

/// Before any work: refuse a request larger than the policy allows, or
/// over the peer's budget as the store holds it now (the commit charges
/// it, re-checked under the lock). `name` names the bundle in messages.
pub fn admit(party: Party, name: &str, h: &Header, size: Size, policy: &Policy, now: u64) -> Result<()> {
    let (n, max, flag, what, hint) = match size {
        Size::Query(n) => (
            n,
            policy.max_query_items,
            "--max-query-items",
            "the query",
            "a very large query can enumerate your catalog; raise --max-query-items only if you expect this size",
        ),
        Size::Round1(n) => (
            n,
            policy.max_peer_items,
            "--max-peer-items",
            "the peer's set",
            "a very large set can enumerate your list; raise --max-peer-items only if you expect this size",
        ),
    };
    if n > max {
        return Err(
            Error::new(format!("{name}: {what} has {n} elements, more than {flag} {max}"))
                .with_hint(hint)
                .because(Cause::TooLarge),
        );
    }
    if let Some(budget) = policy.budget {
        let mut log = party.store.load_budget(&h.sender, party.me)?;
        if let Err(over) = log.charge(n, now, policy.window, Some(budget)) {
            return Err(over_budget(name, n, &over));
        }
    }
    Ok(())
}

/// Before the work of a round 1 that keeps a session: refuse a peer that
/// has as many open sessions here as the policy allows (re-checked at the
/// commit).
pub fn admit_session(party: Party, name: &str, peer: &str, policy: &Policy) -> Result<()> {
    match policy.max_sessions {
        Some(max) => check_sessions(party.store.open_sessions_of(party.me, peer)?, max, name),
        None => Ok(()),
    }
}

fn check_sessions(open: usize, max: usize, name: &str) -> Result<()> {
    if open < max {
        return Ok(());
    }
    Err(Error::new(format!(
        "{name}: you have {open} open exchanges with this server, as many as it keeps for one peer"
    ))
    .with_hint("finish or let expire the exchanges you started, then start this one again")
    .because(Cause::Sessions))
}

fn over_budget(name: &str, n: u64, over: &Refused) -> Error {
    let Refused::Over { frees_at, .. } = *over;
    over.to_error(n).in_file(name).because(Cause::OverBudget { frees_at })
}

/// A reply made, not yet committed: the sealed bundle and what its commit
/// keeps.
pub struct Prepared {
    pub sealed: Sealed,
    /// The responder's session, when round 3 follows.
    session: Option<Session>,
    /// The catalog whose count of answered queries goes up.
    catalog: Option<Vec<u8>>,
    record: Answered,
    /// Entries charged to the peer's budget: the request's elements, and
    /// for a round 1 also the party's own list (the work done for it).
    charge: u64,
    /// Elements sent back.
    pub sent: u64,
}

/// The journal's record of answering the request `h` with `answer`.
fn record(h: &Header, answer: Answer, now: u64) -> Answered {
    Answered {
        version: JOURNAL_VERSION,
        id: h.session.to_vec().into(),
        request: h.hash.to_vec().into(),
        peer: h.sender.line(),
        answer,
        at: now,
        until: h.expires,
    }
}

impl Prepared {
    /// The same, with the user's note on the session it keeps (if any).
    pub fn with_note(mut self, note: Option<&str>) -> Self {
        self.session = self.session.map(|s| s.with_note(note));
        self
    }
}

/// How a reply is made: its envelope, how long it is valid, the time.
#[derive(Clone, Copy)]
pub struct Reply {
    pub envelope: Envelope,
    pub expires: Duration,
    pub now: u64,
}

/// Round 2 for the round 1 `r1` of bundle `h`, over `entries` (padded to
/// `pad_to`): the work, without the lock. `entries`' spellings move into
/// the kept session.
#[allow(clippy::too_many_arguments)]
pub fn answer_round1(
    party: Party,
    name: &str,
    h: &Header,
    r1: Round1,
    entries: &mut Entries,
    pad_to: Option<u64>,
    reply: Reply,
    progress: &dyn Progress,
) -> Result<Prepared> {
    let first = answer_round1_first(name, r1, progress, &|| false)?.expect("never stopped");
    answer_round1_rest(party, name, h, first, entries, pad_to, reply, progress)
}

/// Round 1 answered before the own list is read: see
/// [`answer_round1_first`].
pub struct FirstHalf {
    kind: KindSetting,
    mode: Mode,
    n: u64,
    answering: Answering,
}

/// The first half of [`answer_round1`], which needs no list, so that a
/// carrier can read the list meanwhile: round 1 checked and
/// double-encrypted. `None` when `stop()` turned true meanwhile (the list
/// could not be read: its error is the one to give).
pub fn answer_round1_first(
    name: &str,
    r1: Round1,
    progress: &dyn Progress,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Option<FirstHalf>> {
    let Round1 {
        kind,
        mode,
        elements: r1,
    } = r1;
    let n = elements(&r1.points);
    let answering = Responder::answer_round1(r1, Exec::Parallel, progress, stop, &mut OsRng)
        .map_err(|e| Error::from(e).in_file(name))?;
    Ok(answering.map(|answering| FirstHalf {
        kind,
        mode,
        n,
        answering,
    }))
}

/// The second half of [`answer_round1`]: `entries` blinded, round 2
/// sealed.
#[allow(clippy::too_many_arguments)]
pub fn answer_round1_rest(
    party: Party,
    name: &str,
    h: &Header,
    first: FirstHalf,
    entries: &mut Entries,
    pad_to: Option<u64>,
    reply: Reply,
    progress: &dyn Progress,
) -> Result<Prepared> {
    let FirstHalf {
        kind,
        mode,
        n,
        answering,
    } = first;
    let (r2, state) = answering
        .blind(entries, mode, pad_to, Exec::Parallel, progress, &mut OsRng)
        .map_err(|e| Error::from(e).in_file(name))?;
    entries.release_canonical();
    let sent = elements(&r2.points);
    let to = Addressed::new(h.session, party.me, &h.sender, reply.now, reply.expires);
    let msg = Message::Round2(Round2 {
        kind,
        mode,
        answers: h.hash,
        elements: r2,
    });
    let sealed = engine::seal_message(msg, &to, reply.envelope);
    let session = state.map(|state| {
        Session::new(
            &h.session,
            h.sender.line(),
            kind.name().into(),
            sealed.hash,
            SecretList::from_entries(entries),
            Step::AwaitRound3(state),
            (to.created, to.expires),
        )
    });
    Ok(Prepared {
        sealed,
        session,
        catalog: None,
        record: record(h, Answer::Round2, reply.now),
        charge: n + sent,
        sent,
    })
}

/// The answer to the catalog query `q` of bundle `h` with the live
/// catalog key `cur`: the work, without the lock.
pub fn answer_query(
    party: Party,
    name: &str,
    h: &Header,
    q: CatalogQuery,
    cur: &LiveKey,
    reply: Reply,
    progress: &dyn Progress,
) -> Result<Prepared> {
    let (n, kind) = (elements(&q.points), q.kind);
    let key = CatalogKey::from_bytes(&cur.sk)?;
    let (points, proofs) = key
        .blind_evaluate_all(&q.points, Exec::Parallel, progress, &mut OsRng)
        .map_err(|e| Error::from(e).in_file(name))?;
    drop(q);
    let sent = elements(&points);
    let answer = CatalogAnswer {
        kind,
        query: h.hash,
        key_id: cur.key_id.clone().into_vec(),
        points,
        proofs,
    };
    let to = Addressed::new(h.session, party.me, &h.sender, reply.now, reply.expires);
    let sealed = engine::seal_message(Message::CatalogAnswer(answer), &to, reply.envelope);
    Ok(Prepared {
        sealed,
        session: None,
        catalog: Some(cur.catalog.clone().into_vec()),
        record: record(h, Answer::CatalogAnswer, reply.now),
        charge: n,
        sent,
    })
}

/// What a commit gave.
pub enum Committed {
    /// This reply was committed now, and kept at this path.
    Now { kept: PathBuf, shown: Option<String> },
    /// The same request was answered meanwhile by another process (or
    /// thread): its record, whose kept reply is the answer.
    Earlier(Answered),
}

/// Commit the reply `p` under the state directory's lock: re-check that
/// the request is still unanswered (the same request answered meanwhile
/// gives `Earlier`; another bundle for the session is a replay), that the
/// catalog is still live, and the budget; then keep the reply, the
/// session, the catalog's count, the charge and the journal's record, and
/// write the reply to `to` (when given), all at once or not at all.
pub fn commit_answer(
    party: Party,
    name: &str,
    p: Prepared,
    policy: &Policy,
    to: Option<Delivery>,
) -> Result<Committed> {
    let mut tx = party.store.begin(party.me)?;
    let id = p.record.id.clone().into_vec();
    match tx.answered(&id)? {
        Some(a) if a.is_request(&p.record.request) && a.peer == p.record.peer => return Ok(Committed::Earlier(a)),
        Some(a) => return Err(replay(name, &id, a.at)),
        None if p.session.is_some() && tx.session_open(&id) => return Err(replay(name, &id, p.record.at)),
        None => {}
    }
    if let (Some(_), Some(max)) = (&p.session, policy.max_sessions) {
        check_sessions(party.store.open_sessions_of(party.me, &p.record.peer)?, max, name)?;
    }
    let mut keys = None;
    if let Some(catalog) = &p.catalog {
        let mut k = tx.keys()?;
        let Some(live) = k.live.iter_mut().find(|l| l.catalog[..] == catalog[..]) else {
            return Err(Error::new(format!(
                "{name}: catalog {} was retired while the query was being answered; the answer is not given",
                catalog_name(catalog)
            ))
            .with_hint("ask the client for a query against a live catalog")
            .because(Cause::Conflict));
        };
        live.answered += 1;
        keys = Some(k);
    }
    if let Some(budget) = policy.budget {
        let n = p.charge;
        let sender = crate::identity::PublicIdentity::parse_line(&p.record.peer)
            .map_err(|_| Error::new("the request's sender line does not parse"))?;
        if let Err(over) = tx.charge(&sender, n, p.record.at, (Some(budget), policy.window))? {
            return Err(over_budget(name, n, &over));
        }
    }
    let sealed = &p.sealed;
    let kept = tx.keep_reply(&id, |w| sealed.write_to(w))?;
    tx.mark_sent(sealed.mark());
    if let Some(s) = &p.session {
        tx.keep(Keep::Session(s))?;
    }
    if let Some(k) = &keys {
        tx.keep(Keep::Keys(k))?;
    }
    let shown = match to {
        Some(d) => Some(d.copy(&mut tx, &kept)?),
        None => None,
    };
    tx.keep(Keep::Answered(&p.record))?;
    tx.commit()?;
    Ok(Committed::Now { kept, shown })
}

/// Another bundle for a session or query answered at `at`.
fn replay(name: &str, id: &[u8], at: u64) -> Error {
    Error::new(format!(
        "{name}: session {} was already answered on {}, and this is another bundle for it",
        &crate::store::hex(id)[..8],
        crate::bundle::format_time(at)
    ))
    .with_hint("each request is answered once (the same bundle again gets the same answer); ask your peer to start a new exchange")
    .because(Cause::Replay)
}
