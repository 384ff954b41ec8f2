//! Integration tests of tether-tokio over real loopback sockets (127.0.0.1, port 0).

#[path = "api/common.rs"]
mod common;

#[path = "api/cancel.rs"]
mod cancel;
#[path = "api/close.rs"]
mod close;
#[path = "api/duplex.rs"]
mod duplex;
#[path = "api/echo.rs"]
mod echo;
#[path = "api/errors.rs"]
mod errors;
#[path = "api/flow.rs"]
mod flow;
#[path = "api/handshake.rs"]
mod handshake;
#[path = "api/hyper.rs"]
mod hyper;
#[path = "api/proxy.rs"]
mod proxy;
#[path = "api/stream.rs"]
mod stream;
#[path = "api/tls.rs"]
mod tls;
#[path = "api/vectored.rs"]
mod vectored;
