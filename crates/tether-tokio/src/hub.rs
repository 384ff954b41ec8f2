//! [`Hub`]: publish/subscribe over sockets — topics (rooms), each message encoded once
//! ([`PreparedMessage`]) and handed to every subscriber without a copy, a bounded queue per
//! subscriber, and a policy for subscribers that cannot keep up.
//!
//! Delivery needs no task per subscriber: a publish queues the prepared message on each
//! subscriber's connection (or, while its output is full, in its fan-out queue) and writes it
//! to the socket there and then, from the publisher's task; what the socket cannot take yet is
//! written by the connection's keeper once the socket has room.
//!
//! With the `redis` feature, `Hub::with_redis` makes a hub whose topics span every process
//! on one Redis (`crate::redis`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use tether_socket::{FanoutLimits, Message, Offer, PreparedMessage};
use tokio::time::Instant as TokioInstant;

use crate::handle::WeakHandle;
use crate::{MessageSocket, MessageWriteHalf};

/// A publish/subscribe hub. Cheap to clone (all clones are the same hub).
///
/// ```no_run
/// # async fn run() -> Result<(), tether_tokio::Error> {
/// use tether_tokio::{Hub, HubConfig, ServerConfig};
///
/// let hub = Hub::new(HubConfig::default());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
/// loop {
///     let (tcp, _) = listener.accept().await?;
///     let hub = hub.clone();
///     tokio::spawn(async move {
///         let mut ws = tether_tokio::accept(tcp, &ServerConfig::default()).await?;
///         let me = hub.join("chat", &ws);
///         while let Some(message) = ws.recv().await? {
///             hub.publish_except("chat", message, &me); // everyone else in the room
///         }
///         Ok::<_, tether_tokio::Error>(())
///     });
/// }
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Hub {
    pub(crate) inner: Arc<Inner>,
}

/// How a [`Hub`] treats its subscribers.
#[non_exhaustive]
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct HubConfig {
    /// The bounded queue each subscriber has while its output is full, and the policy past it
    /// (drop its oldest messages, or close it with 1008/1013).
    pub limits: FanoutLimits,
}

impl HubConfig {
    /// Sets [`limits`](Self#structfield.limits).
    #[must_use]
    pub fn limits(mut self, limits: FanoutLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// A hub's counters since it was made.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct HubStats {
    /// Subscriptions now (a socket in two topics counts twice).
    pub subscribers: usize,
    /// Topics with at least one subscriber.
    pub topics: usize,
    /// Messages published on this hub (with a Redis backend, those that came from other
    /// processes are counted in its `RedisStats::received`).
    pub published: u64,
    /// Messages handed to a subscriber (queued on its connection or in its fan-out queue).
    pub deliveries: u64,
    /// Messages dropped from slow subscribers' queues ([`SlowPolicy::DropOldest`]).
    ///
    /// [`SlowPolicy::DropOldest`]: tether_socket::SlowPolicy::DropOldest
    pub dropped: u64,
    /// Subscribers closed for being too slow ([`SlowPolicy::Close`]).
    ///
    /// [`SlowPolicy::Close`]: tether_socket::SlowPolicy::Close
    pub closed_slow: u64,
}

/// What one publish did.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct Published {
    /// Deliveries: subscribers it was handed to (for a batch, one per subscriber and message).
    pub delivered: usize,
    /// Of those, how many were queued behind earlier messages (the output was full).
    pub queued: usize,
    /// Older messages dropped from slow subscribers to make room.
    pub dropped: usize,
    /// Slow subscribers closed.
    pub closed_slow: usize,
}

/// One socket's membership of one topic; leaving is dropping it (or [`Hub::leave`]).
#[derive(Debug)]
pub struct Member {
    hub: Weak<Inner>,
    topic: Arc<str>,
    id: u64,
}

impl Drop for Member {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.remove(&self.topic, self.id);
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    config: HubConfig,
    topics: Mutex<HashMap<Arc<str>, Vec<Entry>>>,
    next_id: AtomicU64,
    published: AtomicU64,
    deliveries: AtomicU64,
    dropped: AtomicU64,
    closed_slow: AtomicU64,
    /// The Redis backend ([`Hub::with_redis`]): publishes cross to other processes, topic
    /// interest follows this hub's topics.
    #[cfg(feature = "redis")]
    relay: Option<crate::redis::Relay>,
}

#[derive(Clone)]
struct Entry {
    id: u64,
    socket: WeakHandle,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").field("id", &self.id).finish()
    }
}

impl Inner {
    /// A hub's insides with a Redis backend.
    #[cfg(feature = "redis")]
    pub(crate) fn with_relay(config: HubConfig, relay: crate::redis::Relay) -> Self {
        Self {
            config,
            relay: Some(relay),
            ..Self::default()
        }
    }

