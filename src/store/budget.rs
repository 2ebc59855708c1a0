//! Per-peer budgets: how many entries were evaluated for a peer in the
//! last window (24 h): the elements of its catalog queries and round 1s,
//! and for a round 1 also the server's own list (the work it does),
//! kept in `budget/<peer fingerprint>.age` (age-encrypted to the owner,
//! 0600, like every state file). A charge is made under the state
//! directory's lock, in the transaction that commits the answer
//! (`Tx::charge`): two servers, or a server and `respond --budget`, on one
//! state directory share one record and one count. A retried request is
//! never charged twice: the replay journal answers it from its kept reply.
//!
//! The record is a sliding window of counters per time slot (`SLOTS` per
//! window): it costs the same to load, check and save at the 100,000th
//! request as at the first. A charge leaves the window with its slot, so
//! at most one slot (15 minutes of a 24-hour window) later than its own
//! time: never earlier.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{hex, load_sealed, Store};
use crate::error::{Error, Result};
use crate::identity::{Identity, PublicIdentity};

/// 2: counters per time slot (1 listed every request).
pub const BUDGET_VERSION: u32 = 2;
/// Time slots per window.
pub const SLOTS: u64 = 96;

/// Entries charged in one time slot.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Unix seconds at which the slot starts.
    pub start: u64,
    pub entries: u64,
}

/// `budget/<fingerprint>.age`.
#[derive(Serialize, Deserialize, Default, Clone)]
pub struct BudgetLog {
    pub version: u32,
    /// The length of one slot, seconds (the window / `SLOTS`).
    #[serde(default)]
    pub slot: u64,
    #[serde(default)]
    pub slots: Vec<Slot>,
}

/// A version-1 record: one line per request.
#[derive(Deserialize)]
struct Listed {
    charges: Vec<Listed1>,
}

#[derive(Deserialize)]
struct Listed1 {
    at: u64,
    entries: u64,
}

/// Why a request was not charged.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Over budget: `used` of `budget` in the window; room for `entries`
    /// again at `frees_at` (None: the request alone exceeds the budget).
    Over {
        used: u64,
        budget: u64,
        frees_at: Option<u64>,
    },
}

impl Refused {
    /// The sentence for a request of `entries` entries refused over
    /// budget, with when it frees up.
    pub fn to_error(&self, entries: u64) -> Error {
        let Refused::Over { used, budget, frees_at } = *self;
        let e = Error::new(format!(
            "over budget: this request has {entries} entries, and {used} of the peer's {budget} entries \
             per 24 hours are used"
        ));
        match frees_at {
            Some(t) => e.with_hint(format!(
                "the budget frees up enough for this request at {}",
                crate::bundle::format_time(t)
            )),
            None => e.with_hint("this request alone is larger than the whole budget: split it"),
        }
    }
}

impl BudgetLog {
    fn empty() -> Self {
        BudgetLog {
            version: BUDGET_VERSION,
            slot: 0,
            slots: Vec::new(),
        }
    }

    /// Entries charged in the window.
    pub fn used(&self) -> u64 {
        self.slots.iter().map(|s| s.entries).sum()
    }

    /// Charge `entries` at `now`, dropping the slots that left the window
    /// of `window` seconds; `budget` None charges without a cap.
    pub fn charge(&mut self, entries: u64, now: u64, window: u64, budget: Option<u64>) -> Result<(), Refused> {
        let slot = (window / SLOTS).max(1);
        if self.slot != slot {
            // Another window (or a version-1 record): the charges keep
            // their time, rounded down to the new slots.
            let old = std::mem::take(&mut self.slots);
            self.slot = slot;
            for s in old {
                self.add(s.start, s.entries);
            }
        }
        // A slot is in the window while any second of it is.
        self.slots.retain(|s| s.start + slot + window > now);
        if let Some(budget) = budget {
            let used = self.used();
            if used + entries > budget {
                return Err(Refused::Over {
                    used,
                    budget,
                    frees_at: self.frees_at(entries, budget, window),
                });
            }
        }
        self.add(now, entries);
        Ok(())
    }

