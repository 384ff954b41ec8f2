//! Messages both ways: text and binary at the length boundaries of RFC 6455 §5.2, streamed
//! messages and chunks (§5.4), batched sends, prepared messages.

use tether_proto::SendError;
use tether_std::{
    Bytes, ClientConfig, CloseCode, Config, Error, Message, MessageKind, PreparedMessage,
    ReceiveMode, ServerConfig,
};

use crate::adapter::{Adapter, Socket, Writer};
use crate::loopback::{connect, connect_with, echo_server};

/// The payload lengths where the frame header changes (7-bit, 16-bit, 64-bit), and 16 MiB.
const SIZES: [usize; 6] = [0, 125, 126, 65535, 65536, 16 << 20];

/// Text of `len` ASCII bytes.
pub(crate) fn ascii(len: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect()
}

/// Bytes of `len` that differ from their neighbours.
pub(crate) fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// `got` is `expected`; on failure the message says how it differs (without printing MiBs).
pub(crate) fn assert_message(got: Option<Message>, expected: &Message, what: &str) {
    match got {
        Some(m) if m == *expected => {}
        Some(m) => panic!(
            "{what}: expected {:?} of {} bytes, got {:?} of {} bytes",
            expected.kind(),
            expected.len(),
            m.kind(),
            m.len()
        ),
        None => panic!("{what}: expected a message, the connection ended"),
    }
}

/// §5.2: every length encoding, text and binary, echoed exactly; the counters count them.
pub fn echoes_text_and_binary_of_boundary_sizes<A: Adapter>() {
    let (addr, server) = echo_server::<A>(ServerConfig::default());
    let mut ws = connect::<A>(addr);
    for size in SIZES {
        let text = Message::text(ascii(size));
        ws.send(text.clone()).unwrap();
        assert_message(ws.recv().unwrap(), &text, &format!("text of {size}"));
        let binary = Message::binary(pattern(size));
        ws.send(binary.clone()).unwrap();
        assert_message(ws.recv().unwrap(), &binary, &format!("binary of {size}"));
    }
    let info = ws.info();
    assert_eq!(info.stats.messages_sent, 12);
    assert_eq!(info.stats.messages_received, 12);
    assert_eq!(info.peer_addr, Some(addr));
    assert!(!info.tls);
    let peer = ws.close(CloseCode::NORMAL, "done").unwrap();
    assert_eq!(
        (peer.code, peer.reason.as_str()),
        (CloseCode::NORMAL, "done")
    );
    assert_eq!(server.join().unwrap().reason, "done");
}

/// §5.4: a message streamed in chunks (a character split between two) arrives whole; in chunk
/// mode a large message arrives in several chunks, the last one flagged; `recv` still gathers
/// whole messages in chunk mode.
pub fn streamed_messages_arrive_whole_and_chunks_carry_fin<A: Adapter>() {
    // Uncompressed, so the 1 MiB message spans several reads.
    let plain = Config::default().deflate(None);
    let (addr, server) = echo_server::<A>(ServerConfig::default().config(plain.clone()));
    let mut ws = connect_with::<A>(addr, &ClientConfig::default().config(plain));
    let mut writer = ws.start_message(MessageKind::Text).unwrap();
    writer.write_chunk(&"héllo ".as_bytes()[..2]).unwrap();
    writer.write_chunk(&"héllo ".as_bytes()[2..]).unwrap();
    for _ in 0..1000 {
        writer.write_chunk(b"0123456789").unwrap();
    }
    writer.finish().unwrap();
    let expected = Message::text(format!("héllo {}", "0123456789".repeat(1000)));
    assert_message(ws.recv().unwrap(), &expected, "streamed text");

    ws.set_receive_mode(ReceiveMode::Chunks);
    let big = vec![9u8; 1 << 20];
    ws.send(big.clone()).unwrap();
    let (mut total, mut chunks) = (0, 0);
    loop {
        let chunk = ws.recv_chunk().unwrap().expect("a chunk");
        assert_eq!(chunk.kind, MessageKind::Binary);
        assert!(chunk.data.iter().all(|&b| b == 9));
        total += chunk.data.len();
        chunks += 1;
        if chunk.fin {
            break;
        }
    }
    assert_eq!(total, big.len());
    assert!(chunks > 1, "a 1 MiB message arrives in several chunks");
    ws.send(big.clone()).unwrap();
    assert_message(
        ws.recv().unwrap(),
        &Message::binary(big),
        "whole in chunk mode",
    );
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap();
}

