//! The test kit for tether's adapters, and the suites that run against both of them.
//!
//! - [`adapter`]: one blocking surface over tether-std and tether-tokio ([`Adapter`],
//!   [`Socket`]), so a scenario is written once and run against each.
//! - [`api`]: the API scenarios, generic over the adapter; [`api_tests!`] instantiates every
//!   one as a `#[test]` in an adapter's own test binary (`crates/tether-std/tests/api.rs`,
//!   `crates/tether-tokio/tests/api.rs`), so `cargo test -p tether-std` tests tether-std.
//! - [`loopback`]: a one-connection server on 127.0.0.1 port 0, an echo loop, bounded joins.
//! - [`raw`]: a raw TCP peer that speaks hand-built frames and reads back every frame tether
//!   sends.
//! - [`pki`]: certificates made for the run.
//! - [`http2`]: WebSocket over HTTP/2: a hyper server for both HTTP versions, a raw `h2` peer.
//! - [`conformance`]: the case table and its runner (every family, both adapters, both roles).
//! - [`interop`]: finding Python `websockets` and Chromium, child processes.
//! - [`child`]: measuring memory in a child process.
//! - [`redis`]: a throwaway `redis-server` for the hub's Redis backend.
//!
//! The core's own test kit (frame builders, an in-memory [`Pair`](tether_proto::testkit::Pair))
//! is `tether_proto::testkit`.
//!
//! [`Adapter`]: adapter::Adapter
//! [`Socket`]: adapter::Socket

pub mod adapter;
pub mod api;
pub mod child;
pub mod conformance;
pub mod http2;
pub mod interop;
pub mod loopback;
pub mod pki;
pub mod raw;
pub mod redis;

/// The README's examples (the core, both adapters' quick starts), compiled and run as
/// doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
