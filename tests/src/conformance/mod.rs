//! The conformance kit: hand-built frames, a raw-TCP peer that speaks them to a tether endpoint
//! (a `tether-std` echo server, or a `tether-std` echo client talking to a fake server that does
//! the opening handshake by hand), a case table organised like the Autobahn case families, a
//! runner, and the Markdown report (`docs/conformance.md`).
//!
//! A [`Case`] is data: a list of [`Step`]s — bytes to send (whole, frame by frame, chopped, or
//! cut inside a frame) and what the tether endpoint must send back ([`Expect`]: an echoed
//! message, a pong, a close frame with one of some codes, the end of TCP) — each expectation
//! bounded by [`READ_BOUND`]. [`run_case`] runs one case in one role.

mod cases;
mod report;
mod runner;

pub use cases::cases;
pub use report::{Row, markdown};
pub use runner::{Outcome, run_case, run_family};

use std::fmt;

/// How long the raw peer waits for each thing it expects from tether (a socket read timeout).
pub const READ_BOUND: std::time::Duration = std::time::Duration::from_secs(2);

/// The role tether plays in a run.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum Role {
    /// A `tether-std` echo server (`accept`); the test is the client and masks its frames.
    Server,
    /// A `tether-std` echo client (`connect`); the test is the server and does not mask.
    Client,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Server => "server",
            Self::Client => "client",
        })
    }
}

/// Which roles a case applies to.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Roles {
    /// Both.
    Both,
    /// Only when tether is the server.
    ServerOnly,
    /// Only when tether is the client.
    ClientOnly,
}

impl Roles {
    /// Whether `role` runs this case.
    pub fn includes(self, role: Role) -> bool {
        matches!(
            (self, role),
            (Self::Both, _) | (Self::ServerOnly, Role::Server) | (Self::ClientOnly, Role::Client)
        )
    }
}

/// The case families (after the Autobahn testsuite's numbering).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// 1.x: payload lengths at every boundary, split writes, masking (RFC 6455 §5.2, §5.3).
    Framing,
    /// 2.x: pings and pongs (§5.5.2, §5.5.3).
    PingPong,
    /// 3.x: reserved bits (§5.2).
    ReservedBits,
    /// 4.x: reserved opcodes (§5.2).
    Opcodes,
    /// 5.x: fragmentation (§5.4).
    Fragmentation,
    /// 6.x: UTF-8 in text messages (§8.1).
    Utf8,
    /// 7.x: the closing handshake, codes and reasons (§5.5.1, §7).
    Close,
    /// 9.x-like: size limits (§10.4, 1009).
    Limits,
}

impl Family {
    /// Every family, in report order.
    pub const ALL: [Self; 8] = [
        Self::Framing,
        Self::PingPong,
        Self::ReservedBits,
        Self::Opcodes,
        Self::Fragmentation,
        Self::Utf8,
        Self::Close,
        Self::Limits,
    ];

    /// The family's heading in the report.
    pub fn title(self) -> &'static str {
        match self {
            Self::Framing => "1 Framing (RFC 6455 §5.2, §5.3)",
            Self::PingPong => "2 Ping and pong (§5.5.2, §5.5.3)",
            Self::ReservedBits => "3 Reserved bits (§5.2)",
            Self::Opcodes => "4 Reserved opcodes (§5.2)",
            Self::Fragmentation => "5 Fragmentation (§5.4)",
            Self::Utf8 => "6 UTF-8 (§5.6, §8.1)",
            Self::Close => "7 Close handling (§5.5.1, §7)",
            Self::Limits => "9 Limits (§10.4, close code 1009)",
        }
    }
}

/// Opcodes (RFC 6455 §5.2).
pub mod op {
    /// Continuation.
    pub const CONT: u8 = 0x0;
    /// Text.
    pub const TEXT: u8 = 0x1;
    /// Binary.
    pub const BINARY: u8 = 0x2;
    /// Close.
    pub const CLOSE: u8 = 0x8;
    /// Ping.
    pub const PING: u8 = 0x9;
    /// Pong.
    pub const PONG: u8 = 0xa;
}

