//! Keepalive: an idle connection whose peer answers pings stays open however long it idles; a
//! peer that stays silent is dropped at the pong deadline with 1011. Scaled down from the
//! defaults (30 s + 30 s) to 100 ms + 300 ms, with real sockets.

use std::sync::mpsc;
use std::time::Duration;

use tether_std::{ClientConfig, CloseCode, Config, Error, Message, ServerConfig, TimeoutKind};

use crate::adapter::{Adapter, Socket};
use crate::loopback::{connect_with, echo, serve_one};
use crate::raw::{self, Got, Role, op};

const INTERVAL: Duration = Duration::from_millis(100);
const DEADLINE: Duration = Duration::from_millis(300);

fn keepalive() -> Config {
    Config::default()
        .ping_interval(Some(INTERVAL))
        .ping_timeout(DEADLINE)
}

/// Both ends idle for twenty keepalive intervals — the server waiting in `recv`, the client
/// doing nothing at all — and the connection is still open: both sides pinged, each answered
/// the other (the counters grew), and a message then goes through.
pub fn an_idle_connection_with_keepalive_stays_open<A: Adapter>() {
    let (addr, server) = serve_one::<A, _, _>(ServerConfig::default().config(keepalive()), |ws| {
        let mut ws = ws.unwrap();
        let end = echo(&mut ws);
        (end, ws.info().stats)
    });
    let mut ws = connect_with::<A>(addr, &ClientConfig::default().config(keepalive()));
    let before = ws.info().stats;
    std::thread::sleep(INTERVAL * 20);
    let idle = ws.info().stats;
    // Pings both ways (each side's keepalive), and the answers: 2-byte headers at least.
    assert!(
        idle.bytes_received > before.bytes_received && idle.bytes_sent > before.bytes_sent,
        "no keepalive traffic while idle: {before:?} then {idle:?}"
    );
    ws.send("still here").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("still here")));
    ws.close(CloseCode::NORMAL, "").unwrap();
    let (end, stats) = server.join();
    assert_eq!(end.unwrap().code, CloseCode::NORMAL);
    assert_eq!(stats.messages_received, 1);
}

/// A peer that completes the upgrade and then never sends a byte: tether pings it after the
/// interval, fails the connection at the pong deadline with a close frame of 1011 on the wire,
/// and the receive reports [`TimeoutKind::Keepalive`].
fn a_silent_peer_is_dropped_at_the_pong_deadline_with_1011<A: Adapter>(role: Role) {
    let (mut peer, tether) = raw::against::<A, _, _>(
        role,
        ServerConfig::default().config(keepalive()),
        ClientConfig::default().config(keepalive()),
        &[],
        |ws| ws.unwrap().recv(),
    )
    .unwrap();
    let ping = peer.frame();
    assert_eq!(ping.opcode, op::PING, "{}", ping.describe());
    let close = peer.frame();
    assert_eq!(close.opcode, op::CLOSE, "{}", close.describe());
    assert_eq!(close.close_code(), 1011);
    // The peer stays silent; the connection ends.
    assert!(matches!(peer.read_frame(), Ok(Got::Closed(_))));
    let e = tether.join().unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Keepalive), "{e:?}");
    assert_eq!(e.close_code(), Some(CloseCode::INTERNAL_ERROR));
    assert!(matches!(e, Error::Timeout(_)));
}

/// See [`a_silent_peer_is_dropped_at_the_pong_deadline_with_1011`].
pub fn a_silent_peer_is_dropped_at_the_pong_deadline_with_1011_as_server<A: Adapter>() {
    a_silent_peer_is_dropped_at_the_pong_deadline_with_1011::<A>(Role::Server);
}

/// See [`a_silent_peer_is_dropped_at_the_pong_deadline_with_1011`].
pub fn a_silent_peer_is_dropped_at_the_pong_deadline_with_1011_as_client<A: Adapter>() {
    a_silent_peer_is_dropped_at_the_pong_deadline_with_1011::<A>(Role::Client);
}

/// The keepalive needs no receive: an application that only holds the socket while its peer
/// is silent still learns of the failure at its next receive, and the peer saw the 1011.
pub fn a_silent_peer_is_dropped_while_the_application_does_nothing<A: Adapter>() {
    let (wake, wait) = mpsc::channel::<()>();
    let (mut peer, tether) = raw::against::<A, _, _>(
        Role::Server,
        ServerConfig::default().config(keepalive()),
        ClientConfig::default(),
        &[],
        move |ws| {
            let mut ws = ws.unwrap();
            wait.recv_timeout(Duration::from_secs(30)).unwrap();
            ws.recv()
        },
    )
    .unwrap();
    assert_eq!(peer.frame().opcode, op::PING);
    let close = peer.frame();
    assert_eq!(close.close_code(), 1011, "{}", close.describe());
    assert!(matches!(peer.read_frame(), Ok(Got::Closed(_))));
    wake.send(()).unwrap();
    let e = tether.join().unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Keepalive), "{e:?}");
}
