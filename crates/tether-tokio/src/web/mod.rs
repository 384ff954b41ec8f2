//! WebSocket over hyper (the `hyper` feature): the server's [`upgrade`](server::upgrade) of
//! requests hyper parsed, over HTTP/1.1 and HTTP/2 (RFC 8441), and the HTTP/2 client with its
//! shared connections. The opening handshake is the core's either way (one check, one answer
//! for both versions); once hyper hands the connection or stream over, a socket runs on it as
//! on any transport.

pub(crate) mod client;
pub(crate) mod io;
pub(crate) mod server;
