//! The async adapter of tether: WebSocket (RFC 6455) message and stream sockets on tokio, over
//! TCP, TLS or any `AsyncRead + AsyncWrite`.
//!
//! The protocol is [`tether_proto`]'s and every socket-level decision (the handshake decision,
//! owned messages, errors, when to read) is the shared socket layer's, the same as in the
//! blocking `tether-std`; this crate only moves bytes, keeps time and waits.
//!
//! * [`connect`] a `ws://` or `wss://` URL with a [`ClientConfig`]; [`accept`] any transport
//!   with a [`ServerConfig`] (TLS when it has one); [`take_over`] a connection hyper or axum
//!   upgraded.
//! * [`MessageSocket`]: whole messages, text or binary — `recv`, `send`, `feed` (batched),
//!   `try_send` (never waits: fan-out from one task), prepared messages, chunks, `close` — and
//!   a `Stream`/`Sink` of [`Message`]s. [`into_split`](MessageSocket::into_split) gives halves
//!   for two tasks.
//! * [`StreamSocket`] ([`MessageSocket::into_stream`]): `AsyncRead + AsyncWrite` over binary
//!   payloads, in constant memory for transfers of any size.
//! * [`Hub`]: publish/subscribe over sockets (rooms), each message encoded once; with the
//!   `redis` feature, `Hub::with_redis` spreads its rooms over every process on one Redis.
//!
//! ```
//! use tether_tokio::{ClientConfig, CloseCode, Message, ServerConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), tether_tokio::Error> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! tokio::spawn(async move {
//!     let (tcp, _) = listener.accept().await?;
//!     let mut ws = tether_tokio::accept(tcp, &ServerConfig::default()).await?;
//!     while let Some(message) = ws.recv().await? {
//!         ws.send(message).await?; // echo
//!     }
//!     Ok::<_, tether_tokio::Error>(())
//! });
//!
//! let mut ws = tether_tokio::connect(&format!("ws://{addr}/"), &ClientConfig::default()).await?;
//! ws.send("hello").await?;
//! assert_eq!(ws.recv().await?, Some(Message::text("hello")));
//! let peer = ws.close(CloseCode::NORMAL, "done").await?;
//! assert_eq!((peer.code, peer.reason.as_str()), (CloseCode::NORMAL, "done"));
//! # Ok(()) }
//! ```
//!
//! # How it runs
//!
//! Whoever polls a socket drives it: a receive decodes what is buffered, reads when nothing
//! is (large frames straight into the buffer their message is assembled in), and writes what
//! is queued once no more input is ready — so an echo loop of `recv` + `feed` answers a burst
//! of messages with one write and no task switch. Each socket also has a **keeper**, a small
//! task that drives it whenever an event (the transport, a timer, output queued from another
//! task) finds nobody else doing so: pings are answered, in order, and keepalive pings go out
//! while the application only sends, or does nothing at all. Dropping a socket lets the keeper
//! finish what was queued and close with 1001.
//!
//! Defaults keep healthy connections open: no read timeout; keepalive pings after 30 s of
//! silence, and a connection whose peer stays silent 30 s more fails with 1011
//! ([`TimeoutKind::Keepalive`]).
//!
//! # Features
//!
//! - `hyper`: WebSocket over HTTP/2 (RFC 8441) and hyper on the server. [`connect`] follows
//!   [`ClientConfig::http`] ([`HttpMode::Http2`], or [`HttpMode::Auto`]: HTTP/2 when the
//!   server offers it); `Http2Connection` opens several WebSockets on one HTTP/2 connection.
//!   `upgrade` answers a request hyper parsed (an HTTP/1.1 upgrade or an HTTP/2 extended
//!   CONNECT) exactly as [`accept`] would, and `http_server()` is hyper-util's builder serving
//!   both versions on one listener. [`ConnectionInfo::http_version`] says which carries a
//!   socket.
//! - `axum` (implies `hyper`): `axum::WebSocketUpgrade`, a drop-in for axum's extractor
//!   (`docs/axum.md`).
//!
//! # Cancel safety
//!
//! Receives (`recv`, `recv_chunk`, `Stream::poll_next`, `AsyncRead::poll_read`) are cancel
//! safe: what arrived stays in the socket. A send queues its message in one synchronous step
//! once the output is below the bound: cancelled before, nothing was queued; after, it goes
//! out with the next write.

mod accept;
#[cfg(feature = "axum")]
pub mod axum;
mod connect;
mod driver;
mod handle;
mod held;
mod hub;
mod ops;
#[cfg(feature = "redis")]
pub mod redis;
mod socket;
mod stream;
mod timer;
mod tls_stream;
mod transport;
#[cfg(feature = "hyper")]
mod web;
mod writer;

pub use accept::{accept, take_over};
pub use connect::connect;
pub use hub::{Hub, HubConfig, HubStats, Member, Published, Subscriber};
#[cfg(feature = "redis")]
pub use redis::{RedisConfig, RedisError, RedisStats};
pub use socket::{MessageReadHalf, MessageSocket, MessageWriteHalf};
pub use stream::{StreamReadHalf, StreamSocket, StreamWriteHalf};
pub use tether_proto::connection::Negotiated;
pub use tether_proto::{ConnectionError, ProtocolError, SendError};
pub use tether_socket::{
    Accept, Answer, Bytes, Chunk, ClientConfig, CloseCode, CloseFrame, Config, ConnectionInfo,
    Credentials, Error, FanoutLimits, Http2Reset, HttpMode, HttpVersion, Message, MessageKind,
    Offer, PreparedMessage, Proxy, ProxySetting, ReceiveMode, Reject, Request, RootCerts,
    SendOptions, ServerConfig, SlowPolicy, TimeoutKind, TlsOptions, TrySendError, rustls, tls,
};
pub use tls_stream::TlsStream;
pub use transport::Transport;
#[cfg(feature = "hyper")]
pub use web::client::Http2Connection;
#[cfg(feature = "hyper")]
pub use web::server::{ResponseBody, Upgrading, http_server, is_upgrade_request, upgrade};
pub use writer::MessageWriter;
