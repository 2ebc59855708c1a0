//! The exchange engine: bundle bytes in, a verified typed message out, and
//! a typed message back into a sealed bundle. No file or terminal I/O: the
//! caller hands it bytes, the time and a way to look up kept state
//! (`Lookup`, which the store implements), so the CLI verbs and a server
//! share every check.
//!
//! The reader's checks run in one pipeline, in the order of
//! doc/bundle-format.md: decrypt → COSE structure → not our own bundle →
//! signature by the expected peer → addressed to me → not expired →
//! session known and at this round → counts → points (the points are
//! checked by the protocol step that uses them).

mod message;
mod shape;
#[cfg(test)]
mod tests;

pub use message::{
    seal_message, Addressed, Catalog, CatalogAnswer, CatalogQuery, Header, Message, Round1, Round2, Round3,
};
pub use shape::{check_answer, check_catalog, check_exchange, check_round1, typed, Awaited};

use crate::bundle::catalog::PROTOCOL_CATALOG;
use crate::bundle::payload::Payload;
use crate::bundle::{envelope, format_time, BundleError, Envelope, Opened};
use crate::error::{Cause, Error, Result};
use crate::identity::{Identity, PublicIdentity};
use crate::protocol::mutual;
use crate::store::{hex, Answered, Info, KeyState, LiveKey, QueryState, Session, Step};

/// Kept state, as the engine reads it (the store implements this; a
/// server may keep it elsewhere).
pub trait Lookup {
    /// An open mutual-protocol session.
    fn session(&self, id: &[u8]) -> Result<Option<Session>>;
    /// An open catalog query.
    fn query(&self, id: &[u8]) -> Result<Option<QueryState>>;
    /// The publisher's catalog keys.
    fn keys(&self) -> Result<KeyState>;
    /// The journal's record of the request of session `id` that was
    /// answered, if there is one.
    fn answered(&self, id: &[u8]) -> Result<Option<Answered>>;
    /// The journal's record of the round 3 that finished session `id`.
    fn finished(&self, id: &[u8]) -> Result<Option<Answered>>;
    /// The record of session or query `id` cancelled by hand, if kept
    /// (none by default: a server does not tell a peer).
    fn cancelled(&self, _id: &[u8]) -> Result<Option<Answered>> {
        Ok(None)
    }
    /// The open session or query whose sent bundle has this age header
    /// mark (`envelope::header_mark`), if any (none by default).
    fn sent(&self, _mark: &[u8; 32]) -> Result<Option<Info>> {
        Ok(None)
    }
    /// Where the state lives, for messages.
    fn place(&self) -> String;
}

/// No kept state at all: a reader that knows no session, query or key
/// (tests, fuzzing, and checking a round 1 without a store).
pub struct NoState;

impl Lookup for NoState {
    fn session(&self, _: &[u8]) -> Result<Option<Session>> {
        Ok(None)
    }
    fn query(&self, _: &[u8]) -> Result<Option<QueryState>> {
        Ok(None)
    }
    fn keys(&self) -> Result<KeyState> {
        Ok(KeyState::default())
    }
    fn answered(&self, _: &[u8]) -> Result<Option<Answered>> {
        Ok(None)
    }
    fn finished(&self, _: &[u8]) -> Result<Option<Answered>> {
        Ok(None)
    }
    fn place(&self) -> String {
        "no state directory".into()
    }
}

