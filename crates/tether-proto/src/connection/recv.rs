//! The inbound side: the input buffer, frame decoding, message assembly.
//!
//! Input is unmasked in place in the buffer it was read into. A data frame that is complete in
//! the buffer and is a whole message is handed out from there without a copy; a message that
//! arrives in several frames or several reads is copied once, into the assembly buffer, as its
//! bytes arrive — never reserved from a length the peer declared.

use alloc::vec::Vec;
use core::ops::Range;

use super::assembly::Assembly;
use super::{Core, HandshakeState, State};
use crate::close::{CloseFrame, CloseParseError};
use crate::error::{ConnectionError, ProtocolError};
use crate::extension::{Decoded, Extension, ExtensionError};
use crate::frame::{FrameHeader, OpCode, Rsv, apply_mask};
use crate::utf8::Utf8Validator;
use crate::{MessageKind, ReceiveMode};

/// Received bytes not yet decoded, and the buffers messages are assembled in.
#[derive(Debug, Default)]
pub(crate) struct Input {
    /// `buf[start..end]` holds bytes not yet decoded; `buf[end..]` is free space to read into.
    pub(crate) buf: Vec<u8>,
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// A message being assembled from several pieces.
    pub(crate) assembly: Assembly,
    /// The whole message the last poll handed out; forgotten at the next poll or input.
    pub(crate) emitted: Emitted,
    /// Output of an extension's decoder in partial mode.
    pub(crate) scratch: Vec<u8>,
    /// Free space the next read is offered, beyond `Config::read_size`: doubles while reads fill
    /// what they are offered (bytes are arriving faster than one read takes them), halves when
    /// they use less than a quarter. Grown only by bytes that arrived, never by a declared
    /// length.
    read_hint: usize,
    /// Free space the last [`spare`](Self::spare) offered, until its [`commit`](Self::commit).
    offered: usize,
    /// Set while a read goes straight into `assembly`: the space offered (see
    /// [`Core::prepare_direct_read`]).
    direct: Option<usize>,
    /// A large frame ended in a direct read: the next read into `buf` is kept small (see
    /// [`SMALL_READ_AFTER`]).
    after_direct: bool,
}

/// Where the whole message handed out by the last poll is.
#[derive(Debug, Default)]
pub(crate) enum Emitted {
    #[default]
    None,
    /// In `Input::buf`.
    Buf(Range<usize>),
    /// In `Input::assembly`.
    Assembly,
}

/// The buffers shrink back to this after a large message, so idle connections stay small.
const KEEP_CAPACITY: usize = 1 << 20;

/// The most free space one read is offered while reads keep filling the buffer.
const MAX_READ: usize = 1 << 20;

/// A read goes straight into the assembly buffer when at least this much of a large frame's
/// payload is still to come (and nothing else is buffered): the payload is then unmasked where
/// it landed, never copied.
const DIRECT_MIN: u64 = 32 << 10;

/// After a frame at least this large arrived by direct reads, the next read into the input
/// buffer is kept to `Config::read_size`: what comes with the next header is copied, and for
/// frames this large a read of its own for the rest costs less than the copy. (Smaller frames
/// gain more from reading many at once.)
const SMALL_READ_AFTER: u64 = 256 << 10;

/// Most bytes an extension decodes into one piece of partial mode, so a small compressed piece
/// that inflates a lot is handed out in steps and memory stays constant.
pub(crate) const PARTIAL_DECODE_STEP: usize = 64 << 10;

impl Input {
    /// Undecoded bytes.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Free space to read into: at least `read_size` bytes, more while reads keep filling what
    /// they are offered (up to [`MAX_READ`]). Undecoded bytes move to the front first.
    pub(crate) fn spare(&mut self, read_size: usize) -> &mut [u8] {
        if core::mem::take(&mut self.after_direct) {
            // A large frame before came by direct reads, so this one is likely large too: read
            // little more than its header here (what comes with it is copied), and the rest
            // of its payload goes straight to the assembly buffer. The hint is left alone.
            self.make_room(read_size);
            self.offered = 0;
            return &mut self.buf[self.end..self.end + read_size];
        }
        let want = self.read_want(read_size);
        self.make_room(want);
        self.offered = self.buf.len() - self.end;
        &mut self.buf[self.end..]
    }

