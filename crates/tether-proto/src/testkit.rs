//! The test kit (feature `__testkit`, not for production use): owned copies of events, frame
//! builders, and a [`Pair`] of connections wired back to back whose [`step`](Pair::step)
//! advances simulated time to the next timer, as quinn-proto's test pair does. The core's own
//! tests, `tests/`, `benches/` and `fuzz/` all use it.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use crate::connection::{Negotiated, Transmit};
use crate::frame::{FrameHeader, OpCode, Rsv, apply_mask};
use crate::handshake::{Accept, ClientOptions, Target};
use crate::{
    Config, Connection, ConnectionError, Event, FixedEntropy, Instant, Message, MessageKind, Role,
    SendOptions,
};

/// The masking key [`masked`] frames use.
pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// An owned copy of an [`Event`], for assertions.
#[derive(Clone, Debug, PartialEq)]
pub enum Ev {
    /// A request for this path.
    Request(String),
    /// The connection opened.
    Open,
    /// A whole text message.
    Text(String),
    /// A whole binary message.
    Binary(Vec<u8>),
    /// A chunk: kind, bytes, fin.
    Chunk(MessageKind, Vec<u8>, bool),
    /// A ping's payload.
    Ping(Vec<u8>),
    /// A pong's payload.
    Pong(Vec<u8>),
    /// A clean end: the peer's code and reason.
    Closed(u16, String),
    /// A failure.
    Failed(ConnectionError),
}

impl Ev {
    /// The owned copy of `event`.
    pub fn of(event: &Event<'_>) -> Self {
        match event {
            Event::Request(r) => Self::Request(r.path().to_owned()),
            Event::Open => Self::Open,
            Event::Message {
                kind: MessageKind::Text,
                data,
            } => Self::Text(String::from_utf8(data.to_vec()).expect("text is UTF-8")),
            Event::Message { data, .. } => Self::Binary(data.to_vec()),
            Event::Chunk { kind, data, fin } => Self::Chunk(*kind, data.to_vec(), *fin),
            Event::Ping(p) => Self::Ping(p.to_vec()),
            Event::Pong(p) => Self::Pong(p.to_vec()),
            Event::Closed(Ok(frame)) => Self::Closed(frame.code.as_u16(), frame.reason.clone()),
            Event::Closed(Err(e)) => Self::Failed((*e).clone()),
        }
    }
}

/// Every event the connection has now, as owned copies.
pub fn events(conn: &mut Connection) -> Vec<Ev> {
    let mut out = Vec::new();
    while let Some(event) = conn.poll_event() {
        out.push(Ev::of(&event));
    }
    out
}

/// All output the connection has now, as one `Vec` (its slices concatenated).
pub fn drain(conn: &mut Connection) -> Vec<u8> {
    let mut all = Vec::new();
    while let Transmit::Write(bufs) = conn.poll_transmit() {
        let before = all.len();
        for buf in bufs {
            all.extend_from_slice(buf);
        }
        let n = all.len() - before;
        conn.advance_transmit(n);
    }
    all
}

/// A frame as given: `b0` is the whole first byte (FIN, RSV, opcode), masked with `mask`.
///
/// # Panics
///
/// `b0` holds a reserved opcode.
pub fn frame(b0: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let header = FrameHeader {
        fin: b0 & 0x80 != 0,
        rsv: Rsv::from_header_byte(b0),
        opcode: OpCode::from_bits(b0 & 0x0f).expect("a known opcode"),
        mask,
        payload_len: payload.len() as u64,
    };
    let mut head = [0; 14];
    let n = header.encode(&mut head);
    let mut out = head[..n].to_vec();
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[start..], key, 0);
    }
    out
}

/// A frame as a client sends it (masked with [`KEY`]).
pub fn masked(b0: u8, payload: &[u8]) -> Vec<u8> {
    frame(b0, payload, Some(KEY))
}

/// A frame as a server sends it (unmasked).
pub fn unmasked(b0: u8, payload: &[u8]) -> Vec<u8> {
    frame(b0, payload, None)
}

/// Splits bytes into (first byte, unmasked payload) per frame.
///
/// # Panics
///
/// A frame is truncated or its header invalid.
pub fn frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (h, n) = FrameHeader::decode(bytes)
            .expect("a valid header")
            .expect("a whole header");
        let len = usize::try_from(h.payload_len).expect("a frame that fits in memory");
        assert!(bytes.len() >= n + len, "truncated frame");
        let mut payload = bytes[n..n + len].to_vec();
        if let Some(key) = h.mask {
            apply_mask(&mut payload, key, 0);
        }
        let b0 = (u8::from(h.fin) << 7) | h.rsv.bits() | h.opcode.bits();
        out.push((b0, payload));
        bytes = &bytes[n + len..];
    }
    out
}

/// A close frame's payload.
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

/// One end of a [`Pair`]: its connection, the events it reported, whether its transport was
/// shut down.
#[derive(Debug)]
pub struct End {
    /// The connection.
    pub conn: Connection,
    /// Every event so far, in order.
    pub events: Vec<Ev>,
    /// Its transport was shut down (the other end saw the end of input).
    pub shut_down: bool,
}

impl End {
    fn new(conn: Connection) -> Self {
        Self {
            conn,
            events: Vec::new(),
            shut_down: false,
        }
    }

    /// Sends a whole message with the default options.
    ///
    /// # Panics
    ///
    /// The connection refused it.
    pub fn send(&mut self, message: impl Into<Message>) {
        self.conn
            .send(message.into(), SendOptions::default())
            .expect("the connection takes the message");
    }

