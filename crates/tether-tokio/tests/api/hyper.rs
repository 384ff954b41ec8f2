//! The hyper upgrade example, reached by a tether client.

use tether_tokio::{CloseCode, Message, SocketConfig, connect_with};
use tokio::net::TcpListener;

#[path = "../../examples/hyper_upgrade.rs"]
#[allow(dead_code)]
mod hyper_upgrade;

#[tokio::test]
async fn hyper_upgrades_a_route_to_a_tether_socket() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(hyper_upgrade::serve(listener));

    let config = SocketConfig::default().protocols(["echo"]);
    let mut ws = connect_with(&format!("ws://{addr}/ws"), &config)
        .await
        .unwrap();
    assert_eq!(ws.info().protocol.as_deref(), Some("echo"));
    for text in ["hello", "through hyper"] {
        ws.send_text(text).await.unwrap();
        assert_eq!(ws.recv().await.unwrap(), Some(Message::Text(text.into())));
    }
    let big = vec![3u8; 1 << 20];
    ws.send_binary(&big).await.unwrap();
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Binary(big)));
    assert_eq!(
        ws.close(CloseCode::NORMAL, "bye").await.unwrap().code,
        CloseCode::NORMAL
    );

    // Other paths are plain HTTP.
    let e = connect_with(&format!("ws://{addr}/other"), &SocketConfig::default())
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    server.abort();
}
