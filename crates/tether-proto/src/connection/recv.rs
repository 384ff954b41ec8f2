//! Decoding: frames out of the input buffer, checked against the state and the limits, and
//! turned into messages or chunks (through the extension, when one transformed them).
//!
//! Text is checked in one place, [`check_text`], piece by piece as it arrives, so a connection
//! fails at the first invalid byte (§8.1) and no message is checked twice.

use alloc::vec::Vec;
use core::ops::Range;

use super::input::Input;
use super::{Core, State};
use crate::error::{ConnectionError, ProtocolError};
use crate::extension::{Decoded, Extension, ExtensionError};
use crate::frame::{FrameHeader, OpCode, Rsv, apply_mask};
use crate::utf8::Utf8Validator;
use crate::{MessageKind, ReceiveMode};

/// Most bytes an extension decodes into one chunk, so a small compressed chunk that inflates a
/// lot is handed out in steps and memory stays constant.
const CHUNK_DECODE_STEP: usize = 64 << 10;

/// The frame whose payload is being received.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InFrame {
    pub(crate) opcode: OpCode,
    pub(crate) fin: bool,
    pub(crate) mask: Option<[u8; 4]>,
    /// Payload bytes still to come.
    pub(crate) remaining: u64,
    /// The whole payload's length.
    pub(crate) len: u64,
    /// Position in the masking key of the next payload byte.
    pub(crate) phase: usize,
}

/// The data message being received.
#[derive(Debug)]
pub(crate) struct InMessage {
    pub(crate) kind: MessageKind,
    pub(crate) mode: ReceiveMode,
    /// Extension bits of the first frame: the message is to be decoded by the extension.
    pub(crate) rsv: Rsv,
    utf8: Utf8Validator,
    /// Payload bytes received so far (decoded bytes when an extension transforms it).
    pub(crate) size: u64,
    fragments: u32,
    /// The extension stopped at the partial-mode step with more output pending for a piece;
    /// `Some(fin)` of that piece.
    decode_more: Option<bool>,
    /// The whole message is in the assembly buffer (its last bytes came by a direct read).
    pub(crate) complete: bool,
}

/// What a decoding step produced; turned into an [`Event`](crate::Event) by the caller, which
/// borrows the bytes.
#[derive(Debug)]
pub(crate) enum Step {
    /// Nothing more to report until more input arrives (or a command is given).
    Pending,
    Request,
    Open,
    /// A whole message in `Input::buf`.
    Whole(MessageKind, Range<usize>),
    /// A whole message in `Input::assembly`.
    Assembled(MessageKind),
    /// A chunk of a message, in `Input::buf` or (`scratch`) `Input::scratch`.
    Chunk {
        kind: MessageKind,
        range: Range<usize>,
        scratch: bool,
        fin: bool,
    },
    Ping(Range<usize>),
    Pong(Range<usize>),
    Closed,
}

impl Core {
    /// Decodes until there is something to report.
    pub(crate) fn step(&mut self, input: &mut Input) -> Step {
        loop {
            if self.result.is_some() {
                if self.result_reported {
                    return Step::Pending;
                }
                self.result_reported = true;
                return Step::Closed;
            }
            if self.state == State::Connecting {
                match self.step_handshake(input) {
                    Some(step) => return step,
                    None => continue,
                }
            }
            if self.open_pending {
                self.open_pending = false;
                return Step::Open;
            }
            match self.step_frame(input) {
                Some(Step::Pending) if self.eof => {
                    // §7.1.5: the transport closed before the close handshake: 1006.
                    self.fail(ConnectionError::Abnormal);
                }
                Some(step) => return step,
                None => {}
            }
        }
    }

