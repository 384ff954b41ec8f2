//! [`Message`] and [`Chunk`]: what a message socket receives.

use tether_net::Error;
pub use tether_net::{Chunk, Message};
use tether_proto::{ConnectionError, MessageKind};

use crate::driver::Incoming;

/// Turns incoming pieces into whole messages: `None` while a message is still gathering in
/// `assembly` (the driver's buffer, so a cancelled receive keeps what it gathered).
pub(crate) fn whole(i: Incoming<'_>, assembly: &mut Vec<u8>) -> Option<Result<Message, Error>> {
    if !i.fin {
        assembly.extend_from_slice(i.payload);
        return None;
    }
    if assembly.is_empty() {
        return Some(Ok(match (i.kind, i.text) {
            (MessageKind::Text, Some(text)) => Message::Text(text.to_owned()),
            (MessageKind::Binary, _) => Message::Binary(i.payload.to_vec()),
            (MessageKind::Text, None) => return Some(text(i.payload.to_vec())),
        }));
    }
    assembly.extend_from_slice(i.payload);
    let bytes = std::mem::take(assembly);
    Some(match i.kind {
        MessageKind::Binary => Ok(Message::Binary(bytes)),
        MessageKind::Text => text(bytes),
    })
}

fn text(bytes: Vec<u8>) -> Result<Message, Error> {
    String::from_utf8(bytes)
        .map(Message::Text)
        .map_err(|_| Error::Protocol(ConnectionError::InvalidUtf8))
}

pub(crate) fn chunk(i: Incoming<'_>) -> Chunk {
    Chunk {
        kind: i.kind,
        data: i.payload.to_vec(),
        is_last: i.fin,
    }
}
