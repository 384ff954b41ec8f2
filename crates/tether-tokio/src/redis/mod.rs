//! The hub's Redis backend (feature `redis`): one hub spread over many processes, through Redis
//! pub/sub.
//!
//! Each process keeps its own [`Hub`] for its own sockets; a publish is delivered here at
//! once and also handed to Redis, which passes it to every other process subscribed to the
//! topic's channel, where that hub delivers it to its own subscribers. The message crosses as
//! its payload behind a small header (kind, topic, the publishing hub's id: a hub skips its
//! own messages when Redis sends them back, and never passes on what came from Redis, so
//! nothing loops) and is prepared once per process.
//!
//! One connection per process (RESP3, so it both publishes and receives): the hub subscribes
//! to a topic's channel when the topic's first local subscriber joins and unsubscribes when
//! the last one leaves, and to one channel for [`Hub::publish_all`] all along. A task owns the
//! connection: it writes what publishes queued (a bounded queue, so a publish never waits for
//! Redis), keeps the subscriptions in step with the hub's topics, and reconnects with backoff
//! when Redis goes away. Messages that arrive are delivered from the connection's reader as
//! they are read, without a queue in between: a hub that cannot keep up stops reading, and
//! Redis's own output-buffer limit for pub/sub clients bounds what waits for it.
//!
//! Guarantees: across processes a message is delivered **at most once** (never twice: a
//! publish is never retried), and the messages of one publisher arrive in the order it
//! published them. What could not cross is counted ([`RedisStats::not_crossed`]), never
//! delivered late.

mod link;
mod wire;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tether_proto::{Entropy, OsEntropy};
use tether_socket::Message;
use tokio::sync::{Notify, mpsc};

use crate::{Hub, HubConfig};
use wire::Outgoing;

/// Where the Redis backend connects and how it behaves when Redis is slow or gone.
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct RedisConfig {
    /// `redis://[user:pass@]HOST[:PORT][/DB]` (Redis 6 or newer: it speaks RESP3). Default:
    /// `redis://127.0.0.1:6379/`.
    pub url: String,
    /// Prepended to every channel name (`{prefix}topic:{topic}`, `{prefix}all`), so several
    /// applications can share one Redis. Only hubs with the same prefix hear each other.
    /// Default: `tether:`.
    pub prefix: String,
    /// How long connecting may take (TCP, the RESP3 handshake and a `PING`), at start and on
    /// each reconnection attempt. Default: 5 s.
    pub connect_timeout: Duration,
    /// How long Redis may take to answer a command; past it the connection counts as lost
    /// (the messages in flight as not crossed) and is made again. Default: 5 s.
    pub response_timeout: Duration,
    /// Whether [`Hub::with_redis`] fails when Redis does not answer at start (`true`, the
    /// default), or returns a hub that delivers locally and keeps trying to connect.
    pub require_at_start: bool,
    /// Most messages waiting to be written to Redis; a publish past this bound is delivered
    /// locally only and counted as not crossed. Default: 4096.
    pub max_queue: usize,
    /// Most bytes waiting to be written to Redis (one message is always taken when nothing
    /// waits). Default: 16 MiB.
    pub max_queue_bytes: usize,
    /// The first wait before reconnecting; it doubles after each failed attempt. Default:
    /// 100 ms.
    pub reconnect_delay: Duration,
    /// The longest wait between reconnection attempts. Default: 5 s.
    pub reconnect_max: Duration,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: "redis://127.0.0.1:6379/".into(),
            prefix: "tether:".into(),
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(5),
            require_at_start: true,
            max_queue: 4096,
            max_queue_bytes: 16 << 20,
            reconnect_delay: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
        }
    }
}

impl RedisConfig {
    /// The default settings for Redis at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }

