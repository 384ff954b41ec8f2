//! The conformance suite: a case table organised like the Autobahn case families, run over
//! loopback TCP by a raw peer ([`crate::raw`]) against a tether echo endpoint — tether-std
//! and tether-tokio, each as a server (the raw peer is a client that masks) and as a client
//! (the raw peer is a server that answers the upgrade by hand) — and the Markdown report
//! (`docs/conformance.md`).
//!
//! The same cases also run over an HTTP/2 stream (RFC 8441, [`Carrier::Http2`]): tether-tokio
//! behind hyper as the server, or its HTTP/2 client, against a raw peer on the `h2` crate.
//!
//! A [`Case`] is data: a list of [`Step`]s — bytes to send (whole, frame by frame, chopped, or
//! cut inside a frame) and what the tether endpoint must send back ([`Expect`]: an echoed
//! message, a pong, a close frame with one of some codes, the end of TCP) — each expectation
//! bounded by [`READ_BOUND`]. [`run_case`] runs one case against one [`Endpoint`].

mod cases;
mod report;
mod runner;

pub use cases::cases;
pub use report::{Row, markdown};
pub use runner::{Outcome, run_case, run_family};

pub use crate::raw::{
    Frame, MASK_KEY, Masking, READ_BOUND, Role, binary, close, close_raw, cont, op, ping, pong,
    text,
};

use std::fmt;

/// Which adapter runs the tether endpoint.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum Impl {
    /// tether-std.
    Std,
    /// tether-tokio.
    Tokio,
}

/// What carries the WebSocket between tether and the raw peer.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum Carrier {
    /// A TCP connection (an HTTP/1.1 upgrade).
    Tcp,
    /// One stream of an HTTP/2 connection (RFC 8441, h2c): tether-tokio behind hyper as the
    /// server, or its HTTP/2 client; the raw peer on the `h2` crate.
    Http2,
}

/// One tether endpoint a case runs against: an adapter in a role, over TCP or HTTP/2.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub struct Endpoint {
    /// The adapter.
    pub adapter: Impl,
    /// The role tether plays.
    pub role: Role,
    /// What carries the WebSocket.
    pub carrier: Carrier,
}

impl Endpoint {
    /// Every endpoint over TCP, in report order: std server, std client, tokio server, tokio
    /// client.
    pub const ALL: [Self; 4] = [
        Self::new(Impl::Std, Role::Server),
        Self::new(Impl::Std, Role::Client),
        Self::new(Impl::Tokio, Role::Server),
        Self::new(Impl::Tokio, Role::Client),
    ];

    /// The endpoints over HTTP/2: tokio server, tokio client.
    pub const HTTP2: [Self; 2] = [
        Self::over_http2(Role::Server),
        Self::over_http2(Role::Client),
    ];

    /// Every endpoint, in report order: those over TCP, then those over HTTP/2.
    pub const REPORTED: [Self; 6] = [
        Self::ALL[0],
        Self::ALL[1],
        Self::ALL[2],
        Self::ALL[3],
        Self::HTTP2[0],
        Self::HTTP2[1],
    ];

    /// `adapter` in `role`, over TCP.
    pub const fn new(adapter: Impl, role: Role) -> Self {
        Self {
            adapter,
            role,
            carrier: Carrier::Tcp,
        }
    }

    /// tether-tokio in `role`, over an HTTP/2 stream.
    pub const fn over_http2(role: Role) -> Self {
        Self {
            adapter: Impl::Tokio,
            role,
            carrier: Carrier::Http2,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let adapter = match self.adapter {
            Impl::Std => "std",
            Impl::Tokio => "tokio",
        };
        write!(f, "{adapter} {}", self.role)?;
        if self.carrier == Carrier::Http2 {
            f.write_str(" over HTTP/2")?;
        }
        Ok(())
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
    /// A close frame with one of these codes (1005: an empty close payload).
    Close(Vec<u16>),
    /// The end of the TCP connection (EOF or reset), with nothing before it.
    TcpClose,
    /// These (single-frame messages and pongs), in any order. Tether answers a ping as soon as
    /// it reads it, while the echo of a message read with it waits for the application: which
    /// goes first depends on where the reads fall.
    Unordered(Vec<Self>),
    /// This message, or nothing: the echo of a message read just before the connection ended
    /// (a close, or a protocol error that fails it). Tether decodes everything it reads at
    /// once, so the end usually comes first and the echo can no longer be sent; when the
    /// application got to the message before the rest was read, the echo comes first.
    Optional(Box<Self>),
}

impl Expect {
    /// A short description for the report.
    pub fn describe(&self) -> String {
        match self {
            Self::Message(op::TEXT, p) => format!("text({})", p.len()),
            Self::Message(_, p) => format!("binary({})", p.len()),
            Self::Pong(p) => format!("pong({})", p.len()),
            Self::Close(codes) => {
                let codes: Vec<String> = codes.iter().map(u16::to_string).collect();
                format!("close {}", codes.join("/"))
            }
            Self::TcpClose => "TCP close".into(),
            Self::Unordered(all) => {
                let all: Vec<String> = all.iter().map(Self::describe).collect();
                format!("{{{}}}", all.join(", "))
            }
            Self::Optional(e) => format!("[{}]", e.describe()),
        }
    }

    /// Whether `frame` is this expectation met by one frame (a single-frame message, a pong).
    pub(crate) fn is_met_by(&self, frame: &crate::raw::RxFrame) -> bool {
        match self {
            Self::Message(opcode, payload) => {
                frame.fin && frame.opcode == *opcode && frame.payload == *payload
            }
            Self::Pong(payload) => frame.is_pong(payload),
            _ => false,
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
