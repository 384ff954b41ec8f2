//! The hub over real loopback sockets.

use std::time::Duration;

use tether_tokio::{
    ClientConfig, CloseCode, Config, Error, FanoutLimits, Hub, HubConfig, Message, MessageSocket,
    Published, ServerConfig, SlowPolicy,
};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// A server whose every connection joins "room" on `hub` and publishes what it receives to
/// the others; returns the URL.
async fn hub_server(hub: Hub, config: ServerConfig) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let hub = hub.clone();
            let config = config.clone();
            tokio::spawn(async move {
                let mut ws = tether_tokio::accept(tcp, &config).await?;
                let topic = "room";
                let me = hub.join(topic, &ws);
                while let Some(m) = ws.recv().await? {
                    hub.publish_except(topic, m, &me);
                }
                Ok::<_, Error>(())
            });
        }
    });
    format!("ws://{addr}/")
}

async fn wait_for_subscribers(hub: &Hub, n: usize) {
    for _ in 0..200 {
        if hub.stats().subscribers >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("subscribers: {:?}", hub.stats());
}

#[tokio::test]
async fn publish_except_reaches_everyone_else_once_in_order() {
    let hub = Hub::new(HubConfig::default());
    let url = hub_server(hub.clone(), ServerConfig::default()).await;
    let mut clients: Vec<MessageSocket> = Vec::new();
    for _ in 0..5 {
        clients.push(
            tether_tokio::connect(&url, &ClientConfig::default())
                .await
                .unwrap(),
        );
    }
    wait_for_subscribers(&hub, 5).await;
    for i in 0..20 {
        clients[0].send(format!("m{i}")).await.unwrap();
    }
    for c in &mut clients[1..] {
        for i in 0..20 {
            assert_eq!(
                c.recv().await.unwrap(),
                Some(Message::text(format!("m{i}")))
            );
        }
    }
    let stats = hub.stats();
    assert_eq!((stats.published, stats.deliveries), (20, 80));
}

#[tokio::test]
async fn a_slow_subscriber_loses_its_oldest_messages_and_the_others_get_everything() {
    let limits = FanoutLimits::default().max_messages(8).max_bytes(1 << 20);
    let hub = Hub::new(HubConfig::default().limits(limits));
    let server = ServerConfig::default().config(
        Config::default()
            .outbound_high_water(64 << 10)
            .deflate(None),
    );
    let url = hub_server(hub.clone(), server).await;
    // A client that reads nothing once 64 KiB are queued for it: its server-side output
    // fills, then its fan-out queue.
    let slow_config =
        ClientConfig::default().config(Config::default().inbound_high_water(64 << 10));
    let slow = tether_tokio::connect(&url, &slow_config).await.unwrap();
    let mut fast = tether_tokio::connect(&url, &ClientConfig::default())
        .await
        .unwrap();
    wait_for_subscribers(&hub, 2).await;
    let payload = vec![7u8; 64 << 10];
    let (tx, mut rx) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        let mut n = 0;
        while n < 1000 {
            match fast.recv().await {
                Ok(Some(m)) => {
                    assert_eq!(m.len(), 64 << 10);
                    n += 1;
                }
                other => panic!("fast subscriber: {other:?}"),
            }
        }
        tx.send(n).unwrap();
        fast
    });
    for _ in 0..1000 {
        hub.publish("room", Message::binary(payload.clone()));
        tokio::task::yield_now().await;
    }
    assert_eq!(rx.recv().await, Some(1000));
    let stats = hub.stats();
    assert!(stats.dropped > 0, "{stats:?}");
    assert_eq!(stats.closed_slow, 0);
    drop((slow, reader));
}

