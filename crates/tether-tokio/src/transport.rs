//! [`Transport`]: what a socket runs over.

use tokio::io::{AsyncRead, AsyncWrite};

/// Any byte stream a socket can run over: `AsyncRead + AsyncWrite + Unpin + Send + 'static`.
///
/// Implemented for every such type (a `TcpStream`, a TLS stream, a Unix socket, hyper's
/// upgraded connection wrapped in `hyper_util::rt::TokioIo`, an in-memory `tokio::io::duplex`
/// pipe, ...); it only names the bound. Sockets keep their transport boxed, so their types
/// do not depend on it.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Transport for T {}