    /// Takes the events reported so far.
    pub fn take_events(&mut self) -> Vec<Ev> {
        core::mem::take(&mut self.events)
    }
}

/// A client and a server wired back to back in memory, with a simulated clock.
#[derive(Debug)]
pub struct Pair {
    /// The client end.
    pub client: End,
    /// The server end.
    pub server: End,
    /// The simulated time.
    pub now: Instant,
}

impl Pair {
    /// Wires two connections together, at simulated time zero.
    pub fn new(client: Connection, server: Connection) -> Self {
        Self {
            client: End::new(client),
            server: End::new(server),
            now: Instant::ZERO,
        }
    }

    /// Two connections that start open (no handshake), with these configs.
    pub fn open(client: Config, server: Config) -> Self {
        let now = Instant::ZERO;
        let c = Connection::open(
            now,
            Role::Client,
            Negotiated::default(),
            client,
            FixedEntropy::new(1),
        );
        let s = Connection::open(
            now,
            Role::Server,
            Negotiated::default(),
            server,
            FixedEntropy::new(2),
        );
        Self {
            client: End::new(c),
            server: End::new(s),
            now,
        }
    }

    /// Two connections that run the opening handshake for `url` (the server accepts with
    /// `accept`), stepped until both are open or it failed.
    ///
    /// # Panics
    ///
    /// The URL or options cannot form a request.
    pub fn connect(
        url: &str,
        options: &ClientOptions,
        client: Config,
        server: Config,
        accept: Accept,
    ) -> Self {
        let now = Instant::ZERO;
        let target = Target::parse(url).expect("a valid URL");
        let c = Connection::client(now, &target, options, client, FixedEntropy::new(1))
            .expect("a valid request");
        let s = Connection::server(now, server, FixedEntropy::new(2));
        let mut pair = Self::new(c, s);
        let mut accept = Some(accept);
        // Only bytes move here (no clock), until nothing more happens.
        while transfer(now, &mut pair.client, &mut pair.server)
            | transfer(now, &mut pair.server, &mut pair.client)
        {
            if pair
                .server
                .events
                .iter()
                .any(|e| matches!(e, Ev::Request(_)))
                && let Some(accept) = accept.take()
            {
                pair.server
                    .conn
                    .accept(accept)
                    .expect("the request can be accepted");
            }
        }
        pair
    }

    /// Moves bytes both ways until neither end has anything to write (the clock stands
    /// still), and returns the events each end reported meanwhile: (client's, server's).
    pub fn drive(&mut self) -> (Vec<Ev>, Vec<Ev>) {
        while transfer(self.now, &mut self.client, &mut self.server)
            | transfer(self.now, &mut self.server, &mut self.client)
        {}
        (self.client.take_events(), self.server.take_events())
    }

    /// Moves all pending output both ways and collects the events. Returns whether anything
    /// happened; when nothing did, moves the clock to the earliest timer of either end and runs
    /// it (returning `true` if there was one).
    pub fn step(&mut self) -> bool {
        let moved = transfer(self.now, &mut self.client, &mut self.server)
            | transfer(self.now, &mut self.server, &mut self.client);
        if moved {
            return true;
        }
        let next = [
            self.client.conn.poll_timeout(),
            self.server.conn.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            Some(at) => {
                self.now = self.now.max(at);
                self.client.conn.handle_timeout(self.now);
                self.server.conn.handle_timeout(self.now);
                true
            }
            None => false,
        }
    }

    /// Steps until nothing happens and no timer is due by `limit`; the clock then reads `limit`.
    pub fn drive_until(&mut self, limit: Instant) {
        for _ in 0..100_000 {
            let moved = transfer(self.now, &mut self.client, &mut self.server)
                | transfer(self.now, &mut self.server, &mut self.client);
            if moved {
                continue;
            }
            let next = [
                self.client.conn.poll_timeout(),
                self.server.conn.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(at) if at <= limit => {
                    self.now = self.now.max(at);
                    self.client.conn.handle_timeout(self.now);
                    self.server.conn.handle_timeout(self.now);
                }
                _ => {
                    self.now = self.now.max(limit);
                    return;
                }
            }
        }
    }

    /// Lets `d` of simulated time pass, running every timer on the way.
    pub fn advance(&mut self, d: Duration) {
        let limit = self.now + d;
        self.drive_until(limit);
    }
}

/// Moves what `from` has to write into `to` (and a shutdown into `to`'s end of input), then
/// collects both ends' events. Returns whether anything moved or happened.
fn transfer(now: Instant, from: &mut End, to: &mut End) -> bool {
    let mut moved = false;
    loop {
        match from.conn.poll_transmit() {
            Transmit::Write(bufs) => {
                let mut n = 0;
                for buf in bufs.collect::<Vec<_>>() {
                    n += buf.len();
                    if !to.shut_down {
                        to.conn.handle_input(now, buf);
                    }
                }
                from.conn.advance_transmit(n);
                moved = true;
            }
            Transmit::Shutdown if !from.shut_down => {
                from.shut_down = true;
                to.conn.handle_eof(now);
                moved = true;
            }
            Transmit::Shutdown | Transmit::Idle => break,
        }
        // Events in between, so the input buffers stay small.
        moved |= collect(to);
    }
    moved | collect(from) | collect(to)
}

fn collect(end: &mut End) -> bool {
    let before = end.events.len();
    end.events.extend(events(&mut end.conn));
    end.events.len() > before
}
