//! Keepalive: an idle connection whose peer answers pings stays open however long it idles; a
//! peer that stays silent is dropped at the pong deadline with 1011. Scaled down from the
//! defaults (30 s + 30 s) to 100 ms + 300 ms, with real sockets.

use std::time::Duration;

use tether_std::{ClientConfig, CloseCode, Config, Error, ServerConfig, TimeoutKind};

use crate::adapter::{Adapter, Socket};
use crate::raw::{self, Got, Role, op};

const INTERVAL: Duration = Duration::from_millis(100);
const DEADLINE: Duration = Duration::from_millis(300);

fn keepalive() -> Config {
    Config::default()
        .ping_interval(Some(INTERVAL))
        .ping_timeout(DEADLINE)
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
