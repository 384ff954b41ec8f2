//! tether-std's API tests, over real loopback sockets (127.0.0.1, port 0): every scenario of
//! `tether_tests::api` (the same set runs against tether-tokio), then what only this adapter
//! has a test of its own for.

tether_tests::api_tests!(tether_tests::adapter::Std);

#[path = "api/gib.rs"]
mod gib;
