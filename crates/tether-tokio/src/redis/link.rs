//! The task that keeps a hub's Redis connection: writes what publishes queued, keeps the
//! channel subscriptions in step with the hub's topics, reconnects with backoff; and the
//! connection's reader, which delivers what arrives.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError, Weak};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{
    AsyncConnectionConfig, Client, IntoConnectionInfo, ProtocolVersion, PushInfo, PushKind, Value,
};
use tether_socket::{Bytes, PreparedMessage};
use tokio::sync::{Notify, mpsc};
use tracing::{debug, info, warn};

use super::wire::{self, Outgoing};
use super::{RedisConfig, RedisError, Shared};
use crate::hub::Inner;

/// Most messages written to Redis in one pipeline.
const BATCH: usize = 256;
/// Most channels in one SUBSCRIBE or UNSUBSCRIBE.
const CHANNELS_PER_COMMAND: usize = 1000;
/// While degraded, a warning this often (attempts in between are logged at debug level).
const STILL_DEGRADED: Duration = Duration::from_secs(30);
/// At most one warning this often about publishes the full queue turned away.
const OVERFLOW_WARNING: Duration = Duration::from_secs(10);

/// The client for `url`, speaking RESP3 (one connection both publishes and receives).
pub(super) fn client(url: &str) -> Result<Client, RedisError> {
    let bad = |e: redis::RedisError| RedisError::Url {
        url: redact(url),
        reason: e.to_string(),
    };
    let info = url.into_connection_info().map_err(bad)?;
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    Client::open(info.set_redis_settings(settings)).map_err(bad)
}

/// `redis://HOST:PORT/DB` of `client`, without credentials.
pub(super) fn display_addr(client: &Client) -> String {
    let info = client.get_connection_info();
    format!("redis://{}/{}", info.addr(), info.redis_settings().db())
}

/// `url` with its password (if any) replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{scheme}://{user}:***@{host}{}", &rest[authority_end..])
        }
        None => url.to_owned(),
    }
}

/// One connection, and the signal its reader gives when it ends.
pub(super) struct Connection {
    con: MultiplexedConnection,
    lost: Arc<Notify>,
}

/// Why serving a connection stopped.
enum Ended {
    /// The hub was dropped: the task ends.
    HubGone,
    /// The connection is lost (why): reconnect.
    Lost(String),
}

/// The connection task's state.
pub(super) struct Link {
    client: Client,
    config: RedisConfig,
    shared: Arc<Shared>,
    hub: Weak<Inner>,
    /// Topics whose channel this connection subscribed to.
    subscribed: HashSet<Arc<str>>,
    /// `not_crossed` when the last overflow warning was given, and when.
    overflow_warned: (u64, Option<Instant>),
}

impl Link {
    pub(super) fn new(
        client: Client,
        config: RedisConfig,
        shared: Arc<Shared>,
        hub: Weak<Inner>,
    ) -> Self {
        Self {
            client,
            config,
            shared,
            hub,
            subscribed: HashSet::new(),
            overflow_warned: (0, None),
        }
    }