#[tokio::test]
async fn a_slow_subscriber_is_closed_with_1013_when_the_policy_says_so() {
    let limits = FanoutLimits::default()
        .max_messages(4)
        .on_slow(SlowPolicy::Close {
            code: CloseCode::TRY_AGAIN_LATER,
            reason: "too slow".into(),
        });
    let hub = Hub::new(HubConfig::default().limits(limits));
    let server = ServerConfig::default().config(
        Config::default()
            .outbound_high_water(64 << 10)
            .deflate(None),
    );
    let url = hub_server(hub.clone(), server).await;
    let slow_config =
        ClientConfig::default().config(Config::default().inbound_high_water(64 << 10));
    let mut slow = tether_tokio::connect(&url, &slow_config).await.unwrap();
    wait_for_subscribers(&hub, 1).await;
    for _ in 0..1000 {
        hub.publish("room", Message::binary(vec![1u8; 64 << 10]));
        tokio::task::yield_now().await;
    }
    assert_eq!(hub.stats().closed_slow, 1);
    // The slow client drains what it got, then sees the close.
    let end = loop {
        match slow.recv().await {
            Ok(Some(_)) => {}
            other => break other,
        }
    };
    match end {
        Err(Error::Closed { code, reason }) => {
            assert_eq!(
                (code, reason.as_str()),
                (CloseCode::TRY_AGAIN_LATER, "too slow")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(hub.stats().subscribers, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_and_leaves_racing_with_publishes_lose_and_duplicate_nothing() {
    let hub = Hub::new(HubConfig::default());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let members = hub.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let hub = members.clone();
            tokio::spawn(async move {
                let ws = tether_tokio::accept(tcp, &ServerConfig::default())
                    .await
                    .unwrap();
                // Join and leave, over and over, while the publisher runs.
                for i in 0u64..200 {
                    let member = hub.join("room", &ws);
                    tokio::time::sleep(Duration::from_micros(100 + (i * 37) % 700)).await;
                    drop(member);
                    tokio::task::yield_now().await;
                }
                // Stay for the end.
                let _member = hub.join("room", &ws);
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    let mut readers = Vec::new();
    let (counted, mut totals) = mpsc::unbounded_channel();
    for _ in 0..8 {
        let mut ws = tether_tokio::connect(&url, &ClientConfig::default())
            .await
            .unwrap();
        let counted = counted.clone();
        readers.push(tokio::spawn(async move {
            let mut last: Option<u64> = None;
            while let Ok(Some(m)) = ws.recv().await {
                let n: u64 = m.as_text().unwrap().parse().unwrap();
                assert!(
                    last.is_none_or(|l| n > l),
                    "{n} after {last:?}: duplicated or reordered"
                );
                last = Some(n);
                counted.send(()).unwrap();
            }
        }));
    }
    let mut delivered = 0;
    for n in 0u64..3000 {
        delivered += hub.publish("room", n.to_string()).delivered;
        if n % 16 == 0 {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    let mut received = 0;
    while received < delivered {
        match tokio::time::timeout(Duration::from_secs(10), totals.recv()).await {
            Ok(Some(())) => received += 1,
            _ => break,
        }
    }
    assert_eq!(received, delivered, "every delivery arrives");
    // And nothing more: no delivery arrives twice.
    let extra = tokio::time::timeout(Duration::from_millis(300), totals.recv()).await;
    assert!(
        extra.is_err(),
        "a message arrived more often than delivered"
    );
    assert!(
        delivered > 3000,
        "members overlapped the publishes: {delivered}"
    );
    drop(readers);
}

#[tokio::test]
async fn publish_batch_delivers_each_message_in_order_once_to_every_subscriber() {
    let hub = Hub::new(HubConfig::default());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let members = hub.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let hub = members.clone();
            tokio::spawn(async move {
                let mut ws = tether_tokio::accept(tcp, &ServerConfig::default()).await?;
                let _member = hub.join("room", &ws);
                while ws.recv().await?.is_some() {}
                Ok::<_, Error>(())
            });
        }
    });
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(
            tether_tokio::connect(&url, &ClientConfig::default())
                .await
                .unwrap(),
        );
    }
    wait_for_subscribers(&hub, 4).await;
    let mut delivered = 0;
    for round in 0..10 {
        let batch = (0..25).map(|i| Message::text(format!("{}", round * 25 + i)));
        let published = hub.publish_batch("room", batch);
        assert_eq!(published.closed_slow, 0);
        delivered += published.delivered;
    }
    assert_eq!(delivered, 4 * 250);
    for c in &mut clients {
        for i in 0..250 {
            assert_eq!(c.recv().await.unwrap(), Some(Message::text(i.to_string())));
        }
    }
    let stats = hub.stats();
    assert_eq!((stats.published, stats.deliveries), (250, 1000));
    // An empty batch publishes nothing.
    assert_eq!(
        hub.publish_batch("room", Vec::<Message>::new()),
        Published::default()
    );
}

/// A publish from another thread while the subscriber's own task is sending (`feed` nudges the
/// keeper, then the task drives) must still be written: the offer's output is an event of its
/// own, not covered by a drive that began before it was queued. Each round waits for both the
/// echo and the publish, so a lost wake-up shows as a timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_racing_with_the_subscribers_own_sends_is_written_at_once() {
    let hub = Hub::new(HubConfig::default());
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let server_hub = hub.clone();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tether_tokio::accept(tcp, &ServerConfig::default())
            .await
            .unwrap();
        let _me = server_hub.join("room", &ws);
        while let Ok(Some(m)) = ws.recv().await {
            let text = m.as_text().unwrap().to_owned();
            tx.send(text).unwrap();
            ws.feed(m).await.unwrap();
        }
    });
    let publisher_hub = hub.clone();
    tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            publisher_hub.publish("room", format!("published {text}"));
        }
    });
    let mut client = tether_tokio::connect(&url, &ClientConfig::default())
        .await
        .unwrap();
    wait_for_subscribers(&hub, 1).await;
    for i in 0..2000 {
        let text = format!("m{i}");
        client.send(text.clone()).await.unwrap();
        let mut want = vec![text.clone(), format!("published {text}")];
        while !want.is_empty() {
            let got = tokio::time::timeout(Duration::from_secs(5), client.recv())
                .await
                .unwrap_or_else(|_| panic!("round {i}: still waiting for {want:?}"))
                .unwrap()
                .unwrap();
            let got = got.as_text().unwrap().to_owned();
            let at = want
                .iter()
                .position(|w| *w == got)
                .expect("an expected message");
            want.remove(at);
        }
    }
}

