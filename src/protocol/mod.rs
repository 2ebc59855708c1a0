//! Pure protocol logic: no files, no terminal. Each step consumes the state
//! of the previous one, so steps cannot be run out of order or twice.
//!
//! Rooms:
//! - `mutual`: protocol 1, mutual PSI by double encryption (`Initiator`,
//!   `Responder`, the `Round1`..`Round3` messages, `Mode`, `Outcome`);
//! - `catalog`: protocol 2, a published catalog on the RFC 9497 OPRF (its
//!   key, label records, publishing, and the client's query);
//! - `pad`: the `--pad-to` rule and random padding elements both share.

pub mod catalog;
pub mod mutual;
pub mod pad;

pub use mutual::{Initiator, Mode, Outcome, ProtocolError, Responder};
pub use pad::PadTooSmall;
