//! Runs a [`Case`] against a tether endpoint over loopback TCP.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tether_proto::handshake::accept_key;
use tether_std::{Accept, CloseFrame, Error, MessageKind, MessageSocket, SocketConfig};

use super::{Case, Delivery, Expect, Family, Frame, Part, READ_BOUND, Role, Step, op};

/// The result of one case in one role.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Whether everything expected arrived, in order and in time, and tether's own API
    /// reported the matching end (clean close or failure).
    pub pass: bool,
    /// What went wrong, or what tether reported locally.
    pub detail: String,
    /// Wall time from the first byte sent to the last check.
    pub elapsed: Duration,
}

/// The key the raw client sends, and the accept value it must get back (RFC 6455 §1.3).
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// Runs every case of `family` in `role` (those that apply) and returns the failures as
/// `(id, title, detail)`.
pub fn run_family(family: Family, role: Role) -> (usize, Vec<(String, String, String)>) {
    let mut ran = 0;
    let mut failures = Vec::new();
    for case in super::cases()
        .into_iter()
        .filter(|c| c.family == family && c.roles.includes(role))
    {
        ran += 1;
        let outcome = run_case(&case, role);
        if !outcome.pass {
            failures.push((case.id.clone(), case.title.clone(), outcome.detail));
        }
    }
    (ran, failures)
}

/// Runs one case with tether in `role`.
pub fn run_case(case: &Case, role: Role) -> Outcome {
    let mut config = SocketConfig::default()
        .keepalive_interval(None)
        .read_timeout(Some(Duration::from_secs(10)))
        .close_timeout(Duration::from_secs(5));
    if let Some(limit) = case.max_message_size {
        config = config.max_message_size(limit);
    }
    let start = Instant::now();
    let early: Vec<u8> = case
        .with_handshake
        .iter()
        .flat_map(|f| f.encode(role))
        .collect();
    let setup = match role {
        Role::Server => start_server(config, &early),
        Role::Client => start_client(config, &early),
    };
    let (stream, leftover, local) = match setup {
        Ok(s) => s,
        Err(e) => {
            return Outcome {
                pass: false,
                detail: format!("setup: {e}"),
                elapsed: start.elapsed(),
            };
        }
    };
    let mut peer = Peer {
        stream,
        buf: leftover,
        role,
        sent_close: false,
        got_close: false,
        shut: false,
    };
    let start = Instant::now();
    let mut result = Ok(());
    for (i, step) in case.steps.iter().enumerate() {
        if let Err(e) = peer.step(step) {
            result = Err(format!("step {}: {e}", i + 1));
            break;
        }
    }
    let elapsed = start.elapsed();
    // Let tether's side finish; then check what its API reported.
    drop(peer);
    let local = local.recv_timeout(READ_BOUND + Duration::from_secs(1));
    let detail = match (&result, &local) {
        (Err(e), _) => e.clone(),
        (Ok(()), Err(_)) => "tether's side did not finish in time".into(),
        (Ok(()), Ok(local)) => {
            let failed = local.starts_with("error");
            if failed != case.expects_failure() {
                result = Err(String::new());
                format!(
                    "tether reported {local}, but the case expects {}",
                    if case.expects_failure() {
                        "a failure"
                    } else {
                        "a clean end"
                    }
                )
            } else {
                local.clone()
            }
        }
    };
    Outcome {
        pass: result.is_ok() && local.is_ok(),
        detail,
        elapsed,
    }
}

/// Echoes every message until the end; describes how the connection ended.
fn echo<S: tether_std::Transport>(ws: &mut MessageSocket<S>) -> Result<Option<CloseFrame>, Error> {
    let mut buf = Vec::new();
    while let Some(kind) = ws.recv_into(&mut buf)? {
        match kind {
            MessageKind::Text => match std::str::from_utf8(&buf) {
                Ok(t) => ws.send_text(t)?,
                Err(_) => return Err(Error::InvalidInput("tether gave invalid text".into())),
            },
            MessageKind::Binary => ws.send_binary(&buf)?,
        }
    }
    Ok(ws.close_frame())
}