    /// One step of frame decoding. `None`: the state changed, step again.
    fn step_frame(&mut self, input: &mut Input) -> Option<Step> {
        if let Some(message) = self.message.take_if(|m| m.complete) {
            self.stats.messages_received += 1;
            return Some(Step::Assembled(message.kind));
        }
        if let Some(message) = self.message.as_mut()
            && message.mode == ReceiveMode::Message
            && self.config.receive_mode == ReceiveMode::Chunks
            && message.rsv.is_empty()
        {
            // The application switched to chunks while this message was being gathered (a
            // stream reader taking over): what was gathered goes out as the first chunk, the
            // rest as it arrives — never gathered whole past the limit the switch lifted.
            message.mode = ReceiveMode::Chunks;
            // A read offered into the assembly buffer before the switch goes to the input
            // buffer instead.
            input.cancel_direct();
            if !input.assembly.is_empty() {
                input.scratch = input.assembly.take();
                return Some(Step::Chunk {
                    kind: message.kind,
                    range: 0..input.scratch.len(),
                    scratch: true,
                    fin: false,
                });
            }
        }
        if let Some(fin) = self.message.as_ref().and_then(|m| m.decode_more) {
            // The rest of what the extension decoded from the last piece comes first.
            let at = input.start;
            return self.deliver(input, at..at, fin);
        }
        let mut frame = match self.frame {
            Some(frame) => frame,
            None => match FrameHeader::decode(input.pending()) {
                Ok(None) => return Some(Step::Pending),
                Ok(Some((header, len))) => {
                    if let Some(step) = self.whole_frame(input, &header, len) {
                        return step;
                    }
                    match self.begin_frame(&header) {
                        Ok(frame) => {
                            input.start += len;
                            self.frame = Some(frame);
                            frame
                        }
                        Err(e) => {
                            self.fail(e);
                            return None;
                        }
                    }
                }
                Err(e) => {
                    self.fail(e.into());
                    return None;
                }
            },
        };
        let available = (input.end - input.start) as u64;
        if frame.opcode.is_control() {
            // Control payloads are at most 125 bytes: wait for all of it.
            if available < frame.remaining {
                return Some(Step::Pending);
            }
            let range = input.start..input.start + frame.remaining as usize;
            input.start = range.end;
            self.frame = None;
            if let Some(key) = frame.mask {
                apply_mask(&mut input.buf[range.clone()], key, 0);
            }
            return match frame.opcode {
                OpCode::Ping => {
                    // §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame
                    // in response, unless it already received a Close frame."
                    // Each ping gets its own pong, queued now, so it goes out before anything
                    // the application queues after this event (held back only while the
                    // output is over its high-water mark).
                    if self.config.auto_pong && self.state == State::Open {
                        let high_water = self.config.outbound_high_water;
                        self.out
                            .pong(&mut *self.entropy, &input.buf[range.clone()], high_water);
                    }
                    Some(Step::Ping(range))
                }
                OpCode::Pong => Some(Step::Pong(range)),
                _ => {
                    self.on_close_frame(&input.buf[range]);
                    None
                }
            };
        }
        let take = frame.remaining.min(available) as usize;
        if take == 0 && frame.remaining > 0 {
            return Some(Step::Pending);
        }
        let range = input.start..input.start + take;
        input.start = range.end;
        if let Some(key) = frame.mask {
            apply_mask(&mut input.buf[range.clone()], key, frame.phase);
        }
        frame.remaining -= take as u64;
        frame.phase = (frame.phase + take) & 3;
        let fin = frame.remaining == 0 && frame.fin;
        self.frame = (frame.remaining > 0).then_some(frame);
        if frame.remaining == 0 {
            input.frame_done(frame.len);
        }
        self.deliver(input, range, fin)
    }

    /// The usual frame, decoded at once: a whole text or binary message in one frame, all of it
    /// buffered, with no extension bits, nothing else in progress and whole messages wanted. It
    /// gets the checks of the general path (masking, sizes, §8.1 text) without its bookkeeping.
    /// `None` leaves the frame to the general path, which also says what is wrong with it.
    fn whole_frame(
        &mut self,
        input: &mut Input,
        header: &FrameHeader,
        header_len: usize,
    ) -> Option<Option<Step>> {
        let kind = match header.opcode {
            OpCode::Text => MessageKind::Text,
            OpCode::Binary => MessageKind::Binary,
            _ => return None,
        };
        let size = header.payload_len;
        let buffered = (input.end - input.start - header_len) as u64;
        if !header.fin
            || !header.rsv.is_empty()
            || self.message.is_some()
            || self.config.receive_mode != ReceiveMode::Message
            || size > buffered
            || size > self.config.max_frame_size
            || size > self.config.max_message_size
            || header.check(self.role, Rsv::NONE).is_err()
        {
            return None;
        }
        let start = input.start + header_len;
        let range = start..start + size as usize;
        input.start = range.end;
        if let Some(key) = header.mask {
            apply_mask(&mut input.buf[range.clone()], key, 0);
        }
        input.frame_done(size);
        if kind == MessageKind::Text && core::str::from_utf8(&input.buf[range.clone()]).is_err() {
            self.fail(ConnectionError::InvalidUtf8);
            return Some(None);
        }
        input.message_done(size);
        self.stats.messages_received += 1;
        Some(Some(Step::Whole(kind, range)))
    }

