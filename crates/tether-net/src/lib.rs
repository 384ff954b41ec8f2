//! The transport-independent parts of tether's socket adapters.
//!
//! `tether-std` (blocking) and `tether-tokio` (async) drive the sans-IO core
//! [`tether_proto::Connection`] over real sockets. What they share lives here, so both offer
//! the same controls and the same errors:
//!
//! * [`SocketConfig`]: the one settings struct, modelled on the controls of the Windows Runtime
//!   `MessageWebSocket` / `StreamWebSocket` (message type, maximum message size, receive mode,
//!   outbound buffer, subprotocols, credentials, proxy, NoDelay, keepalive, TLS, timeouts);
//! * [`Error`]: one enum a program can `match`, modelled on WinRT's `WebErrorStatus`;
//! * [`proxy`]: the sans-IO HTTP `CONNECT` exchange (request writer, bounded response parser)
//!   and the `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY` rules;
//! * [`Target`]: what a `ws://` / `wss://` URL asks to connect to;
//! * [`tls`]: building `rustls` client and server configs from [`TlsOptions`], always with the
//!   `ring` provider passed explicitly (no process-wide `CryptoProvider` set-up needed);
//! * [`ConnectionInfo`]: addresses, negotiated protocol and extensions, traffic counters;
//! * [`Message`] and [`Chunk`]: what a message socket receives, whole or in pieces.
//!
//! ```
//! use std::time::Duration;
//! use tether_net::{MessageType, SocketConfig};
//!
//! let config = SocketConfig::default()
//!     .message_type(MessageType::Binary)
//!     .protocols(["chat.v2", "chat.v1"])
//!     .connect_timeout(Some(Duration::from_secs(5)))
//!     .read_timeout(None);
//! assert!(config.no_delay); // on unless turned off
//! assert_eq!(config.proto_config().max_message_size, 64 << 20);
//! ```

mod config;
mod error;
mod info;
mod message;
pub mod proxy;
mod target;
pub mod tls;

pub use config::{Credentials, MessageType, ProxySetting, RootCerts, SocketConfig, TlsOptions};
pub use error::{Error, TimeoutKind};
pub use info::ConnectionInfo;
pub use message::{Chunk, Message};
pub use proxy::Proxy;
pub use target::Target;

/// The TLS crate, re-exported for its config and certificate types.
pub use rustls;
/// The core crate, re-exported so adapters and users name the same types.
pub use tether_proto;
