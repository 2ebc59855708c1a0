//! Pure protocol logic: no files, no terminal. Each step consumes the state
//! of the previous one, so steps cannot be run out of order or twice.

pub mod catalog;
pub mod mutual;

pub use mutual::{Initiator, Mode, Outcome, ProtocolError, Responder};