    /// The first connection: an error when Redis must answer at start, else `None` (the task
    /// starts degraded and keeps trying).
    pub(super) async fn first_connect(&mut self) -> Result<Option<Connection>, RedisError> {
        match self.establish().await {
            Ok(connection) => {
                info!(target: "tether_tokio::redis", addr = %self.shared.addr,
                      "connected to Redis: publishes cross to every process on it");
                Ok(Some(connection))
            }
            Err(e) if !self.config.require_at_start => {
                warn!(target: "tether_tokio::redis", error = %e,
                      "starting local-only (degraded): publishes reach this process's \
                       subscribers only until Redis answers; retrying in the background");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Runs until the hub is dropped.
    pub(super) async fn run(
        mut self,
        mut outgoing: mpsc::Receiver<Outgoing>,
        mut connection: Option<Connection>,
    ) {
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let mut current = match connection.take() {
                Some(c) => c,
                None => match self.reconnect(&mut outgoing).await {
                    Some(c) => c,
                    None => return,
                },
            };
            match self.serve(&mut current, &mut outgoing, &mut batch).await {
                Ended::HubGone => return,
                Ended::Lost(why) => {
                    self.shared.connected.store(false, Ordering::Release);
                    self.shared.channels.store(0, Ordering::Relaxed);
                    warn!(target: "tether_tokio::redis", addr = %self.shared.addr, reason = %why,
                          "lost the connection to Redis: degraded, local delivery continues, \
                           publishes do not reach other processes until it is back; reconnecting");
                }
            }
        }
    }

    /// Connects, subscribes to every topic the hub has, and marks the link connected.
    async fn establish(&mut self) -> Result<Connection, RedisError> {
        let addr = self.shared.addr.clone();
        let unreachable = |e: redis::RedisError| RedisError::Unreachable {
            addr: addr.clone(),
            source: Box::new(e),
        };
        let lost = Arc::new(Notify::new());
        let reader = Reader {
            hub: self.hub.clone(),
            shared: self.shared.clone(),
            lost: lost.clone(),
        };
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.config.connect_timeout))
            .set_response_timeout(Some(self.config.response_timeout))
            .set_push_sender(move |push| reader.push(push));
        let connect = async {
            let mut con = self
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            redis::cmd("PING").exec_async(&mut con).await?;
            Ok::<_, redis::RedisError>(con)
        };
        let mut con = match tokio::time::timeout(self.config.connect_timeout, connect).await {
            Ok(Ok(con)) => con,
            Ok(Err(e)) if e.is_timeout() => return Err(self.timed_out()),
            Ok(Err(e)) => return Err(unreachable(e)),
            Err(_) => return Err(self.timed_out()),
        };
        // What changes from here on is reconciled later; what is there now is subscribed now.
        self.shared
            .changed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.subscribed.clear();
        let topics = self
            .hub
            .upgrade()
            .map(|h| h.topic_names())
            .unwrap_or_default();
        con.subscribe(wire::channel(&self.shared.prefix, None))
            .await
            .map_err(unreachable)?;
        self.subscribe(&mut con, topics)
            .await
            .map_err(unreachable)?;
        self.shared.connected.store(true, Ordering::Release);
        Ok(Connection { con, lost })
    }

    fn timed_out(&self) -> RedisError {
        RedisError::Timeout {
            addr: self.shared.addr.clone(),
            timeout: self.config.connect_timeout,
        }
    }

