//! cosect: private set intersection through signed, optionally
//! age-encrypted bundle files.
//!
//! Data flows one way out and back the same way in:
//! input list → [`input`] (normalize) → [`group`] → [`protocol`] round →
//! [`bundle`] payload → COSE signature → age envelope → file.
//! `input`, `group`, `protocol` and `bundle` do no file or terminal I/O;
//! [`commands`] wires files, keys and progress to them.

#![forbid(unsafe_code)]

pub mod bundle;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
pub mod fsio;
pub mod group;
pub mod identity;
pub mod input;
pub mod man;
pub mod output;
pub mod protocol;
pub mod serde_le;
pub mod store;
pub mod text;

pub use error::{Error, Result};