/// What the reader expects the bundle to be.
#[derive(Clone, Copy)]
pub enum Expect<'a> {
    /// `respond`: a round 1 or a catalog query from `peer`.
    Request { peer: &'a PublicIdentity },
    /// `finish`: the answer to one of my open sessions or queries.
    Answer,
    /// `init --catalog`: a catalog by `publisher`, valid now.
    Catalog { publisher: &'a PublicIdentity },
    /// `serve`: whatever `peer` may send a server: a round 1 or a catalog
    /// query (read as `Request`), or the answer to one of my open sessions
    /// (read as `Answer`, and signed by `peer`).
    FromPeer { peer: &'a PublicIdentity },
}

/// The kept state the bundle belongs to, found on the way.
pub enum Kept {
    Nothing,
    Session(Session),
    Query(QueryState),
    Key(LiveKey),
    /// This very request (same session, same signed bytes) was answered
    /// before: the journal's record, whose kept reply answers it again.
    Again(Answered),
}

/// A bundle that passed every check.
pub struct Received {
    pub header: Header,
    pub message: Message,
    pub kept: Kept,
}

/// One party reading bundles: who I am, the time, my kept state.
pub struct Reader<'a> {
    pub me: &'a Identity,
    pub now: u64,
    pub store: &'a dyn Lookup,
}

/// How people name a catalog: the first 16 hex digits of the SHA-256 of its
/// COSE bytes (what queries name in `answers`).
pub fn catalog_name(hash: &[u8]) -> String {
    hex(&hash[..hash.len().min(8)])
}

fn header(b: &Opened) -> Header {
    Header {
        session: b.payload.session[..].try_into().expect("decode checks the length"),
        sender: b.sender.clone(),
        created: b.payload.created,
        expires: b.payload.expires,
        hash: b.hash,
        envelope: b.envelope,
        picked: b.picked.clone(),
    }
}

fn sid(p: &Payload) -> String {
    hex(&p.session)[..8].to_owned()
}

impl Reader<'_> {
    /// Run the whole pipeline on the bytes of the bundle `name` (a file: a
    /// saved mail is read for the bundle it carries). Every refusal is one
    /// sentence prefixed with `name`.
    pub fn read(&self, name: &str, bytes: Vec<u8>, expect: Expect<'_>) -> Result<Received> {
        let in_file = |e: BundleError| Error::from(e).in_file(name);
        let carried = crate::bundle::carrier::carry(bytes).map_err(in_file)?;
        let mark = match &carried {
            crate::bundle::carrier::Carried::One(env, bytes) if !matches!(env, Envelope::Plain) => {
                envelope::header_mark(bytes)
            }
            _ => None,
        };
        let b = match Opened::open_carried(carried, Some(self.me), &|p| takes(p, expect)) {
            Ok(b) => b,
            Err(BundleError::Decrypt(why)) if why == envelope::NOT_FOR_YOU => {
                // Not for me: perhaps the bundle I sent myself, fed back.
                if let Some(sent) = mark.map(|m| self.store.sent(&m)).transpose()?.flatten() {
                    return Err(own_sent(name, &sent));
                }
                return Err(in_file(BundleError::Decrypt(why)));
            }
            Err(e) => return Err(in_file(e)),
        };
        self.check(name, b, expect)
    }

    /// As [`Reader::read`], for a request body (what `serve` receives): a
    /// bundle, armor or parts, never a mail, which is refused unparsed.
    pub fn read_body(&self, name: &str, bytes: Vec<u8>, expect: Expect<'_>) -> Result<Received> {
        let b = Opened::open_body(bytes, Some(self.me)).map_err(|e| Error::from(e).in_file(name))?;
        self.check(name, b, expect)
    }

    /// The checks after decryption and decoding, for what `expect` says.
    fn check(&self, name: &str, b: Opened, expect: Expect<'_>) -> Result<Received> {
        match expect {
            Expect::Request { peer } => self.request(name, b, peer),
            Expect::Answer => self.answer(name, b),
            Expect::Catalog { publisher } => self.catalog(name, b, publisher),
            Expect::FromPeer { peer } if b.payload.round <= 1 => self.request(name, b, peer),
            Expect::FromPeer { peer } => {
                let got = self.answer(name, b)?;
                if got.header.sender != *peer {
                    return Err(Error::new(format!(
                        "{name}: the bundle is signed by {} ({}), not by the peer this connection authenticated",
                        got.header.sender.display_name(),
                        got.header.sender.short_fingerprint()
                    ))
                    .with_hint("send your own bundles with your own identity"));
                }
                Ok(got)
            }
        }
    }

    /// Signature by `peer`, addressed to me, not expired.
    fn signed_for_me(&self, b: &mut Opened, peer: &PublicIdentity) -> Result<(), BundleError> {
        b.check_sender(peer)?;
        b.check_recipient(&self.me.public())?;
        b.check_time(self.now)
    }

    fn request(&self, name: &str, mut b: Opened, peer: &PublicIdentity) -> Result<Received> {
        let in_file = |e: BundleError| Error::from(e).in_file(name);
        let catalog = b.payload.protocol == PROTOCOL_CATALOG;
        if catalog && b.payload.round == 0 {
            return Err(Error::new(format!("{name}: this is a catalog, not a query"))
                .with_hint("clients query a catalog with `cosect init --catalog FILE`; answer their query files"));
        }
        b.check_not_own(&self.me.public()).map_err(in_file)?;
        self.signed_for_me(&mut b, peer).map_err(|e| match e {
            // A query made for another publisher (one of a sightings
            // group's, say): name the publisher it is for.
            BundleError::NotForMe(fp) if catalog && b.payload.round == 1 => Error::new(format!(
                "{name}: this catalog query is for the publisher with fingerprint {fp}, not for you"
            ))
            .with_hint("each publisher answers only the query made for it; send it back to the client"),
            e => in_file(e),
        })?;
        wrong_verb(name, &b, Expect::Request { peer })?;
        let header = header(&b);
        if catalog {
            let (kind, key_id) = check_exchange(&b.payload, 1).map_err(in_file)?;
            let again = self.answered_before(name, &b, peer)?;
            let key = match again {
                Some(a) => Kept::Again(a),
                None => Kept::Key(self.current_key(name, &b.payload, &key_id)?),
            };
            let message = Message::CatalogQuery(shape::query(&mut b.payload, kind, key_id));
            return Ok(Received {
                header,
                message,
                kept: key,
            });
        }
        let (kind, mode) = check_round1(&b.payload).map_err(in_file)?;
        let kept = match self.answered_before(name, &b, peer)? {
            Some(a) => Kept::Again(a),
            None => Kept::Nothing,
        };
        let elements = mutual::Round1 {
            points: std::mem::take(&mut b.payload.points),
        };
        let message = Message::Round1(Round1 { kind, mode, elements });
        Ok(Received { header, message, kept })
    }

    /// A request of a session this store answered before: `Some` when it
    /// is the very request answered (same session, same signed bytes,
    /// same peer: it gets the same answer again), refused as a replay when
    /// it is another bundle for that session (or its session is open).
    fn answered_before(&self, name: &str, b: &Opened, peer: &PublicIdentity) -> Result<Option<Answered>> {
        let p = &b.payload;
        let when = match self.store.answered(&p.session)? {
            Some(a) if a.is_request(&b.hash) && a.peer == peer.line() => return Ok(Some(a)),
            Some(a) => format!(" on {}", format_time(a.at)),
            None if p.protocol != PROTOCOL_CATALOG && self.store.session(&p.session)?.is_some() => String::new(),
            None => return Ok(None),
        };
        let what = if p.protocol == PROTOCOL_CATALOG {
            "query"
        } else {
            "session"
        };
        Err(Error::new(format!(
            "{name}: {what} {} was already answered{when}, and this is another bundle for it",
            sid(p)
        ))
        .with_hint("each request is answered once (the same bundle again gets the same answer); ask your peer to start a new exchange")
        .because(Cause::Replay))
    }

    /// The key of the live catalog a query was made against, checked
    /// against the query's key id and kind; a retired or unknown catalog is
    /// refused by name.
    fn current_key(&self, name: &str, p: &Payload, key_id: &[u8]) -> Result<LiveKey> {
        let mut keys = self.store.keys()?;
        let queried = catalog_name(&p.answers);
        let Some(i) = keys.live.iter().position(|k| k.catalog[..] == p.answers[..]) else {
            return Err(stale_query(name, p, key_id, &keys, &self.store.place()).because(Cause::Stale));
        };
        let live = keys.live.swap_remove(i);
        if key_id != &live.key_id[..] {
            return Err(Error::new(format!(
                "{name}: the query names your live catalog {queried} but another catalog key id ({}); \
                 it was not made from that catalog and is refused",
                catalog_name(key_id)
            ))
            .with_hint("the query was damaged or made by hand; ask the client for a new query"));
        }
        if p.kind != live.kind {
            return Err(Error::new(format!(
                "{name}: the query's kind differs from your catalog {queried}'s"
            ))
            .with_hint("ask the client for a new query against this catalog"));
        }
        Ok(live)
    }

    fn answer(&self, name: &str, mut b: Opened) -> Result<Received> {
        if b.payload.protocol == PROTOCOL_CATALOG && b.payload.round == 0 {
            // A catalog is never an answer (one's own included).
            wrong_verb(name, &b, Expect::Answer)?;
        }
        b.check_not_own(&self.me.public())
            .map_err(|e| Error::from(e).in_file(name))?;
        if b.payload.protocol == PROTOCOL_CATALOG {
            return self.catalog_answer(name, b);
        }
        let in_file = |e: BundleError| Error::from(e).in_file(name);
        if b.payload.round == 1 {
            // A round 1 is never an answer: named before any session is
            // looked up, after "addressed to me" as below.
            b.check_recipient(&self.me.public()).map_err(in_file)?;
            wrong_verb(name, &b, Expect::Answer)?;
        }
        let sid = sid(&b.payload);
        // The session (the peer's identity, the own list) is loaded before
        // the signature can be checked against its peer: check it early,
        // so the received bytes are not held alongside the session.
        b.check_early();
        let Some(session) = self.store.session(&b.payload.session)? else {
            // Without the session the peer is unknown, but a bundle addressed to
            // someone else (typically your own round 1 or round 3 fed back to you)
            // fails "addressed to me" before "session exists": say so.
            b.check_recipient(&self.me.public()).map_err(in_file)?;
            wrong_verb(name, &b, Expect::Answer)?;
            if let Some(got) = self.finished_with(name, &mut b)? {
                return Ok(got);
            }
            self.not_cancelled(name, "session", &b.payload)?;
            return Err(self.not_open(name, "session", &sid, "started"));
        };
        let peer = PublicIdentity::parse_line(&session.peer)
            .map_err(|_| Error::new(format!("session {sid}: the stored peer identity is damaged")))?;
        self.signed_for_me(&mut b, &peer).map_err(in_file)?;
        wrong_verb(name, &b, Expect::Answer)?;
        let (mode, round) = match &session.step {
            Step::AwaitRound2(i) => (i.mode(), 2),
            Step::AwaitRound3(r) => (r.mode(), 3),
        };
        let awaited = Awaited {
            round,
            mode,
            kind: &session.kind,
            sent_hash: &session.sent_hash,
            sid: &sid,
        };
        check_answer(&b.payload, &awaited).map_err(in_file)?;
        let message = shape::mutual_answer(&mut b.payload, mode).map_err(in_file)?;
        Ok(Received {
            header: header(&b),
            message,
            kept: Kept::Session(session),
        })
    }

    /// A round 3 that already finished its session here (the journal's
    /// record names this very bundle and its signer): read again, so a
    /// retry learns the session is finished. `None` for anything else.
    fn finished_with(&self, name: &str, b: &mut Opened) -> Result<Option<Received>> {
        let in_file = |e: BundleError| Error::from(e).in_file(name);
        let a = match self.store.finished(&b.payload.session)? {
            Some(a) if a.is_request(&b.hash) => a,
            Some(a) if b.payload.round == 3 => {
                return Err(Error::new(format!(
                    "{name}: session {} was finished on {}, and this is another round 3 for it",
                    sid(&b.payload),
                    format_time(a.at)
                ))
                .with_hint("a session is finished once; ask your peer to start a new exchange")
                .because(Cause::Replay))
            }
            _ => return Ok(None),
        };
        let Ok(peer) = PublicIdentity::parse_line(&a.peer) else {
            return Ok(None);
        };
        self.signed_for_me(b, &peer).map_err(in_file)?;
        let mode = b.payload.mode.parse().unwrap_or(mutual::Mode::Mutual);
        let message = shape::mutual_answer(&mut b.payload, mode).map_err(in_file)?;
        Ok(Some(Received {
            header: header(b),
            message,
            kept: Kept::Again(a),
        }))
    }

    /// The answer to a session (or query) cancelled here: say so, and when.
    fn not_cancelled(&self, name: &str, what: &str, p: &Payload) -> Result<()> {
        let Some(c) = self.store.cancelled(&p.session)? else {
            return Ok(());
        };
        Err(Error::new(format!(
            "{name}: {what} {} was cancelled on {} (`cosect sessions cancel`); its secrets are destroyed, \
             so this answer cannot be read",
            sid(p),
            format_time(c.at)
        ))
        .with_hint("start a new exchange with your peer if you still want the result"))
    }

    /// No open session (or query) `sid` in this store.
    fn not_open(&self, name: &str, what: &str, sid: &str, begun: &str) -> Error {
        let short = what.rsplit(' ').next().unwrap_or(what);
        Error::new(format!(
            "{name}: no open {what} {sid} in {} (already finished, or {begun} with another --state-dir or identity)",
            self.store.place()
        ))
        .with_hint(format!(
            "a {short} can be finished only once: its secrets are destroyed when it finishes"
        ))
    }

    fn catalog_answer(&self, name: &str, mut b: Opened) -> Result<Received> {
        let in_file = |e: BundleError| Error::from(e).in_file(name);
        let sid = sid(&b.payload);
        let Some(state) = self.store.query(&b.payload.session)? else {
            self.not_cancelled(name, "catalog query", &b.payload)?;
            return Err(self.not_open(name, "catalog query", &sid, "made"));
        };
        let publisher = PublicIdentity::parse_line(&state.publisher)
            .map_err(|_| Error::new(format!("query {sid}: the stored publisher identity is damaged")))?;
        self.signed_for_me(&mut b, &publisher).map_err(in_file)?;
        let (kind, key_id) = check_exchange(&b.payload, 2).map_err(in_file)?;
        let p = &b.payload;
        if p.answers[..] != state.sent_hash[..] {
            return Err(in_file(BundleError::Structure(
                "it answers another bundle than the query you sent (replayed or mixed up)".into(),
            )));
        }
        if p.kind != state.kind || key_id[..] != state.key_id[..] {
            return Err(in_file(BundleError::Structure(
                "its kind or catalog key differs from the query's".into(),
            )));
        }
        if p.n_points != state.client.sent() {
            return Err(in_file(BundleError::Counts(format!(
                "the answer has {} elements, the query sent {}",
                p.n_points,
                state.client.sent()
            ))));
        }
        let message = Message::CatalogAnswer(shape::answer(&mut b.payload, kind, key_id));
        Ok(Received {
            header: header(&b),
            message,
            kept: Kept::Query(state),
        })
    }

    fn catalog(&self, name: &str, mut b: Opened, publisher: &PublicIdentity) -> Result<Received> {
        let in_file = |e: BundleError| Error::from(e).in_file(name);
        b.check_sender(publisher).map_err(in_file)?;
        b.check_time(self.now)
            .map_err(|e| in_file(e).with_hint("ask the publisher for its current catalog"))?;
        wrong_verb(name, &b, Expect::Catalog { publisher })?;
        let catalog = check_catalog(&mut b.payload).map_err(in_file)?;
        Ok(Received {
            header: header(&b),
            message: Message::Catalog(catalog),
            kept: Kept::Nothing,
        })
    }

    /// A catalog by whichever of `publishers` signed it (a sightings group
    /// names several publishers, each matched to its own catalog by the
    /// signer's fingerprint): the index of that publisher and the catalog,
    /// through the checks of `Expect::Catalog`.
    pub fn catalog_by(&self, name: &str, bytes: Vec<u8>, publishers: &[PublicIdentity]) -> Result<(usize, Received)> {
        let b = Opened::open(bytes, Some(self.me)).map_err(|e| Error::from(e).in_file(name))?;
        let fp = b.sender.fingerprint();
        let Some(i) = publishers.iter().position(|p| p.fingerprint() == fp) else {
            return Err(Error::new(format!(
                "{name}: this bundle says it is from {} ({}), who is none of the publishers you passed with --peer",
                b.sender.display_name(),
                b.sender.short_fingerprint()
            ))
            .with_hint("pass the public identity of each catalog's publisher with --peer (once per publisher)"));
        };
        self.check(
            name,
            b,
            Expect::Catalog {
                publisher: &publishers[i],
            },
        )
        .map(|r| (i, r))
    }

    /// The catalog an open query was made against, byte for byte, signed by
    /// its publisher (`finish` reads it again; its expiry no longer matters).
    pub fn catalog_of(&self, name: &str, bytes: Vec<u8>, query: &QueryState) -> Result<(Header, Catalog)> {
        let in_file = |e: BundleError| Error::from(e).in_file(name);
        let mut b = Opened::open(bytes, Some(self.me))
            .map_err(|e| in_file(e).with_hint("the catalog is needed to finish; if it moved, pass --catalog FILE"))?;
        if b.hash[..] != query.catalog_hash[..] {
            return Err(Error::new(format!(
                "{name}: this is catalog {}, but the query was made against catalog {}",
                catalog_name(&b.hash),
                catalog_name(&query.catalog_hash)
            ))
            .with_hint("pass the catalog you queried with --catalog FILE"));
        }
        let publisher = PublicIdentity::parse_line(&query.publisher)
            .map_err(|_| Error::new(format!("{name}: the stored publisher identity is damaged")))?;
        b.check_sender(&publisher).map_err(in_file)?;
        let catalog = check_catalog(&mut b.payload).map_err(in_file)?;
        Ok((header(&b), catalog))
    }
}

