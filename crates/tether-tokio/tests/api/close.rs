//! Close codes and reasons, both ways.

use tether_tokio::{CloseCode, Error, SocketConfig, connect_with};

use crate::common::{echo, echo_server, serve_one};

#[tokio::test]
async fn client_close_code_and_reason_reach_the_server_and_come_back() {
    let (addr, server) = serve_one(
        SocketConfig::default(),
        |_| Ok(Default::default()),
        |ws| async move { echo(&mut ws.unwrap()).await.unwrap() },
    )
    .await;
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default())
        .await
        .unwrap();
    let peer = ws
        .close(CloseCode::from(4001), "bye from client")
        .await
        .unwrap();
    // The server echoes the code it received (RFC 6455 §5.5.1).
    assert_eq!(peer.code, CloseCode::from(4001));
    let seen = server.await.unwrap().unwrap();
    assert_eq!(seen.code, CloseCode::from(4001));
    assert_eq!(seen.reason, "bye from client");
    // After the close, sending fails with the typed error.
    let e = ws.send_text("late").await.unwrap_err();
    assert!(matches!(e, Error::ConnectionClosed { .. }), "{e:?}");
}

#[tokio::test]
async fn server_close_code_and_reason_reach_the_client() {
    let (addr, server) = serve_one(
        SocketConfig::default(),
        |_| Ok(Default::default()),
        |ws| async move {
            ws.unwrap()
                .close(CloseCode::from(4002), "bye from server")
                .await
        },
    )
    .await;
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default())
        .await
        .unwrap();
    assert_eq!(ws.recv().await.unwrap(), None);
    let frame = ws.close_frame().unwrap();
    assert_eq!(frame.code, CloseCode::from(4002));
    assert_eq!(frame.reason, "bye from server");
    // The server's close returns once the client answered.
    let answer = server.await.unwrap().unwrap();
    assert_eq!(answer.code, CloseCode::from(4002));
    // Closing again reports the same end.
    assert_eq!(
        ws.close(CloseCode::NORMAL, "").await.unwrap().code,
        CloseCode::from(4002)
    );
}

#[tokio::test]
async fn unsendable_close_code_is_refused_without_closing() {
    let (addr, server) = echo_server(SocketConfig::default()).await;
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default())
        .await
        .unwrap();
    assert!(matches!(
        ws.close(CloseCode::ABNORMAL, "").await,
        Err(Error::Send(_))
    ));
    ws.send_text("still open").await.unwrap();
    assert!(ws.recv().await.unwrap().is_some());
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap().unwrap();
}
