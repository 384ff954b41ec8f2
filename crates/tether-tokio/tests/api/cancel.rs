//! Cancel safety of receives: racing `recv` against other branches in `select!` loses nothing.

use std::net::SocketAddr;
use std::time::Duration;

use tether_tokio::{ClientConfig, CloseCode, Config, ReceiveMode, ServerConfig};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const N: usize = 4000;

/// Message `i`: mostly small, every 97th one large enough to span several reads.
fn message(i: usize) -> Vec<u8> {
    let len = if i.is_multiple_of(97) {
        200_000
    } else {
        8 + i % 300
    };
    let mut m = vec![(i % 251) as u8; len];
    m[..8].copy_from_slice(&(i as u64).to_be_bytes());
    m
}

/// A server that sends the N messages in uneven bursts, then closes.
async fn burst_server() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tether_tokio::accept(tcp, &ServerConfig::default())
            .await
            .unwrap();
        for i in 0..N {
            ws.feed(message(i)).await.unwrap();
            if i % 7 == 0 {
                ws.flush().await.unwrap();
            }
            if i % 50 == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        ws.close(CloseCode::NORMAL, "all sent").await.unwrap();
    });
    (addr, task)
}

async fn receive_racing(mode: ReceiveMode) {
    let (addr, server) = burst_server().await;
    // Uncompressed: deflate would shrink the large messages to a few hundred bytes, and they
    // must span several reads.
    let config = ClientConfig::default().config(Config::default().deflate(None));
    let mut ws = tether_tokio::connect(&format!("ws://{addr}/"), &config)
        .await
        .unwrap();
    ws.set_receive_mode(mode);
    let mut next = 0;
    let mut cancelled = 0u32;
    let mut round = 0u32;
    loop {
        round += 1;
        let received = tokio::select! {
            r = ws.recv() => Some(r),
            // Two ways to lose the race: a task yield (completes on its second poll) and a
            // short timer.
            () = tokio::task::yield_now(), if !round.is_multiple_of(3) => None,
            () = tokio::time::sleep(Duration::from_micros(200)), if round.is_multiple_of(3) => None,
        };
        match received {
            None => cancelled += 1,
            Some(Ok(Some(m))) => {
                assert!(!m.is_text());
                assert!(m.as_bytes() == message(next).as_slice(), "message {next}");
                next += 1;
            }
            Some(Ok(None)) => break,
            Some(Err(e)) => panic!("{e}"),
        }
    }
    assert_eq!(next, N, "every message arrives, in order");
    assert!(cancelled > 100, "only {cancelled} receives were cancelled");
    assert_eq!(ws.close_frame().unwrap().reason, "all sent");
    server.await.unwrap();
}

#[tokio::test]
async fn select_cancelling_recv_loses_no_message() {
    receive_racing(ReceiveMode::Message).await;
}

#[tokio::test]
async fn select_cancelling_recv_loses_no_chunk_in_chunk_mode() {
    // Whole messages gathered by the socket from chunks: a cancelled receive keeps them.
    receive_racing(ReceiveMode::Chunks).await;
}
