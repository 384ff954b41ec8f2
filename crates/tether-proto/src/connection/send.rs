//! Sending: whole messages, streamed messages chunk by chunk, and control frames, encoded into
//! the [`Output`](super::output::Output) in the order they are given.

use bytes::Bytes;

use super::output::PREPARED_SHARE_MIN;
use super::{Core, State};
use crate::error::SendError;
use crate::frame::{MAX_CONTROL_PAYLOAD, OpCode, Rsv};
use crate::message::Payload;
use crate::utf8::Utf8Validator;
use crate::{Message, MessageKind};

/// How to send one message.
///
/// ```
/// use tether_proto::SendOptions;
///
/// // A secret sent next to attacker-chosen text must not share a compression context with
/// // it (CRIME/BREACH): send it uncompressed.
/// let options = SendOptions::default().compress(false);
/// assert!(!options.compresses());
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct SendOptions {
    compress: bool,
}

impl Default for SendOptions {
    fn default() -> Self {
        Self { compress: true }
    }
}

impl SendOptions {
    /// Whether the negotiated extension (permessage-deflate) may transform the message.
    /// Default: `true`; `false` sends it as it is (RSV1 clear).
    #[must_use]
    pub fn compress(mut self, on: bool) -> Self {
        self.compress = on;
        self
    }

    /// See [`compress`](Self::compress).
    pub fn compresses(&self) -> bool {
        self.compress
    }
}

/// A message being sent.
pub(crate) struct OutMessage {
    kind: MessageKind,
    /// Checks streamed text chunk by chunk; `None` for a whole [`Message`], valid already.
    utf8: Option<Utf8Validator>,
    /// The extension's bits, if it transforms this message.
    rsv: Rsv,
    /// Sent as it is, bypassing the extension.
    plain: bool,
    /// Whether a frame of it has gone out.
    started: bool,
}

impl Core {
    pub(crate) fn ensure_open(&self) -> Result<(), SendError> {
        match self.state {
            State::Connecting => Err(SendError::NotOpen),
            State::Open => Ok(()),
            State::Closing | State::Closed => Err(SendError::Closed),
        }
    }

    fn start(
        &mut self,
        kind: MessageKind,
        checked: bool,
        options: SendOptions,
    ) -> Result<(), SendError> {
        self.ensure_open()?;
        if self.sending.is_some() {
            return Err(SendError::MessageInProgress);
        }
        self.sending = Some(OutMessage {
            kind,
            utf8: (kind == MessageKind::Text && !checked).then(Utf8Validator::default),
            rsv: Rsv::NONE,
            plain: !options.compress,
            started: false,
        });
        Ok(())
    }

    /// Sends a whole message.
    pub(crate) fn send(&mut self, message: Message, options: SendOptions) -> Result<(), SendError> {
        // The usual case, one frame that no extension transforms: framed at once, without the
        // bookkeeping of a message in progress.
        if self.state == State::Open
            && self.sending.is_none()
            && (self.extension.is_none() || !options.compress)
            && message.len() <= self.config.send_frame_size
        {
            let opcode = match message.kind() {
                MessageKind::Text => OpCode::Text,
                MessageKind::Binary => OpCode::Binary,
            };
            match message.into_payload() {
                inline @ Payload::Inline(_) => {
                    self.out
                        .frame(&mut *self.entropy, opcode, true, Rsv::NONE, &inline);
                }
                Payload::Shared(bytes) => {
                    self.out
                        .frame_owned(&mut *self.entropy, opcode, true, Rsv::NONE, bytes);
                }
            }
            self.stats.messages_sent += 1;
            return Ok(());
        }
        // A `Message`'s text is valid by construction.
        self.start(message.kind(), true, options)?;
        self.send_payload(message.into_payload(), true)
    }

    /// Starts a streamed message.
    pub(crate) fn begin_message(
        &mut self,
        kind: MessageKind,
        options: SendOptions,
    ) -> Result<(), SendError> {
        self.start(kind, false, options)
    }