/// Whether the peer masks a frame it sends.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Masking {
    /// As the peer's role requires: masked towards a tether server, unmasked towards a client.
    Auto,
    /// Always masked (a server that masks: a protocol error for a tether client).
    Masked,
    /// Never masked (a client that does not mask: a protocol error for a tether server).
    Unmasked,
}

/// The mask key the peer uses (fixed, so every run sends the same bytes).
pub const MASK_KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame the raw peer sends, built by hand.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Frame {
    /// FIN bit.
    pub fin: bool,
    /// RSV1..RSV3 as a 3-bit number (RSV1 = 4).
    pub rsv: u8,
    /// The 4-bit opcode.
    pub opcode: u8,
    /// The payload bytes (unmasked).
    pub payload: Vec<u8>,
    /// A declared payload length other than `payload.len()` (to send a header alone, or lie).
    pub declared_len: Option<u64>,
    /// Masking.
    pub masking: Masking,
}

impl Frame {
    /// A frame with FIN set and this opcode and payload.
    pub fn new(opcode: u8, payload: impl Into<Vec<u8>>) -> Self {
        Self {
            fin: true,
            rsv: 0,
            opcode,
            payload: payload.into(),
            declared_len: None,
            masking: Masking::Auto,
        }
    }

    /// Sets FIN.
    #[must_use]
    pub fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }

    /// Sets the reserved bits (RSV1 = 4, RSV2 = 2, RSV3 = 1).
    #[must_use]
    pub fn rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv;
        self
    }

    /// Declares this payload length in the header.
    #[must_use]
    pub fn declared_len(mut self, len: u64) -> Self {
        self.declared_len = Some(len);
        self
    }

    /// Sets the masking.
    #[must_use]
    pub fn masking(mut self, masking: Masking) -> Self {
        self.masking = masking;
        self
    }

    /// The header's length on the wire when sent towards `role`.
    pub fn header_len(&self, role: Role) -> usize {
        let len = self.declared_len.unwrap_or(self.payload.len() as u64);
        let ext = match len {
            0..=125 => 0,
            126..=0xffff => 2,
            _ => 8,
        };
        2 + ext + if self.is_masked(role) { 4 } else { 0 }
    }

    fn is_masked(&self, role: Role) -> bool {
        match self.masking {
            Masking::Auto => role == Role::Server,
            Masking::Masked => true,
            Masking::Unmasked => false,
        }
    }

    /// The frame's bytes as sent to a tether endpoint in `role`.
    pub fn encode(&self, role: Role) -> Vec<u8> {
        let len = self.declared_len.unwrap_or(self.payload.len() as u64);
        let mut out = Vec::with_capacity(self.payload.len() + 14);
        out.push(u8::from(self.fin) << 7 | (self.rsv & 7) << 4 | (self.opcode & 0x0f));
        let mask_bit = if self.is_masked(role) { 0x80 } else { 0 };
        match len {
            0..=125 => out.push(mask_bit | len as u8),
            126..=0xffff => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&len.to_be_bytes());
            }
        }
        if self.is_masked(role) {
            out.extend_from_slice(&MASK_KEY);
            out.extend(
                self.payload
                    .iter()
                    .enumerate()
                    .map(|(i, b)| b ^ MASK_KEY[i % 4]),
            );
        } else {
            out.extend_from_slice(&self.payload);
        }
        out
    }
}

/// A final text frame.
pub fn text(payload: impl Into<Vec<u8>>) -> Frame {
    Frame::new(op::TEXT, payload)
}

/// A final binary frame.
pub fn binary(payload: impl Into<Vec<u8>>) -> Frame {
    Frame::new(op::BINARY, payload)
}

/// A final continuation frame.
pub fn cont(payload: impl Into<Vec<u8>>) -> Frame {
    Frame::new(op::CONT, payload)
}

/// A ping.
pub fn ping(payload: impl Into<Vec<u8>>) -> Frame {
    Frame::new(op::PING, payload)
}

