//! How a message crosses Redis: the payload behind a small header, on a channel named for its
//! topic.
//!
//! ```text
//! byte 0      format version (1)
//! byte 1      flags: bit 0 binary (else text), bit 1 every topic (publish_all)
//! bytes 2-9   origin: the publishing hub's id, big-endian (its own messages come back to it)
//! bytes 10-13 topic length in bytes, big-endian; then the topic (UTF-8; empty for every topic)
//! the rest    the payload
//! ```
//!
//! Channels: `{prefix}topic:{topic}` for a topic, `{prefix}all` for every topic.

use tether_socket::{Bytes, Message, MessageKind};

const VERSION: u8 = 1;
const BINARY: u8 = 1;
const ALL: u8 = 2;
/// Header bytes before the topic.
const FIXED: usize = 14;

/// The channel of `topic` (`None`: every topic).
pub(crate) fn channel(prefix: &str, topic: Option<&str>) -> String {
    match topic {
        Some(topic) => format!("{prefix}topic:{topic}"),
        None => format!("{prefix}all"),
    }
}

/// One message ready to cross: the channel name and the encoded message in one buffer.
#[derive(Debug)]
pub(crate) struct Outgoing {
    buf: Vec<u8>,
    channel_len: usize,
}

impl Outgoing {
    /// Encodes `message` for `topic` (`None`: every topic), published by `origin`.
    pub(crate) fn new(prefix: &str, origin: u64, topic: Option<&str>, message: &Message) -> Self {
        let name = topic.unwrap_or("");
        let channel = channel(prefix, topic);
        let mut buf = Vec::with_capacity(Self::size(prefix, topic, message));
        buf.extend_from_slice(channel.as_bytes());
        let mut flags = 0;
        if message.kind() == MessageKind::Binary {
            flags |= BINARY;
        }
        if topic.is_none() {
            flags |= ALL;
        }
        buf.extend_from_slice(&[VERSION, flags]);
        buf.extend_from_slice(&origin.to_be_bytes());
        // A topic is far below 4 GiB: it is a key of the hub's map, held in memory.
        buf.extend_from_slice(&u32::try_from(name.len()).unwrap_or(u32::MAX).to_be_bytes());
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(message.as_bytes());
        Self {
            buf,
            channel_len: channel.len(),
        }
    }

    /// The bytes [`new`](Self::new) would hold (what the queue to Redis counts).
    pub(crate) fn size(prefix: &str, topic: Option<&str>, message: &Message) -> usize {
        let name = topic.map_or(0, str::len);
        let channel = prefix.len() + topic.map_or(3, |t| 6 + t.len());
        channel + FIXED + name + message.len()
    }

    /// The bytes held (the same as [`size`](Self::size) said).
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// The channel to publish on.
    pub(crate) fn channel(&self) -> &[u8] {
        &self.buf[..self.channel_len]
    }

    /// The encoded message.
    pub(crate) fn payload(&self) -> &[u8] {
        &self.buf[self.channel_len..]
    }
}

/// A message read from Redis.
#[derive(Debug, PartialEq)]
pub(crate) struct Incoming {
    /// The hub that published it.
    pub(crate) origin: u64,
    /// Its topic; `None` for every topic.
    pub(crate) topic: Option<String>,
    /// The message (its payload shares the buffer Redis's reply was read into).
    pub(crate) message: Message,
}

/// Why a message from Redis was not one of ours to deliver.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// Shorter than its header says.
    Short,
    /// Another format version (a newer tether, or not tether at all).
    Version(u8),
    /// The topic or a text payload is not UTF-8.
    NotUtf8,
    /// It came on another topic's channel than its header names.
    WrongChannel,
}