fn describe(result: Result<Option<CloseFrame>, Error>) -> String {
    match result {
        Ok(Some(f)) => format!("clean close {}", f.code.as_u16()),
        Ok(None) => "clean end without a close frame".into(),
        Err(e) => format!("error: {e}"),
    }
}

type Setup = (TcpStream, Vec<u8>, mpsc::Receiver<String>);

/// A tether-std echo server on a fresh port; the raw client connects and upgrades by hand.
fn start_server(config: SocketConfig, early: &[u8]) -> Result<Setup, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = listener.accept().map_err(Error::Io).and_then(|(s, _)| {
            let mut ws = tether_std::accept_with(s, &config, |_| Ok(Accept::default()))?;
            echo(&mut ws)
        });
        let _ = tx.send(describe(result));
    });
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    prepare(&stream)?;
    let request = format!(
        "GET /conformance HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
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
    Ok((stream, leftover, rx))
}

/// A tether-std echo client connecting to a fake server that answers the upgrade by hand.
fn start_client(config: SocketConfig, early: &[u8]) -> Result<Setup, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = tether_std::connect_with(&format!("ws://{addr}/conformance"), &config)
            .and_then(|mut ws| echo(&mut ws));
        let _ = tx.send(describe(result));
    });
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
    Ok((stream, leftover, rx))
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

/// A frame tether sent.
struct RxFrame {
    fin: bool,
    opcode: u8,
    payload: Vec<u8>,
}

