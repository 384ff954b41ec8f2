//! The async adapter of tether: WebSocket (RFC 6455) message and stream sockets on tokio, over
//! TCP, TLS or any `AsyncRead + AsyncWrite`.
//!
//! The protocol is [`tether_proto`]'s; the controls ([`SocketConfig`]), the errors
//! ([`Error`]), the proxy `CONNECT` exchange and the rustls set-up are `tether-net`'s, shared
//! with the blocking `tether-std`, so both adapters have the same defaults and fail the same
//! way. This crate moves bytes, keeps time and shapes the API:
//!
//! * [`MessageSocket`] (WinRT `MessageWebSocket`): whole text or binary messages with inherent
//!   `async fn`s ([`recv`](MessageSocket::recv), [`send_text`](MessageSocket::send_text), ...),
//!   as a `futures` `Stream<Item = Result<Message, Error>>` and `Sink<Message>`, partial
//!   receive ([`recv_chunk`](MessageSocket::recv_chunk)), one large message streamed out
//!   ([`start_message`](MessageSocket::start_message)), [`close`](MessageSocket::close);
//! * [`StreamSocket`] (WinRT `StreamWebSocket`): `tokio::io::AsyncRead + AsyncWrite` over
//!   binary payloads, in constant memory for transfers of any size.
//!
//! Clients [`connect`] / [`connect_with`] / [`connect_stream_with`] to `ws://` and `wss://`
//! URLs, optionally through an HTTP proxy; servers [`accept`] / [`accept_with`] /
//! [`accept_tls_with`] any [`Transport`], or take over a connection an HTTP server upgraded
//! ([`MessageSocket::from_upgraded`], see the `hyper_upgrade` example). Sockets split
//! ([`MessageSocket::into_split`]) into owned halves for two tasks.
//!
//! ```
//! use tether_tokio::{accept, connect, CloseCode, Message};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), tether_tokio::Error> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! let server = tokio::spawn(async move {
//!     let mut ws = accept(listener.accept().await?.0).await?;
//!     while let Some(message) = ws.recv().await? {
//!         ws.send_message(&message).await?; // echo
//!     }
//!     Ok::<_, tether_tokio::Error>(())
//! });
//!
//! let mut ws = connect(&format!("ws://{addr}/")).await?;
//! ws.send_text("hello").await?;
//! assert_eq!(ws.recv().await?, Some(Message::Text("hello".into())));
//! let peer = ws.close(CloseCode::NORMAL, "done").await?;
//! assert_eq!(peer.code, CloseCode::NORMAL);
//! server.await.unwrap()?;
//! # Ok(()) }
//! ```
//!
//! # How it runs
//!
//! There is no background task: the socket's own futures drive the connection. A receive
//! decodes what is buffered; only when nothing is, it reads (large reads straight into the
//! core's input buffer) and, when no more input is ready, writes what is queued — answers to
//! pings, the close answer, and messages queued with `feed_*`. An echo loop of
//! [`recv_into`](MessageSocket::recv_into) + [`feed_as`](MessageSocket::feed_as) therefore
//! answers a burst of requests with one write and never waits to do so.
//!
//! Time: the core's timers (handshake, keepalive, close) and the read and write timeouts
//! share one `tokio::time::Sleep` per connection, boxed once and re-armed in place; it is
//! moved earlier at once and later only when it fires (the clock is checked against the real
//! deadline). Timers cost no task and no allocation per message. They run while a receive, a
//! flush or a close is waiting: a socket nobody receives on neither reads nor answers pings.
//!
//! Backpressure: sends wait while more than
//! [`outbound_buffer_size`](SocketConfig#structfield.outbound_buffer_size) bytes are queued,
//! so a writer that outpaces a slow peer is held back and memory stays bounded.
//!
//! # Cancel safety
//!
//! [`recv`](MessageSocket::recv), [`recv_into`](MessageSocket::recv_into),
//! [`recv_chunk`](MessageSocket::recv_chunk), `Stream::poll_next` and `AsyncRead::poll_read`
//! are cancel safe: dropping the future (for example the losing branch of `tokio::select!`)
//! loses no message. Bytes are read into the connection's own input buffer and decoded only
//! when a message can be handed out in the same poll that completes; pieces of a message
//! being gathered live in the socket, not in the future. Sends queue the message in one
//! synchronous step: cancelled before it, nothing was sent; after it, the message goes out
//! with the next write.
//!
//! # Split halves
//!
//! [`MessageSocket::into_split`] moves the connection behind a `std::sync::Mutex` that each
//! half holds only within one synchronous poll step (never across an `.await`); a whole
//! socket has no lock at all. The read half reads, runs the timers and writes queued output
//! when no more input is ready, so pings are answered and a close is answered while the
//! write half is idle; the write half queues and flushes, and either half can close. Both
//! halves are polled through a shared waker that wakes whichever is waiting, as they share
//! one transport and one timer.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod accept;
mod connect;
mod driver;
mod error;
mod handle;
mod message;
mod ops;
mod socket;
mod stream;
mod timer;
mod transport;
mod writer;

pub use accept::{accept, accept_stream_with, accept_tls_with, accept_with};
pub use connect::{connect, connect_stream_with, connect_with};
pub use message::{Chunk, Message};
pub use socket::{MessageReadHalf, MessageSocket, MessageWriteHalf};
pub use stream::{StreamReadHalf, StreamSocket, StreamWriteHalf};
pub use transport::{MaybeTlsStream, Transport};
pub use writer::MessageWriter;

/// The TLS crate, for its config and certificate types.
pub use rustls;
pub use tether_net::{
    ConnectionInfo, Credentials, Error, MessageType, Proxy, ProxySetting, RootCerts, SocketConfig,
    TimeoutKind, TlsOptions, proxy, tls,
};
/// The core crate, for the types of an upgrade another HTTP server did.
pub use tether_proto;
pub use tether_proto::connection::Negotiated;
pub use tether_proto::handshake::{Accept, Reject, Request};
pub use tether_proto::{CloseCode, CloseFrame, MessageKind, ReceiveMode};
