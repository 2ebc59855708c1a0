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
    cause: Cause,
}

/// What kind of refusal an error is, where a carrier answers them
/// differently (`serve` gives a replay 409, a bundle it cannot read 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cause {
    /// Anything else.
    #[default]
    General,
    /// Another bundle for a session or query that was already answered.
    Replay,
    /// The state changed under the command (another process finished or
    /// retired what it was working on).
    Conflict,
    /// A query against a catalog that is not live (retired, expired, or
    /// never published here).
    Stale,
    /// A request larger than the party accepts.
    TooLarge,
    /// The peer has as many open sessions as the party keeps for it.
    Sessions,
    /// Over the peer's budget; room again at `frees_at` (Unix seconds).
    OverBudget { frees_at: Option<u64> },
    /// The party's own state or files failed (not the peer's doing).
    Internal,
    /// A server too busy to take the request now; again after
    /// `retry_after` seconds.
    Busy { retry_after: Option<u64> },
}

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            hint: None,
            cause: Cause::General,
        }
    }

    /// The same error, of kind `cause`.
    pub fn because(mut self, cause: Cause) -> Self {
        self.cause = cause;
        self
    }

    pub fn cause(&self) -> Cause {
        self.cause
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
            ..self
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
            cause: Cause::General,
        }
    }
}
