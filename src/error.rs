//! Errors shown to the user: one plain sentence, optionally followed by a hint.
//!
//! The pure layers (`group`, `input`, `bundle`, `protocol`) have their own
//! typed errors; the command layer wraps them with the file they concern.

use std::fmt;

/// A user-facing error: one sentence naming what failed, and a hint saying
/// what to do about it.
#[derive(Debug)]
pub struct Error {
    message: String,
    hint: Option<String>,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// Prefix the message with the file it concerns (`r2.cbor: ...`).
    pub fn in_file(self, path: &str) -> Self {
        Error {
            message: format!("{path}: {}", self.message),
            hint: self.hint,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors of the pure layers convert into user errors with their own hint.
pub trait Hinted: fmt::Display {
    fn hint(&self) -> Option<String> {
        None
    }
}

impl<E: Hinted> From<E> for Error {
    fn from(e: E) -> Self {
        let hint = e.hint();
        Error {
            message: e.to_string(),
            hint,
        }
    }
}
