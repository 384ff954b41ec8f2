//! Several WebSockets on one HTTP/2 connection (`Http2Connection`): 100 streams in both
//! directions at once while one of them is stalled (its server never reads), each stream's
//! flow control meeting its socket's outbound bound; the handle's life and its checks.

use std::sync::Arc;
use std::time::Duration;

use tether_tests::http2::{Http2Server, client_config, handler};
use tether_tokio::{
    ClientConfig, CloseCode, Error, Http2Connection, HttpVersion, Message, ServerConfig,
    TrySendError,
};
use tokio::sync::{Notify, mpsc};

/// Bytes that do not compress (xorshift), so permessage-deflate does not shrink what flow
/// control counts.
fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Echoes on every path but `/stall`, whose socket is not read until `release` is notified;
/// then it counts what arrived and reports it.
fn stalling_server(
    release: Arc<Notify>,
    counted: mpsc::UnboundedSender<u64>,
) -> tether_tests::http2::Handler {
    handler(move |mut ws, path| {
        let (release, counted) = (release.clone(), counted.clone());
        async move {
            if path == "/stall" {
                release.notified().await;
                let mut bytes = 0;
                while let Ok(Some(m)) = ws.recv().await {
                    bytes += m.len() as u64;
                }
                let _ = counted.send(bytes);
                return;
            }
            while let Ok(Some(m)) = ws.recv().await {
                if ws.feed(m).await.is_err() {
                    break;
                }
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc8441_100_websockets_on_one_connection_with_one_stalled() {
    let release = Arc::new(Notify::new());
    let (counted, mut count) = mpsc::unbounded_channel();
    let server = Http2Server::start(
        None,
        ServerConfig::default(),
        stalling_server(release.clone(), counted),
    )
    .await;
    let config = client_config(None);
    let h2 = Http2Connection::connect(&server.url("/"), &config)
        .await
        .unwrap();
    let mut stalled = h2.open("/stall", &config).await.unwrap();
    assert_eq!(stalled.info().http_version, HttpVersion::Http2);
    let mut others = Vec::new();
    for _ in 0..99 {
        others.push(h2.open("/echo", &config).await.unwrap());
    }
    let peers: std::collections::HashSet<_> =
        others.iter().map(|ws| ws.info().local_addr).collect();
    assert_eq!(peers.len(), 1, "all on one TCP connection");

    // Fill the stalled stream until its socket stops taking messages: HTTP/2 flow control
    // (the stream's window) holds the bytes back, and the socket's outbound bound holds the
    // sender. What it took is bounded: the stream window, the server's inbound bound, the
    // client's outbound bound and a few of hyper's buffers — far less than 16 MiB.
    let chunk = Message::binary(noise(64 << 10));
    let mut queued = 0u64;
    let mut full_since = None;
    loop {
        match stalled.try_send(chunk.clone()) {
            Ok(()) => {
                queued += chunk.len() as u64;
                full_since = None;
            }
            Err(TrySendError::Full(_)) => {
                // Full now; stalled once it stays full while the socket's keeper would have
                // written anything the transport took.
                let since = *full_since.get_or_insert_with(std::time::Instant::now);
                if since.elapsed() > Duration::from_millis(500) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(TrySendError::Failed(e)) => panic!("the stalled stream failed: {e}"),
            Err(e) => panic!("{e}"),
        }
        assert!(queued < 16 << 20, "no backpressure: {queued} bytes taken");
    }
    println!("the stalled stream took {queued} bytes before its socket stopped taking more");
    assert!(queued >= 1 << 20, "only {queued} bytes before the stall");
    assert!(matches!(
        stalled.try_send(chunk.clone()),
        Err(TrySendError::Full(_))
    ));

    // Meanwhile the 99 others flow both ways at once: each sends 20 messages and gets 20
    // echoes back, every socket on its own task.
    let mut tasks = tokio::task::JoinSet::new();
    for (i, ws) in others.into_iter().enumerate() {
        tasks.spawn(async move {
            let (mut rx, mut tx) = ws.into_split();
            let sending = async {
                for n in 0..20 {
                    tx.send(Message::text(format!("{i}:{n}:{}", "x".repeat(1000))))
                        .await
                        .unwrap();
                }
            };
            let receiving = async {
                for n in 0..20 {
                    let m = rx.recv().await.unwrap().expect("an echo");
                    assert!(m.as_text().unwrap().starts_with(&format!("{i}:{n}:")));
                }
            };
            tokio::join!(sending, receiving);
            tx.close(CloseCode::NORMAL, "").await.unwrap();
        });
    }
    let flowed = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
    })
    .await;
    assert!(
        flowed.is_ok(),
        "the other streams did not flow while one was stalled"
    );

    // Still stalled; then released, it delivers everything it took, nothing lost.
    assert!(matches!(
        stalled.try_send(chunk.clone()),
        Err(TrySendError::Full(_))
    ));
    release.notify_one();
    stalled.close(CloseCode::NORMAL, "").await.unwrap();
    assert_eq!(count.recv().await, Some(queued));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_connection_lives_while_its_sockets_do_and_checks_what_it_opens() {
    let server = Http2Server::start(
        None,
        ServerConfig::default().on_request(|req| {
            if req.path() == "/missing" {
                Err(tether_tokio::Reject::new(404).body("nothing here"))
            } else {
                Ok(Default::default())
            }
        }),
        tether_tests::http2::echo_handler(),
    )
    .await;
    let config = client_config(None);
    let h2 = Http2Connection::connect(&server.url("/"), &config)
        .await
        .unwrap();
    // A refusal is the server's answer on one stream; the connection goes on.
    match h2.open("/missing", &config).await {
        Err(Error::ServerRefused {
            status, body, url, ..
        }) => {
            assert_eq!((status, body.as_slice()), (404, &b"nothing here"[..]));
            assert_eq!(url, format!("ws://{}/missing", server.addr));
        }
        other => panic!("{other:?}"),
    }
    // Only this server's resources.
    let elsewhere = h2.open("ws://example.com/x", &config).await.unwrap_err();
    assert!(matches!(elsewhere, Error::InvalidInput(_)), "{elsewhere:?}");
    let mut a = h2.open("/a", &config).await.unwrap();
    let mut b = h2.open(&server.url("/b?x=1"), &config).await.unwrap();
    // The handle dropped, its sockets go on.
    drop(h2);
    for ws in [&mut a, &mut b] {
        ws.send("still open").await.unwrap();
        assert_eq!(ws.recv().await.unwrap(), Some(Message::text("still open")));
    }
    a.close(CloseCode::NORMAL, "").await.unwrap();
    b.close(CloseCode::NORMAL, "").await.unwrap();

    // HTTP/2 only: a connection to a server that does not speak it fails at once.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move { tether_tokio::accept(tcp, &ServerConfig::default()).await });
        }
    });
    let e = Http2Connection::connect(&format!("ws://{addr}/"), &ClientConfig::default())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Http2Unsupported { .. }), "{e:?}");
}
