//! tether-proto: the sans-IO core of the tether WebSocket (RFC 6455) engine.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod close;
mod config;
pub mod connection;
mod entropy;
mod error;
mod event;
pub mod frame;
pub mod handshake;
mod time;
mod utf8;

pub use close::{CloseCode, CloseFrame, MAX_REASON_LEN};
pub use config::{Config, ReceiveMode};
pub use connection::Connection;
#[cfg(feature = "std")]
pub use entropy::OsEntropy;
pub use entropy::{Entropy, FixedEntropy};
pub use error::{ConnectionError, ProtocolError, SendError};
pub use event::{Event, Message, MessageKind};
pub use time::Instant;

/// Which end of the connection this endpoint is.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub enum Role {
    /// The endpoint that sent the upgrade request; it masks every frame it sends.
    Client,
    /// The endpoint that accepted the upgrade; it never masks.
    Server,
}
