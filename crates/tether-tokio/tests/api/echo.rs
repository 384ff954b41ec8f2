//! Echo of text and binary messages of the boundary sizes, whole and streamed; Stream + Sink.

use futures_util::{SinkExt, StreamExt};
use tether_tokio::{
    CloseCode, Message, MessageKind, MessageType, ReceiveMode, SocketConfig, connect_with,
};

use crate::common::echo_server;

const SIZES: [usize; 6] = [0, 125, 126, 65535, 65536, 16 << 20];

#[tokio::test]
async fn echoes_text_and_binary_of_boundary_sizes() {
    let (addr, server) = echo_server(SocketConfig::default()).await;
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default())
        .await
        .unwrap();
    for size in SIZES {
        let text: String = (0..size).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        ws.send_text(&text).await.unwrap();
        assert_eq!(
            ws.recv().await.unwrap(),
            Some(Message::Text(text)),
            "text of {size}"
        );
        let binary: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
        ws.send_binary(&binary).await.unwrap();
        assert_eq!(
            ws.recv().await.unwrap(),
            Some(Message::Binary(binary)),
            "binary of {size}"
        );
    }
    let info = ws.info();
    assert_eq!(info.stats.messages_sent, 12);
    assert_eq!(info.stats.messages_received, 12);
    assert_eq!(info.peer_addr, Some(addr));
    assert!(!info.tls);
    let peer = ws.close(CloseCode::NORMAL, "done").await.unwrap();
    assert_eq!(peer.code, CloseCode::NORMAL);
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn streamed_message_is_echoed_whole_and_chunks_arrive_with_last_flag() {
    let (addr, server) = echo_server(SocketConfig::default()).await;
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default())
        .await
        .unwrap();
    let mut writer = ws.start_message(MessageKind::Text).await.unwrap();
    // "é" split across two writes: the core checks UTF-8 over the whole message.
    writer.write(&"héllo ".as_bytes()[..2]).await.unwrap();
    writer.write(&"héllo ".as_bytes()[2..]).await.unwrap();
    for _ in 0..1000 {
        writer.write(b"0123456789").await.unwrap();
    }
    writer.finish().await.unwrap();
    let expected = format!("héllo {}", "0123456789".repeat(1000));
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Text(expected)));

    // Partial receive of a large binary message: pieces, the last one flagged.
    ws.set_receive_mode(ReceiveMode::Partial);
    let big = vec![9u8; 1 << 20];
    ws.send_binary(&big).await.unwrap();
    let mut total = 0;
    let mut pieces = 0;
    loop {
        let chunk = ws.recv_chunk().await.unwrap().unwrap();
        assert_eq!(chunk.kind, MessageKind::Binary);
        assert!(chunk.data.iter().all(|&b| b == 9));
        total += chunk.data.len();
        pieces += 1;
        if chunk.is_last {
            break;
        }
    }
    assert_eq!(total, big.len());
    assert!(
        pieces > 1,
        "a 1 MiB message should arrive in several pieces"
    );
    // Whole-message receive still works in partial mode (gathered by the socket).
    ws.send_binary(&big).await.unwrap();
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Binary(big)));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn send_uses_the_message_type_and_rejects_bad_text() {
    let (addr, server) = echo_server(SocketConfig::default()).await;
    let config = SocketConfig::default().message_type(MessageType::Binary);
    let mut ws = connect_with(&format!("ws://{addr}/"), &config)
        .await
        .unwrap();
    ws.send([0xff, 0x00]).await.unwrap();
    assert_eq!(
        ws.recv().await.unwrap(),
        Some(Message::Binary(vec![0xff, 0]))
    );
    ws.set_message_type(MessageType::Utf8);
    assert!(matches!(
        ws.send([0xff]).await,
        Err(tether_tokio::Error::Send(_))
    ));
    ws.send("ok").await.unwrap();
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Text("ok".into())));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn stream_and_sink_traits_echo_and_end_cleanly() {
    let (addr, server) = echo_server(SocketConfig::default()).await;
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default())
        .await
        .unwrap();
    // Feed many without flushing, then flush once: all come back in order.
    for i in 0..100 {
        ws.feed(Message::Text(format!("m{i}"))).await.unwrap();
    }
    ws.flush().await.unwrap();
    for i in 0..100 {
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::Text(format!("m{i}"))
        );
    }
    SinkExt::send(&mut ws, Message::Binary(vec![1, 2, 3]))
        .await
        .unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Binary(vec![1, 2, 3])
    );
    // Sink::close starts the close handshake; the stream then ends.
    SinkExt::close(&mut ws).await.unwrap();
    assert!(ws.next().await.is_none());
    assert!(
        ws.next().await.is_none(),
        "a finished stream stays finished"
    );
    assert_eq!(ws.close_frame().unwrap().code, CloseCode::NORMAL);
    server.await.unwrap().unwrap();
}