    /// Where the next read goes: the assembly buffer when a direct read was prepared, else the
    /// input buffer's free space (see [`spare`](Self::spare)).
    pub(crate) fn read_space(&mut self, read_size: usize) -> &mut [u8] {
        match self.direct {
            Some(want) => self.assembly.spare(want),
            None => self.spare(read_size),
        }
    }

    /// Marks `n` bytes of the space from [`spare`](Self::spare) as filled.
    pub(crate) fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
        self.adapt(n);
    }

    /// How much the next read is offered: at least `read_size`, more while reads keep filling
    /// what they are offered (up to [`MAX_READ`]).
    fn read_want(&self, read_size: usize) -> usize {
        self.read_hint.clamp(read_size, MAX_READ.max(read_size))
    }

    /// Adjusts the read hint to a read of `n` bytes.
    fn adapt(&mut self, n: usize) {
        let offered = core::mem::take(&mut self.offered);
        if offered > 0 && n >= offered {
            self.read_hint = offered.saturating_mul(2).min(MAX_READ);
        } else if n < offered / 4 {
            self.read_hint /= 2;
        }
    }

    /// Forgets a direct read prepared but not made (input is arriving another way).
    fn cancel_direct(&mut self) {
        self.direct = None;
    }

    /// Appends bytes (not a read: the read size is left alone).
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.cancel_direct();
        self.make_room(data.len());
        self.buf[self.end..self.end + data.len()].copy_from_slice(data);
        self.end += data.len();
    }

    /// Makes `buf[end..]` at least `want` bytes long, first moving undecoded bytes to the front
    /// when that makes the room; releases a large buffer once it is empty and reads are small.
    fn make_room(&mut self, want: usize) {
        // Bytes may move: a message handed out is forgotten.
        self.release();
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.buf.len() > 2 * want {
                self.buf = Vec::new();
            }
            if self.assembly.is_empty() {
                self.assembly.clear_and_shrink(KEEP_CAPACITY.max(2 * want));
            }
        } else if self.start > 0 && self.buf.len() - self.end < want {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < want {
            self.buf.resize(self.end + want, 0);
        }
    }

    /// Forgets a message handed out at the previous poll.
    pub(crate) fn release(&mut self) {
        if let Emitted::Assembly = core::mem::take(&mut self.emitted) {
            self.assembly.clear_and_shrink(KEEP_CAPACITY);
        }
    }

    /// Moves the message handed out at the last poll into `buf`: swapped in when assembled,
    /// copied when it is in the input buffer.
    pub(crate) fn take_message(&mut self, buf: &mut Vec<u8>) -> bool {
        match core::mem::take(&mut self.emitted) {
            Emitted::None => return false,
            Emitted::Buf(range) => {
                buf.clear();
                buf.extend_from_slice(&self.buf[range]);
            }
            Emitted::Assembly => {
                // `buf`'s allocation assembles the next message, unless it is much larger than
                // the messages arriving (it is released once reads turn small, see
                // `make_room`).
                self.assembly.swap_into(buf);
                if self.assembly.capacity() > 2 * buf.len() {
                    self.assembly.clear_and_shrink(KEEP_CAPACITY);
                }
            }
        }
        true
    }
}

/// The frame whose payload is being received.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InFrame {
    opcode: OpCode,
    fin: bool,
    mask: Option<[u8; 4]>,
    /// Payload bytes still to come.
    remaining: u64,
    /// The whole payload's length.
    len: u64,
    /// Position in the masking key of the next payload byte.
    phase: usize,
}

