//! WebSocket over HTTP/2 (RFC 8441) on tether-tokio, over real loopback connections (h2c and
//! TLS with ALPN): the server answers with `tether_tokio::upgrade` behind hyper, the client is
//! `connect` with `HttpMode::Http2` / `Auto` and `Http2Connection`; raw `h2` peers play what a
//! well-behaved peer never does.

#[path = "http2/echo.rs"]
mod echo;
#[path = "http2/malformed.rs"]
mod malformed;
#[path = "http2/multiplex.rs"]
mod multiplex;
#[path = "http2/resets.rs"]
mod resets;
