//! cosect: private set intersection through signed, optionally
//! age-encrypted bundle files.
//!
//! Data flows one way out and back the same way in:
//! input list → [`input`] (normalize) → [`group`] → [`protocol`] round →
//! [`engine`] typed message → [`bundle`] payload → COSE signature → age
//! envelope → file. `input`, `group`, `protocol`, `bundle` and `engine` do
//! no file or terminal I/O; [`store`] keeps state between rounds; the
//! binary's verbs (`commands`, `cli`, `man`, `output`) wire files, keys and
//! the terminal to them and are not library surface. doc/architecture.md
//! draws the house.

#![forbid(unsafe_code)]

/// `Display` and `FromStr` for a type of named values: `name()` gives a
/// value's name, `ALL` lists the values, and an unknown name is refused
/// as `unknown <what> "x" (expected <names>)`.
macro_rules! named_values {
    ($t:ty, $what:literal, $names:literal) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL
                    .into_iter()
                    .find(|v| v.name() == s)
                    .ok_or_else(|| format!(concat!("unknown ", $what, " {:?} (expected ", $names, ")"), s))
            }
        }
    };
}

pub mod bundle;
pub mod engine;
pub mod error;
pub mod exchange;
pub mod fsio;
pub mod group;
pub mod identity;
pub mod input;
pub mod protocol;
pub mod serde_le;
pub mod store;
pub mod text;

// What only the binary (and its man-page test) needs: not library surface.
#[doc(hidden)]
pub mod cli;
#[doc(hidden)]
pub mod commands;
#[doc(hidden)]
pub mod man;
#[doc(hidden)]
pub mod output;
#[doc(hidden)]
#[cfg(feature = "serve")]
pub mod serve;
#[doc(hidden)]
pub mod sightings;

pub use error::{Error, Result};