/// The bundle this party sent (encrypted to the peer, so it cannot open
/// it), given back to it: say which, and what to do with it.
fn own_sent(name: &str, sent: &Info) -> Error {
    let peer = PublicIdentity::parse_line(&sent.peer).map_or_else(
        |_| "your peer".to_owned(),
        |p| format!("{} ({})", p.display_name(), p.short_fingerprint()),
    );
    let (what, back) = match sent.role.as_str() {
        "initiator" => ("the round 1", "the round 2 they send back"),
        "responder" => ("the round 2", "the round 3 they send back"),
        _ => ("the catalog query", "the answer they send back"),
    };
    Error::new(format!(
        "{name}: this is {what} you sent to {peer} (session {}, {}); it is encrypted to them, not to you",
        &hex(&sent.id)[..8.min(sent.id.len() * 2)],
        format_time(sent.created)
    ))
    .with_hint(format!(
        "send this file to your peer if you have not yet; `cosect finish` takes {back}"
    ))
}

/// Whether a verb that expects `expect` takes a bundle of this protocol
/// and round.
fn takes(p: &Payload, expect: Expect<'_>) -> bool {
    let catalog = p.protocol == PROTOCOL_CATALOG;
    match expect {
        Expect::Request { .. } => p.round == 1,
        Expect::Answer => p.round >= 2,
        Expect::Catalog { .. } => catalog && p.round == 0,
        Expect::FromPeer { .. } => p.round == 1 || (!catalog && p.round == 3),
    }
}