    /// Checks a new frame against the connection's state and limits.
    fn begin_frame(&mut self, header: &FrameHeader) -> Result<InFrame, ConnectionError> {
        header.check(self.role, self.allowed_rsv())?;
        let limit = self.config.max_frame_size;
        if header.payload_len > limit {
            return Err(ConnectionError::FrameTooBig {
                len: header.payload_len,
                limit,
            });
        }
        let frame = InFrame {
            opcode: header.opcode,
            fin: header.fin,
            mask: header.mask,
            remaining: header.payload_len,
            len: header.payload_len,
            phase: 0,
        };
        let kind = match header.opcode {
            OpCode::Text => MessageKind::Text,
            OpCode::Binary => MessageKind::Binary,
            OpCode::Continuation => {
                // §5.4: a continuation belongs to a message started by a text or binary frame.
                let message = self
                    .message
                    .as_mut()
                    .ok_or(ProtocolError::UnexpectedContinuation)?;
                if !header.rsv.is_empty() {
                    // Extensions' bits are carried by a message's first frame only.
                    return Err(ProtocolError::ReservedBits(header.rsv.bits()).into());
                }
                message.fragments += 1;
                if message.fragments > self.config.max_fragments {
                    return Err(ConnectionError::TooManyFragments {
                        limit: self.config.max_fragments,
                    });
                }
                check_declared_size(message, header.payload_len, self.config.max_message_size)?;
                return Ok(frame);
            }
            _ => return Ok(frame),
        };
        // §5.4: "the fragments of one message MUST NOT be interleaved between the fragments of
        // another message".
        if self.message.is_some() {
            return Err(ProtocolError::ExpectedContinuation.into());
        }
        let message = InMessage {
            kind,
            mode: self.config.receive_mode,
            rsv: header.rsv,
            utf8: Utf8Validator::default(),
            size: 0,
            fragments: 1,
            decode_more: None,
            complete: false,
        };
        check_declared_size(&message, header.payload_len, self.config.max_message_size)?;
        self.message = Some(message);
        Ok(frame)
    }

    /// Hands on the next piece of a data message: `input.buf[range]`, unmasked.
    fn deliver(&mut self, input: &mut Input, range: Range<usize>, fin: bool) -> Option<Step> {
        let limit = self.config.max_message_size;
        let Some(message) = self.message.as_mut() else {
            return Some(Step::Pending);
        };
        let kind = message.kind;
        let result = if !message.rsv.is_empty() {
            // Decode through the extension that claimed the bits (`allowed_rsv` guarantees one).
            match self.extension.as_mut() {
                Some(extension) => {
                    decode_piece(extension.as_mut(), message, input, range, fin, limit)
                }
                None => Err(ProtocolError::ReservedBits(message.rsv.bits()).into()),
            }
        } else {
            message.size += range.len() as u64;
            match message.mode {
                ReceiveMode::Chunks if range.is_empty() && !fin => Ok(None),
                ReceiveMode::Chunks => {
                    check_text(message, &input.buf[range.clone()], fin).map(|()| {
                        Some(Step::Chunk {
                            kind,
                            range,
                            scratch: false,
                            fin,
                        })
                    })
                }
                // The whole message is this one piece: hand it out from the input buffer.
                ReceiveMode::Message if fin && message.size == range.len() as u64 => {
                    check_text(message, &input.buf[range.clone()], fin)
                        .map(|()| Some(Step::Whole(kind, range)))
                }
                ReceiveMode::Message => {
                    let piece = &input.buf[range];
                    check_text(message, piece, fin).map(|()| {
                        input.assembly.extend(piece);
                        fin.then_some(Step::Assembled(kind))
                    })
                }
            }
        };
        match result {
            Ok(step) => {
                let pending = self
                    .message
                    .as_ref()
                    .is_some_and(|m| m.decode_more.is_some());
                if fin && !pending {
                    if let Some(message) = self.message.take() {
                        input.message_done(message.size);
                    }
                    self.stats.messages_received += 1;
                }
                step
            }
            Err(e) => {
                self.fail(e);
                None
            }
        }
    }
}

