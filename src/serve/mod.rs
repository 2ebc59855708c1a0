//! The HTTPS carrier (`cosect serve`, `cosect send`; doc/serve.md): the
//! same bundles as the offline verbs, over TLS 1.3 where both ends
//! authenticate with their cosect identities' Ed25519 keys (RFC 7250 raw
//! public keys). Every bundle still goes through the engine.
//!
//! Rooms: `tls` (both rustls configurations), `http` (the server's HTTP
//! surface, limits, graceful stop), `exchange` (what the server does with a
//! bundle), `audit` (the JSON-lines log), `client` (`send`'s POST).

pub mod admit;
pub mod audit;
pub mod client;
pub mod exchange;
pub mod http;
pub mod tls;