    /// Sets [`prefix`](Self#structfield.prefix).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets [`connect_timeout`](Self#structfield.connect_timeout).
    #[must_use]
    pub fn connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }

    /// Sets [`response_timeout`](Self#structfield.response_timeout).
    #[must_use]
    pub fn response_timeout(mut self, response_timeout: Duration) -> Self {
        self.response_timeout = response_timeout;
        self
    }

    /// Sets [`require_at_start`](Self#structfield.require_at_start).
    #[must_use]
    pub fn require_at_start(mut self, require_at_start: bool) -> Self {
        self.require_at_start = require_at_start;
        self
    }

    /// Sets [`max_queue`](Self#structfield.max_queue).
    #[must_use]
    pub fn max_queue(mut self, max_queue: usize) -> Self {
        self.max_queue = max_queue;
        self
    }

    /// Sets [`max_queue_bytes`](Self#structfield.max_queue_bytes).
    #[must_use]
    pub fn max_queue_bytes(mut self, max_queue_bytes: usize) -> Self {
        self.max_queue_bytes = max_queue_bytes;
        self
    }

    /// Sets [`reconnect_delay`](Self#structfield.reconnect_delay).
    #[must_use]
    pub fn reconnect_delay(mut self, reconnect_delay: Duration) -> Self {
        self.reconnect_delay = reconnect_delay;
        self
    }

    /// Sets [`reconnect_max`](Self#structfield.reconnect_max).
    #[must_use]
    pub fn reconnect_max(mut self, reconnect_max: Duration) -> Self {
        self.reconnect_max = reconnect_max;
        self
    }
}

/// The Redis backend's counters ([`Hub::redis_stats`]).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct RedisStats {
    /// Whether the connection is up and subscribed (else the hub is local-only, reconnecting).
    pub connected: bool,
    /// Topic channels subscribed now (topics with a local subscriber, once Redis confirmed).
    pub channels: usize,
    /// Messages published here that Redis accepted.
    pub sent: u64,
    /// Messages published elsewhere that came through Redis and were delivered here.
    pub received: u64,
    /// Messages published here that did not reach Redis: it was down, the queue to it was
    /// full, or the connection was lost while they were in flight (those may have crossed:
    /// the counter is exact unless a connection is lost with writes in flight).
    pub not_crossed: u64,
    /// Messages on our channels that were not ours to read (another format, malformed).
    pub ignored: u64,
    /// Times the connection was made again after it was lost.
    pub reconnects: u64,
    /// Messages waiting to be written to Redis now.
    pub queued: usize,
}

/// Why [`Hub::with_redis`] could not start.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    /// The URL is not one the client can use.
    #[error("cannot use `{url}` as a Redis URL: {reason} (expected redis://HOST[:PORT][/DB])")]
    Url {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Connecting failed (refused, name not resolved, authentication, no RESP3).
    #[error("cannot connect to Redis at {addr}: {source}{}", hint(source.as_ref()))]
    Unreachable {
        /// `redis://HOST:PORT/DB` (without credentials).
        addr: String,
        /// What went wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Redis did not answer in time.
    #[error(
        "Redis at {addr} did not answer within {timeout:?}; is it a Redis server, and reachable?"
    )]
    Timeout {
        /// `redis://HOST:PORT/DB` (without credentials).
        addr: String,
        /// The connect timeout.
        timeout: Duration,
    },
}

fn hint(source: &(dyn std::error::Error + Send + Sync)) -> &'static str {
    let text = source.to_string();
    if text.contains("refused") {
        "; is redis-server running there?"
    } else if text.contains("HELLO") || text.contains("RESP3") {
        "; the Redis backend needs Redis 6 or newer (RESP3)"
    } else if text.contains("NOAUTH") || text.contains("WRONGPASS") || text.contains("auth") {
        "; give the credentials in the URL: redis://USER:PASS@HOST:PORT/"
    } else {
        ""
    }
}

/// The backend's side in the hub: the queue to the connection task, counters, interest.
#[derive(Debug)]
pub(crate) struct Relay {
    shared: Arc<Shared>,
    queue: mpsc::Sender<Outgoing>,
}

/// What the hub, the connection task and the connection's reader share.
#[derive(Debug)]
struct Shared {
    /// This hub's id in the messages' headers.
    origin: u64,
    prefix: String,
    /// `redis://HOST:PORT/DB`, for logs and errors.
    addr: String,
    max_queue_bytes: usize,
    connected: AtomicBool,
    channels: AtomicUsize,
    queued_bytes: AtomicUsize,
    sent: AtomicU64,
    received: AtomicU64,
    not_crossed: AtomicU64,
    ignored: AtomicU64,
    reconnects: AtomicU64,
    /// Topics whose interest changed since the task last looked.
    changed: Mutex<HashSet<Arc<str>>>,
    /// Wakes the task when `changed` grows.
    interest: Notify,
}

