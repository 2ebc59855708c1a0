//! Each typed message round-trips through bytes and the whole pipeline;
//! each check refuses the bundle that violates it with today's sentence.

use std::cell::RefCell;

use rand::rngs::OsRng;

use super::*;
use crate::bundle::payload::SESSION_LEN;
use crate::bundle::{seal, Envelope};
use crate::group::{Exec, NoProgress};
use crate::input::{Entries, Kind, KindSetting};
use crate::protocol::catalog::{self as proto, CatalogKey, Client};
use crate::protocol::{Initiator, Mode, Responder};
use crate::store::SecretList;

const NOW: u64 = 1_800_000_000;
const SESSION: [u8; SESSION_LEN] = [7; SESSION_LEN];

fn alice() -> Identity {
    Identity::parse(include_str!("../../testdata/vectors/alice.id")).unwrap()
}

fn bob() -> Identity {
    Identity::parse(include_str!("../../testdata/vectors/bob.id")).unwrap()
}

fn entries() -> Entries {
    Entries::from_canonical([(Kind::Raw, "x"), (Kind::Raw, "y"), (Kind::Raw, "z")])
}

/// Kept state in memory, handed out once.
#[derive(Default)]
struct Mem {
    session: RefCell<Option<Session>>,
    query: RefCell<Option<QueryState>>,
    keys: RefCell<Option<KeyState>>,
}

impl Lookup for Mem {
    fn session(&self, _: &[u8]) -> Result<Option<Session>> {
        Ok(self.session.borrow_mut().take())
    }
    fn query(&self, _: &[u8]) -> Result<Option<QueryState>> {
        Ok(self.query.borrow_mut().take())
    }
    fn keys(&self) -> Result<KeyState> {
        Ok(self.keys.borrow_mut().take().unwrap_or_default())
    }
    fn answered(&self, _: &[u8]) -> Result<Option<Answered>> {
        Ok(None)
    }
    fn finished(&self, _: &[u8]) -> Result<Option<Answered>> {
        Ok(None)
    }
    fn place(&self) -> String {
        "memory".into()
    }
}

fn to<'a>(me: &'a Identity, peer: &'a PublicIdentity) -> Addressed<'a> {
    Addressed {
        session: SESSION,
        me,
        to: peer,
        created: NOW - 10,
        expires: NOW + 3600,
    }
}

fn session(peer: &PublicIdentity, sent: [u8; 32], step: Step) -> Session {
    let list = SecretList::from_entries(&mut entries());
    Session::new(&SESSION, peer.line(), "raw".into(), sent, list, step, (NOW, NOW + 3600))
}

