//! WebSocket over hyper (the `hyper` feature): the server's [`upgrade`](server::upgrade) of
//! requests hyper parsed, over HTTP/1.1 and HTTP/2 (RFC 8441), and the HTTP/2 client with its
//! shared connections. The opening handshake is the core's either way (one check, one answer
//! for both versions); once hyper hands the connection or stream over, a socket runs on it as
//! on any transport.

pub(crate) mod client;
pub(crate) mod frames;
pub(crate) mod io;
pub(crate) mod server;

/// The HTTP/2 flow-control window of each stream (what a peer may send on it before this side
/// reads): 1 MiB, like the socket's own read-ahead (`Config::inbound_high_water`).
pub(crate) const STREAM_WINDOW: u32 = 1 << 20;
/// The window of a whole connection: 16 streams' worth. A stream whose application does not
/// read holds at most its stream window of it, so up to 15 stalled streams leave room for
/// the others to flow (with hyper's defaults, one stalled stream could hold it all).
pub(crate) const CONNECTION_WINDOW: u32 = 16 * STREAM_WINDOW;
