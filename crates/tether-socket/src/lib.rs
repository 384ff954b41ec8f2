//! The socket layer of tether: everything an adapter does around the sans-IO core, written
//! once.
//!
//! `tether-std` (blocking) and `tether-tokio` (async) are drive loops over this crate: they move
//! bytes, keep time and wait, and this crate decides everything else the same way for both. It
//! is public for one more audience: anyone writing an adapter for another runtime or transport.
//! Users of `tether-std` or `tether-tokio` never need to name it; those crates re-export what
//! they need.
//!
//! * [`Session`]: a [`Connection`](tether_proto::Connection) as a socket drives it — the
//!   server's decision on the upgrade request, a bounded queue of owned [`Message`]s decoded as
//!   soon as bytes arrive (so pings are answered whatever the application is doing), whole
//!   messages, [`Chunk`]s or a byte stream out, errors with context, how the connection ended.
//! * [`ClientConfig`] and [`ServerConfig`]: how a socket is set up, each embedding the one
//!   protocol [`Config`].
//! * [`Error`]: one enum a program can `match`, with the address, URL or status and a hint for
//!   the common mistakes.
//! * [`Dial`]: the client's plan before the handshake (URL, proxy tunnel, TLS name) as data;
//!   [`proxy`]: the sans-IO HTTP `CONNECT` exchange and the environment's proxy rules;
//!   [`tls`]: rustls configs with the `ring` provider passed explicitly.
//!
//! ```
//! use tether_socket::{Config, ServerConfig, Session};
//! use tether_proto::{Instant, Message, SendOptions};
//!
//! // A server session fed a client's upgrade request, in memory.
//! let mut session = Session::server(Instant::ZERO, &ServerConfig::default(), None);
//! session.feed(Instant::ZERO, b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Sec-WebSocket-Version: 13\r\n\r\n");
//! assert!(matches!(session.handshake_result(), Some(Ok(()))));
//! session.send(Message::text("hello"), SendOptions::default())?;
//! # Ok::<(), tether_socket::Error>(())
//! ```

mod config;
mod dial;
mod error;
mod fanout;
pub mod proxy;
mod session;
mod spare;
pub mod tls;
mod tls_layer;

pub use config::{
    ClientConfig, Credentials, HttpMode, OnRequest, ProxySetting, RootCerts, ServerConfig,
    TlsOptions,
};
pub use dial::{ALPN_H2, ALPN_HTTP11, Dial, MAX_ADDRESSES};
pub use error::{Error, Http2Reset, TimeoutKind, TrySendError};
pub use fanout::{FanoutLimits, Offer, SlowPolicy};
pub use proxy::Proxy;
pub use session::{Batch, Chunk, ConnectionInfo, Session};
pub use tls_layer::{PlainRead, TlsLayer};

/// The TLS crate, for its config and certificate types.
pub use rustls;
/// The core crate.
pub use tether_proto;
pub use tether_proto::handshake::{Accept, Answer, HttpVersion, Reject, Request, Target};
pub use tether_proto::{
    Bytes, CloseCode, CloseFrame, Config, Message, MessageKind, PreparedMessage, ReceiveMode,
    SendOptions,
};
