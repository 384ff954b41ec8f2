//! Close codes and reasons, both ways.

use tether_std::{CloseCode, Error, SocketConfig, connect_with};

use crate::common::{echo, serve_one};

#[test]
fn client_close_code_and_reason_reach_the_server_and_come_back() {
    let (addr, server) = serve_one(
        SocketConfig::default(),
        |_| Ok(Default::default()),
        |ws| {
            let mut ws = ws.unwrap();
            echo(&mut ws).unwrap()
        },
    );
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default()).unwrap();
    let peer = ws.close(CloseCode::from(4001), "bye from client").unwrap();
    // The server echoes the code it received (RFC 6455 §5.5.1).
    assert_eq!(peer.code, CloseCode::from(4001));
    let seen = server.join().unwrap().unwrap();
    assert_eq!(seen.code, CloseCode::from(4001));
    assert_eq!(seen.reason, "bye from client");
    // After the close, sending fails with the typed error.
    let e = ws.send_text("late").unwrap_err();
    assert!(matches!(e, Error::ConnectionClosed { .. }), "{e:?}");
}

#[test]
fn server_close_code_and_reason_reach_the_client() {
    let (addr, server) = serve_one(
        SocketConfig::default(),
        |_| Ok(Default::default()),
        |ws| {
            let mut ws = ws.unwrap();
            ws.close(CloseCode::from(4002), "bye from server")
        },
    );
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default()).unwrap();
    assert_eq!(ws.recv().unwrap(), None);
    let frame = ws.close_frame().unwrap();
    assert_eq!(frame.code, CloseCode::from(4002));
    assert_eq!(frame.reason, "bye from server");
    // The server's close returns once the client answered.
    let answer = server.join().unwrap().unwrap();
    assert_eq!(answer.code, CloseCode::from(4002));
    // Closing again reports the same end.
    assert_eq!(
        ws.close(CloseCode::NORMAL, "").unwrap().code,
        CloseCode::from(4002)
    );
}

#[test]
fn unsendable_close_code_is_refused_without_closing() {
    let (addr, server) = crate::common::echo_server(SocketConfig::default());
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default()).unwrap();
    assert!(matches!(
        ws.close(CloseCode::ABNORMAL, ""),
        Err(Error::Send(_))
    ));
    ws.send_text("still open").unwrap();
    assert!(ws.recv().unwrap().is_some());
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap().unwrap();
}
