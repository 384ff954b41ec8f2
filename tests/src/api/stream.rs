//! Stream sockets (`into_stream`): payload bytes as a byte stream, read in any sections,
//! written as binary messages that go out uncompressed.

use std::io::{Read, Write};

use tether_std::{ClientConfig, CloseCode, ServerConfig};

use crate::adapter::{Adapter, Socket, Stream, StreamWriteHalf};
use crate::loopback::{Task, connect_with, serve_one};

/// 3 MB written in 10 000-byte pieces from one thread, read back whole from another, through a
/// server that echoes the stream with odd-sized (777-byte) reads; the write half's shutdown
/// ends it with 1000 and the reader then reads 0.
pub fn a_stream_round_trips_bytes_in_any_sections<A: Adapter>() {
    let (addr, server) = serve_one::<A, _, _>(ServerConfig::default(), |ws| {
        let mut ws = ws.unwrap().into_stream();
        let mut buf = [0; 777];
        let mut total = 0;
        loop {
            let n = ws.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            total += n;
            ws.write_all(&buf[..n]).unwrap();
            ws.flush().unwrap();
        }
        total
    });
    let ws = connect_with::<A>(addr, &ClientConfig::default()).into_stream();
    let (mut reader, mut writer) = ws.into_split();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let expected = data.clone();
    let sender = Task::spawn(move || {
        for piece in data.chunks(10_000) {
            writer.write_all(piece).unwrap();
        }
        writer.flush().unwrap();
        writer
    });
    let mut got = vec![0; expected.len()];
    reader.read_exact(&mut got).unwrap();
    assert!(got == expected, "the stream's bytes differ");
    let mut writer = sender.join();
    writer.shutdown().unwrap();
    let mut rest = [0; 16];
    assert_eq!(reader.read(&mut rest).unwrap(), 0, "a clean end reads 0");
    assert_eq!(server.join(), expected.len());
}

/// With permessage-deflate negotiated, a message socket compresses 1 MiB of zeros to little,
/// while the same bytes written to the stream socket go out whole; `close` returns the peer's
/// answer.
pub fn stream_writes_go_uncompressed<A: Adapter>() {
    let zeros = vec![0u8; 1 << 20];
    let (addr, server) = serve_one::<A, _, _>(ServerConfig::default(), |ws| {
        let mut ws = ws.unwrap();
        let mut total = 0;
        while let Ok(Some(message)) = ws.recv() {
            assert!(message.as_bytes().iter().all(|&b| b == 0));
            total += message.len();
        }
        total
    });
    let mut ws = connect_with::<A>(addr, &ClientConfig::default());
    assert!(ws.info().negotiated.deflate().is_some(), "{:?}", ws.info());
    let before = ws.info().stats.bytes_sent;
    ws.send(zeros.clone()).unwrap();
    let compressed = ws.info().stats.bytes_sent - before;
    assert!(
        compressed < 64 << 10,
        "{compressed} bytes for 1 MiB of zeros"
    );
    let mut ws = ws.into_stream();
    ws.write_all(&zeros).unwrap();
    ws.flush().unwrap();
    let plain = ws.info().stats.bytes_sent - before - compressed;
    assert!(
        plain >= 1 << 20,
        "{plain} bytes on the wire for 1 MiB written"
    );
    let answer = ws.close(CloseCode::NORMAL, "done").unwrap();
    assert_eq!(answer.reason, "done");
    assert_eq!(server.join(), 2 << 20);
}