    /// Sends the next chunk of the message in `self.sending`; `fin` ends it.
    pub(crate) fn send_chunk(&mut self, data: Bytes, fin: bool) -> Result<(), SendError> {
        self.send_payload(Payload::Shared(data), fin)
    }

    /// [`send_chunk`](Self::send_chunk) of a payload that may be inline.
    fn send_payload(&mut self, data: Payload, fin: bool) -> Result<(), SendError> {
        self.ensure_open()?;
        let Some(sending) = self.sending.as_mut() else {
            return Err(SendError::NoMessageInProgress);
        };
        if let Some(utf8) = sending.utf8.as_mut() {
            utf8.feed(&data).map_err(|_| SendError::InvalidUtf8)?;
            if fin {
                utf8.finish().map_err(|_| SendError::InvalidUtf8)?;
            }
        }
        let kind = sending.kind;
        let first = !sending.started;
        sending.started = true;
        let mut opcode = if first {
            match kind {
                MessageKind::Text => OpCode::Text,
                MessageKind::Binary => OpCode::Binary,
            }
        } else {
            OpCode::Continuation
        };
        let mut rsv = Rsv::NONE;
        let mut transformed = false;
        if let Some(extension) = self.extension.as_mut()
            && !sending.plain
            && (first || !sending.rsv.is_empty())
        {
            self.send_scratch.clear();
            let bits = extension
                .encode(kind, &data, first, fin, &mut self.send_scratch)
                .map_err(|_| SendError::InvalidState("extension refused the payload"))?;
            if first {
                sending.rsv = bits;
            }
            if !sending.rsv.is_empty() {
                rsv = if first { bits } else { Rsv::NONE };
                transformed = true;
            }
        }
        // Frames of at most `send_frame_size`; an empty chunk is one empty frame.
        let size = self.config.send_frame_size.max(1);
        let len = if transformed {
            self.send_scratch.len()
        } else {
            data.len()
        };
        let count = len.div_ceil(size).max(1);
        // The payload not yet framed. The last piece is this `Bytes` itself, moved, not a
        // slice of it: a payload nobody else holds stays unique, so the client role masks it
        // in place instead of copying it.
        let mut rest = match data {
            // Small, and one frame: copied into the output from where it is.
            Payload::Inline(_) if !transformed && count == 1 => {
                self.out.frame(&mut *self.entropy, opcode, fin, rsv, &data);
                self.chunk_sent(fin);
                return Ok(());
            }
            data => data.into_bytes(),
        };
        for i in 0..count {
            let last = fin && i + 1 == count;
            if transformed {
                let range = i * size..((i + 1) * size).min(len);
                let piece = &self.send_scratch[range];
                self.out.frame(&mut *self.entropy, opcode, last, rsv, piece);
            } else {
                let piece = if i + 1 == count {
                    core::mem::take(&mut rest)
                } else {
                    rest.split_to(size)
                };
                self.out
                    .frame_owned(&mut *self.entropy, opcode, last, rsv, piece);
            }
            opcode = OpCode::Continuation;
            rsv = Rsv::NONE;
        }
        self.chunk_sent(fin);
        Ok(())
    }

    /// A chunk was framed; `fin` ended its message.
    fn chunk_sent(&mut self, fin: bool) {
        if fin {
            self.sending = None;
            self.stats.messages_sent += 1;
        }
    }

    /// Queues bytes that are already the frames of one whole message: as they are, or copied
    /// into the buffer when small.
    pub(crate) fn send_frames(&mut self, frames: &Bytes) -> Result<(), SendError> {
        self.ensure_open()?;
        // Never in the middle of another message's frames (§5.4).
        if self.sending.is_some() {
            return Err(SendError::MessageInProgress);
        }
        if frames.len() < PREPARED_SHARE_MIN {
            self.out.raw(frames);
        } else {
            self.out.push_part(frames.clone());
        }
        self.stats.messages_sent += 1;
        Ok(())
    }

    pub(crate) fn send_control(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), SendError> {
        self.ensure_open()?;
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(SendError::ControlPayloadTooLong(payload.len()));
        }
        self.out
            .frame(&mut *self.entropy, opcode, true, Rsv::NONE, payload);
        Ok(())
    }
}