impl Relay {
    /// A topic got its first local subscriber or lost its last one.
    pub(crate) fn interest_changed(&self, topic: &str) {
        let mut changed = self
            .shared
            .changed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        changed.insert(Arc::from(topic));
        drop(changed);
        self.shared.interest.notify_one();
    }

    /// Queues a message published here for Redis; never waits.
    pub(crate) fn forward(&self, topic: Option<&str>, message: &Message) {
        let shared = &self.shared;
        if !shared.connected.load(Ordering::Acquire) {
            shared.not_crossed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let size = Outgoing::size(&shared.prefix, topic, message);
        let before = shared.queued_bytes.fetch_add(size, Ordering::AcqRel);
        if before > 0 && before + size > shared.max_queue_bytes {
            shared.queued_bytes.fetch_sub(size, Ordering::AcqRel);
            shared.not_crossed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let outgoing = Outgoing::new(&shared.prefix, shared.origin, topic, message);
        if self.queue.try_send(outgoing).is_err() {
            shared.queued_bytes.fetch_sub(size, Ordering::AcqRel);
            shared.not_crossed.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn stats(&self) -> RedisStats {
        let s = &self.shared;
        RedisStats {
            connected: s.connected.load(Ordering::Acquire),
            channels: s.channels.load(Ordering::Relaxed),
            sent: s.sent.load(Ordering::Relaxed),
            received: s.received.load(Ordering::Relaxed),
            not_crossed: s.not_crossed.load(Ordering::Relaxed),
            ignored: s.ignored.load(Ordering::Relaxed),
            reconnects: s.reconnects.load(Ordering::Relaxed),
            queued: self.queue.max_capacity() - self.queue.capacity(),
        }
    }
}

impl Hub {
    /// A hub whose topics span every process connected to the same Redis (with the same
    /// [`prefix`](RedisConfig#structfield.prefix)): a publish here reaches the topic's
    /// subscribers here and on every other process, each exactly once while Redis is up (at
    /// most once when it is not), in the order each publisher published.
    ///
    /// Connects before returning (within [`RedisConfig::connect_timeout`]); a task on the
    /// current tokio runtime then keeps the connection. When Redis goes away the hub keeps
    /// delivering locally, logs that it is degraded (`tracing`, target `tether_tokio::redis`),
    /// counts what could not cross ([`RedisStats::not_crossed`]) and reconnects with
    /// backoff, subscribing again to its topics.
    ///
    /// A process hears a topic from other processes once its subscription is confirmed:
    /// shortly after the topic's first local [`join`](Hub::join) (see
    /// [`RedisStats::channels`]).
    ///
    /// # Errors
    ///
    /// A bad URL; and, when [`require_at_start`](RedisConfig#structfield.require_at_start)
    /// is set (the default), Redis refusing or not answering within the connect timeout.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn with_redis(config: HubConfig, redis: RedisConfig) -> Result<Self, RedisError> {
        let client = link::client(&redis.url)?;
        let mut origin = [0u8; 8];
        OsEntropy::new().fill(&mut origin);
        let (queue, outgoing) = mpsc::channel(redis.max_queue.max(1));
        let shared = Arc::new(Shared {
            origin: u64::from_be_bytes(origin),
            prefix: redis.prefix.clone(),
            addr: link::display_addr(&client),
            max_queue_bytes: redis.max_queue_bytes,
            connected: AtomicBool::new(false),
            channels: AtomicUsize::new(0),
            queued_bytes: AtomicUsize::new(0),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            not_crossed: AtomicU64::new(0),
            ignored: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            changed: Mutex::new(HashSet::new()),
            interest: Notify::new(),
        });
        let hub = Self {
            inner: Arc::new(crate::hub::Inner::with_relay(
                config,
                Relay {
                    shared: shared.clone(),
                    queue,
                },
            )),
        };
        let mut link = link::Link::new(client, redis, shared, Arc::downgrade(&hub.inner));
        let first = link.first_connect().await?;
        tokio::spawn(link.run(outgoing, first));
        Ok(hub)
    }

    /// The Redis backend's counters; `None` for a hub without one.
    pub fn redis_stats(&self) -> Option<RedisStats> {
        self.inner.relay().map(Relay::stats)
    }
}
