//! The blocking adapter of tether: WebSocket (RFC 6455) message and stream sockets over
//! `std::net` or any [`Transport`].
//!
//! The protocol is [`tether_proto`]'s and every socket-level decision is the shared socket
//! layer's, the same as in the async `tether-tokio`: the two adapters have the same API,
//! blocking instead of `async`. This crate only moves bytes, keeps time and blocks.
//!
//! * [`connect`] a `ws://` or `wss://` URL with a [`ClientConfig`]; [`accept`] any transport
//!   with a [`ServerConfig`] (TLS when it has one).
//! * [`MessageSocket`]: whole messages, text or binary — `recv`, `send`, `feed`, `try_send`,
//!   prepared messages, chunks, `close`. [`into_split`](MessageSocket::into_split) gives
//!   halves for two threads.
//! * [`StreamSocket`] ([`MessageSocket::into_stream`]): `Read + Write` over binary payloads,
//!   in constant memory for transfers of any size.
//!
//! ```
//! use std::net::TcpListener;
//! use tether_std::{ClientConfig, CloseCode, Message, ServerConfig};
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! std::thread::spawn(move || -> Result<(), tether_std::Error> {
//!     let mut ws = tether_std::accept(listener.accept()?.0, &ServerConfig::default())?;
//!     while let Some(message) = ws.recv()? {
//!         ws.send(message)?; // echo
//!     }
//!     Ok(())
//! });
//!
//! let mut ws = tether_std::connect(&format!("ws://{addr}/"), &ClientConfig::default())?;
//! ws.send("hello")?;
//! assert_eq!(ws.recv()?, Some(Message::text("hello")));
//! let peer = ws.close(CloseCode::NORMAL, "done")?;
//! assert_eq!((peer.code, peer.reason.as_str()), (CloseCode::NORMAL, "done"));
//! # Ok::<(), tether_std::Error>(())
//! ```
//!
//! # How it runs
//!
//! Each socket has a reader thread (64 KiB of stack) that blocks in `read` on its own handle
//! of the transport, feeds what arrives to the session — pings are answered at once, in
//! order, whatever the application is doing — runs the timers (keepalive, close), and wakes
//! receivers; and a writer thread (64 KiB) that writes what was queued without a write
//! (`feed`, `try_send`, the close of a dropped socket) a few milliseconds later, never
//! blocking on a full transport. Sends write on the calling thread. Defaults keep healthy
//! connections open: no read timeout; keepalive pings after 30 s of silence, and a peer that
//! stays silent 30 s more fails the connection with 1011 ([`TimeoutKind::Keepalive`]).
//! Dropping a socket closes it with 1001.

mod accept;
mod connect;
mod driver;
mod handle;
mod socket;
mod stream;
mod transport;
mod writer;

pub use accept::accept;
pub use connect::connect;
pub use socket::{MessageReadHalf, MessageSocket, MessageWriteHalf};
pub use stream::{StreamReadHalf, StreamSocket, StreamWriteHalf};
pub use tether_proto::{ConnectionError, ProtocolError, SendError};
pub use tether_socket::{
    Accept, Bytes, Chunk, ClientConfig, CloseCode, CloseFrame, Config, ConnectionInfo, Credentials,
    Error, HttpMode, HttpVersion, Message, MessageKind, PreparedMessage, Proxy, ProxySetting,
    ReceiveMode, Reject, Request, RootCerts, SendOptions, ServerConfig, TimeoutKind, TlsOptions,
    TrySendError, rustls, tls,
};
pub use transport::Transport;
pub use writer::MessageWriter;