    /// The Redis backend, if any.
    #[cfg(feature = "redis")]
    pub(crate) fn relay(&self) -> Option<&crate::redis::Relay> {
        self.relay.as_ref()
    }

    fn topics(&self) -> MutexGuard<'_, HashMap<Arc<str>, Vec<Entry>>> {
        self.topics.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The topics with a subscriber on this process now.
    #[cfg(feature = "redis")]
    pub(crate) fn topic_names(&self) -> Vec<Arc<str>> {
        self.topics().keys().cloned().collect()
    }

    /// Which of `asked` have a subscriber on this process now.
    #[cfg(feature = "redis")]
    pub(crate) fn interested(&self, asked: &[Arc<str>]) -> Vec<bool> {
        let topics = self.topics();
        asked.iter().map(|t| topics.contains_key(t)).collect()
    }

    fn remove(&self, topic: &str, id: u64) {
        let mut topics = self.topics();
        if let Some(entries) = topics.get_mut(topic) {
            entries.retain(|e| e.id != id);
            if entries.is_empty() {
                topics.remove(topic);
                self.interest_changed(topic);
            }
        }
    }

    /// `topic` just got its first subscriber or lost its last (called under the topics lock).
    #[cfg_attr(not(feature = "redis"), allow(clippy::unused_self, unused_variables))]
    fn interest_changed(&self, topic: &str) {
        #[cfg(feature = "redis")]
        if let Some(relay) = &self.relay {
            relay.interest_changed(topic);
        }
    }

    /// Hands `prepared`, in order, to `topic`'s subscribers on this process (but `except`).
    pub(crate) fn publish_local(
        &self,
        topic: &str,
        prepared: &[PreparedMessage],
        except: Option<u64>,
    ) -> Published {
        let mut summary = Published::default();
        if prepared.is_empty() {
            return summary;
        }
        let now = TokioInstant::now();
        let mut topics = self.topics();
        if let Some(entries) = topics.get_mut(topic) {
            entries.retain(|entry| {
                Some(entry.id) == except || self.deliver(entry, prepared, now, &mut summary)
            });
            if entries.is_empty() {
                topics.remove(topic);
                self.interest_changed(topic);
            }
        }
        drop(topics);
        self.count(summary);
        summary
    }

    /// Hands `prepared` to every subscriber on this process, once per socket.
    pub(crate) fn publish_all_local(&self, prepared: &PreparedMessage) -> Published {
        let now = TokioInstant::now();
        let mut topics = self.topics();
        let mut seen: HashSet<*const ()> = HashSet::new();
        let mut summary = Published::default();
        for entries in topics.values_mut() {
            entries.retain(|entry| {
                !seen.insert(entry.socket.key())
                    || self.deliver(entry, std::slice::from_ref(prepared), now, &mut summary)
            });
        }
        topics.retain(|topic, entries| {
            let keep = !entries.is_empty();
            if !keep {
                self.interest_changed(topic);
            }
            keep
        });
        drop(topics);
        self.count(summary);
        summary
    }

    /// Adds a publish's outcome to the hub's counters (once per publish, not per subscriber).
    fn count(&self, summary: Published) {
        let add = |counter: &AtomicU64, n: usize| {
            if n > 0 {
                counter.fetch_add(n as u64, Ordering::Relaxed);
            }
        };
        add(&self.deliveries, summary.delivered);
        add(&self.dropped, summary.dropped);
        add(&self.closed_slow, summary.closed_slow);
    }

    /// Offers `prepared`, in order, to one subscriber; `false` when it is gone (forget it).
    fn deliver(
        &self,
        entry: &Entry,
        prepared: &[PreparedMessage],
        now: TokioInstant,
        summary: &mut Published,
    ) -> bool {
        let limits = &self.config.limits;
        let kept = entry.socket.offer(|d| {
            let now = d.at(now);
            for p in prepared {
                match d.session.offer(now, p, limits) {
                    Offer::Sent => summary.delivered += 1,
                    Offer::Queued => {
                        summary.delivered += 1;
                        summary.queued += 1;
                    }
                    Offer::DroppedOldest(n) => {
                        summary.delivered += 1;
                        summary.queued += 1;
                        summary.dropped += n;
                    }
                    Offer::ClosedSlow => {
                        summary.closed_slow += 1;
                        return false;
                    }
                    _ => return false,
                }
            }
            true
        });
        kept == Some(true)
    }

    /// Passes a message published here on to the other processes (with a Redis backend).
    #[cfg_attr(not(feature = "redis"), allow(clippy::unused_self, unused_variables))]
    fn forward(&self, topic: Option<&str>, message: &Message) {
        #[cfg(feature = "redis")]
        if let Some(relay) = &self.relay {
            relay.forward(topic, message);
        }
    }
}

