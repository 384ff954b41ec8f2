//! A raw peer: a TCP connection that does the opening handshake by hand, sends hand-built
//! frames ([`Frame`]) to a tether endpoint and reads back exactly what tether sends, frame by
//! frame ([`RawPeer::read_frame`]), checking the rules for tether's frames (masking by role, no RSV
//! bits). The conformance suite and the adapter scenarios use it to see every byte: each
//! pong, the close frame's code and reason, the end of TCP.
//!
//! [`against`] starts tether (either adapter, in either role) on a thread and hands back the
//! raw peer connected to it.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use tether_proto::handshake::accept_key;
use tether_std::{ClientConfig, Error, ServerConfig};

use crate::adapter::Adapter;
use crate::loopback::Task;

/// How long the raw peer waits for each thing it reads (a socket read timeout).
pub const READ_BOUND: Duration = Duration::from_secs(2);

/// The role tether plays against the raw peer.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum Role {
    /// tether accepts; the raw peer is the client and masks its frames.
    Server,
    /// tether connects; the raw peer is a server that answers the upgrade by hand and does not
    /// mask.
    Client,
}

impl Role {
    /// Both roles.
    pub const ALL: [Self; 2] = [Self::Server, Self::Client];
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Server => "server",
            Self::Client => "client",
        })
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

/// A frame tether sent.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct RxFrame {
    /// FIN bit.
    pub fin: bool,
    /// The opcode.
    pub opcode: u8,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

impl RxFrame {
    /// The close code of a close frame (1005 when it has none).
    pub fn close_code(&self) -> u16 {
        match self.payload.as_slice() {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => 1005,
        }
    }

    /// The close reason of a close frame (lossy UTF-8).
    pub fn close_reason(&self) -> String {
        String::from_utf8_lossy(self.payload.get(2..).unwrap_or_default()).into_owned()
    }

    /// Whether this is a pong with this payload.
    pub fn is_pong(&self, payload: &[u8]) -> bool {
        self.opcode == op::PONG && self.payload == payload
    }

    /// A short description: kind, size, close code.
    pub fn describe(&self) -> String {
        let name = match self.opcode {
            op::CONT => "continuation",
            op::TEXT => "text",
            op::BINARY => "binary",
            op::CLOSE => "close",
            op::PING => "ping",
            op::PONG => "pong",
            _ => "reserved-opcode",
        };
        let code = if self.opcode == op::CLOSE {
            format!(" code {}", self.close_code())
        } else {
            String::new()
        };
        format!(
            "{name} frame ({} bytes, fin={}){code}",
            self.payload.len(),
            self.fin
        )
    }
}

/// What one read of a frame gave.
#[derive(Debug)]
pub enum Got {
    /// A frame.
    Frame(RxFrame),
    /// EOF or reset: the TCP connection ended (how).
    Closed(&'static str),
}

/// The key the raw client sends.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// The byte stream a raw peer speaks over: a TCP connection, or one HTTP/2 stream
/// ([`crate::http2::H2Io`]).
pub trait RawIo: Read + Write + Send + fmt::Debug {
    /// Bounds each read: past it, a read fails with `WouldBlock` or `TimedOut`.
    ///
    /// # Errors
    ///
    /// When the transport refuses it.
    fn set_read_timeout(&mut self, bound: Duration) -> io::Result<()>;
    /// Ends the sending side (a TCP FIN, or HTTP/2's END_STREAM).
    fn shutdown_write(&mut self);

    /// Prepares an abortive end: once dropped, the transport is reset (TCP RST, or HTTP/2
    /// RST_STREAM), not closed.
    fn abort(&mut self);
}

impl RawIo for TcpStream {
    fn set_read_timeout(&mut self, bound: Duration) -> io::Result<()> {
        Self::set_read_timeout(self, Some(bound))
    }

    fn shutdown_write(&mut self) {
        let _ = self.shutdown(Shutdown::Write);
    }