/// Reads a message that came on channel `came_on`. The payload is not copied.
pub(crate) fn decode(prefix: &str, came_on: &[u8], data: Bytes) -> Result<Incoming, Malformed> {
    let fixed = data.get(..FIXED).ok_or(Malformed::Short)?;
    if fixed[0] != VERSION {
        return Err(Malformed::Version(fixed[0]));
    }
    let flags = fixed[1];
    let origin = u64::from_be_bytes(fixed[2..10].try_into().map_err(|_| Malformed::Short)?);
    let topic_len = u32::from_be_bytes(fixed[10..14].try_into().map_err(|_| Malformed::Short)?);
    let topic_end = usize::try_from(topic_len)
        .ok()
        .and_then(|n| FIXED.checked_add(n))
        .filter(|&end| end <= data.len())
        .ok_or(Malformed::Short)?;
    let topic = std::str::from_utf8(&data[FIXED..topic_end]).map_err(|_| Malformed::NotUtf8)?;
    let topic = (flags & ALL == 0).then(|| topic.to_owned());
    if came_on != channel(prefix, topic.as_deref()).as_bytes() {
        return Err(Malformed::WrongChannel);
    }
    let payload = data.slice(topic_end..);
    let message = if flags & BINARY != 0 {
        Message::binary(payload)
    } else {
        Message::text_from_bytes(payload).map_err(|_| Malformed::NotUtf8)?
    };
    Ok(Incoming {
        origin,
        topic,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(topic: Option<&str>, message: Message) -> Incoming {
        let out = Outgoing::new("t:", 42, topic, &message);
        assert_eq!(out.len(), Outgoing::size("t:", topic, &message));
        let channel = out.channel().to_vec();
        decode("t:", &channel, Bytes::copy_from_slice(out.payload())).unwrap()
    }

    #[test]
    fn text_binary_and_every_topic_cross_unchanged() {
        let m = round_trip(Some("room"), Message::text("héllo"));
        assert_eq!((m.origin, m.topic.as_deref()), (42, Some("room")));
        assert_eq!(m.message, Message::text("héllo"));
        let m = round_trip(Some(""), Message::binary(vec![0u8, 255, 1]));
        assert_eq!(m.message, Message::binary(vec![0u8, 255, 1]));
        assert_eq!(m.topic.as_deref(), Some(""));
        let m = round_trip(None, Message::text(""));
        assert_eq!((m.topic, m.message), (None, Message::text("")));
    }

    #[test]
    fn the_channel_names_the_topic() {
        let out = Outgoing::new("tether:", 1, Some("a b"), &Message::text("x"));
        assert_eq!(out.channel(), b"tether:topic:a b");
        let out = Outgoing::new("tether:", 1, None, &Message::text("x"));
        assert_eq!(out.channel(), b"tether:all");
    }

    #[test]
    fn malformed_messages_are_refused_not_delivered() {
        let good = Outgoing::new("p:", 7, Some("room"), &Message::text("hi"));
        let payload = good.payload().to_vec();
        let decode_bytes =
            |channel: &[u8], bytes: &[u8]| decode("p:", channel, Bytes::copy_from_slice(bytes));
        assert_eq!(
            decode_bytes(b"p:topic:room", b"hello"),
            Err(Malformed::Short)
        );
        let mut other = payload.clone();
        other[0] = 2;
        assert_eq!(
            decode_bytes(b"p:topic:room", &other),
            Err(Malformed::Version(2))
        );
        let mut long = payload.clone();
        long[13] = 200; // topic longer than the message
        assert_eq!(decode_bytes(b"p:topic:room", &long), Err(Malformed::Short));
        let mut bad_text = payload.clone();
        let last = bad_text.len() - 1;
        bad_text[last] = 0xff;
        assert_eq!(
            decode_bytes(b"p:topic:room", &bad_text),
            Err(Malformed::NotUtf8)
        );
        assert_eq!(
            decode_bytes(b"p:topic:other", &payload),
            Err(Malformed::WrongChannel)
        );
        assert!(decode_bytes(b"p:topic:room", &payload).is_ok());
    }
}