impl RxFrame {
    fn describe(&self) -> String {
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
            format!(" code {}", close_code(&self.payload))
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

fn close_code(payload: &[u8]) -> u16 {
    match payload {
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => 1005,
    }
}

/// What one read of a frame gave.
enum Got {
    Frame(RxFrame),
    /// EOF or reset: the TCP connection ended.
    Closed(&'static str),
}

/// The raw peer: writes hand-built frames, reads and checks tether's.
struct Peer {
    stream: TcpStream,
    buf: Vec<u8>,
    role: Role,
    sent_close: bool,
    got_close: bool,
    shut: bool,
}

impl Peer {
    fn step(&mut self, step: &Step) -> Result<(), String> {
        match step {
            Step::Send(frames, delivery) => {
                self.note_sent(frames);
                let chunks: Vec<Vec<u8>> = match delivery {
                    Delivery::Whole => {
                        vec![frames.iter().flat_map(|f| f.encode(self.role)).collect()]
                    }
                    Delivery::Framewise => frames.iter().map(|f| f.encode(self.role)).collect(),
                    Delivery::Chopped(n) => {
                        let all: Vec<u8> =
                            frames.iter().flat_map(|f| f.encode(self.role)).collect();
                        all.chunks((*n).max(1)).map(<[u8]>::to_vec).collect()
                    }
                };
                for chunk in chunks {
                    // Tether may already have closed (a failure case); a failed write is no
                    // failure of the case: what tether sent is checked by the next Expect.
                    if self.stream.write_all(&chunk).is_err() {
                        break;
                    }
                }
                self.maybe_shut();
                Ok(())
            }
            Step::SendPart(frames, part) => {
                let Some((last, rest)) = frames.split_last() else {
                    return Ok(());
                };
                let mut bytes: Vec<u8> = rest.iter().flat_map(|f| f.encode(self.role)).collect();
                let at = bytes.len() + last.header_len(self.role);
                bytes.extend(last.encode(self.role));
                let range = match part {
                    Part::Head(n) => 0..(at + n).min(bytes.len()),
                    Part::Tail(n) => (at + n).min(bytes.len())..bytes.len(),
                };
                if matches!(part, Part::Tail(_)) {
                    self.note_sent(frames);
                }
                let _ = self.stream.write_all(&bytes[range]);
                Ok(())
            }
            Step::Pause(ms) => {
                std::thread::sleep(Duration::from_millis(*ms));
                Ok(())
            }
            Step::Expect(expect) => self.expect(expect),
        }
    }

    fn note_sent(&mut self, frames: &[Frame]) {
        if frames.iter().any(|f| f.opcode == op::CLOSE) {
            self.sent_close = true;
        }
    }

    /// The fake server closes TCP first once both close frames went (RFC 6455 §7.1.1).
    fn maybe_shut(&mut self) {
        if self.role == Role::Client && self.sent_close && self.got_close && !self.shut {
            self.shut = true;
            let _ = self.stream.shutdown(Shutdown::Write);
        }
    }

    fn expect(&mut self, expect: &Expect) -> Result<(), String> {
        match expect {
            Expect::Message(opcode, payload) => {
                let mut got = Vec::new();
                let mut first = true;
                loop {
                    let frame = self.frame(expect)?;
                    let ok_opcode = if first { *opcode } else { op::CONT };
                    if frame.opcode != ok_opcode {
                        return Err(format!(
                            "expected {}, got {}",
                            expect.describe(),
                            frame.describe()
                        ));
                    }
                    first = false;
                    got.extend_from_slice(&frame.payload);
                    if frame.fin {
                        break;
                    }
                }
                if got != *payload {
                    return Err(format!(
                        "expected {}, got a message of {} bytes with different content{}",
                        expect.describe(),
                        got.len(),
                        preview(&got)
                    ));
                }
                Ok(())
            }
            Expect::Pong(payload) => {
                let frame = self.frame(expect)?;
                if frame.opcode != op::PONG || frame.payload != *payload {
                    return Err(format!(
                        "expected {}, got {}",
                        expect.describe(),
                        frame.describe()
                    ));
                }
                Ok(())
            }
            Expect::Pongs(payloads) => {
                let mut next = 0;
                while next < payloads.len() {
                    let frame = self.frame(expect)?;
                    let found = payloads[next..]
                        .iter()
                        .position(|p| frame.opcode == op::PONG && *p == frame.payload);
                    match found {
                        Some(i) => next += i + 1,
                        None => {
                            return Err(format!(
                                "expected pongs for the pings in order, got {}",
                                frame.describe()
                            ));
                        }
                    }
                }
                Ok(())
            }
            Expect::Close(codes) => {
                let frame = self.frame(expect)?;
                if frame.opcode != op::CLOSE {
                    return Err(format!(
                        "expected {}, got {}",
                        expect.describe(),
                        frame.describe()
                    ));
                }
                let code = close_code(&frame.payload);
                if !codes.contains(&code) {
                    return Err(format!(
                        "expected {}, got close code {code}",
                        expect.describe()
                    ));
                }
                if frame.payload.len() > 2 && std::str::from_utf8(&frame.payload[2..]).is_err() {
                    return Err("tether's close reason is not UTF-8".into());
                }
                self.got_close = true;
                if !self.sent_close {
                    // Answer like a well-behaved peer (tether may already have closed TCP).
                    let answer = if frame.payload.len() >= 2 {
                        super::close(code, "")
                    } else {
                        super::close_raw(Vec::new())
                    };
                    self.sent_close = true;
                    let _ = self.stream.write_all(&answer.encode(self.role));
                }
                self.maybe_shut();
                Ok(())
            }
            Expect::TcpClose => match self.next()? {
                Got::Closed(_) => Ok(()),
                Got::Frame(f) => Err(format!("expected TCP close, got {}", f.describe())),
            },
        }
    }

    /// The next frame, or an error naming what was expected.
    fn frame(&mut self, expect: &Expect) -> Result<RxFrame, String> {
        match self.next()? {
            Got::Frame(f) => Ok(f),
            Got::Closed(how) => Err(format!("expected {}, got {how}", expect.describe())),
        }
    }

    /// Reads one frame; checks the rules for frames tether sends (masking by role, RSV 0).
    fn next(&mut self) -> Result<Got, String> {
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
                    return Err(format!("nothing within {READ_BOUND:?}"));
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

fn preview(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        " [{}{}]",
        shown.join(" "),
        if bytes.len() > 16 { " …" } else { "" }
    )
}