/// A pong.
pub fn pong(payload: impl Into<Vec<u8>>) -> Frame {
    Frame::new(op::PONG, payload)
}

/// A close frame with a code and reason.
pub fn close(code: u16, reason: impl AsRef<[u8]>) -> Frame {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_ref());
    Frame::new(op::CLOSE, payload)
}

/// A close frame with this raw payload.
pub fn close_raw(payload: impl Into<Vec<u8>>) -> Frame {
    Frame::new(op::CLOSE, payload)
}

/// How a [`Step::Send`] writes its frames.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Delivery {
    /// All frames in one `write`.
    Whole,
    /// One `write` per frame.
    Framewise,
    /// `write`s of this many bytes.
    Chopped(usize),
}

/// Which bytes of the frames a [`Step::SendPart`] writes: the frames are encoded, and the cut
/// lies `n` payload bytes into the last frame (after its header).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Part {
    /// Everything before the cut.
    Head(usize),
    /// Everything from the cut on.
    Tail(usize),
}

/// What the raw peer expects tether to send next.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Expect {
    /// A whole data message (its frames assembled): opcode (text or binary) and payload.
    Message(u8, Vec<u8>),
    /// A pong with this payload.
    Pong(Vec<u8>),
    /// Pongs for these pings, in order; some may be left out (RFC 6455 §5.5.3 allows answering
    /// only the most recent ping), but the last one must come.
    Pongs(Vec<Vec<u8>>),
    /// A close frame with one of these codes (1005: an empty close payload).
    Close(Vec<u16>),
    /// The end of the TCP connection (EOF or reset), with nothing before it.
    TcpClose,
}

impl Expect {
    /// A short description for the report.
    pub fn describe(&self) -> String {
        match self {
            Self::Message(op::TEXT, p) => format!("text({})", p.len()),
            Self::Message(_, p) => format!("binary({})", p.len()),
            Self::Pong(p) => format!("pong({})", p.len()),
            Self::Pongs(p) => format!("pongs(≤{})", p.len()),
            Self::Close(codes) => {
                let codes: Vec<String> = codes.iter().map(u16::to_string).collect();
                format!("close {}", codes.join("/"))
            }
            Self::TcpClose => "TCP close".into(),
        }
    }
}

/// One step of a case.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Step {
    /// Send these frames.
    Send(Vec<Frame>, Delivery),
    /// Send part of these frames (to stop inside the last one).
    SendPart(Vec<Frame>, Part),
    /// Wait this many milliseconds.
    Pause(u64),
    /// Read what tether sends and check it, within [`READ_BOUND`].
    Expect(Expect),
}

/// One conformance case.
#[derive(Clone, Debug)]
pub struct Case {
    /// A stable identifier: the family's number and an index (e.g. `5.6`).
    pub id: String,
    /// The family.
    pub family: Family,
    /// What the case does.
    pub title: String,
    /// The roles it runs in.
    pub roles: Roles,
    /// The tether endpoint's `max_message_size`, when not the default.
    pub max_message_size: Option<u64>,
    /// Frames sent in the same write as the end of the opening handshake (the client's
    /// request, or the fake server's 101 response).
    pub with_handshake: Vec<Frame>,
    /// The steps.
    pub steps: Vec<Step>,
}

impl Case {
    /// What the case expects, in one line.
    pub fn expected(&self) -> String {
        let parts: Vec<String> = self
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Expect(e) => Some(e.describe()),
                _ => None,
            })
            .collect();
        parts.join(" → ")
    }

    /// Whether tether must end this connection as a failure (its first close frame carries a
    /// failure code: 1002, 1007 or 1009).
    pub fn expects_failure(&self) -> bool {
        self.steps.iter().find_map(|s| match s {
            Step::Expect(Expect::Close(codes)) => {
                Some(codes.iter().all(|c| matches!(c, 1002 | 1007 | 1009)))
            }
            _ => None,
        }) == Some(true)
    }
}
