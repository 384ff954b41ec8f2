//! Integration tests of tether-std over real loopback sockets (127.0.0.1, port 0).

#[path = "api/common.rs"]
mod common;

#[path = "api/close.rs"]
mod close;
#[path = "api/duplex.rs"]
mod duplex;
#[path = "api/echo.rs"]
mod echo;
#[path = "api/errors.rs"]
mod errors;
#[path = "api/handshake.rs"]
mod handshake;
#[path = "api/proxy.rs"]
mod proxy;
#[path = "api/stream.rs"]
mod stream;
#[path = "api/tls.rs"]
mod tls;