/// A socket (or the writing half of one) a hub can deliver to: [`MessageSocket`] and
/// [`MessageWriteHalf`].
pub trait Subscriber: sealed::Sealed {}

mod sealed {
    use crate::handle::WeakHandle;

    pub trait Sealed {
        fn weak_handle(&self) -> WeakHandle;
    }
}

impl Subscriber for MessageSocket {}
impl sealed::Sealed for MessageSocket {
    fn weak_handle(&self) -> WeakHandle {
        self.write_handle().downgrade()
    }
}

impl Subscriber for MessageWriteHalf {}
impl sealed::Sealed for MessageWriteHalf {
    fn weak_handle(&self) -> WeakHandle {
        self.handle().downgrade()
    }
}

impl Hub {
    /// An empty hub.
    pub fn new(config: HubConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                ..Inner::default()
            }),
        }
    }

    /// Subscribes `socket` to `topic` until the returned [`Member`] is dropped. A socket that
    /// closes is forgotten at the next publish.
    pub fn join(&self, topic: &str, socket: &impl Subscriber) -> Member {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let topic: Arc<str> = Arc::from(topic);
        let mut topics = self.inner.topics();
        let entries = topics.entry(topic.clone()).or_default();
        entries.push(Entry {
            id,
            socket: sealed::Sealed::weak_handle(socket),
        });
        if entries.len() == 1 {
            self.inner.interest_changed(&topic);
        }
        drop(topics);
        Member {
            hub: Arc::downgrade(&self.inner),
            topic,
            id,
        }
    }

    /// Unsubscribes now (the same as dropping `member`).
    pub fn leave(&self, member: Member) {
        drop(member);
    }

    /// Publishes `message` to every subscriber of `topic`: encoded once, delivered without a
    /// copy. Never waits: a subscriber whose output is full gets it queued (within the hub's
    /// limits, then the slow-subscriber policy applies). With a Redis backend it also goes to
    /// the topic's subscribers on the other processes.
    pub fn publish(&self, topic: &str, message: impl Into<Message>) -> Published {
        let prepared = PreparedMessage::new(message.into());
        self.publish_to(topic, std::slice::from_ref(&prepared), None)
    }

    /// As [`publish`](Self::publish), to everyone in `topic` but `except` (the sender).
    pub fn publish_except(
        &self,
        topic: &str,
        message: impl Into<Message>,
        except: &Member,
    ) -> Published {
        let prepared = PreparedMessage::new(message.into());
        self.publish_to(topic, std::slice::from_ref(&prepared), Some(except.id))
    }

    /// Publishes `message` to every subscriber of every topic, once per socket (with a Redis
    /// backend: on every process).
    pub fn publish_all(&self, message: impl Into<Message>) -> Published {
        let prepared = PreparedMessage::new(message.into());
        self.inner.published.fetch_add(1, Ordering::Relaxed);
        self.inner.forward(None, prepared.message());
        self.inner.publish_all_local(&prepared)
    }

    /// Publishes an already prepared message to `topic`.
    pub fn publish_prepared(&self, topic: &str, prepared: &PreparedMessage) -> Published {
        self.publish_to(topic, std::slice::from_ref(prepared), None)
    }

    /// Publishes several messages to `topic`, in order: the same as publishing each in turn,
    /// but each subscriber's connection is visited once for all of them (one lock, one
    /// wake-up, its state in cache), which costs less per message. For a publisher with a
    /// burst of messages at hand: a feed's ticks, or everything a socket has received.
    pub fn publish_batch<M: Into<Message>>(
        &self,
        topic: &str,
        messages: impl IntoIterator<Item = M>,
    ) -> Published {
        let prepared: Vec<PreparedMessage> = messages
            .into_iter()
            .map(|m| PreparedMessage::new(m.into()))
            .collect();
        self.publish_to(topic, &prepared, None)
    }

    fn publish_to(
        &self,
        topic: &str,
        prepared: &[PreparedMessage],
        except: Option<u64>,
    ) -> Published {
        self.inner
            .published
            .fetch_add(prepared.len() as u64, Ordering::Relaxed);
        for p in prepared {
            self.inner.forward(Some(topic), p.message());
        }
        self.inner.publish_local(topic, prepared, except)
    }

    /// The counters.
    pub fn stats(&self) -> HubStats {
        let topics = self.inner.topics();
        HubStats {
            subscribers: topics.values().map(Vec::len).sum(),
            topics: topics.len(),
            published: self.inner.published.load(Ordering::Relaxed),
            deliveries: self.inner.deliveries.load(Ordering::Relaxed),
            dropped: self.inner.dropped.load(Ordering::Relaxed),
            closed_slow: self.inner.closed_slow.load(Ordering::Relaxed),
        }
    }
}