    fn add(&mut self, at: u64, entries: u64) {
        let start = at - at % self.slot;
        match self.slots.iter_mut().find(|s| s.start == start) {
            Some(s) => s.entries += entries,
            None => {
                self.slots.push(Slot { start, entries });
                self.slots.sort_by_key(|s| s.start);
            }
        }
    }

    /// When enough old slots have left the window for `entries` more.
    fn frees_at(&self, entries: u64, budget: u64, window: u64) -> Option<u64> {
        if entries > budget {
            return None;
        }
        let mut left = self.used();
        for s in &self.slots {
            left -= s.entries;
            if left + entries <= budget {
                return Some(s.start + self.slot + window);
            }
        }
        None
    }
}

impl Store {
    pub fn budget_path(&self, peer: &PublicIdentity) -> PathBuf {
        self.dir()
            .join("budget")
            .join(format!("{}.age", hex(&peer.fingerprint())))
    }

    /// The peer's budget log (empty when there is none yet); a version-1
    /// record is carried over (its charges, by time).
    pub fn load_budget(&self, peer: &PublicIdentity, me: &Identity) -> Result<BudgetLog> {
        let path = self.budget_path(peer);
        let value: Option<ciborium::Value> = load_sealed(&path, me, "budget record")?;
        let Some(value) = value else {
            return Ok(BudgetLog::empty());
        };
        let version = value
            .as_map()
            .and_then(|m| m.iter().find(|(k, _)| k.as_text() == Some("version")))
            .and_then(|(_, v)| v.as_integer())
            .and_then(|v| u32::try_from(v).ok());
        let damaged = || {
            Error::new(format!(
                "{}: the budget record is damaged or of another version",
                path.display()
            ))
            .with_hint("delete it: the peer's budget starts afresh")
        };
        match version {
            Some(BUDGET_VERSION) => value.deserialized::<BudgetLog>().map_err(|_| damaged()),
            Some(1) => {
                let old: Listed = value.deserialized().map_err(|_| damaged())?;
                let mut log = BudgetLog::empty();
                log.slot = 1;
                log.slots = old
                    .charges
                    .into_iter()
                    .map(|c| Slot {
                        start: c.at,
                        entries: c.entries,
                    })
                    .collect();
                log.slots.sort_by_key(|s| s.start);
                Ok(log)
            }
            _ => Err(damaged()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_window_and_frees_at() {
        // A window of 9,600 s: slots of 100 s.
        let w = 9600;
        let mut log = BudgetLog::empty();
        assert_eq!(log.charge(60, 1000, w, Some(100)), Ok(()));
        assert_eq!(log.charge(30, 2000, w, Some(100)), Ok(()));
        assert_eq!(
            log.charge(20, 3000, w, Some(100)),
            Err(Refused::Over {
                used: 90,
                budget: 100,
                frees_at: Some(1000 + 100 + w)
            })
        );
        assert_eq!(
            log.charge(101, 3000, w, Some(100)),
            Err(Refused::Over {
                used: 90,
                budget: 100,
                frees_at: None
            })
        );
        // Still counted until its slot has left the window, then gone.
        assert!(log.charge(20, 1000 + w + 50, w, Some(100)).is_err());
        assert_eq!(log.charge(20, 1000 + w + 100, w, Some(100)), Ok(()));
        assert_eq!(log.used(), 50);
        // No cap: always charged.
        assert_eq!(log.charge(1 << 40, 20000, w, None), Ok(()));
    }

    /// 100,000 charges in one window: the record holds one counter per
    /// slot, not one line per request.
    #[test]
    fn the_record_does_not_grow_with_requests() {
        let mut log = BudgetLog::empty();
        for i in 0..100_000u64 {
            log.charge(1, 1_000_000 + i * 86_000 / 100_000, 86_400, Some(1 << 40))
                .unwrap();
        }
        assert_eq!(log.used(), 100_000);
        assert!(log.slots.len() as u64 <= SLOTS + 1, "{}", log.slots.len());
    }
}
