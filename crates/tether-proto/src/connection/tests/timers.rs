//! Timers: keepalive pings and their timeout, with single connections and with a
//! [`Pair`](crate::testkit::Pair) on a simulated clock.

use core::time::Duration;

use super::*;
use crate::testkit::Pair;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn keepalive_pings_when_idle_and_fails_with_1011_when_peer_stays_silent() {
    let cfg = config().ping_interval(Some(secs(20))).ping_timeout(secs(5));
    let mut s = open(Role::Server, cfg);
    assert_eq!(s.poll_timeout(), Some(T0 + secs(20)));
    // Input pushes the ping back.
    s.handle_input(T0 + secs(15), &masked(0x81, b"hi"));
    let _ = events(&mut s);
    assert_eq!(s.poll_timeout(), Some(T0 + secs(35)));
    s.handle_timeout(T0 + secs(35));
    assert_eq!(frames(&drain(&mut s)), [(0x89, b"tether".to_vec())]);
    assert_eq!(s.poll_timeout(), Some(T0 + secs(40)));
    s.handle_timeout(T0 + secs(40));
    assert_failed(&mut s, ConnectionError::KeepaliveTimeout, Some(1011));
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn keepalive_is_satisfied_by_any_input() {
    let cfg = config().ping_interval(Some(secs(20))).ping_timeout(secs(5));
    let mut s = open(Role::Server, cfg);
    s.handle_timeout(T0 + secs(20));
    let _ = drain(&mut s);
    s.handle_input(T0 + secs(22), &masked(0x8a, b"tether"));
    assert_eq!(events(&mut s), [Ev::Pong(b"tether".to_vec())]);
    assert_eq!(s.poll_timeout(), Some(T0 + secs(42)));
    s.handle_timeout(T0 + secs(25));
    assert_eq!(s.state(), State::Open);
}

#[test]
fn handle_timeout_called_early_does_nothing() {
    let mut s = open(Role::Server, config().ping_interval(Some(secs(20))));
    s.handle_timeout(T0);
    s.handle_timeout(T0 + secs(19));
    assert!(drain(&mut s).is_empty());
    assert_eq!(s.state(), State::Open);
}

#[test]
fn keepalive_idle_pair_with_default_settings_stays_open_past_60_s() {
    let mut pair = Pair::open(Config::default(), Config::default());
    pair.advance(secs(185));
    assert_eq!(pair.now, T0 + secs(185));
    for end in [&pair.client, &pair.server] {
        assert_eq!(end.conn.state(), State::Open, "{:?}", end.events);
        assert!(
            end.events
                .iter()
                .all(|e| matches!(e, Ev::Ping(_) | Ev::Pong(_)))
        );
    }
    // Each end pinged at least every 30 s and the other end answered every ping.
    let pings = |events: &[Ev]| events.iter().filter(|e| matches!(e, Ev::Ping(_))).count();
    assert!(pings(&pair.server.events) >= 6, "{:?}", pair.server.events);
    assert_eq!(
        pair.server
            .events
            .iter()
            .filter(|e| matches!(e, Ev::Pong(_)))
            .count(),
        pings(&pair.client.events),
        "every keepalive ping of the server got its pong"
    );
}

#[test]
fn keepalive_server_only_stays_open_on_the_clients_pongs_alone() {
    // Only the server pings: the client never sends anything but the pong that answers it, so
    // the connection lives on those pongs alone.
    let mut pair = Pair::open(config(), Config::default());
    pair.advance(secs(185));
    assert_eq!(
        pair.server.conn.state(),
        State::Open,
        "{:?}",
        pair.server.events
    );
    assert_eq!(pair.client.conn.state(), State::Open);
    let pongs = pair
        .server
        .events
        .iter()
        .filter(|e| **e == Ev::Pong(b"tether".to_vec()));
    assert_eq!(pongs.count(), 6, "{:?}", pair.server.events);
}

#[test]
fn keepalive_silent_peer_fails_at_the_pong_deadline_with_1011() {
    // The client never answers (auto_pong off, and it sends nothing itself).
    let silent = config().auto_pong(false);
    let server = Config::default()
        .ping_interval(Some(secs(30)))
        .ping_timeout(secs(30));
    let mut pair = Pair::open(silent, server);
    // The ping goes out at 30 s; just before 60 s nothing has failed.
    pair.drive_until(T0 + Duration::from_millis(59_999));
    assert_eq!(pair.server.conn.state(), State::Open);
    assert_eq!(pair.client.take_events(), [Ev::Ping(b"tether".to_vec())]);
    pair.drive_until(T0 + secs(60));
    assert_eq!(
        pair.server.take_events(),
        [Ev::Failed(ConnectionError::KeepaliveTimeout)]
    );
    assert_eq!(
        pair.server.conn.close_result(),
        Some(Err(&ConnectionError::KeepaliveTimeout))
    );
    // The close frame on the wire says why: 1011 "keepalive timeout".
    pair.advance(secs(1));
    assert_eq!(
        pair.client.take_events(),
        [Ev::Closed(1011, "keepalive timeout".into())]
    );
    assert!(pair.server.shut_down);
}

#[test]
fn keepalive_timeout_sends_1011_keepalive_timeout_on_the_wire() {
    let mut s = open(
        Role::Server,
        config().ping_interval(Some(secs(1))).ping_timeout(secs(1)),
    );
    s.handle_timeout(T0 + secs(1));
    let _ = drain(&mut s);
    s.handle_timeout(T0 + secs(2));
    let _ = events(&mut s);
    assert_eq!(
        frames(&drain(&mut s)),
        [(0x88, close_payload(1011, "keepalive timeout"))]
    );
    assert_eq!(
        ConnectionError::KeepaliveTimeout.close_code(),
        CloseCode::INTERNAL_ERROR
    );
}
