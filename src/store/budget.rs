//! Per-peer budgets: how many entries a peer had evaluated in the last
//! window (24 h), catalog queries and round-1 sizes together, kept in
//! `budget/<peer fingerprint>.age` (age-encrypted to the owner, 0600, like
//! every state file). Each charge also remembers the hash of the request,
//! so one request is never charged twice. A charge is made under the
//! state directory's lock, in the transaction that commits the answer
//! (`Tx::charge`): two servers, or a server and `respond --budget`, on one
//! state directory share one record and one count.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{hex, load_sealed, Store};
use crate::error::{Error, Result};
use crate::identity::{Identity, PublicIdentity};

pub const BUDGET_VERSION: u32 = 1;

/// One request charged to a peer.
#[derive(Serialize, Deserialize, Clone)]
pub struct Charge {
    /// Unix seconds.
    pub at: u64,
    pub entries: u64,
    /// SHA-256 of the request's bytes.
    #[serde(with = "serde_bytes")]
    pub hash: Vec<u8>,
}

/// `budget/<fingerprint>.age`.
#[derive(Serialize, Deserialize, Default)]
pub struct BudgetLog {
    pub version: u32,
    pub charges: Vec<Charge>,
}

/// Why a request was not charged.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The same request bytes were already charged at `at`.
    Replay { at: u64 },
    /// Over budget: `used` of `budget` in the window; room for `entries`
    /// again at `frees_at` (None: the request alone exceeds the budget).
    Over {
        used: u64,
        budget: u64,
        frees_at: Option<u64>,
    },
}

impl Refused {
    /// The sentence for a request of `entries` entries refused over budget
    /// (with when it frees up), or as a replay.
    pub fn to_error(&self, entries: u64) -> Error {
        match *self {
            Refused::Replay { at } => Error::new(format!(
                "this bundle was already received at {}: a replayed bundle is not answered again",
                crate::bundle::format_time(at)
            ))
            .with_hint("start a new exchange or query for a new answer"),
            Refused::Over { used, budget, frees_at } => {
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
    }
}

impl BudgetLog {
    /// Entries charged in the window ending at `now`.
    pub fn used(&self) -> u64 {
        self.charges.iter().map(|c| c.entries).sum()
    }

    /// Charge `entries` for the request `hash` at `now`, dropping charges
    /// older than `window` seconds; `budget` None charges without a cap.
    pub fn charge(
        &mut self,
        entries: u64,
        hash: [u8; 32],
        now: u64,
        window: u64,
        budget: Option<u64>,
    ) -> Result<(), Refused> {
        self.charges.retain(|c| c.at + window > now);
        if let Some(c) = self.charges.iter().find(|c| c.hash[..] == hash[..]) {
            return Err(Refused::Replay { at: c.at });
        }
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
        self.charges.push(Charge {
            at: now,
            entries,
            hash: hash.to_vec(),
        });
        Ok(())
    }

    /// When enough old charges have left the window for `entries` more.
    fn frees_at(&self, entries: u64, budget: u64, window: u64) -> Option<u64> {
        if entries > budget {
            return None;
        }
        let mut left = self.used();
        let mut by_time: Vec<&Charge> = self.charges.iter().collect();
        by_time.sort_by_key(|c| c.at);
        for c in by_time {
            left -= c.entries;
            if left + entries <= budget {
                return Some(c.at + window);
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

    /// The peer's budget log (empty when there is none yet).
    pub fn load_budget(&self, peer: &PublicIdentity, me: &Identity) -> Result<BudgetLog> {
        let path = self.budget_path(peer);
        let log: Option<BudgetLog> = load_sealed(&path, me, "budget record")?;
        match log {
            Some(l) if l.version != BUDGET_VERSION => Err(Error::new(format!(
                "{}: budget record of version {}, not {BUDGET_VERSION}",
                path.display(),
                l.version
            ))
            .with_hint("delete it: the peer's budget starts afresh")),
            Some(l) => Ok(l),
            None => Ok(BudgetLog {
                version: BUDGET_VERSION,
                charges: Vec::new(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_window_replay_and_frees_at() {
        let mut log = BudgetLog::default();
        assert_eq!(log.charge(60, [1; 32], 100, 1000, Some(100)), Ok(()));
        assert_eq!(log.charge(30, [2; 32], 200, 1000, Some(100)), Ok(()));
        assert_eq!(
            log.charge(5, [1; 32], 300, 1000, Some(100)),
            Err(Refused::Replay { at: 100 })
        );
        assert_eq!(
            log.charge(20, [3; 32], 300, 1000, Some(100)),
            Err(Refused::Over {
                used: 90,
                budget: 100,
                frees_at: Some(1100)
            })
        );
        assert_eq!(
            log.charge(101, [3; 32], 300, 1000, Some(100)),
            Err(Refused::Over {
                used: 90,
                budget: 100,
                frees_at: None
            })
        );
        // The first charge leaves the window at 1100.
        assert_eq!(log.charge(20, [3; 32], 1100, 1000, Some(100)), Ok(()));
        assert_eq!(log.used(), 50);
        // No cap: only replays are refused.
        assert_eq!(log.charge(1 << 40, [4; 32], 1100, 1000, None), Ok(()));
    }
}
