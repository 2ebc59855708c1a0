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
pub use shape::{check_answer, check_catalog, check_exchange, check_round1, Awaited};

use crate::bundle::catalog::PROTOCOL_CATALOG;
use crate::bundle::payload::Payload;
use crate::bundle::{format_time, BundleError, Opened};
use crate::error::{Error, Result};
use crate::identity::{Identity, PublicIdentity};
use crate::protocol::mutual;
use crate::store::{hex, CurrentKey, KeyState, QueryState, Session, Step};

/// Kept state, as the engine reads it (the store implements this; a
/// server may keep it elsewhere).
pub trait Lookup {
    /// An open mutual-protocol session.
    fn session(&self, id: &[u8]) -> Result<Option<Session>>;
    /// An open catalog query.
    fn query(&self, id: &[u8]) -> Result<Option<QueryState>>;
    /// The publisher's catalog keys.
    fn keys(&self) -> Result<KeyState>;
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
    Key(CurrentKey),
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
    }
}

fn sid(p: &Payload) -> String {
    hex(&p.session)[..8].to_owned()
}

impl Reader<'_> {
    /// Run the whole pipeline on the bytes of the bundle `name`. Every
    /// refusal is one sentence prefixed with `name`.
    pub fn read(&self, name: &str, bytes: Vec<u8>, expect: Expect<'_>) -> Result<Received> {
        let b = Opened::open(bytes, Some(self.me)).map_err(|e| Error::from(e).in_file(name))?;
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
        self.signed_for_me(&mut b, peer).map_err(in_file)?;
        let header = header(&b);
        if catalog {
            let (kind, key_id) = check_exchange(&b.payload, 1).map_err(in_file)?;
            let key = self.current_key(name, &b.payload, &key_id)?;
            let message = Message::CatalogQuery(shape::query(&mut b.payload, kind, key_id));
            return Ok(Received {
                header,
                message,
                kept: Kept::Key(key),
            });
        }
        let (kind, mode) = check_round1(&b.payload).map_err(in_file)?;
        if self.store.session(&b.payload.session)?.is_some() {
            return Err(
                Error::new(format!("{name}: session {} was already answered", sid(&b.payload)))
                    .with_hint("each round-1 bundle is answered once; ask your peer to start a new exchange"),
            );
        }
        let elements = mutual::Round1 {
            points: std::mem::take(&mut b.payload.points),
        };
        let message = Message::Round1(Round1 { kind, mode, elements });
        Ok(Received {
            header,
            message,
            kept: Kept::Nothing,
        })
    }

    /// The catalog key a query was made against: the current one, with the
    /// query's kind; a retired or unknown catalog is refused by name.
    fn current_key(&self, name: &str, p: &Payload, key_id: &[u8]) -> Result<CurrentKey> {
        let mut keys = self.store.keys()?;
        let queried = catalog_name(&p.answers);
        let Some(cur) = keys.current.take() else {
            return Err(Error::new(format!(
                "{name}: the query is against catalog {queried}, but you have no catalog key in {}",
                self.store.place()
            ))
            .with_hint("publish with `cosect publish` first, or pass the --state-dir you published with"));
        };
        if p.answers[..] != cur.catalog[..] || key_id != &cur.key_id[..] {
            return Err(stale_query(name, p, key_id, &keys, &cur));
        }
        if p.kind != cur.kind {
            return Err(
                Error::new(format!("{name}: the query's kind differs from your catalog's"))
                    .with_hint("ask the client for a new query against your current catalog"),
            );
        }
        Ok(cur)
    }

    fn answer(&self, name: &str, mut b: Opened) -> Result<Received> {
        b.check_not_own(&self.me.public())
            .map_err(|e| Error::from(e).in_file(name))?;
        if b.payload.protocol == PROTOCOL_CATALOG {
            return self.catalog_answer(name, b);
        }
        let in_file = |e: BundleError| Error::from(e).in_file(name);
        let sid = sid(&b.payload);
        let Some(session) = self.store.session(&b.payload.session)? else {
            // Without the session the peer is unknown, but a bundle addressed to
            // someone else (typically your own round 1 or round 3 fed back to you)
            // fails "addressed to me" before "session exists": say so.
            b.check_recipient(&self.me.public()).map_err(in_file)?;
            return Err(self.not_open(name, "session", &sid, "started"));
        };
        let peer = PublicIdentity::parse_line(&session.peer)
            .map_err(|_| Error::new(format!("session {sid}: the stored peer identity is damaged")))?;
        self.signed_for_me(&mut b, &peer).map_err(in_file)?;
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
        if p.kind != state.kind || key_id != state.key_id {
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
        let catalog = check_catalog(&mut b.payload).map_err(in_file)?;
        Ok(Received {
            header: header(&b),
            message: Message::Catalog(catalog),
            kept: Kept::Nothing,
        })
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

/// A query against a catalog that is not the current one: name the retired
/// catalog it was made against, if this store remembers it.
fn stale_query(name: &str, p: &Payload, key_id: &[u8], keys: &KeyState, cur: &CurrentKey) -> Error {
    let retired = keys
        .retired
        .iter()
        .rev()
        .find(|r| r.catalog[..] == p.answers[..] || r.key_id[..] == key_id[..]);
    match retired {
        Some(r) => Error::new(format!(
            "{name}: the query is against catalog {} (published {}), which was retired on {} when you \
             published catalog {}; its key is destroyed and the query is refused",
            catalog_name(&r.catalog),
            format_time(r.published),
            format_time(r.retired),
            catalog_name(&r.replaced_by),
        )),
        None if p.answers[..] == cur.catalog[..] => Error::new(format!(
            "{name}: the query names your current catalog {} but another catalog key id ({}); \
             it was not made from that catalog and is refused",
            catalog_name(&cur.catalog),
            catalog_name(key_id)
        )),
        None => Error::new(format!(
            "{name}: the query is against catalog {}, which is not your current catalog {} \
             and not one you published with this state directory; it is refused",
            catalog_name(&p.answers),
            catalog_name(&cur.catalog)
        )),
    }
    .with_hint(format!(
        "send the client your current catalog ({}) and ask for a new query",
        catalog_name(&cur.catalog)
    ))
}
