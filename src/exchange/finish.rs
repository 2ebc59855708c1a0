//! Finishing a mutual session: the initiator with a round 2 (which also
//! makes round 3 when the mode has one), the responder with a round 3.
//! The arithmetic runs without the lock (`finish_round2`,
//! `finish_round3`); `commit_finish` then checks under the lock that the
//! session is still open (two `finish`es of one round 2 at once: exactly
//! one writes), writes the results and round 3, destroys the session, and
//! for a round 3 records in the journal that it finished the session.

use std::time::Duration;

use rand::rngs::OsRng;

use super::{Delivery, Party};
use crate::bundle::{Envelope, Sealed};
use crate::engine::{self, Addressed, Header, Round2, Round3};
use crate::error::{Cause, Error, Result};
use crate::fsio::Dest;
use crate::group::{Exec, Progress};
use crate::protocol::{Mode, Outcome};
use crate::store::{hex, Answer, Answered, Keep, SecretList, Session, Step, JOURNAL_VERSION};

/// A finished session, not yet committed.
pub struct Finished {
    pub id: Vec<u8>,
    pub kind: String,
    pub entries: SecretList,
    pub outcome: Outcome,
    pub mode: Mode,
    /// Round 3 for the peer, when the mode has one.
    pub round3: Option<Sealed>,
    /// For a round 3 read: the journal's record that it finished the session.
    record: Option<Answered>,
}

impl Finished {
    /// The results in `format`, as `me` learned them from `peer` in the
    /// bundle created at `created` (what the STIX and MISP formats name).
    pub fn render(
        &self,
        format: crate::output::Format,
        me: &crate::identity::PublicIdentity,
        peer: &crate::identity::PublicIdentity,
        created: u64,
    ) -> std::result::Result<crate::output::Rendered, crate::output::Unfit> {
        use crate::output;
        let shared = match &self.outcome {
            Outcome::Matches(m) => Some(m.iter().map(|&i| self.entries.shared(i)).collect()),
            Outcome::Count(_) => None,
        };
        let report = output::Report {
            mode: self.mode.name(),
            kind: &self.kind,
            count: self.outcome.count(),
            entries: shared,
            with_source: self.entries.has_sources(),
            with_label: false,
        };
        let (mine, theirs) = (me.fingerprint(), peer.fingerprint());
        let who = output::Who {
            me: output::Party {
                name: &me.name,
                fingerprint: &mine,
            },
            peer: output::Party {
                name: &peer.name,
                fingerprint: &theirs,
            },
            whence: output::Whence::Shared,
            session: &self.id,
            time: created,
        };
        output::render(&report, format, &who)
    }
}

/// The responder has already waited for round 3; give it as long as round
/// 2 gave us, and at least an hour.
fn reply_lifetime(r2: &Header) -> Duration {
    Duration::from_secs(r2.expires.saturating_sub(r2.created).max(3600))
}

/// The initiator's step on round 2 `r2` of bundle `h` for session `s`:
/// the outcome and round 3 (sealed in `envelope`), without the lock.
pub fn finish_round2(
    party: Party,
    name: &str,
    h: &Header,
    r2: Round2,
    s: Session,
    (envelope, now): (Envelope, u64),
    progress: &dyn Progress,
) -> Result<Finished> {
    let Step::AwaitRound2(init) = s.step else {
        unreachable!("check_answer matched the round to the session's step")
    };
    let (kind, mode) = (r2.kind, r2.mode);
    let (outcome, r3) = init
        .finish(r2.elements, Exec::Parallel, progress, &mut OsRng)
        .map_err(|e| Error::from(e).in_file(name))?;
    let round3 = r3.map(|elements| {
        let to = Addressed::new(h.session, party.me, &h.sender, now, reply_lifetime(h));
        let msg = engine::Message::Round3(Round3 {
            kind,
            mode,
            answers: h.hash,
            elements,
        });
        engine::seal_message(msg, &to, envelope)
    });
    Ok(Finished {
        id: s.id.into_vec(),
        kind: s.kind,
        entries: s.entries,
        outcome,
        mode,
        round3,
        record: None,
    })
}

/// The responder's step on round 3 `r3` of bundle `h` for session `s`.
pub fn finish_round3(name: &str, h: &Header, r3: Round3, s: Session, now: u64) -> Result<Finished> {
    let Step::AwaitRound3(resp) = s.step else {
        unreachable!("check_answer matched the round to the session's step")
    };
    let outcome = resp.finish(&r3.elements).map_err(|e| Error::from(e).in_file(name))?;
    let record = Answered {
        version: JOURNAL_VERSION,
        id: s.id.clone(),
        request: h.hash.to_vec().into(),
        peer: h.sender.line(),
        answer: Answer::Finished,
        at: now,
        until: h.expires,
    };
    Ok(Finished {
        id: s.id.into_vec(),
        kind: s.kind,
        entries: s.entries,
        outcome,
        mode: r3.mode,
        round3: None,
        record: Some(record),
    })
}

/// Where the results go: destination, `--force`, and the rendered report.
pub struct Results<'a> {
    pub dest: &'a Dest,
    pub force: bool,
    pub text: &'a [u8],
}

/// Commit a finished session under the lock: refused when another process
/// finished or cancelled it meanwhile (nothing is written then); else
/// round 3 (to `reply`), the results (0600), the session destroyed and,
/// for a round 3, the journal's record, at once or not at all. Returns how
/// to name where round 3 went.
pub fn commit_finish(
    party: Party,
    name: &str,
    f: &Finished,
    results: Results,
    reply: Option<Delivery>,
) -> Result<Option<String>> {
    let mut tx = party.store.begin(party.me)?;
    if !tx.session_open(&f.id) {
        return Err(Error::new(format!(
            "{name}: session {} was finished or cancelled by another cosect while this one worked; \
             nothing was written",
            &hex(&f.id)[..8]
        ))
        .with_hint("the other command wrote the results; `cosect sessions` lists what is still open")
        .because(Cause::Conflict));
    }
    let shown = match (&f.round3, reply) {
        (Some(r3), Some(d)) => Some(d.write(&mut tx, |w| r3.write_to(w), || Ok(r3.to_vec()))?),
        _ => None,
    };
    tx.write(results.dest, (results.force, true), |w| w.write_all(results.text))?;
    tx.end_session(&f.id)?;
    if let Some(r) = &f.record {
        tx.keep(Keep::Answered(r))?;
    }
    tx.commit()?;
    Ok(shown)
}
