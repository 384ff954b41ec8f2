//! Echo of text and binary messages of the boundary sizes, whole and streamed.

use std::io::Write;

use tether_std::{CloseCode, Message, MessageKind, SocketConfig, connect_with};

use crate::common::echo_server;

const SIZES: [usize; 6] = [0, 125, 126, 65535, 65536, 16 << 20];

#[test]
fn echoes_text_and_binary_of_boundary_sizes() {
    let (addr, server) = echo_server(SocketConfig::default());
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default()).unwrap();
    for size in SIZES {
        let text: String = (0..size).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        ws.send_text(&text).unwrap();
        assert_eq!(
            ws.recv().unwrap(),
            Some(Message::Text(text)),
            "text of {size}"
        );
        let binary: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
        ws.send_binary(&binary).unwrap();
        assert_eq!(
            ws.recv().unwrap(),
            Some(Message::Binary(binary)),
            "binary of {size}"
        );
    }
    let info = ws.info();
    assert_eq!(info.stats.messages_sent, 12);
    assert_eq!(info.stats.messages_received, 12);
    assert_eq!(info.peer_addr, Some(addr));
    assert!(!info.tls);
    let peer = ws.close(CloseCode::NORMAL, "done").unwrap();
    assert_eq!(peer.code, CloseCode::NORMAL);
    server.join().unwrap().unwrap();
}

#[test]
fn streamed_message_is_echoed_whole_and_chunks_arrive_with_last_flag() {
    let (addr, server) = echo_server(SocketConfig::default());
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default()).unwrap();
    let mut writer = ws.start_message(MessageKind::Text).unwrap();
    // "é" split across two writes: the core checks UTF-8 over the whole message.
    writer.write_all("héllo ".as_bytes()[..2].as_ref()).unwrap();
    writer.write_all(&"héllo ".as_bytes()[2..]).unwrap();
    for _ in 0..1000 {
        writer.write_all(b"0123456789").unwrap();
    }
    writer.finish().unwrap();
    let expected = format!("héllo {}", "0123456789".repeat(1000));
    assert_eq!(ws.recv().unwrap(), Some(Message::Text(expected)));

    // Partial receive of a large binary message: pieces, the last one flagged.
    ws.set_receive_mode(tether_std::ReceiveMode::Partial);
    let big = vec![9u8; 1 << 20];
    ws.send_binary(&big).unwrap();
    let mut total = 0;
    let mut pieces = 0;
    loop {
        let chunk = ws.recv_chunk().unwrap().unwrap();
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
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap().unwrap();
}

#[test]
fn send_uses_the_message_type_and_rejects_bad_text() {
    let (addr, server) = echo_server(SocketConfig::default());
    let config = SocketConfig::default().message_type(tether_std::MessageType::Binary);
    let mut ws = connect_with(&format!("ws://{addr}/"), &config).unwrap();
    ws.send([0xff, 0x00]).unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::Binary(vec![0xff, 0])));
    ws.set_message_type(tether_std::MessageType::Utf8);
    assert!(matches!(ws.send([0xff]), Err(tether_std::Error::Send(_))));
    ws.send("ok").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::Text("ok".into())));
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap().unwrap();
}
