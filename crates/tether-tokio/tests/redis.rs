//! The hub's Redis backend with a real `redis-server` on 127.0.0.1: several "processes" (a
//! hub, a listener and a runtime each, on threads of their own, with nothing shared but Redis),
//! clients on each.
#![cfg(feature = "redis")]

use std::collections::HashMap;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use tether_tests::redis::{RedisServer, Reply, free_port};
use tether_tokio::{
    ClientConfig, Config, Error, FanoutLimits, Hub, HubConfig, Message, MessageReadHalf,
    MessageSocket, RedisConfig, RedisError, RedisStats, ServerConfig,
};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Long enough for anything that should happen; a test that waits this long has failed.
const PATIENCE: Duration = Duration::from_secs(20);

/// One server process: its own runtime on its own thread, a hub on Redis, a listener whose
/// every connection joins the topic its first message names and publishes what it receives
/// next there (to everyone, the sender too).
struct Node {
    hub: Hub,
    url: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Node {
    fn start(redis: RedisConfig) -> Result<Self, RedisError> {
        Self::start_with(redis, HubConfig::default(), ServerConfig::default())
    }

    fn start_with(
        redis: RedisConfig,
        hub: HubConfig,
        server: ServerConfig,
    ) -> Result<Self, RedisError> {
        let (ready, started) = std_mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let hub = match Hub::with_redis(hub, redis).await {
                    Ok(hub) => hub,
                    Err(e) => {
                        ready.send(Err(e)).unwrap();
                        return;
                    }
                };
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let url = format!("ws://{}", listener.local_addr().unwrap());
                ready.send(Ok((hub.clone(), url))).unwrap();
                let serve = async {
                    loop {
                        let (tcp, _) = listener.accept().await.unwrap();
                        let hub = hub.clone();
                        let server = server.clone();
                        tokio::spawn(async move {
                            let mut ws = tether_tokio::accept(tcp, &server).await?;
                            let Some(topic) = ws.recv().await? else {
                                return Ok(());
                            };
                            let topic = topic.as_text().unwrap_or_default().to_owned();
                            let _member = hub.join(&topic, &ws);
                            while let Some(m) = ws.recv().await? {
                                hub.publish(&topic, m);
                            }
                            Ok::<_, Error>(())
                        });
                    }
                };
                tokio::select! {
                    () = serve => {}
                    _ = stopped => {}
                }
            });
        });
        let (hub, url) = started.recv().unwrap()?;
        Ok(Self {
            hub,
            url,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    fn stats(&self) -> RedisStats {
        self.hub.redis_stats().expect("a hub on Redis")
    }

    async fn client(&self, topic: &str) -> MessageSocket {
        self.client_with(topic, &ClientConfig::default()).await
    }

    async fn client_with(&self, topic: &str, config: &ClientConfig) -> MessageSocket {
        let mut ws = tether_tokio::connect(&self.url, config).await.unwrap();
        ws.send(topic.to_owned()).await.unwrap();
        ws
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits until `ready` holds for every node's stats and hub, or fails the test.
async fn until(nodes: &[&Node], what: &str, ready: impl Fn(RedisStats, &Hub) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !nodes.iter().all(|n| ready(n.stats(), &n.hub)) {
        assert!(
            Instant::now() < deadline,
            "{what}: {:?}",
            nodes.iter().map(|n| n.stats()).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until each node has `subscribers` local subscribers and its topic channel confirmed.
async fn joined(nodes: &[&Node], subscribers: usize) {
    until(nodes, "subscribed", |r, hub| {
        r.connected && r.channels == 1 && hub.stats().subscribers == subscribers
    })
    .await;
}

/// A socket or its reading half.
trait Recv {
    async fn next(&mut self) -> Result<Option<Message>, Error>;
}

impl Recv for MessageSocket {
    async fn next(&mut self) -> Result<Option<Message>, Error> {
        self.recv().await
    }
}

impl Recv for MessageReadHalf {
    async fn next(&mut self) -> Result<Option<Message>, Error> {
        self.recv().await
    }
}

async fn recv_text(ws: &mut impl Recv) -> String {
    match tokio::time::timeout(PATIENCE, ws.next()).await {
        Ok(Ok(Some(m))) => m.as_text().expect("text").to_owned(),
        other => panic!("expected a message: {other:?}"),
    }
}

/// Receives `n` messages and returns them.
async fn recv_n(ws: &mut impl Recv, n: usize) -> Vec<String> {
    let mut got = Vec::with_capacity(n);
    for _ in 0..n {
        got.push(recv_text(ws).await);
    }
    got
}

/// Asserts nothing more arrives for a while (no duplicates).
async fn nothing_more(ws: &mut impl Recv) {
    let more = tokio::time::timeout(Duration::from_millis(300), ws.next()).await;
    assert!(more.is_err(), "an extra message: {more:?}");
}

fn redis_config(redis: &RedisServer) -> RedisConfig {
    RedisConfig::new(redis.url())
        .reconnect_delay(Duration::from_millis(20))
        .reconnect_max(Duration::from_millis(200))
}

/// `processes` servers, two clients on each, every client sends `per_client` messages at once:
/// every client receives every message exactly once (its own too, from its own server, and
/// not again from Redis), each sender's in its order.
async fn every_message_reaches_every_client_once(processes: usize) {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let nodes: Vec<Node> = (0..processes)
        .map(|_| Node::start(redis_config(&redis)).unwrap())
        .collect();
    let mut clients = Vec::new();
    for node in &nodes {
        for _ in 0..2 {
            clients.push(node.client("room").await);
        }
    }
    joined(&nodes.iter().collect::<Vec<_>>(), 2).await;
    let per_client = 200;
    let total = clients.len() * per_client;
    let mut tasks = Vec::new();
    for (id, ws) in clients.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let (mut reader, mut writer) = ws.into_split();
            let send = async {
                for seq in 0..per_client {
                    writer.feed(format!("{id}:{seq}")).await.unwrap();
                }
                writer.flush().await.unwrap();
            };
            let receive = async {
                let mut next: HashMap<usize, usize> = HashMap::new();
                for _ in 0..total {
                    let text = recv_text(&mut reader).await;
                    let (from, seq) = text.split_once(':').unwrap();
                    let (from, seq): (usize, usize) = (from.parse().unwrap(), seq.parse().unwrap());
                    let expected = next.entry(from).or_default();
                    assert_eq!(
                        seq, *expected,
                        "client {id}: from {from}, out of order or twice"
                    );
                    *expected += 1;
                }
                next
            };
            let ((), next) = tokio::join!(send, receive);
            nothing_more(&mut reader).await;
            drop(writer);
            next
        }));
    }
    for task in tasks {
        let next = task.await.unwrap();
        assert_eq!(next.len(), processes * 2);
        assert!(next.values().all(|&n| n == per_client), "{next:?}");
    }
    let own = 2 * per_client as u64;
    let all: Vec<&Node> = nodes.iter().collect();
    until(&all, "acknowledged", |r, _| r.sent + r.not_crossed == own).await;
    for node in &nodes {
        let r = node.stats();
        assert_eq!((r.not_crossed, r.sent, r.ignored), (0, own, 0), "{r:?}");
        assert_eq!(r.received, (processes as u64 - 1) * own, "{r:?}");
        assert_eq!(node.hub.stats().published, own);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_every_client_gets_every_message_once_in_order() {
    every_message_reaches_every_client_once(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_every_client_gets_every_message_once_in_order() {
    every_message_reaches_every_client_once(3).await;
}

/// Redis killed mid-run, then started again: local delivery never stops, what was published
/// meanwhile is counted as not crossed (and is exactly what the other process's clients
/// missed), and once Redis is back the hubs resubscribe and messages cross again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_mid_run_local_delivery_goes_on_and_crossing_resumes() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let a = Node::start(redis_config(&redis)).unwrap();
    let b = Node::start(redis_config(&redis)).unwrap();
    let (mut a1, mut a2) = (a.client("room").await, a.client("room").await);
    let mut b1 = b.client("room").await;
    joined(&[&a], 2).await;
    joined(&[&b], 1).await;

    let publish = |node: &Node, phase: &str, n: usize| {
        for i in 0..n {
            node.hub.publish("room", format!("{phase}:{i}"));
        }
    };
    let expect = |phase: &str, range: std::ops::Range<usize>| -> Vec<String> {
        range.map(|i| format!("{phase}:{i}")).collect()
    };

    // Up: everything crosses.
    publish(&a, "a1", 20);
    for ws in [&mut a1, &mut a2, &mut b1] {
        assert_eq!(recv_n(ws, 20).await, expect("a1", 0..20));
    }

    // Down: both hubs notice, deliver locally, count what does not cross.
    redis.kill();
    until(&[&a, &b], "degraded", |r, _| !r.connected).await;
    publish(&a, "a2", 30);
    publish(&b, "b2", 5);
    for ws in [&mut a1, &mut a2] {
        assert_eq!(recv_n(ws, 30).await, expect("a2", 0..30));
    }
    assert_eq!(recv_n(&mut b1, 5).await, expect("b2", 0..5));
    assert_eq!((a.stats().not_crossed, b.stats().not_crossed), (30, 5));

    // Back: resubscribed, crossing again.
    redis.restart();
    until(&[&a, &b], "reconnected", |r, _| {
        r.connected && r.channels == 1 && r.reconnects == 1
    })
    .await;
    assert_eq!(
        redis.command(&["PUBSUB", "NUMSUB", "tether:topic:room"]),
        Reply::Array(vec![
            Reply::Bulk(Some(b"tether:topic:room".to_vec())),
            Reply::Int(2)
        ])
    );
    publish(&a, "a3", 20);
    publish(&b, "b3", 10);
    for ws in [&mut a1, &mut a2] {
        assert_eq!(
            recv_n(ws, 30).await,
            [expect("a3", 0..20), expect("b3", 0..10)].concat()
        );
    }
    let mut got_b = recv_n(&mut b1, 30).await;
    got_b.sort_by_key(|m| m.starts_with("a3"));
    assert_eq!(got_b, [expect("b3", 0..10), expect("a3", 0..20)].concat());

    // What b1 missed is what a counted; what a's clients missed is what b counted.
    for ws in [&mut a1, &mut a2, &mut b1] {
        nothing_more(ws).await;
    }
    until(&[&a], "acknowledged", |r, _| r.sent + r.not_crossed == 70).await;
    until(&[&b], "acknowledged", |r, _| r.sent + r.not_crossed == 15).await;
    let (ra, rb) = (a.stats(), b.stats());
    assert_eq!(
        (ra.not_crossed, ra.sent, ra.received),
        (30, 40, 10),
        "{ra:?}"
    );
    assert_eq!(
        (rb.not_crossed, rb.sent, rb.received),
        (5, 10, 40),
        "{rb:?}"
    );
}

/// A subscriber that reads nothing on one process: it loses its oldest messages (the hub's
/// policy), while the fast subscribers there and on the other process get every message, in
/// order, as soon as it is published — the Redis reader never waits for the slow one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_subscriber_on_one_process_does_not_slow_the_others() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let limits = FanoutLimits::default().max_messages(8).max_bytes(1 << 20);
    let server = ServerConfig::default().config(
        Config::default()
            .outbound_high_water(64 << 10)
            .deflate(None),
    );
    let a = Node::start_with(
        redis_config(&redis),
        HubConfig::default().limits(limits.clone()),
        server.clone(),
    )
    .unwrap();
    let b = Node::start_with(
        redis_config(&redis),
        HubConfig::default().limits(limits),
        server,
    )
    .unwrap();
    let slow_config =
        ClientConfig::default().config(Config::default().inbound_high_water(64 << 10));
    let slow = a.client_with("room", &slow_config).await;
    let mut fast_a = a.client("room").await;
    let mut fast_b = b.client("room").await;
    joined(&[&a], 2).await;
    joined(&[&b], 1).await;

    // Each message is published on b once the fast subscribers have the previous one: they
    // never fall behind, the slow one falls behind by everything (64 KiB each: far more than
    // the socket buffers hold).
    let body = "x".repeat(64 << 10);
    for i in 0..400 {
        b.hub.publish("room", format!("{i} {body}"));
        for ws in [&mut fast_a, &mut fast_b] {
            let text = recv_text(ws).await;
            assert_eq!(text.split_once(' ').unwrap().0, i.to_string());
        }
    }
    // (Redis acknowledges the last publish to b after a's subscribers may have it.)
    until(&[&b], "acknowledged", |r, _| r.sent == 400).await;
    let (hub_a, ra, rb) = (a.hub.stats(), a.stats(), b.stats());
    assert!(
        hub_a.dropped > 0,
        "the slow subscriber lost nothing: {hub_a:?}"
    );
    assert_eq!(rb.not_crossed, 0, "{rb:?}");
    assert_eq!((ra.received, ra.not_crossed), (400, 0), "{ra:?}");
    assert_eq!(b.hub.stats().dropped, 0);
    drop(slow);
}

#[tokio::test]
async fn a_redis_url_that_does_not_answer_fails_within_the_connect_timeout() {
    // Accepts TCP connections (the kernel does, from its backlog) and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}/", silent.local_addr().unwrap());
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    let result = Hub::with_redis(
        HubConfig::default(),
        RedisConfig::new(&url).connect_timeout(timeout),
    )
    .await;
    let took = started.elapsed();
    let e = result.expect_err("a silent server is not Redis");
    assert!(matches!(e, RedisError::Timeout { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains(url.trim_end_matches('/')), "{text}");
    assert!(text.contains("did not answer within 300ms"), "{text}");
    // Within the timeout (plus scheduling slack on a busy machine), not the default 5 s.
    assert!(
        took >= timeout && took < timeout + Duration::from_secs(2),
        "took {took:?}"
    );
    drop(silent);
}

#[tokio::test]
async fn a_redis_url_nobody_listens_on_is_refused_with_a_hint() {
    let url = format!("redis://127.0.0.1:{}/", free_port());
    let e = Hub::with_redis(HubConfig::default(), RedisConfig::new(&url))
        .await
        .expect_err("nobody listens there");
    assert!(matches!(e, RedisError::Unreachable { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("cannot connect to Redis at {url}0")),
        "{text}"
    );
    assert!(text.ends_with("is redis-server running there?"), "{text}");

    let e = Hub::with_redis(HubConfig::default(), RedisConfig::new("http://127.0.0.1/"))
        .await
        .expect_err("not a redis URL");
    assert!(matches!(e, RedisError::Url { .. }), "{e:?}");
}

/// Asked to, a hub starts local-only when Redis is not there, and joins once it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_only_at_start_when_asked_then_joins_when_redis_comes() {
    let port = free_port();
    let config = RedisConfig::new(format!("redis://127.0.0.1:{port}/"))
        .require_at_start(false)
        .reconnect_delay(Duration::from_millis(20))
        .reconnect_max(Duration::from_millis(100));
    let a = Node::start(config.clone()).unwrap();
    let mut a1 = a.client("room").await;
    until(&[&a], "a subscriber", |_, hub| hub.stats().subscribers == 1).await;
    let r = a.stats();
    assert!(!r.connected && r.channels == 0, "{r:?}");
    a.hub.publish("room", "alone");
    assert_eq!(recv_text(&mut a1).await, "alone");
    assert_eq!(a.stats().not_crossed, 1);

    let Some(_redis) = RedisServer::start_on(port) else {
        return;
    };
    until(&[&a], "connected", |r, _| r.connected && r.channels == 1).await;
    let b = Node::start(config).unwrap();
    let mut b1 = b.client("room").await;
    joined(&[&b], 1).await;
    b.hub.publish("room", "together");
    assert_eq!(recv_text(&mut a1).await, "together");
    assert_eq!(recv_text(&mut b1).await, "together");
    assert_eq!(a.stats().reconnects, 1);
}

fn numsub(redis: &RedisServer, topic: &str) -> i64 {
    let channel = format!("tether:topic:{topic}");
    match redis.command(&["PUBSUB", "NUMSUB", &channel]) {
        Reply::Array(reply) => match reply.as_slice() {
            [_, Reply::Int(n)] => *n,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

/// A process subscribes to a topic's channel when the topic's first local subscriber joins,
/// and unsubscribes when the last one leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_subscriptions_follow_local_interest() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let a = Node::start(redis_config(&redis)).unwrap();
    until(&[&a], "connected", |r, _| r.connected).await;
    assert_eq!(numsub(&redis, "x"), 0);
    let mut x1 = a.client("x").await;
    let mut x2 = a.client("x").await;
    let y = a.client("y").await;
    until(&[&a], "three subscribers", |r, hub| {
        r.channels == 2 && hub.stats().subscribers == 3
    })
    .await;
    assert_eq!((numsub(&redis, "x"), numsub(&redis, "y")), (1, 1));

    // One of two leaves: still interested.
    x1.close(tether_tokio::CloseCode::NORMAL, "").await.unwrap();
    until(&[&a], "two subscribers", |_, hub| {
        hub.stats().subscribers == 2
    })
    .await;
    assert_eq!(a.stats().channels, 2);
    assert_eq!(numsub(&redis, "x"), 1);
    // The last one leaves: unsubscribed.
    x2.close(tether_tokio::CloseCode::NORMAL, "").await.unwrap();
    until(&[&a], "x left", |r, _| r.channels == 1).await;
    assert_eq!((numsub(&redis, "x"), numsub(&redis, "y")), (0, 1));
    // And back.
    let _x3 = a.client("x").await;
    until(&[&a], "x again", |r, _| r.channels == 2).await;
    assert_eq!(numsub(&redis, "x"), 1);
    drop(y);
}

/// Whatever else is published on a hub's channels (another format, garbage) is counted and
/// dropped, never delivered; the hub goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_messages_on_our_channels_are_ignored() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let a = Node::start(redis_config(&redis)).unwrap();
    let mut a1 = a.client("room").await;
    joined(&[&a], 1).await;
    for garbage in [&b"hello"[..], &[1u8; 13], &[9u8; 40], b""] {
        redis.command_bytes(&[b"PUBLISH", b"tether:topic:room", garbage]);
    }
    redis.command(&["PUBLISH", "tether:all", "not ours either"]);
    until(&[&a], "ignored", |r, _| r.ignored == 5).await;
    let b = Node::start(redis_config(&redis)).unwrap();
    b.hub.publish("room", "real");
    assert_eq!(recv_text(&mut a1).await, "real");
    assert_eq!(a.stats().received, 1);
}

/// `publish_all` crosses too: every socket on every process, in any topic, gets it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_all_reaches_every_topic_on_every_process() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let a = Node::start(redis_config(&redis)).unwrap();
    let b = Node::start(redis_config(&redis)).unwrap();
    let mut a1 = a.client("one").await;
    let mut b1 = b.client("one").await;
    let mut b2 = b.client("two").await;
    until(&[&a], "a", |r, h| {
        r.channels == 1 && h.stats().subscribers == 1
    })
    .await;
    until(&[&b], "b", |r, h| {
        r.channels == 2 && h.stats().subscribers == 2
    })
    .await;
    a.hub.publish_all("everyone");
    b.hub.publish("two", "just two");
    for ws in [&mut a1, &mut b1] {
        assert_eq!(recv_text(ws).await, "everyone");
        nothing_more(ws).await;
    }
    // Two publishers: no order between them (b's own publish is delivered at once).
    let mut got = recv_n(&mut b2, 2).await;
    got.sort();
    assert_eq!(got, ["everyone", "just two"]);
    nothing_more(&mut b2).await;
}
