//! The blocking adapter of tether: WebSocket (RFC 6455) message and stream sockets over
//! `std::net` or any `Read + Write`.
//!
//! The protocol is [`tether_proto`]'s; this crate moves bytes, keeps time and shapes the API
//! after the two Windows Runtime classes:
//!
//! * [`MessageSocket`] (WinRT `MessageWebSocket`): whole text or binary messages, partial
//!   receive ([`MessageSocket::recv_chunk`]), streamed send ([`MessageSocket::start_message`]),
//!   pings, [`close`](MessageSocket::close) with the peer's code and reason;
//! * [`StreamSocket`] (WinRT `StreamWebSocket`): `std::io::Read` / `Write` over binary
//!   payloads, in constant memory for transfers of any size.
//!
//! Clients [`connect`] / [`connect_with`] / [`connect_stream_with`] to `ws://` and `wss://`
//! URLs (rustls with the `ring` provider, nothing to set up first), optionally through an HTTP
//! proxy; servers [`accept`] / [`accept_with`] any [`Transport`] and choose a subprotocol or
//! reject. Every control is in [`SocketConfig`]; every failure is an [`Error`] to `match`.
//! Both socket types [`split`](MessageSocket::split) into halves for two threads.
//!
//! ```
//! use std::net::TcpListener;
//! use tether_std::{accept, connect, CloseCode, Message};
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! let server = std::thread::spawn(move || -> Result<(), tether_std::Error> {
//!     let mut ws = accept(listener.accept()?.0)?;
//!     while let Some(message) = ws.recv()? {
//!         ws.send_message(&message)?; // echo
//!     }
//!     Ok(())
//! });
//!
//! let mut ws = connect(&format!("ws://{addr}/"))?;
//! ws.send_text("hello")?;
//! assert_eq!(ws.recv()?, Some(Message::Text("hello".into())));
//! let peer = ws.close(CloseCode::NORMAL, "done")?;
//! assert_eq!(peer.code, CloseCode::NORMAL);
//! server.join().unwrap()?;
//! # Ok::<(), tether_std::Error>(())
//! ```
//!
//! Time: reads wake for the core's timers (keepalive, close and handshake timeouts) and the
//! read timeout; a socket that is only written to still looks for pings every few
//! milliseconds and answers them.

mod accept;
mod connect;
mod handle;
mod message;
mod shared;
mod stream;
mod transport;
mod writer;

pub use accept::{accept, accept_stream_with, accept_tls_with, accept_with};
pub use connect::{connect, connect_stream_with, connect_with};
pub use message::{Chunk, Message, MessageReadHalf, MessageSocket, MessageWriteHalf};
pub use stream::{StreamReadHalf, StreamSocket, StreamWriteHalf};
pub use transport::Transport;
pub use writer::MessageWriter;

pub use tether_net::{
    ConnectionInfo, Credentials, Error, MessageType, Proxy, ProxySetting, RootCerts, SocketConfig,
    TimeoutKind, TlsOptions, proxy, tls,
};
pub use tether_proto::handshake::{Accept, Reject, Request};
pub use tether_proto::{CloseCode, CloseFrame, MessageKind, ReceiveMode};