/// The data message being received.
#[derive(Debug)]
pub(crate) struct InMessage {
    kind: MessageKind,
    mode: ReceiveMode,
    /// Extension bits of the first frame: the message is to be decoded by the extension.
    rsv: Rsv,
    utf8: Utf8Validator,
    /// Payload bytes received so far (decoded bytes when an extension transforms it).
    size: u64,
    fragments: u32,
    /// The extension stopped at the partial-mode step with more output pending for a piece;
    /// `Some(fin)` of that piece.
    decode_more: Option<bool>,
    /// The whole message is in the assembly buffer (its last bytes came by a direct read).
    complete: bool,
}

/// What a decoding step produced; turned into an [`Event`](crate::Event) by the caller, which
/// borrows the bytes.
#[derive(Debug)]
pub(crate) enum Step {
    /// Nothing more to report until more input arrives (or a command is given).
    Pending,
    Request,
    Open,
    /// A whole message in `Input::buf`, not yet checked for UTF-8 if text.
    Whole(MessageKind, Range<usize>),
    /// A whole message in `Input::assembly`, already validated.
    Assembled(MessageKind),
    /// A piece of a message, in `Input::buf` or (`scratch`) `Input::scratch`.
    Data {
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

    /// Prepares the next read to go straight into the assembly buffer when the frame being
    /// received is a large part of a whole message and nothing else is buffered: its payload
    /// then lands where the message is assembled, with no copy out of the input buffer.
    pub(crate) fn prepare_direct_read(&self, input: &mut Input) {
        let (Some(frame), Some(message)) = (self.frame.as_ref(), self.message.as_ref()) else {
            return;
        };
        let direct = matches!(self.state, State::Open | State::Closing)
            && !frame.opcode.is_control()
            && frame.remaining >= DIRECT_MIN
            && message.mode == ReceiveMode::Message
            && message.rsv.is_empty()
            && input.start == input.end;
        if !direct || input.direct.is_some() {
            return;
        }
        // As much as a read is offered, and no more than the frame still holds (the next header
        // goes to the input buffer).
        let want = input.read_want(self.config.read_size);
        let want = usize::try_from(frame.remaining).map_or(want, |r| r.min(want));
        input.release();
        input.direct = Some(want);
        input.offered = want;
    }

    /// `n` bytes arrived where [`prepare_direct_read`](Self::prepare_direct_read) offered:
    /// unmask and check them in place. `false`: the read went to the input buffer.
    pub(crate) fn commit_direct(&mut self, input: &mut Input, n: usize) -> bool {
        let Some(want) = input.direct.take() else {
            return false;
        };
        input.adapt(n);
        let (Some(mut frame), Some(message)) = (self.frame, self.message.as_mut()) else {
            return true;
        };
        let piece = input.assembly.commit(n.min(want));
        if let Some(key) = frame.mask {
            apply_mask(piece, key, frame.phase);
        }
        frame.remaining -= piece.len() as u64;
        frame.phase = (frame.phase + piece.len()) & 3;
        message.size += piece.len() as u64;
        let fin = frame.remaining == 0 && frame.fin;
        if let Err(e) = check_text(message, piece, fin) {
            self.fail(e);
            return true;
        }
        self.frame = (frame.remaining > 0).then_some(frame);
        input.after_direct = frame.remaining == 0 && frame.len >= SMALL_READ_AFTER;
        message.complete = fin;
        true
    }

    /// One step of the opening handshake. `None`: the state changed, step again.
    fn step_handshake(&mut self, input: &mut Input) -> Option<Step> {
        let limits = self.config.handshake_limits;
        match &mut self.handshake {
            HandshakeState::Client(hs) => {
                match hs.poll_response(input.pending(), self.eof, &limits) {
                    Ok(None) => Some(Step::Pending),
                    Ok(Some((response, used))) => {
                        input.start += used;
                        #[cfg(feature = "deflate")]
                        if let Err(e) = self.deflate_response(&response) {
                            self.fail(e.into());
                            return None;
                        }
                        self.negotiated.protocol = response.protocol().map(Into::into);
                        self.negotiated.extensions = response.extensions().to_vec();
                        self.response = Some(response);
                        self.handshake = HandshakeState::Done;
                        self.become_open();
                        self.open_pending = false;
                        Some(Step::Open)
                    }
                    Err(e) => {
                        self.fail(e.into());
                        None
                    }
                }
            }
            HandshakeState::Server(hs) => match hs.poll_request(input.pending(), &limits) {
                Ok(None) if self.eof => {
                    self.fail(ConnectionError::Abnormal);
                    None
                }
                Ok(None) => Some(Step::Pending),
                Ok(Some((request, used))) => {
                    input.start += used;
                    self.request = Some(request);
                    self.handshake = HandshakeState::AwaitingAccept;
                    Some(Step::Request)
                }
                Err(e) => {
                    if let Some(reject) = e.rejection() {
                        reject.write(self.out.raw_buf());
                    }
                    self.fail(e.into());
                    None
                }
            },
            HandshakeState::AwaitingAccept if self.eof => {
                self.fail(ConnectionError::Abnormal);
                None
            }
            HandshakeState::AwaitingAccept | HandshakeState::Done => Some(Step::Pending),
        }
    }

    /// One step of frame decoding. `None`: the state changed, step again.
    fn step_frame(&mut self, input: &mut Input) -> Option<Step> {
        if let Some(message) = self.message.take_if(|m| m.complete) {
            self.stats.messages_received += 1;
            return Some(Step::Assembled(message.kind));
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
                Ok(Some((header, len))) => match self.begin_frame(&header) {
                    Ok(frame) => {
                        input.start += len;
                        self.frame = Some(frame);
                        frame
                    }
                    Err(e) => {
                        self.fail(e);
                        return None;
                    }
                },
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
                    if self.config.auto_pong && self.state == State::Open {
                        self.out.queue_pong(&input.buf[range.clone()]);
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
        self.deliver(input, range, fin)
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
                ReceiveMode::Partial if range.is_empty() && !fin => Ok(None),
                ReceiveMode::Partial => {
                    check_text(message, &input.buf[range.clone()], fin).map(|()| {
                        Some(Step::Data {
                            kind,
                            range,
                            scratch: false,
                            fin,
                        })
                    })
                }
                // The whole message is this one piece: hand it out from the input buffer.
                ReceiveMode::Message if fin && message.size == range.len() as u64 => {
                    Ok(Some(Step::Whole(kind, range)))
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
                    self.message = None;
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

    /// Handles a received close frame (§5.5.1, §7.1.5).
    fn on_close_frame(&mut self, payload: &[u8]) {
        let frame = match CloseFrame::parse(payload) {
            Ok(frame) => frame,
            Err(CloseParseError::OneBytePayload) => {
                return self.fail(ProtocolError::CloseOneByte.into());
            }
            Err(CloseParseError::InvalidCode(code)) => {
                return self.fail(ProtocolError::InvalidCloseCode(code).into());
            }
            Err(CloseParseError::InvalidUtf8) => return self.fail(ConnectionError::InvalidUtf8),
        };
        if self.state == State::Open {
            // §5.5.1: "If an endpoint receives a Close frame and did not previously send a
            // Close frame, the endpoint MUST send a Close frame in response ... typically
            // echoing the status code it received."
            let code = frame.code;
            self.send_close_frame(code, "");
        }
        self.finish_close(Ok(frame));
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
    let partial = message.mode == ReceiveMode::Partial;
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
    let partial = message.mode == ReceiveMode::Partial;
    let before = out.len();
    let room = usize::try_from(limit.saturating_sub(message.size)).unwrap_or(usize::MAX);
    // Partial mode hands decoded bytes out in bounded steps; whole messages get all the room.
    let step = if partial {
        room.min(PARTIAL_DECODE_STEP)
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
        ReceiveMode::Partial if produced.is_empty() && !fin => None,
        ReceiveMode::Partial => Some(Step::Data {
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

/// Validates the next piece of a text message, failing at the first invalid byte (§8.1).
fn check_text(message: &mut InMessage, piece: &[u8], fin: bool) -> Result<(), ConnectionError> {
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
