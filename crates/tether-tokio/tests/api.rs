//! tether-tokio's API tests, over real loopback sockets (127.0.0.1, port 0): every scenario of
//! `tether_tests::api` (the same set runs against tether-std), then what only this adapter has
//! — cancel safety in `select!`, answers held for a burst, `Stream` + `Sink`, `AsyncRead` + `AsyncWrite`, `take_over`
//! behind hyper, vectored writes of owned payloads — its 1 GiB memory test and
//! the idle footprint.

tether_tests::api_tests!(tether_tests::adapter::Tokio);

#[path = "api/async_io.rs"]
mod async_io;
#[path = "api/cancel.rs"]
mod cancel;
#[path = "api/gib.rs"]
mod gib;
#[path = "api/held.rs"]
mod held;
#[path = "api/hyper.rs"]
mod hyper;
#[path = "api/idle.rs"]
mod idle;
#[path = "api/sink.rs"]
mod sink;
#[path = "api/vectored.rs"]
mod vectored;
