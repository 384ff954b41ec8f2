//! Test kit shared by tether's cross-crate tests: owned copies of events, and a [`Pair`] of
//! connections wired back to back in memory with a simulated clock.

use tether_proto::connection::Transmit;
use tether_proto::{Connection, ConnectionError, Event, Instant, Message, MessageKind};

/// An owned copy of an [`Event`], for assertions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    /// [`Event::Request`], with the request path.
    Request(String),
    /// [`Event::Open`].
    Open,
    /// A whole text message.
    Text(String),
    /// A whole binary message.
    Binary(Vec<u8>),
    /// A piece of a message.
    Data(MessageKind, Vec<u8>, bool),
    /// A ping.
    Ping(Vec<u8>),
    /// A pong.
    Pong(Vec<u8>),
    /// A clean close with the peer's code and reason.
    Closed(u16, String),
    /// A failure.
    Failed(ConnectionError),
}

impl Ev {
    /// Copies an event.
    pub fn from_event(event: Event<'_>) -> Self {
        match event {
            Event::Request(req) => Self::Request(req.path().to_owned()),
            Event::Open => Self::Open,
            Event::Message(Message::Text(t)) => Self::Text(t.to_owned()),
            Event::Message(Message::Binary(b)) => Self::Binary(b.to_vec()),
            Event::Data { kind, payload, fin } => Self::Data(kind, payload.to_vec(), fin),
            Event::Ping(p) => Self::Ping(p.to_vec()),
            Event::Pong(p) => Self::Pong(p.to_vec()),
            Event::Closed(Ok(frame)) => Self::Closed(frame.code.as_u16(), frame.reason.clone()),
            Event::Closed(Err(e)) => Self::Failed(e.clone()),
            other => panic!("event the test kit does not know: {other:?}"),
        }
    }
}

/// Drains every pending event.
pub fn events(conn: &mut Connection) -> Vec<Ev> {
    let mut out = Vec::new();
    while let Some(event) = conn.poll_event() {
        out.push(Ev::from_event(event));
    }
    out
}

/// Two connections wired back to back: what one writes, the other reads.
#[derive(Debug)]
pub struct Pair {
    /// The client end.
    pub client: Connection,
    /// The server end.
    pub server: Connection,
    /// Simulated time.
    pub now: Instant,
    /// Whether each side asked to close its transport (client, server).
    pub closed: (bool, bool),
}

impl Pair {
    /// Wires two connections together.
    pub fn new(client: Connection, server: Connection) -> Self {
        Self {
            client,
            server,
            now: Instant::ZERO,
            closed: (false, false),
        }
    }

    /// Moves bytes both ways until neither side has anything to send, collecting events:
    /// (client's, server's). A transport close by one side is an EOF for the other.
    pub fn drive(&mut self) -> (Vec<Ev>, Vec<Ev>) {
        let (mut client_events, mut server_events) = (Vec::new(), Vec::new());
        loop {
            client_events.extend(events(&mut self.client));
            server_events.extend(events(&mut self.server));
            let a = transfer(
                &mut self.client,
                &mut self.server,
                self.now,
                &mut self.closed.0,
            );
            let b = transfer(
                &mut self.server,
                &mut self.client,
                self.now,
                &mut self.closed.1,
            );
            if !a && !b {
                client_events.extend(events(&mut self.client));
                server_events.extend(events(&mut self.server));
                return (client_events, server_events);
            }
        }
    }
}

/// Writes everything `from` has for the transport into `to`. Returns whether anything moved.
fn transfer(from: &mut Connection, to: &mut Connection, now: Instant, closed: &mut bool) -> bool {
    let mut moved = false;
    loop {
        match from.poll_transmit() {
            Transmit::Data(bytes) => {
                let bytes = bytes.to_vec();
                from.advance_transmit(bytes.len());
                to.handle_input(now, &bytes);
                moved = true;
            }
            Transmit::Close if !*closed => {
                *closed = true;
                to.handle_eof(now);
                return true;
            }
            _ => return moved,
        }
    }
}

pub mod child;
pub mod conformance;
pub mod interop;
