//! The sans-IO core of tether, a WebSocket (RFC 6455) engine.
//!
//! This crate holds the whole protocol — the HTTP/1.1 upgrade handshake for both roles, the frame
//! layer, masking, fragmentation, control frames, close codes, incremental UTF-8 validation,
//! limits and timers — and no I/O: no sockets, no async runtime, no clock, no OS entropy.
//! Adapters (`tether-std`, `tether-tokio`) move bytes and keep time; everything they would
//! otherwise each re-implement lives here once.
//!
//! ```text
//!            handle_input / input_buffer+commit_input        poll_event
//!  transport ───────────────────────────────────────▶ ┌────────────┐ ──────────▶ application
//!   (bytes)  ◀─────────────────────────────────────── │ Connection │ ◀──────────  (commands:
//!            poll_transmit + advance_transmit          └────────────┘  send_text, close, ...)
//!                                                       ▲        │
//!                         handle_timeout(now) ──────────┘        └──▶ poll_timeout()
//! ```
//!
//! * [`Connection`] is the state machine; its module docs give the calling pattern.
//! * [`frame`] and [`handshake`] are the pure parsers and writers it uses, public for tools.
//! * Time comes in as [`Instant`] arguments; randomness from an [`Entropy`] source
//!   ([`OsEntropy`] with the `std` feature).
//! * Peer errors never come back from `handle_*` calls: they close the connection with the right
//!   code and surface once as [`Event::Closed`]. API misuse returns a [`SendError`] at once.
//!
//! Features: `std` (default) adds [`OsEntropy`] and `std::error::Error`; without it the crate is
//! `#![no_std]` + `alloc`. `deflate` (default, implies `std`) adds permessage-deflate
//! compression (RFC 7692), negotiated by every connection unless [`Config::deflate`] is `None`
//! (see [`deflate`]). `http` adds conversions from and to the `http` crate's types, so an
//! upgrade that hyper or axum already parsed can be accepted.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod close;
mod config;
pub mod connection;
#[cfg(feature = "deflate")]
pub mod deflate;
mod entropy;
mod error;
mod event;
mod extension;
pub mod frame;
pub mod handshake;
mod message;
#[cfg(any(test, feature = "__testkit"))]
#[doc(hidden)]
pub mod testkit;
mod time;
mod utf8;

/// Shared, reference-counted bytes: message payloads are [`Bytes`].
pub use bytes::{self, Bytes};
pub use close::{CloseCode, CloseFrame, MAX_REASON_LEN};
pub use config::{Config, ReceiveMode};
pub use connection::{Connection, PreparedMessage, SendOptions};
#[cfg(feature = "std")]
pub use entropy::OsEntropy;
pub use entropy::{Entropy, FixedEntropy};
pub use error::{ConnectionError, ProtocolError, SendError};
pub use event::Event;
pub use extension::{Decoded, Extension, ExtensionError};
pub use message::{InvalidText, Message, MessageKind};
pub use time::Instant;

/// Which end of the connection this endpoint is.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub enum Role {
    /// The endpoint that sent the upgrade request; it masks every frame it sends.
    Client,
    /// The endpoint that accepted the upgrade; it never masks.
    Server,
}
