//! Answers a whole `MessageSocket` holds while it hands out a burst (`feed` while received
//! messages still wait to be taken): nothing is lost or reordered, whatever the socket does
//! next — read on, flush, `try_send`, close, or be dropped.

use std::future::Future;

use tether_tests::raw::{self, Got, RawPeer, RxFrame};
use tether_tokio::{CloseCode, MessageSocket, ServerConfig};
use tokio::net::TcpListener;

/// Five binary messages, `m0` … `m4`, in the same write as the upgrade request: the server
/// receives them as one burst.
fn burst() -> Vec<u8> {
    (0..5)
        .flat_map(|i| raw::binary(format!("m{i}")).encode(raw::Role::Server))
        .collect()
}

/// Runs `server` on the socket accepted from a raw client that sent [`burst`]; returns every
/// frame the client got until TCP ended (or its read bound passed).
async fn frames_from(
    server: impl FnOnce(MessageSocket) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
) -> Vec<RxFrame> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = tokio::task::spawn_blocking(move || {
        let mut peer = RawPeer::upgrade(addr, &burst()).unwrap();
        let mut frames = Vec::new();
        while let Ok(Got::Frame(frame)) = peer.read_frame() {
            let close = frame.opcode == 0x8;
            frames.push(frame);
            if close {
                break;
            }
        }
        frames
    });
    let (tcp, _) = listener.accept().await.unwrap();
    let ws = tether_tokio::accept(tcp, &ServerConfig::default())
        .await
        .unwrap();
    server(ws).await;
    client.await.unwrap()
}

fn payloads(frames: &[RxFrame]) -> Vec<String> {
    frames
        .iter()
        .map(|f| match f.opcode {
            0x8 => format!("close {}", f.close_code()),
            _ => String::from_utf8_lossy(&f.payload).into_owned(),
        })
        .collect()
}

/// Receives `n` messages of the burst and feeds `re:` + each back (held: more of the burst
/// waits).
async fn answer(ws: &mut MessageSocket, n: usize) {
    for _ in 0..n {
        let message = ws.recv().await.unwrap().unwrap();
        let answer = format!("re:{}", String::from_utf8_lossy(message.as_bytes()));
        ws.feed(answer).await.unwrap();
    }
}

#[tokio::test]
async fn a_socket_dropped_mid_burst_sends_its_held_answers_before_its_1001() {
    let frames = frames_from(|mut ws| {
        Box::pin(async move {
            answer(&mut ws, 3).await;
            drop(ws);
        })
    })
    .await;
    assert_eq!(
        payloads(&frames),
        ["re:m0", "re:m1", "re:m2", "close 1001"],
        "the answers fed before the drop, in order, then the close of a dropped socket"
    );
}

#[tokio::test]
async fn a_flush_mid_burst_writes_the_held_answers_at_once() {
    let frames = frames_from(|mut ws| {
        Box::pin(async move {
            answer(&mut ws, 2).await;
            ws.flush().await.unwrap();
            // The client has them while the server still holds the socket (it reads with a
            // bound: a held answer would time it out and fail the comparison below).
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            ws.close(CloseCode::NORMAL, "done").await.ok();
        })
    })
    .await;
    assert_eq!(payloads(&frames)[..2], ["re:m0", "re:m1"]);
}

#[tokio::test]
async fn try_send_after_held_answers_goes_out_behind_them() {
    let frames = frames_from(|mut ws| {
        Box::pin(async move {
            answer(&mut ws, 2).await;
            ws.try_send("after").unwrap();
            answer(&mut ws, 3).await;
            drop(ws);
        })
    })
    .await;
    assert_eq!(
        payloads(&frames),
        [
            "re:m0",
            "re:m1",
            "after",
            "re:m2",
            "re:m3",
            "re:m4",
            "close 1001"
        ]
    );
}

#[tokio::test]
async fn a_close_mid_burst_sends_the_held_answers_ahead_of_the_close_frame() {
    let frames = frames_from(|mut ws| {
        Box::pin(async move {
            answer(&mut ws, 2).await;
            ws.close(CloseCode::NORMAL, "bye").await.ok();
        })
    })
    .await;
    assert_eq!(payloads(&frames), ["re:m0", "re:m1", "close 1000"]);
}

#[tokio::test]
async fn an_echo_of_a_burst_answers_every_message_in_order() {
    let frames = frames_from(|mut ws| {
        Box::pin(async move {
            answer(&mut ws, 5).await;
            ws.close(CloseCode::NORMAL, "").await.ok();
        })
    })
    .await;
    assert_eq!(
        payloads(&frames),
        ["re:m0", "re:m1", "re:m2", "re:m3", "re:m4", "close 1000"]
    );
}
