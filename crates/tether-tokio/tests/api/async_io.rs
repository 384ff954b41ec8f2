//! A stream socket as `AsyncRead` + `AsyncWrite`: `tokio::io::copy` both ways, and
//! `poll_shutdown` as the end.

use tether_tokio::{ClientConfig, CloseCode, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// 3 MB copied in with `tokio::io::copy`, echoed by a server that copies its reading half into
/// its writing half, read back whole; `shutdown` on either side ends the stream with 1000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_socket_round_trips_bytes_through_tokio_io_copy() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let ws = tether_tokio::accept(tcp, &ServerConfig::default())
            .await
            .unwrap();
        let (mut reader, mut writer) = ws.into_stream().into_split();
        let copied = tokio::io::copy(&mut reader, &mut writer).await.unwrap();
        writer.shutdown().await.unwrap();
        copied
    });
    let ws = tether_tokio::connect(&format!("ws://{addr}/"), &ClientConfig::default())
        .await
        .unwrap();
    let (mut reader, mut writer) = ws.into_stream().into_split();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let expected = data.clone();
    let sender = tokio::spawn(async move {
        let mut source = data.as_slice();
        tokio::io::copy(&mut source, &mut writer).await.unwrap();
        writer
    });
    let mut got = vec![0; expected.len()];
    reader.read_exact(&mut got).await.unwrap();
    assert!(got == expected, "the stream's bytes differ");
    let mut writer = sender.await.unwrap();
    // poll_shutdown starts the close handshake; the reader then reads 0.
    writer.shutdown().await.unwrap();
    let mut rest = [0; 16];
    assert_eq!(
        reader.read(&mut rest).await.unwrap(),
        0,
        "a clean end reads 0"
    );
    assert_eq!(server.await.unwrap(), expected.len() as u64);
}

/// `StreamSocket::close` writes what is queued, then waits for the peer's answer.
#[tokio::test]
async fn a_stream_socket_close_returns_the_answer_after_what_was_written() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tether_tokio::accept(tcp, &ServerConfig::default())
            .await
            .unwrap()
            .into_stream();
        let mut all = Vec::new();
        ws.read_to_end(&mut all).await.unwrap();
        all
    });
    let ws = tether_tokio::connect(&format!("ws://{addr}/"), &ClientConfig::default())
        .await
        .unwrap();
    let mut ws = ws.into_stream();
    ws.write_all(b"written, not flushed").await.unwrap();
    let answer = ws.close(CloseCode::NORMAL, "done").await.unwrap();
    assert_eq!(answer.reason, "done");
    assert_eq!(server.await.unwrap(), b"written, not flushed");
}