/// A bundle of a round this verb does not take: name the round and the
/// verb that does.
fn wrong_verb(name: &str, b: &Opened, expect: Expect<'_>) -> Result<()> {
    let p = &b.payload;
    let catalog = p.protocol == PROTOCOL_CATALOG;
    // A catalog is named by its one id, as `publish` and `catalogs` show it.
    let this_catalog = format!("catalog {}", catalog_name(&b.hash));
    let (what, verb) = match (catalog, p.round) {
        (false, 1) => ("a round 1", "`cosect respond` answers it"),
        (false, 2) => ("a round 2", "the initiator finishes with it: `cosect finish`"),
        (false, 3) => ("a round 3", "the responder finishes with it: `cosect finish`"),
        (true, 0) => (this_catalog.as_str(), "query it with `cosect init --catalog FILE`"),
        (true, 1) => ("a catalog query", "the publisher answers it with `cosect respond`"),
        (true, 2) => ("a catalog answer", "the client finishes with it: `cosect finish`"),
        _ => return Ok(()),
    };
    if takes(p, expect) {
        return Ok(());
    }
    let verb_here = match expect {
        Expect::Request { .. } => "`respond` takes a round 1 or a catalog query",
        Expect::Answer => "`finish` takes a round 2, a round 3 or a catalog answer",
        Expect::Catalog { .. } => "`init --catalog` takes a catalog",
        Expect::FromPeer { .. } => "a server takes a round 1, a round 3 or a catalog query",
    };
    Err(
        Error::new(format!("{name}: this is {what}, and {verb_here}")).with_hint(format!(
            "{verb}{}",
            if catalog { "" } else { " (check which file you passed)" }
        )),
    )
}

