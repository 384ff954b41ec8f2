//! Backpressure: a writer that outpaces its peer waits at the outbound bound.

use std::time::Duration;

use tether_tokio::{CloseCode, SocketConfig, TimeoutKind, connect_with};

use crate::common::serve_one;

const BOUND: usize = 256 << 10;
const PIECE: usize = 64 << 10;

#[tokio::test]
async fn writer_waits_at_the_outbound_bound_while_the_peer_does_not_read() {
    let (go, wait) = tokio::sync::oneshot::channel::<()>();
    let (addr, server) = serve_one(
        SocketConfig::default(),
        |_| Ok(Default::default()),
        move |ws| async move {
            let mut ws = ws.unwrap();
            wait.await.unwrap(); // not reading yet
            let mut count = 0u64;
            let mut buf = Vec::new();
            while ws.recv_into(&mut buf).await.unwrap().is_some() {
                assert_eq!(buf.len(), PIECE);
                count += 1;
            }
            count
        },
    )
    .await;
    // Uncompressed: deflate would shrink the repetitive pieces to almost nothing.
    let config = SocketConfig::default()
        .outbound_buffer_size(BOUND)
        .write_timeout(None)
        .deflate(false);
    let mut ws = connect_with(&format!("ws://{addr}/"), &config)
        .await
        .unwrap();
    let piece = vec![1u8; PIECE];
    let mut sent = 0u64;
    let mut max_buffered = 0;
    loop {
        match tokio::time::timeout(Duration::from_millis(300), ws.feed_binary(&piece)).await {
            Ok(result) => {
                result.unwrap();
                sent += 1;
                max_buffered = max_buffered.max(ws.buffered_amount());
            }
            Err(_) => break, // blocked: the bound holds the writer back
        }
        assert!(
            sent < 4096,
            "256 MiB queued without the writer ever waiting"
        );
    }
    // One piece (plus frame headers) may go past the bound, never more.
    assert!(
        max_buffered <= BOUND + PIECE + 64,
        "buffered {max_buffered}"
    );
    assert!(ws.buffered_amount() <= BOUND + PIECE + 64);
    // The peer starts reading: everything queued arrives, nothing more.
    go.send(()).unwrap();
    ws.flush().await.unwrap();
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert_eq!(server.await.unwrap(), sent);
}

#[tokio::test]
async fn write_timeout_fails_a_writer_blocked_on_a_stalled_peer() {
    let (go, wait) = tokio::sync::oneshot::channel::<()>();
    let (addr, server) = serve_one(
        SocketConfig::default(),
        |_| Ok(Default::default()),
        move |ws| async move {
            let _ws = ws.unwrap();
            let _ = wait.await; // never reads
        },
    )
    .await;
    let config = SocketConfig::default()
        .outbound_buffer_size(BOUND)
        .write_timeout(Some(Duration::from_millis(200)));
    let mut ws = connect_with(&format!("ws://{addr}/"), &config)
        .await
        .unwrap();
    let piece = vec![1u8; PIECE];
    let e = loop {
        if let Err(e) = ws.send_binary(&piece).await {
            break e;
        }
    };
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Write), "{e:?}");
    drop(go);
    server.await.unwrap();
}