    fn abort(&mut self) {
        // A zero linger time makes the close that follows (the drop) send RST, not FIN.
        let _ = socket2::SockRef::from(&*self).set_linger(Some(Duration::ZERO));
    }
}

/// A connection (TCP, or an HTTP/2 stream) to a tether endpoint after a hand-made opening
/// handshake.
#[derive(Debug)]
pub struct RawPeer {
    stream: Box<dyn RawIo>,
    buf: Vec<u8>,
    role: Role,
    /// How long a read waits.
    bound: Duration,
}

impl RawPeer {
    /// A raw client: connects to the tether server at `addr` and upgrades (with `early` in the
    /// same write as the request); checks the 101 and its accept key.
    ///
    /// # Errors
    ///
    /// What went wrong, as text.
    pub fn upgrade(addr: SocketAddr, early: &[u8]) -> Result<Self, String> {
        let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
        prepare(&stream)?;
        let request = format!(
            "GET /raw HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream
            .write_all(&[request.as_bytes(), early].concat())
            .map_err(|e| e.to_string())?;
        let (head, leftover) = read_head(&mut stream)?;
        if !head.starts_with("HTTP/1.1 101") {
            return Err(format!("expected 101, got {head:?}"));
        }
        let expected = format!("sec-websocket-accept: {}", accept_key(KEY.as_bytes()));
        if !head
            .to_ascii_lowercase()
            .contains(&expected.to_ascii_lowercase())
        {
            return Err(format!("wrong or missing accept key in {head:?}"));
        }
        Ok(Self::over(Box::new(stream), leftover, Role::Server))
    }

    /// A raw peer over a stream whose opening handshake is done: `leftover` are bytes already
    /// read after it; `role` is tether's.
    pub fn over(stream: Box<dyn RawIo>, leftover: Vec<u8>, role: Role) -> Self {
        Self {
            stream,
            buf: leftover,
            role,
            bound: READ_BOUND,
        }
    }

    /// A raw server: accepts one connection on `listener` from a tether client and answers its
    /// upgrade request by hand (with `early` in the same write as the 101).
    ///
    /// # Errors
    ///
    /// What went wrong, as text.
    pub fn answer_upgrade(listener: &TcpListener, early: &[u8]) -> Result<Self, String> {
        let (mut stream, _) = listener.accept().map_err(|e| e.to_string())?;
        prepare(&stream)?;
        let (head, leftover) = read_head(&mut stream)?;
        if !leftover.is_empty() {
            return Err("the client sent bytes before the 101".into());
        }
        let key = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("sec-websocket-key")
                    .then(|| value.trim().to_string())
            })
            .ok_or_else(|| format!("no Sec-WebSocket-Key in {head:?}"))?;
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            accept_key(key.as_bytes())
        );
        stream
            .write_all(&[response.as_bytes(), early].concat())
            .map_err(|e| e.to_string())?;
        Ok(Self::over(Box::new(stream), leftover, Role::Client))
    }

    /// The role tether plays.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Writes bytes as they are.
    ///
    /// # Errors
    ///
    /// The write failed (tether may have closed already).
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Sends `frames` in one write, masked as the role requires.
    ///
    /// # Errors
    ///
    /// The write failed (tether may have closed already).
    pub fn send(&mut self, frames: &[Frame]) -> io::Result<()> {
        let bytes: Vec<u8> = frames.iter().flat_map(|f| f.encode(self.role)).collect();
        self.write(&bytes)
    }

    /// Resets the connection (TCP RST, or HTTP/2 RST_STREAM), with no close frame and no FIN.
    pub fn abort(mut self) {
        self.stream.abort();
    }

    /// Ends the sending side (TCP FIN, or HTTP/2 END_STREAM).
    pub fn shutdown_write(&mut self) {
        self.stream.shutdown_write();
    }

    /// Sets how long each read waits.
    ///
    /// # Panics
    ///
    /// When the socket refuses it.
    pub fn set_read_bound(&mut self, bound: Duration) {
        self.stream.set_read_timeout(bound).expect("a read timeout");
        self.bound = bound;
    }

    /// The next frame tether sent, or the end of TCP; an error when nothing came within the
    /// read bound or tether broke a rule for its frames.
    ///
    /// # Errors
    ///
    /// As said, as text.
    pub fn read_frame(&mut self) -> Result<Got, String> {
        loop {
            if let Some(frame) = self.parse()? {
                return Ok(Got::Frame(frame));
            }
            let mut chunk = [0; 64 << 10];
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    return Ok(Got::Closed(if self.buf.is_empty() {
                        "TCP close"
                    } else {
                        "TCP close inside a frame"
                    }));
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(format!("nothing within {:?}", self.bound));
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                    ) =>
                {
                    return Ok(Got::Closed("TCP reset"));
                }
                Err(e) => return Err(format!("read failed: {e}")),
            }
        }
    }

    /// The next frame.
    ///
    /// # Panics
    ///
    /// When the connection ended or nothing came in time instead.
    pub fn frame(&mut self) -> RxFrame {
        match self.read_frame() {
            Ok(Got::Frame(f)) => f,
            Ok(Got::Closed(how)) => panic!("expected a frame from tether, got {how}"),
            Err(e) => panic!("expected a frame from tether: {e}"),
        }
    }

    /// Reads up to the end of TCP, passing over nothing: the next read must be the end.
    ///
    /// # Panics
    ///
    /// When a frame came first, or nothing within the read bound.
    pub fn expect_tcp_close(&mut self) {
        match self.read_frame() {
            Ok(Got::Closed(_)) => {}
            Ok(Got::Frame(f)) => panic!("expected TCP close, got {}", f.describe()),
            Err(e) => panic!("expected TCP close: {e}"),
        }
    }

    /// Closes like a well-behaved peer: a close with 1000, tether's answer (passing over what
    /// tether sent before it), TCP closed first by the server (§7.1.1) — the raw peer when it
    /// is one — then the end of TCP.
    ///
    /// # Panics
    ///
    /// When the answer is not 1000, or the connection does not end.
    pub fn close_normally(&mut self) {
        self.send(&[close(1000, "")]).expect("the close is written");
        loop {
            let frame = self.frame();
            if frame.opcode == op::CLOSE {
                assert_eq!(frame.close_code(), 1000, "{}", frame.describe());
                break;
            }
        }
        if self.role == Role::Client {
            self.shutdown_write();
        }
        self.expect_tcp_close();
    }

    /// Reads one frame from the buffer, if a whole one is there.
    fn parse(&mut self) -> Result<Option<RxFrame>, String> {
        let [b0, b1, rest @ ..] = self.buf.as_slice() else {
            return Ok(None);
        };
        let (b0, b1) = (*b0, *b1);
        let (len, mut at) = match b1 & 0x7f {
            126 => match rest.first_chunk::<2>() {
                Some(b) => (u64::from(u16::from_be_bytes(*b)), 4),
                None => return Ok(None),
            },
            127 => match rest.first_chunk::<8>() {
                Some(b) => (u64::from_be_bytes(*b), 10),
                None => return Ok(None),
            },
            n => (u64::from(n), 2),
        };
        let masked = b1 & 0x80 != 0;
        if masked != (self.role == Role::Client) {
            return Err(format!(
                "tether ({}) sent a frame with the mask bit {}",
                self.role,
                if masked { "set" } else { "clear" }
            ));
        }
        if b0 & 0x70 != 0 {
            return Err(format!(
                "tether sent a frame with RSV bits {:#x}",
                b0 & 0x70
            ));
        }
        let key = if masked {
            let Some(k) = self.buf.get(at..at + 4) else {
                return Ok(None);
            };
            at += 4;
            Some([k[0], k[1], k[2], k[3]])
        } else {
            None
        };
        let len = usize::try_from(len).map_err(|_| "frame length overflow".to_string())?;
        if self.buf.len() < at + len {
            return Ok(None);
        }
        let mut payload: Vec<u8> = self.buf[at..at + len].to_vec();
        if let Some(k) = key {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= k[i % 4];
            }
        }
        self.buf.drain(..at + len);
        Ok(Some(RxFrame {
            fin: b0 & 0x80 != 0,
            opcode: b0 & 0x0f,
            payload,
        }))
    }
}