/// A query against a catalog that is not live here: name the retired
/// catalog it was made against, if this store remembers it.
fn stale_query(name: &str, p: &Payload, key_id: &[u8], keys: &KeyState, place: &str) -> Error {
    let queried = catalog_name(&p.answers);
    let retired = keys
        .retired
        .iter()
        .rev()
        .find(|r| r.catalog[..] == p.answers[..] || r.key_id[..] == key_id[..]);
    let live: Vec<String> = keys.live.iter().map(|k| catalog_name(&k.catalog)).collect();
    let hint = match &live[..] {
        [] => "publish with `cosect publish` first, or pass the --state-dir you published with".to_owned(),
        _ => format!(
            "send the client one of your live catalogs ({}) and ask for a new query",
            live.join(", ")
        ),
    };
    match retired {
        Some(r) => Error::new(format!(
            "{name}: the query is against catalog {} (published {}), which was retired on {} ({}); \
             its key is destroyed and the query is refused",
            catalog_name(&r.catalog),
            format_time(r.published),
            format_time(r.retired),
            r.why,
        )),
        None if live.is_empty() => Error::new(format!(
            "{name}: the query is against catalog {queried}, but you have no live catalog in {place}"
        )),
        None => Error::new(format!(
            "{name}: the query is against catalog {queried}, which is not one of your live catalogs \
             and not one you published with this state directory; it is refused"
        )),
    }
    .with_hint(hint)
}
