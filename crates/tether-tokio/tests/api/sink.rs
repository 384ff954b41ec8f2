//! `MessageSocket` as a `Stream` of messages and a `Sink` of them.

use futures_util::{SinkExt, StreamExt};
use tether_tokio::{ClientConfig, CloseCode, Message, ServerConfig};
use tokio::net::TcpListener;

/// Messages fed through the sink without flushing go out with one flush and come back in
/// order through the stream; `Sink::close` starts the close handshake, after which the stream
/// ends, and stays ended.
#[tokio::test]
async fn stream_and_sink_echo_and_end_cleanly() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tether_tokio::accept(tcp, &ServerConfig::default())
            .await
            .unwrap();
        // Echo through the stream and sink of the server's socket too.
        while let Some(message) = ws.next().await {
            ws.feed(message.unwrap()).await.unwrap();
        }
        ws.close_frame()
    });
    let mut ws = tether_tokio::connect(&format!("ws://{addr}/"), &ClientConfig::default())
        .await
        .unwrap();
    for i in 0..100 {
        SinkExt::feed(&mut ws, Message::text(format!("m{i}")))
            .await
            .unwrap();
    }
    SinkExt::flush(&mut ws).await.unwrap();
    for i in 0..100 {
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::text(format!("m{i}"))
        );
    }
    SinkExt::send(&mut ws, Message::binary(vec![1, 2, 3]))
        .await
        .unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::binary(vec![1, 2, 3])
    );
    SinkExt::close(&mut ws).await.unwrap();
    assert!(ws.next().await.is_none());
    assert!(
        ws.next().await.is_none(),
        "a finished stream stays finished"
    );
    assert_eq!(ws.close_frame().unwrap().code, CloseCode::NORMAL);
    assert_eq!(server.await.unwrap().unwrap().code, CloseCode::NORMAL);
}

/// A close other than 1000/1001 ends the stream with one error carrying the code.
#[tokio::test]
async fn the_stream_ends_with_the_error_of_a_close_with_4000() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tether_tokio::accept(tcp, &ServerConfig::default())
            .await
            .unwrap();
        ws.close(CloseCode::from(4000), "custom").await.unwrap();
    });
    let mut ws = tether_tokio::connect(&format!("ws://{addr}/"), &ClientConfig::default())
        .await
        .unwrap();
    match ws.next().await {
        Some(Err(tether_tokio::Error::Closed { code, reason })) => {
            assert_eq!((code, reason.as_str()), (CloseCode::from(4000), "custom"));
        }
        other => panic!("expected the close with 4000, got {other:?}"),
    }
    assert!(ws.next().await.is_none());
    server.await.unwrap();
}
