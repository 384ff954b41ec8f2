//! The HTTP/2 layer ending a WebSocket: the peer's RST_STREAM and GOAWAY end the affected
//! sockets (and only those) with `Error::Http2` saying which and with what code; a peer that
//! stops answering is found by keepalive, as over TCP. The peers are raw `h2` endpoints.

use std::time::Duration;

use h2::Reason;
use tether_tests::http2::{Http2Server, RawH2Client, RawH2Server, client_config, handler};
use tether_tokio::{
    Config, Error, Http2Connection, Http2Reset, Message, MessageSocket, ServerConfig, TimeoutKind,
};
use tokio::sync::mpsc;

/// A text frame as a client sends it (masked with a zero key, so the payload reads as is).
fn masked_text(text: &str) -> Vec<u8> {
    assert!(text.len() < 126);
    let mut f = vec![0x81, 0x80 | text.len() as u8, 0, 0, 0, 0];
    f.extend_from_slice(text.as_bytes());
    f
}

/// A text frame as a server sends it.
fn text(text: &str) -> Vec<u8> {
    assert!(text.len() < 126);
    let mut f = vec![0x81, text.len() as u8];
    f.extend_from_slice(text.as_bytes());
    f
}

/// Two sockets on one connection to a raw server, and the raw server's side of each.
async fn two_streams(
    raw: &mut RawH2Server,
    config: &tether_tokio::ClientConfig,
) -> ([MessageSocket; 2], [tether_tests::http2::RawStream; 2]) {
    let url = format!("ws://{}/", raw.addr);
    let h2 = Http2Connection::connect(&url, config).await.unwrap();
    let (one, s1) = tokio::join!(h2.open("/one", config), raw.accept());
    let (two, s2) = tokio::join!(h2.open("/two", config), raw.accept());
    ([one.unwrap(), two.unwrap()], [s1, s2])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9113_6_4_the_servers_rst_stream_ends_that_socket_only() {
    let mut raw = RawH2Server::start().await;
    let config = client_config(None);
    let ([mut one, mut two], [mut s1, mut s2]) = two_streams(&mut raw, &config).await;
    s1.send(&text("hello")).await;
    assert_eq!(one.recv().await.unwrap(), Some(Message::text("hello")));
    s1.reset(Reason::INTERNAL_ERROR);
    match one.recv().await {
        Err(Error::Http2(reset)) => {
            assert_eq!(reset, Http2Reset::new(false, 0x2, true));
            assert_eq!(
                Error::Http2(reset).to_string(),
                "HTTP/2: the peer reset the stream (RST_STREAM with INTERNAL_ERROR, 0x2)"
            );
        }
        other => panic!("{other:?}"),
    }
    // The other stream of the connection goes on, both ways.
    s2.send(&text("still here")).await;
    assert_eq!(two.recv().await.unwrap(), Some(Message::text("still here")));
    two.send("me too").await.unwrap();
    let frame = s2.next().await.unwrap().unwrap();
    assert_eq!(frame.len(), 2 + 4 + 6, "a masked text frame of 6 bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9113_6_8_the_servers_goaway_ends_every_socket_of_the_connection() {
    let mut raw = RawH2Server::start().await;
    let config = client_config(None);
    let ([mut one, mut two], _streams) = two_streams(&mut raw, &config).await;
    raw.go_away(Reason::ENHANCE_YOUR_CALM);
    for ws in [&mut one, &mut two] {
        match ws.recv().await {
            Err(Error::Http2(reset)) => {
                assert_eq!(reset, Http2Reset::new(true, 0xb, true));
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(
        Error::Http2(Http2Reset::new(true, 0xb, true))
            .to_string()
            .contains("closed the connection (GOAWAY with ENHANCE_YOUR_CALM, 0xb)")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9113_6_4_the_clients_rst_stream_ends_the_servers_socket() {
    let (tx, mut ended) = mpsc::unbounded_channel();
    let server = Http2Server::start(
        None,
        ServerConfig::default(),
        handler(move |mut ws, _| {
            let tx = tx.clone();
            async move {
                let end = loop {
                    match ws.recv().await {
                        Ok(Some(m)) => ws.send(m).await.unwrap(),
                        other => break other,
                    }
                };
                let _ = tx.send(end);
            }
        }),
    )
    .await;
    let mut client = RawH2Client::connect(server.addr).await;
    let (head, mut stream) = client
        .connect_request("/x", Some("websocket"), &[("sec-websocket-version", "13")])
        .await;
    assert_eq!(head.status, 200);
    stream.send(&masked_text("ping me")).await;
    assert_eq!(stream.next().await.unwrap().unwrap(), &text("ping me")[..]);
    stream.reset(Reason::INTERNAL_ERROR);
    match ended.recv().await.unwrap() {
        Err(Error::Http2(reset)) => assert_eq!(reset, Http2Reset::new(false, 0x2, true)),
        other => panic!("{other:?}"),
    }
    // A CANCEL reads as the end of the stream without a close frame (hyper reports it so).
    let (_, mut stream) = client
        .connect_request("/y", Some("websocket"), &[("sec-websocket-version", "13")])
        .await;
    stream.reset(Reason::CANCEL);
    match ended.recv().await.unwrap() {
        Err(e) => assert_eq!(e.close_code().map(|c| c.as_u16()), Some(1006), "{e:?}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_finds_a_silent_http2_peer() {
    let mut raw = RawH2Server::start().await;
    let config = client_config(None).config(
        Config::default()
            .ping_interval(Some(Duration::from_millis(100)))
            .ping_timeout(Duration::from_millis(200)),
    );
    let ([mut one, _two], _streams) = two_streams(&mut raw, &config).await;
    // The raw server answers nothing: no pong, no data.
    match one.recv().await {
        Err(Error::Timeout(TimeoutKind::Keepalive)) => {}
        other => panic!("{other:?}"),
    }
}
