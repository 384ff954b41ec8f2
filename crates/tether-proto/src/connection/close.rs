//! How a connection ends: the close handshake (RFC 6455 §5.5.1, §7.1.2–§7.1.5) and failing the
//! connection (§7.1.7).

use alloc::boxed::Box;

use super::timer::Timers;
use super::{Core, State};
use crate::close::{CloseFrame, CloseParseError};
use crate::error::{ConnectionError, ProtocolError, SendError};
use crate::frame::{MAX_CONTROL_PAYLOAD, OpCode, Rsv};
use crate::{CloseCode, Event, Instant, MAX_REASON_LEN, Role};

impl Core {
    /// Starts the close handshake (see [`Connection::close`]).
    ///
    /// [`Connection::close`]: super::Connection::close
    pub(crate) fn close(
        &mut self,
        now: Instant,
        code: CloseCode,
        reason: &str,
    ) -> Result<(), SendError> {
        self.ensure_open()?;
        if code == CloseCode::NO_STATUS {
            if !reason.is_empty() {
                return Err(SendError::InvalidCloseCode(code.as_u16()));
            }
        } else if !code.is_sendable() {
            return Err(SendError::InvalidCloseCode(code.as_u16()));
        }
        if reason.len() > MAX_REASON_LEN {
            return Err(SendError::ReasonTooLong(reason.len()));
        }
        self.send_close_frame(code, reason);
        self.state = State::Closing;
        self.timers.close = Some(now + self.config.close_timeout);
        Ok(())
    }

    /// Handles a received close frame (§5.5.1, §7.1.5).
    pub(crate) fn on_close_frame(&mut self, payload: &[u8]) {
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
            // echoing the status code it received." The reason goes back too, as Node `ws`,
            // Python `websockets` and tungstenite do.
            self.send_close_frame(frame.code, &frame.reason);
        }
        self.finish_close(Ok(frame));
    }

    /// Queues a close frame; nothing is sent after it (§5.5.1). A reason past
    /// [`MAX_REASON_LEN`] is cut at a character boundary (callers check it first).
    pub(crate) fn send_close_frame(&mut self, code: CloseCode, reason: &str) {
        let mut payload = [0; MAX_CONTROL_PAYLOAD];
        let len = if code == CloseCode::NO_STATUS {
            0
        } else {
            let mut cut = reason.len().min(MAX_REASON_LEN);
            while !reason.is_char_boundary(cut) {
                cut -= 1;
            }
            let reason = &reason.as_bytes()[..cut];
            payload[..2].copy_from_slice(&code.as_u16().to_be_bytes());
            payload[2..2 + reason.len()].copy_from_slice(reason);
            2 + reason.len()
        };
        self.out.drop_held_pong();
        self.out.frame(
            &mut *self.entropy,
            OpCode::Close,
            true,
            Rsv::NONE,
            &payload[..len],
        );
        self.close_sent = true;
        self.sending = None;
    }

    /// The close handshake is complete (§7.1.4): the server closes the transport at once, the
    /// client waits for the server to do so, up to the close timeout (§7.1.1).
    pub(crate) fn finish_close(&mut self, result: Result<CloseFrame, ConnectionError>) {
        self.state = State::Closed;
        self.result = Some(Box::new(result));
        self.timers = Timers {
            last_input: self.timers.last_input,
            ..Timers::default()
        };
        if self.role == Role::Server || self.eof {
            self.shutdown = true;
        } else {
            self.timers.close = Some(self.timers.last_input + self.config.close_timeout);
        }
    }

    /// _Fail the WebSocket Connection_ (§7.1.7): send a close frame with the error's code if the
    /// connection was established and none was sent, then close the transport. The first
    /// failure sticks; nothing more is decoded.
    pub(crate) fn fail(&mut self, error: ConnectionError) {
        if self.state == State::Closed {
            return;
        }
        let code = error.close_code();
        if self.state == State::Open && !self.close_sent && code.is_sendable() {
            self.send_close_frame(code, reason_for(&error));
        }
        self.out.drop_held_pong();
        self.state = State::Closed;
        self.result = Some(Box::new(Err(error)));
        self.timers = Timers::default();
        self.shutdown = true;
        self.frame = None;
        self.message = None;
    }

    pub(crate) fn closed_event(&self) -> Option<Event<'_>> {
        self.result.as_deref().map(|r| Event::Closed(r.as_ref()))
    }
}

/// A short, detail-free reason for the close frame a failure sends.
fn reason_for(error: &ConnectionError) -> &'static str {
    match error {
        ConnectionError::Protocol(_) => "protocol error",
        ConnectionError::InvalidUtf8 => "invalid UTF-8",
        ConnectionError::MessageTooBig { .. } | ConnectionError::TooManyFragments { .. } => {
            "message too big"
        }
        ConnectionError::FrameTooBig { .. } => "frame too big",
        ConnectionError::KeepaliveTimeout => "keepalive timeout",
        _ => "",
    }
}