/// Passes a piece of a transformed message through the extension, into the assembly buffer
/// (whole messages) or the scratch buffer (partial mode).
fn decode_piece(
    extension: &mut dyn Extension,
    message: &mut InMessage,
    input: &mut Input,
    range: Range<usize>,
    fin: bool,
    limit: u64,
) -> Result<Option<Step>, ConnectionError> {
    let partial = message.mode == ReceiveMode::Chunks;
    // Whole messages are decoded into the assembly buffer, taken out as a `Vec` meanwhile.
    let mut assembled = (!partial).then(|| input.assembly.take_vec());
    let out = match assembled.as_mut() {
        Some(vec) => vec,
        None => {
            input.scratch.clear();
            &mut input.scratch
        }
    };
    let result = decode_into(extension, message, &input.buf[range], fin, out, limit);
    if let Some(vec) = assembled {
        input.assembly.put_vec(vec);
    }
    result
}

/// The body of [`decode_piece`], appending to `out`.
fn decode_into(
    extension: &mut dyn Extension,
    message: &mut InMessage,
    piece: &[u8],
    fin: bool,
    out: &mut Vec<u8>,
    limit: u64,
) -> Result<Option<Step>, ConnectionError> {
    let kind = message.kind;
    let partial = message.mode == ReceiveMode::Chunks;
    let before = out.len();
    let room = usize::try_from(limit.saturating_sub(message.size)).unwrap_or(usize::MAX);
    // Partial mode hands decoded bytes out in bounded steps; whole messages get all the room.
    let step = if partial {
        room.min(CHUNK_DECODE_STEP)
    } else {
        room
    };
    let decoded = extension
        .decode(message.rsv, piece, fin, out, step)
        .map_err(|e| match e {
            ExtensionError::TooBig => ConnectionError::MessageTooBig { limit },
            ExtensionError::Invalid(why) => ProtocolError::Extension(why).into(),
        })?;
    let produced = &out[before..];
    message.size += produced.len() as u64;
    // More output than the room left: the message is too big (checked on decoded bytes,
    // before any more is produced).
    if message.size > limit || (decoded == Decoded::Full && step == room) {
        return Err(ConnectionError::MessageTooBig { limit });
    }
    message.decode_more = (decoded == Decoded::Full).then_some(fin);
    let fin = fin && decoded == Decoded::Done;
    check_text(message, produced, fin)?;
    Ok(match message.mode {
        ReceiveMode::Chunks if produced.is_empty() && !fin => None,
        ReceiveMode::Chunks => Some(Step::Chunk {
            kind,
            range: before..out.len(),
            scratch: true,
            fin,
        }),
        ReceiveMode::Message => fin.then_some(Step::Assembled(kind)),
    })
}

/// Fails early when a frame's declared length would take its message past the limit.
fn check_declared_size(message: &InMessage, len: u64, limit: u64) -> Result<(), ConnectionError> {
    // With an extension the limit applies to decoded bytes, checked as they are produced.
    if message.rsv.is_empty() && message.size.saturating_add(len) > limit {
        return Err(ConnectionError::MessageTooBig { limit });
    }
    Ok(())
}

/// Validates the next piece of a text message, failing at the first invalid byte (§8.1): the
/// one place received text is checked.
pub(crate) fn check_text(
    message: &mut InMessage,
    piece: &[u8],
    fin: bool,
) -> Result<(), ConnectionError> {
    if message.kind == MessageKind::Text {
        message
            .utf8
            .feed(piece)
            .map_err(|_| ConnectionError::InvalidUtf8)?;
        if fin {
            message
                .utf8
                .finish()
                .map_err(|_| ConnectionError::InvalidUtf8)?;
        }
    }
    Ok(())
}