fn prepare(stream: &TcpStream) -> Result<(), String> {
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(READ_BOUND))
        .map_err(|e| e.to_string())
}

/// Reads an HTTP head; returns it and the bytes after it.
fn read_head(stream: &mut TcpStream) -> Result<(String, Vec<u8>), String> {
    let mut buf = Vec::new();
    let mut chunk = [0; 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            return Ok((head, buf[end + 4..].to_vec()));
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err("EOF before the end of the HTTP head".into()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("reading the HTTP head: {e}")),
        }
    }
}

/// tether (adapter `A`) in `role`, set up with `server` or `client`, running `run` on its side
/// of the connection (on a thread), against a raw peer that did the handshake by hand: as a
/// client (with `early` after its request) or as a server (with `early` after its 101).
///
/// # Errors
///
/// The handshake failed, as text.
pub fn against<A, T, F>(
    role: Role,
    server: ServerConfig,
    client: ClientConfig,
    early: &[u8],
    run: F,
) -> Result<(RawPeer, Task<T>), String>
where
    A: Adapter,
    T: Send + 'static,
    F: FnOnce(Result<A::Socket, Error>) -> T + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    match role {
        Role::Server => {
            let task = Task::spawn(move || {
                let socket = listener
                    .accept()
                    .map_err(Error::from)
                    .and_then(|(tcp, _)| A::accept(tcp, &server));
                run(socket)
            });
            Ok((RawPeer::upgrade(addr, early)?, task))
        }
        Role::Client => {
            let task = Task::spawn(move || run(A::connect(&format!("ws://{addr}/raw"), &client)));
            Ok((RawPeer::answer_upgrade(&listener, early)?, task))
        }
    }
}