    /// Waits and tries again until connected (`None`: the hub is gone). Publishes queued
    /// meanwhile are counted as not crossed and dropped.
    async fn reconnect(&mut self, outgoing: &mut mpsc::Receiver<Outgoing>) -> Option<Connection> {
        let started = Instant::now();
        let missed_before = self.shared.not_crossed.load(Ordering::Relaxed);
        let mut delay = self.config.reconnect_delay;
        let mut warned = Instant::now();
        loop {
            let wait = tokio::time::sleep(delay);
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    () = &mut wait => break,
                    queued = outgoing.recv() => {
                        let queued = queued?;
                        self.shared.queued_bytes.fetch_sub(queued.len(), Ordering::AcqRel);
                        self.shared.not_crossed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            match self.establish().await {
                Ok(connection) => {
                    self.shared.reconnects.fetch_add(1, Ordering::Relaxed);
                    let missed = self.shared.not_crossed.load(Ordering::Relaxed) - missed_before;
                    info!(target: "tether_tokio::redis", addr = %self.shared.addr,
                          after = ?started.elapsed(), not_crossed = missed,
                          channels = self.subscribed.len(),
                          "reconnected to Redis: publishes cross again");
                    return Some(connection);
                }
                Err(e) if warned.elapsed() >= STILL_DEGRADED => {
                    warned = Instant::now();
                    warn!(target: "tether_tokio::redis", error = %e, for_ = ?started.elapsed(),
                          not_crossed = self.shared.not_crossed.load(Ordering::Relaxed) - missed_before,
                          "still degraded: Redis does not answer");
                }
                Err(e) => debug!(target: "tether_tokio::redis", error = %e, "reconnect failed"),
            }
            delay = (delay * 2).min(self.config.reconnect_max);
        }
    }

    /// Writes queued publishes and follows the hub's interest until the connection is lost
    /// or the hub is gone.
    async fn serve(
        &mut self,
        connection: &mut Connection,
        outgoing: &mut mpsc::Receiver<Outgoing>,
        batch: &mut Vec<Outgoing>,
    ) -> Ended {
        loop {
            tokio::select! {
                biased;
                () = connection.lost.notified() => {
                    return Ended::Lost("Redis closed the connection".into());
                }
                () = self.shared.interest.notified() => {
                    if let Err(e) = self.reconcile(&mut connection.con).await {
                        return Ended::Lost(e.to_string());
                    }
                }
                n = outgoing.recv_many(batch, BATCH) => {
                    if n == 0 {
                        return Ended::HubGone;
                    }
                    if let Err(e) = self.publish(&mut connection.con, batch).await {
                        return Ended::Lost(e.to_string());
                    }
                }
            }
        }
    }

    /// Writes `batch` as one pipeline of PUBLISH commands.
    async fn publish(
        &mut self,
        con: &mut MultiplexedConnection,
        batch: &mut Vec<Outgoing>,
    ) -> Result<(), redis::RedisError> {
        let mut pipe = redis::pipe();
        let mut bytes = 0;
        for message in batch.iter() {
            bytes += message.len();
            pipe.cmd("PUBLISH")
                .arg(message.channel())
                .arg(message.payload())
                .ignore();
        }
        let n = batch.len() as u64;
        batch.clear();
        self.shared.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
        let result = pipe.exec_async(con).await;
        let shared = &self.shared;
        match result {
            Ok(()) => {
                shared.sent.fetch_add(n, Ordering::Relaxed);
            }
            Err(e) => {
                shared.not_crossed.fetch_add(n, Ordering::Relaxed);
                if lost(&e) {
                    return Err(e);
                }
                // Redis refused (an ACL, out of memory): the connection itself is fine.
                warn!(target: "tether_tokio::redis", error = %e, messages = n,
                      "Redis refused to publish");
            }
        }
        self.warn_overflow();
        Ok(())
    }

    /// Warns (at most every few seconds) when publishes were turned away while connected.
    fn warn_overflow(&mut self) {
        let now_missed = self.shared.not_crossed.load(Ordering::Relaxed);
        let (before, at) = self.overflow_warned;
        if now_missed > before && at.is_none_or(|at| at.elapsed() >= OVERFLOW_WARNING) {
            warn!(target: "tether_tokio::redis", not_crossed = now_missed - before,
                  "publishes faster than Redis takes them: the queue to Redis was full, \
                   those messages reached this process's subscribers only");
            self.overflow_warned = (now_missed, Some(Instant::now()));
        }
    }

    /// Subscribes to the channels of topics that gained local interest, unsubscribes from
    /// those that lost it.
    async fn reconcile(&mut self, con: &mut MultiplexedConnection) -> redis::RedisResult<()> {
        let changed: Vec<Arc<str>> = std::mem::take(
            &mut *self
                .shared
                .changed
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
        .into_iter()
        .collect();
        let Some(wanted) = self.hub.upgrade().map(|hub| hub.interested(&changed)) else {
            return Ok(());
        };
        let mut gained = Vec::new();
        let mut left = Vec::new();
        for (topic, wanted) in changed.into_iter().zip(wanted) {
            match (wanted, self.subscribed.contains(&topic)) {
                (true, false) => gained.push(topic),
                (false, true) => left.push(topic),
                _ => {}
            }
        }
        self.subscribe(con, gained).await?;
        for chunk in left.chunks(CHANNELS_PER_COMMAND) {
            con.unsubscribe(self.channels(chunk)).await?;
            for topic in chunk {
                self.subscribed.remove(topic);
            }
            self.count_channels();
        }
        Ok(())
    }

    async fn subscribe(
        &mut self,
        con: &mut MultiplexedConnection,
        topics: Vec<Arc<str>>,
    ) -> redis::RedisResult<()> {
        for chunk in topics.chunks(CHANNELS_PER_COMMAND) {
            con.subscribe(self.channels(chunk)).await?;
            self.subscribed.extend(chunk.iter().cloned());
            self.count_channels();
        }
        Ok(())
    }

    fn channels(&self, topics: &[Arc<str>]) -> Vec<String> {
        topics
            .iter()
            .map(|t| wire::channel(&self.shared.prefix, Some(t)))
            .collect()
    }

    fn count_channels(&self) {
        self.shared
            .channels
            .store(self.subscribed.len(), Ordering::Relaxed);
    }
}

/// Whether `e` means the connection is gone (or hung): make it again.
fn lost(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_unrecoverable_error()
}

/// The connection's reader side: delivers the messages that arrive, as they are read.
struct Reader {
    hub: Weak<Inner>,
    shared: Arc<Shared>,
    lost: Arc<Notify>,
}

impl Reader {
    fn push(&self, push: PushInfo) -> Result<(), std::convert::Infallible> {
        match push.kind {
            PushKind::Message => self.deliver(push.data),
            PushKind::Disconnection => self.lost.notify_one(),
            _ => {}
        }
        Ok(())
    }

    fn deliver(&self, data: Vec<Value>) {
        let shared = &self.shared;
        let mut data = data.into_iter();
        let (Some(Value::BulkString(channel)), Some(Value::BulkString(payload))) =
            (data.next(), data.next())
        else {
            shared.ignored.fetch_add(1, Ordering::Relaxed);
            return;
        };
        match wire::decode(&shared.prefix, &channel, Bytes::from(payload)) {
            // Our own publish, back from Redis: delivered here already.
            Ok(incoming) if incoming.origin == shared.origin => {}
            Ok(incoming) => {
                let Some(hub) = self.hub.upgrade() else {
                    return;
                };
                // Counted before the delivery: a subscriber that has the message sees it
                // counted.
                shared.received.fetch_add(1, Ordering::Relaxed);
                let prepared = PreparedMessage::new(incoming.message);
                match incoming.topic {
                    Some(topic) => hub.publish_local(&topic, std::slice::from_ref(&prepared), None),
                    None => hub.publish_all_local(&prepared),
                };
            }
            Err(why) => {
                shared.ignored.fetch_add(1, Ordering::Relaxed);
                debug!(target: "tether_tokio::redis", channel = %String::from_utf8_lossy(&channel),
                       ?why, "ignored a message that is not ours to read");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("redis://alice:s3cret@db:6379/2"),
            "redis://alice:***@db:6379/2"
        );
        assert_eq!(redact("redis://:s3cret@db/"), "redis://:***@db/");
        assert_eq!(redact("redis://db:6379/0"), "redis://db:6379/0");
        assert_eq!(redact("not a url"), "not a url");
    }

    #[test]
    fn urls_are_checked_before_connecting() {
        assert!(matches!(client("http://x/"), Err(RedisError::Url { .. })));
        assert!(matches!(
            client("redis://u:pw@[::1/"),
            Err(RedisError::Url { url, .. }) if !url.contains("pw")
        ));
        let c = client("redis://127.0.0.1:6390/3").unwrap();
        assert_eq!(display_addr(&c), "redis://127.0.0.1:6390/3");
    }
}
