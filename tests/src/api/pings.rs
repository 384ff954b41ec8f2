//! Pings are answered (RFC 6455 §5.5.2, §5.5.3) — one pong per ping, in order, at once — whatever
//! the application is doing: receiving, only sending, or nothing at all. A raw peer sends the
//! pings, so every pong on the wire is seen.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tether_std::{ClientConfig, CloseCode, ServerConfig};

use crate::adapter::{Adapter, Socket};
use crate::loopback::echo;
use crate::raw::{self, Role, op};

/// How long a raw peer looks for a pong among other frames before giving up.
const PONG_BOUND: Duration = Duration::from_secs(10);

/// §5.5.3: ten pings in one write get ten pongs, each with its ping's payload, in order — none
/// left out.
fn ten_pings_get_ten_pongs_in_order<A: Adapter>(role: Role) {
    let (mut peer, tether) = raw::against::<A, _, _>(
        role,
        ServerConfig::default(),
        ClientConfig::default(),
        &[],
        |ws| ws.and_then(|mut ws| echo(&mut ws)),
    )
    .unwrap();
    let payloads: Vec<Vec<u8>> = (0..10).map(|i| format!("ping {i}").into_bytes()).collect();
    let pings: Vec<raw::Frame> = payloads.iter().map(|p| raw::ping(p.clone())).collect();
    peer.send(&pings).unwrap();
    for payload in &payloads {
        let frame = peer.frame();
        assert!(
            frame.is_pong(payload),
            "expected the pong for {:?}, got {}",
            String::from_utf8_lossy(payload),
            frame.describe()
        );
    }
    peer.close_normally();
    tether.join().unwrap();
}

/// See [`ten_pings_get_ten_pongs_in_order`].
pub fn ten_pings_get_ten_pongs_in_order_as_server<A: Adapter>() {
    ten_pings_get_ten_pongs_in_order::<A>(Role::Server);
}

/// See [`ten_pings_get_ten_pongs_in_order`].
pub fn ten_pings_get_ten_pongs_in_order_as_client<A: Adapter>() {
    ten_pings_get_ten_pongs_in_order::<A>(Role::Client);
}

/// §5.4, §5.5: a ping between two fragments of a text message is answered before the echo of
/// that message, which is only complete after the ping — even when the whole message and the
/// ping arrive in one read.
fn a_ping_between_fragments_is_answered_before_the_echo<A: Adapter>(role: Role) {
    let (mut peer, tether) = raw::against::<A, _, _>(
        role,
        ServerConfig::default(),
        ClientConfig::default(),
        &[],
        |ws| ws.and_then(|mut ws| echo(&mut ws)),
    )
    .unwrap();
    // All three in one write: the message completes in the same read as the ping.
    peer.send(&[
        raw::text("frag").fin(false),
        raw::ping("between"),
        raw::cont("ment"),
    ])
    .unwrap();
    let first = peer.frame();
    assert!(
        first.is_pong(b"between"),
        "expected the pong first, got {}",
        first.describe()
    );
    let echoed = peer.frame();
    assert_eq!(
        (echoed.opcode, echoed.fin, echoed.payload.as_slice()),
        (op::TEXT, true, &b"fragment"[..]),
        "{}",
        echoed.describe()
    );
    peer.close_normally();
    tether.join().unwrap();
}

/// See [`a_ping_between_fragments_is_answered_before_the_echo`].
pub fn a_ping_between_fragments_is_answered_before_the_echo_as_server<A: Adapter>() {
    a_ping_between_fragments_is_answered_before_the_echo::<A>(Role::Server);
}

/// See [`a_ping_between_fragments_is_answered_before_the_echo`].
pub fn a_ping_between_fragments_is_answered_before_the_echo_as_client<A: Adapter>() {
    a_ping_between_fragments_is_answered_before_the_echo::<A>(Role::Client);
}

/// Reads frames until the pong for `payload`, passing over the application's messages.
fn find_pong(peer: &mut raw::RawPeer, payload: &[u8]) {
    let deadline = Instant::now() + PONG_BOUND;
    loop {
        assert!(Instant::now() < deadline, "no pong within {PONG_BOUND:?}");
        let frame = peer.frame();
        if frame.is_pong(payload) {
            return;
        }
        assert_eq!(frame.opcode, op::TEXT, "{}", frame.describe());
    }
}

/// The application only sends, never receives: the peer's ping is still answered.
fn a_ping_is_answered_while_the_application_only_sends<A: Adapter>(role: Role) {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let (mut peer, tether) = raw::against::<A, _, _>(
        role,
        ServerConfig::default(),
        ClientConfig::default(),
        &[],
        move |ws| {
            let mut ws = ws.unwrap();
            let mut sent = 0u32;
            while !stopped.load(Ordering::SeqCst) {
                ws.send("busy").unwrap();
                sent += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            // Only now does it receive: the peer's close.
            (sent, echo(&mut ws))
        },
    )
    .unwrap();
    // Let it send a while first, then ping.
    for _ in 0..20 {
        let frame = peer.frame();
        assert_eq!(frame.opcode, op::TEXT, "{}", frame.describe());
    }
    peer.send(&[raw::ping("are you there")]).unwrap();
    find_pong(&mut peer, b"are you there");
    stop.store(true, Ordering::SeqCst);
    peer.close_normally();
    let (sent, end) = tether.join();
    assert!(sent >= 20, "{sent}");
    assert_eq!(end.unwrap().code, CloseCode::NORMAL);
}

/// See [`a_ping_is_answered_while_the_application_only_sends`].
pub fn a_ping_is_answered_while_the_application_only_sends_as_server<A: Adapter>() {
    a_ping_is_answered_while_the_application_only_sends::<A>(Role::Server);
}

/// See [`a_ping_is_answered_while_the_application_only_sends`].
pub fn a_ping_is_answered_while_the_application_only_sends_as_client<A: Adapter>() {
    a_ping_is_answered_while_the_application_only_sends::<A>(Role::Client);
}

/// The application holds the socket and does nothing (it waits on something else): the peer's
/// ping is still answered, and the socket is usable afterwards.
fn a_ping_is_answered_while_the_application_does_nothing<A: Adapter>(role: Role) {
    let (wake, wait) = mpsc::channel::<()>();
    let (mut peer, tether) = raw::against::<A, _, _>(
        role,
        ServerConfig::default(),
        ClientConfig::default(),
        &[],
        move |ws| {
            let mut ws = ws.unwrap();
            // Neither receiving nor sending until told.
            wait.recv_timeout(Duration::from_secs(30)).unwrap();
            ws.send("awake").unwrap();
            ws.recv()
        },
    )
    .unwrap();
    peer.send(&[raw::ping("idle?")]).unwrap();
    let frame = peer.frame();
    assert!(frame.is_pong(b"idle?"), "got {}", frame.describe());
    wake.send(()).unwrap();
    let frame = peer.frame();
    assert_eq!(
        (frame.opcode, frame.payload.as_slice()),
        (op::TEXT, &b"awake"[..])
    );
    peer.close_normally();
    assert_eq!(tether.join().unwrap(), None);
}

/// See [`a_ping_is_answered_while_the_application_does_nothing`].
pub fn a_ping_is_answered_while_the_application_does_nothing_as_server<A: Adapter>() {
    a_ping_is_answered_while_the_application_does_nothing::<A>(Role::Server);
}

/// See [`a_ping_is_answered_while_the_application_does_nothing`].
pub fn a_ping_is_answered_while_the_application_does_nothing_as_client<A: Adapter>() {
    a_ping_is_answered_while_the_application_does_nothing::<A>(Role::Client);
}