/// A publish has written to every subscriber by the time it returns: the publisher's task
/// writes (no subscriber waits for its keeper to be scheduled), and tokio's cooperative budget
/// (128 operations per task poll) does not turn the writes past the 128th into keeper
/// wake-ups. The clients are raw sockets; nothing yields between the publish and their reads.
#[tokio::test(flavor = "current_thread")]
async fn a_publish_has_written_to_every_subscriber_when_it_returns() {
    use std::io::{Read, Write};
    const SUBSCRIBERS: usize = 300;
    let hub = Hub::new(HubConfig::default());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (mut clients, mut sockets, mut members) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..SUBSCRIBERS {
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        client
            .write_all(
                b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
                  Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                  Sec-WebSocket-Version: 13\r\n\r\n",
            )
            .unwrap();
        let (tcp, _) = listener.accept().await.unwrap();
        let ws = tether_tokio::accept(tcp, &ServerConfig::default())
            .await
            .unwrap();
        // The 101 may be written by the connection's keeper: let it run.
        client.set_nonblocking(true).unwrap();
        let mut answer = Vec::new();
        while !answer.ends_with(b"\r\n\r\n") {
            let mut byte = [0];
            match client.read(&mut byte) {
                Ok(1) => answer.push(byte[0]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                other => panic!("reading the answer: {other:?}"),
            }
        }
        assert!(answer.starts_with(b"HTTP/1.1 101"), "{answer:?}");
        members.push(hub.join("room", &ws));
        sockets.push(ws);
        clients.push(client);
    }
    let published = hub.publish("room", "hello");
    assert_eq!(published.delivered, SUBSCRIBERS);
    for (n, client) in clients.iter_mut().enumerate() {
        let mut frame = [0; 7];
        client
            .read_exact(&mut frame)
            .unwrap_or_else(|e| panic!("subscriber {n}: nothing written yet ({e})"));
        assert_eq!(&frame, b"\x81\x05hello", "subscriber {n}");
    }
}