fn round1(a: &Identity, b: &Identity) -> (Initiator, Vec<u8>, [u8; 32]) {
    let (init, r1) = Initiator::start(&entries(), Mode::Mutual, None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
    let msg = Message::Round1(Round1 {
        kind: KindSetting::Fixed(Kind::Raw),
        mode: Mode::Mutual,
        elements: r1,
    });
    let sealed = seal_message(msg, &to(a, &b.public()), Envelope::Age);
    (init, sealed.to_vec(), sealed.hash)
}

fn answer(r1: &crate::protocol::mutual::Round1) -> (crate::protocol::mutual::Round2, Option<Responder>) {
    let r1 = crate::protocol::mutual::Round1 {
        points: r1.points.clone(),
    };
    Responder::respond(
        r1,
        &entries(),
        Mode::Mutual,
        None,
        Exec::Serial,
        &NoProgress,
        &mut OsRng,
    )
    .unwrap()
}

fn read(me: &Identity, store: &dyn Lookup, bytes: Vec<u8>, expect: Expect<'_>) -> Result<Received> {
    Reader { me, now: NOW, store }.read("b", bytes, expect)
}

#[test]
fn mutual_rounds_round_trip_through_bytes() {
    let (a, b) = (alice(), bob());
    let (init, r1_bytes, r1_hash) = round1(&a, &b);
    let got = read(&b, &NoState, r1_bytes, Expect::Request { peer: &a.public() }).unwrap();
    assert_eq!(got.header.session, SESSION);
    let Message::Round1(r1) = got.message else {
        panic!("not round 1")
    };
    assert_eq!(
        (r1.kind, r1.mode, r1.elements.points.len()),
        (KindSetting::Fixed(Kind::Raw), Mode::Mutual, 96)
    );
    let (r2, resp) = answer(&r1.elements);
    let (points, doubled) = (r2.points.clone(), r2.doubled.clone());
    let msg = Message::Round2(Round2 {
        kind: r1.kind,
        mode: r1.mode,
        answers: got.header.hash,
        elements: r2,
    });
    let sealed = seal_message(msg, &to(&b, &a.public()), Envelope::Armored);
    let r2_hash = sealed.hash;
    let mem = Mem::default();
    *mem.session.borrow_mut() = Some(session(&b.public(), r1_hash, Step::AwaitRound2(init)));
    let got = read(&a, &mem, sealed.to_vec(), Expect::Answer).unwrap();
    let (Message::Round2(r2), Kept::Session(s)) = (got.message, got.kept) else {
        panic!("not round 2")
    };
    assert_eq!((r2.elements.points, &r2.elements.doubled), (points, &doubled));
    let Step::AwaitRound2(init) = s.step else { panic!() };
    let r2 = crate::protocol::mutual::Round2 {
        points: Vec::new(),
        ..r2.elements
    };
    let _ = (init, r2); // the protocol layer has its own tests

    let r3 = crate::protocol::mutual::Round3 {
        doubled: doubled.clone(),
        trunc: doubled.len() / 3,
    };
    let msg = Message::Round3(Round3 {
        kind: r1.kind,
        mode: Mode::Mutual,
        answers: r2_hash,
        elements: r3,
    });
    let sealed = seal_message(msg, &to(&a, &b.public()), Envelope::Plain);
    *mem.session.borrow_mut() = Some(session(&a.public(), r2_hash, Step::AwaitRound3(resp.unwrap())));
    let got = read(&b, &mem, sealed.to_vec(), Expect::Answer).unwrap();
    let Message::Round3(r3) = got.message else {
        panic!("not round 3")
    };
    assert_eq!(r3.elements.doubled, doubled);
    assert_eq!(r3.answers, r2_hash);
}

fn published(a: &Identity, key: &CatalogKey) -> (Vec<u8>, [u8; 32]) {
    let cat = proto::publish(key, &entries(), None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
    let catalog = Catalog::published(KindSetting::Auto, key.key_id().to_vec(), cat);
    let sealed = seal_message(Message::Catalog(catalog), &to(a, &a.public()), Envelope::Plain);
    (sealed.to_vec(), sealed.hash)
}

fn current(key: &CatalogKey, catalog: [u8; 32]) -> KeyState {
    let cur = LiveKey {
        note: String::new(),
        sk: key.to_bytes().to_vec().into(),
        key_id: key.key_id().to_vec().into(),
        catalog: catalog.to_vec().into(),
        kind: "auto".into(),
        entries: 3,
        labels: 0,
        published: NOW,
        expires: NOW + 3600,
        answered: 0,
    };
    KeyState {
        version: crate::store::catalog::STATE_VERSION,
        live: vec![cur],
        retired: Vec::new(),
    }
}

/// A client's open query against catalog `cat_hash`, sent as `q_hash`.
fn query_state(
    publisher: &PublicIdentity,
    cat_hash: [u8; 32],
    key_id: Vec<u8>,
    q_hash: [u8; 32],
    client: Client,
) -> QueryState {
    QueryState {
        version: 1,
        id: SESSION.to_vec().into(),
        publisher: publisher.line(),
        kind: "auto".into(),
        catalog_path: String::new(),
        catalog_hash: cat_hash.to_vec().into(),
        key_id: key_id.into(),
        sent_hash: q_hash.to_vec().into(),
        entries: SecretList::from_entries(&mut entries()),
        client,
        created: NOW,
        expires: NOW + 3600,
        answer_by: NOW + 1800,
        note: String::new(),
    }
}

#[test]
fn catalog_messages_round_trip_through_bytes() {
    let (a, b) = (alice(), bob());
    let key = CatalogKey::generate(&mut OsRng);
    let (cat_bytes, cat_hash) = published(&a, &key);
    let got = read(
        &b,
        &NoState,
        cat_bytes.clone(),
        Expect::Catalog { publisher: &a.public() },
    )
    .unwrap();
    let Message::Catalog(cat) = got.message else {
        panic!("not a catalog")
    };
    assert_eq!((cat.len(), cat.key_id.as_slice()), (3, &key.key_id()[..]));

    let (client, points) = Client::start(&entries(), None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
    let q = CatalogQuery {
        kind: cat.kind,
        catalog: cat_hash,
        key_id: cat.key_id.clone(),
        points: points.clone(),
    };
    let sealed = seal_message(Message::CatalogQuery(q), &to(&b, &a.public()), Envelope::Age);
    let q_hash = sealed.hash;
    let mem = Mem::default();
    *mem.keys.borrow_mut() = Some(current(&key, cat_hash));
    let got = read(&a, &mem, sealed.to_vec(), Expect::Request { peer: &b.public() }).unwrap();
    let Message::CatalogQuery(q) = got.message else {
        panic!("not a query")
    };
    assert_eq!((q.points, q.catalog), (points.clone(), cat_hash));

    let (answer, proofs) = key
        .blind_evaluate_all(&points, Exec::Serial, &NoProgress, &mut OsRng)
        .unwrap();
    let msg = CatalogAnswer {
        kind: cat.kind,
        query: q_hash,
        key_id: cat.key_id.clone(),
        points: answer.clone(),
        proofs,
    };
    let sealed = seal_message(Message::CatalogAnswer(msg), &to(&a, &b.public()), Envelope::Plain);
    let state = query_state(&a.public(), cat_hash, key.key_id().to_vec(), q_hash, client);
    let reader = Reader {
        me: &b,
        now: NOW,
        store: &NoState,
    };
    let (_, again) = reader.catalog_of("c", cat_bytes, &state).unwrap();
    *mem.query.borrow_mut() = Some(state);
    let got = read(&b, &mem, sealed.to_vec(), Expect::Answer).unwrap();
    let (Message::CatalogAnswer(ans), Kept::Query(state)) = (got.message, got.kept) else {
        panic!("not an answer")
    };
    assert_eq!(ans.points, answer);
    let found = state
        .client
        .finish(&ans.points, &ans.proofs, &again.view(), Exec::Serial)
        .unwrap();
    assert_eq!(found.found.len(), 3);
}

fn refusal(me: &Identity, store: &dyn Lookup, bytes: Vec<u8>, expect: Expect<'_>) -> String {
    read(me, store, bytes, expect).err().expect("refused").to_string()
}

/// A round 1 from Alice to Bob, with the payload altered by `f`.
fn altered(f: impl FnOnce(&mut Payload)) -> Vec<u8> {
    let (a, b) = (alice(), bob());
    let (_, r1) = Initiator::start(&entries(), Mode::Mutual, None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
    let msg = Message::Round1(Round1 {
        kind: KindSetting::Auto,
        mode: Mode::Mutual,
        elements: r1,
    });
    let mut p = msg.into_payload(&to(&a, &b.public()));
    f(&mut p);
    seal(p, &a, &b.public(), Envelope::Plain).to_vec()
}

#[test]
fn each_check_refuses_with_its_sentence() {
    let (a, b) = (alice(), bob());
    let pa = a.public();
    // Bob reads a round 1 from Alice, altered so that one check fails.
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"junk".to_vec(), "b: this is a text file (a list?), not a bundle"),
        (vec![0x84, 0x40], "b: not a valid cosect bundle"),
        (
            altered(|p| p.to = vec![1; 32].into()),
            "b: the bundle is addressed to fingerprint",
        ),
        (altered(|p| p.expires = NOW), "b: the bundle expired at"),
        (
            altered(|p| p.round = 2),
            "b: this is a round 2, and `respond` takes a round 1 or a catalog query",
        ),
        (
            altered(|p| p.kind = "x".into()),
            "b: not a valid cosect bundle: unknown kind \"x\"",
        ),
        (
            altered(|p| p.trunc = 1),
            "b: inconsistent counts: a round-1 bundle carries no answered hash",
        ),
        (
            altered(|p| {
                p.points.clear();
                p.n_points = 0
            }),
            "b: inconsistent counts: round 1 holds no elements",
        ),
    ];
    for (bytes, want) in cases {
        let got = refusal(&b, &NoState, bytes, Expect::Request { peer: &pa });
        assert!(got.starts_with(want), "{got:?} does not start with {want:?}");
    }
}

#[test]
fn a_bundle_of_another_sender_or_for_another_verb_is_refused_with_its_sentence() {
    let (a, b) = (alice(), bob());
    let (pa, pb) = (a.public(), b.public());
    let from_b = Expect::Request { peer: &pb };
    let cases: Vec<(&Identity, Expect<'_>, &str)> = vec![
        (
            &a,
            from_b,
            "b: this is a bundle you sent yourself (round 1), not one from your peer",
        ),
        (&b, from_b, "b: the bundle is from"),
        (
            &b,
            Expect::Answer,
            "b: this is a round 1, and `finish` takes a round 2, a round 3 or a catalog answer",
        ),
        (
            &b,
            Expect::Catalog { publisher: &pa },
            "b: this is a round 1, and `init --catalog` takes a catalog",
        ),
    ];
    for (me, expect, want) in cases {
        let got = refusal(me, &NoState, altered(|_| {}), expect);
        assert!(got.starts_with(want), "{got:?} does not start with {want:?}");
    }
}

#[test]
fn a_known_session_is_not_answered_twice() {
    let (a, b) = (alice(), bob());
    let (init, r1, hash) = round1(&a, &b);
    let mem = Mem::default();
    *mem.session.borrow_mut() = Some(session(&a.public(), hash, Step::AwaitRound2(init)));
    let got = refusal(&b, &mem, r1, Expect::Request { peer: &a.public() });
    assert_eq!(
        got,
        "b: session 07070707 was already answered, and this is another bundle for it"
    );
}

#[test]
fn an_answer_must_name_the_bundle_sent() {
    let (a, b) = (alice(), bob());
    let (init, _, _) = round1(&a, &b);
    let (_, r1, _) = round1(&a, &b);
    let got = read(&b, &NoState, r1, Expect::Request { peer: &a.public() }).unwrap();
    let Message::Round1(r1) = got.message else { panic!() };
    let (r2, _) = answer(&r1.elements);
    let msg = Message::Round2(Round2 {
        kind: r1.kind,
        mode: r1.mode,
        answers: [9; 32],
        elements: r2,
    });
    let bytes = seal_message(msg, &to(&b, &a.public()), Envelope::Plain).to_vec();
    let mem = Mem::default();
    *mem.session.borrow_mut() = Some(session(&b.public(), got.header.hash, Step::AwaitRound2(init)));
    let got = refusal(&a, &mem, bytes, Expect::Answer);
    assert!(got.contains("it answers another bundle than the one you sent"), "{got}");
}

/// A query that names a live catalog but another key id is refused naming
/// the catalog once and both key ids.
#[test]
fn a_query_with_another_key_id_names_the_catalog_once() {
    let (a, b) = (alice(), bob());
    let key = CatalogKey::generate(&mut OsRng);
    let (_, cat_hash) = published(&a, &key);
    let (_, points) = Client::start(&entries(), None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
    let q = CatalogQuery {
        kind: KindSetting::Auto,
        catalog: cat_hash,
        key_id: vec![0xab; 32],
        points,
    };
    let sealed = seal_message(Message::CatalogQuery(q), &to(&b, &a.public()), Envelope::Age);
    let mem = Mem::default();
    *mem.keys.borrow_mut() = Some(current(&key, cat_hash));
    let got = refusal(&a, &mem, sealed.to_vec(), Expect::Request { peer: &b.public() });
    let id = catalog_name(&cat_hash);
    assert_eq!(got.matches(&id).count(), 1, "{got}");
    assert!(got.contains("another catalog key id (abababababababab)"), "{got}");
}

/// `serve` reads whatever the peer its TLS key authenticated may send: a
/// round 1 as `Request`, a round 3 as `Answer`, each signed by that peer.
#[test]
fn a_server_reads_requests_and_answers_of_the_authenticated_peer_only() {
    let (a, b) = (alice(), bob());
    let carol = Identity::generate("carol").unwrap();
    let (_, r1_bytes, _) = round1(&a, &b);
    let got = read(&b, &NoState, r1_bytes.clone(), Expect::FromPeer { peer: &a.public() }).unwrap();
    let Message::Round1(r1) = got.message else {
        panic!("not round 1")
    };
    let err = refusal(&b, &NoState, r1_bytes, Expect::FromPeer { peer: &carol.public() });
    assert!(err.contains("carol"), "{err}");

    let r2_hash = [7u8; 32];
    let round3 = |r2: &crate::protocol::mutual::Round2| {
        let elements = crate::protocol::mutual::Round3 {
            doubled: r2.doubled.clone(),
            trunc: r2.doubled.len() / 3,
        };
        let msg = Message::Round3(Round3 {
            kind: r1.kind,
            mode: Mode::Mutual,
            answers: r2_hash,
            elements,
        });
        seal_message(msg, &to(&a, &b.public()), Envelope::Plain).to_vec()
    };
    let mem = Mem::default();
    for (peer, ok) in [(carol.public(), false), (a.public(), true)] {
        let (r2, resp) = answer(&r1.elements);
        *mem.session.borrow_mut() = Some(session(&a.public(), r2_hash, Step::AwaitRound3(resp.unwrap())));
        let got = read(&b, &mem, round3(&r2), Expect::FromPeer { peer: &peer });
        match (got, ok) {
            (Ok(g), true) => assert!(matches!(g.message, Message::Round3(_))),
            (Err(e), false) => assert!(
                e.to_string().contains("not by the peer this connection authenticated"),
                "{e}"
            ),
            (Ok(_), false) => panic!("a round 3 of another peer was read"),
            (Err(e), true) => panic!("refused: {e}"),
        }
    }
}

/// The six messages, as their payloads from Alice to Bob.
fn every_message() -> Vec<Payload> {
    let (a, b) = (alice(), bob());
    let (_, r1) = Initiator::start(&entries(), Mode::Mutual, None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
    let (r2, _) = answer(&r1);
    let r3 = crate::protocol::mutual::Round3 {
        doubled: r2.doubled.clone(),
        trunc: r2.trunc,
    };
    let (kind, mode, answers) = (KindSetting::Fixed(Kind::Raw), Mode::Mutual, [9; 32]);
    let key = CatalogKey::generate(&mut OsRng);
    let cat = proto::publish(&key, &entries(), None, Exec::Serial, &NoProgress, &mut OsRng).unwrap();
    let (key_id, points) = (key.key_id().to_vec(), r1.points.clone());
    let (evaluated, proofs) = key
        .blind_evaluate_all(&points, Exec::Serial, &NoProgress, &mut OsRng)
        .unwrap();
    let messages = vec![
        Message::Round1(Round1 {
            kind,
            mode,
            elements: r1,
        }),
        Message::Round2(Round2 {
            kind,
            mode,
            answers,
            elements: r2,
        }),
        Message::Round3(Round3 {
            kind,
            mode,
            answers,
            elements: r3,
        }),
        Message::Catalog(Catalog::published(kind, key_id.clone(), cat)),
        Message::CatalogQuery(CatalogQuery {
            kind,
            catalog: answers,
            key_id: key_id.clone(),
            points,
        }),
        Message::CatalogAnswer(CatalogAnswer {
            kind,
            query: answers,
            key_id,
            points: evaluated,
            proofs,
        }),
    ];
    messages
        .into_iter()
        .map(|m| m.into_payload(&to(&a, &b.public())))
        .collect()
}

#[test]
fn every_message_is_typed_alone_and_a_malformed_one_is_refused() {
    for p in every_message() {
        let mut typed_p = p.clone();
        let m = typed(&mut typed_p).unwrap_or_else(|e| panic!("round {}: {e}", p.round));
        assert_eq!(m.wire(), (p.protocol.as_str(), p.round));
        // The message makes the same payload again.
        let again = m.into_payload(&to(&alice(), &bob().public()));
        assert!(again.encode() == p.encode(), "{:?} does not round-trip", p);
    }
    let mut odd = every_message().swap_remove(0);
    odd.round = 4;
    assert_eq!(
        typed(&mut odd).unwrap_err().to_string(),
        "not a valid cosect bundle: round 4 is no round of protocol \"psi\""
    );
    let mut odd = every_message().swap_remove(1);
    odd.answers = Default::default();
    assert!(typed(&mut odd)
        .unwrap_err()
        .to_string()
        .contains("names the bundle it answers"));
}