/// Bytes go as binary and strings as text; text that is not UTF-8 cannot be built, and a
/// streamed text chunk that is not UTF-8 is refused (nothing sent) while the message and the
/// socket go on.
pub fn bytes_are_binary_and_invalid_text_is_refused_before_sending<A: Adapter>() {
    let (addr, server) = echo_server::<A>(ServerConfig::default());
    let mut ws = connect::<A>(addr);
    ws.send(vec![0xff, 0x00]).unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::binary(vec![0xff, 0])));
    assert!(Message::text_from_bytes(Bytes::from_static(&[0xff])).is_err());
    let mut writer = ws.start_message(MessageKind::Text).unwrap();
    writer.write_chunk(b"o").unwrap();
    let e = writer.write_chunk(&[0xff]).unwrap_err();
    assert!(matches!(e, Error::Send(SendError::InvalidUtf8)), "{e:?}");
    writer.write_chunk(b"k").unwrap();
    writer.finish().unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("ok")));
    ws.send("still open").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("still open")));
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap();
}

/// `feed` queues without writing; one `flush` writes a hundred messages, which come back in
/// order.
pub fn fed_messages_go_out_in_order_with_one_flush<A: Adapter>() {
    let (addr, server) = echo_server::<A>(ServerConfig::default());
    let mut ws = connect::<A>(addr);
    for i in 0..100 {
        ws.feed(format!("m{i}")).unwrap();
    }
    ws.flush().unwrap();
    for i in 0..100 {
        assert_eq!(ws.recv().unwrap(), Some(Message::text(format!("m{i}"))));
    }
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap();
}

/// A prepared message, encoded once, reaches two clients (one compressed, one not) from a
/// server socket each, by `send_prepared` and by `try_send_prepared`.
pub fn a_prepared_message_reaches_every_socket<A: Adapter>() {
    let news = PreparedMessage::new(Message::text("the price is 42"));
    let mut clients = Vec::new();
    let mut servers = Vec::new();
    for deflate in [true, false] {
        let config = if deflate {
            Config::default()
        } else {
            Config::default().deflate(None)
        };
        let (addr, server) =
            crate::loopback::serve_one::<A, _, _>(ServerConfig::default().config(config), {
                let news = news.clone();
                move |ws| {
                    let mut ws = ws.unwrap();
                    ws.send_prepared(&news).unwrap();
                    ws.try_send_prepared(&news).unwrap();
                    ws.flush().unwrap();
                    crate::loopback::echo(&mut ws)
                }
            });
        clients.push(connect::<A>(addr));
        servers.push(server);
    }
    for ws in &mut clients {
        for _ in 0..2 {
            assert_eq!(ws.recv().unwrap(), Some(news.message().clone()));
        }
        ws.close(CloseCode::NORMAL, "").unwrap();
    }
    for server in servers {
        server.join().unwrap();
    }
}

/// §5.4: large messages sent in uneven frames (100 000 bytes, then a short last one) arrive
/// whole, binary and text. And an echo needs no new buffer per message: a large message
/// arrives assembled in the very buffer the previous echo was written from (the socket hands
/// the written payload back to the receive side).
pub fn large_fragmented_messages_arrive_whole_in_a_reused_buffer<A: Adapter>() {
    const LEN: usize = 1 << 19;
    let plain = Config::default().deflate(None);
    let (addr, server) = crate::loopback::serve_one::<A, _, _>(
        ServerConfig::default().config(plain.clone()),
        |ws| {
            let mut ws = ws.unwrap();
            let mut at = Vec::new();
            while let Some(message) = ws.recv().unwrap() {
                at.push(message.as_bytes().as_ptr() as usize);
                ws.send(message).unwrap();
            }
            at
        },
    );
    let mut ws = connect_with::<A>(addr, &ClientConfig::default().config(plain));
    let messages = [
        Message::binary(pattern(LEN)),
        Message::binary(pattern(LEN).into_iter().rev().collect::<Vec<u8>>()),
        Message::text(ascii(LEN)),
    ];
    for message in &messages {
        let mut writer = ws.start_message(message.kind()).unwrap();
        for piece in message.as_bytes().chunks(100_000) {
            writer.write_chunk(piece).unwrap();
        }
        writer.finish().unwrap();
        assert_message(ws.recv().unwrap(), message, "a message in 6 frames");
    }
    ws.close(CloseCode::NORMAL, "").unwrap();
    let at = server.join();
    assert_eq!(at.len(), 3);
    assert!(
        at.iter().all(|&a| a == at[0]),
        "each message in a buffer of its own: {at:x?}"
    );
}
