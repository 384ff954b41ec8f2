//! An echo server and a client talking to it over real TCP on 127.0.0.1, each driving a
//! sans-IO `tether_proto::Connection` with a small blocking loop.
//!
//! ```text
//! cargo run --release -p tether-proto --example echo
//! ```
//!
//! The loop in `Driver` is the whole contract between the core and a transport: write the
//! slices `poll_transmit` gives (one vectored write), read into `input_buffer` with a timeout taken from `poll_timeout`,
//! report the end of the stream with `handle_eof`, and drain `poll_event` after each step.
//! The `tether-std` and `tether-tokio` crates are this loop done properly.

// The example plays the adapter, which owns the clock.
#![allow(clippy::disallowed_methods)]

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

use tether_proto::connection::Transmit;
use tether_proto::handshake::Target;
use tether_proto::handshake::{Accept, ClientOptions};
use tether_proto::{
    CloseCode, Config, Connection, Event, Instant, Message, OsEntropy, SendOptions,
};

/// A connection and its socket.
struct Driver {
    conn: Connection,
    stream: TcpStream,
    origin: std::time::Instant,
}

/// An owned copy of what an event asks the application to do.
enum Action {
    Accept,
    Echo(Message),
    Print(String),
    Closed(String),
    None,
}

impl Driver {
    fn now(&self) -> Instant {
        Instant::from_elapsed(self.origin.elapsed())
    }

    /// Writes all pending output. Returns `false` once the connection asked for the transport
    /// to be closed.
    fn flush(&mut self) -> io::Result<bool> {
        loop {
            match self.conn.poll_transmit() {
                Transmit::Write(bufs) => {
                    // Frame headers and small payloads come in one slice; a large payload
                    // the application handed over comes as a slice of its own, not copied.
                    let slices: Vec<IoSlice<'_>> = bufs.map(IoSlice::new).collect();
                    let n = self.stream.write_vectored(&slices)?;
                    self.conn.advance_transmit(n);
                }
                Transmit::Shutdown => {
                    let _ = self.stream.shutdown(Shutdown::Both);
                    return Ok(false);
                }
                Transmit::Idle => return Ok(true),
            }
        }
    }

    /// Reads once, waiting at most until the connection's next timer.
    fn read(&mut self) -> io::Result<()> {
        let now = self.now();
        let wait = self
            .conn
            .poll_timeout()
            .map(|t| (t - now).max(Duration::from_millis(1)));
        self.stream.set_read_timeout(wait)?;
        match self.stream.read(self.conn.input_buffer()) {
            Ok(0) => self.conn.handle_eof(self.now()),
            Ok(n) => {
                let now = self.now();
                self.conn.commit_input(now, n);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let now = self.now();
                self.conn.handle_timeout(now);
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// The next thing the application has to act on, as an owned value.
    fn next_action(&mut self) -> Option<Action> {
        let action = match self.conn.poll_event()? {
            Event::Request(req) => {
                println!("server: upgrade request for {}", req.path());
                Action::Accept
            }
            // Moved out below: a message assembled from several frames is not copied.
            Event::Message { .. } => Action::None,
            Event::Closed(Ok(frame)) => {
                Action::Closed(format!("closed cleanly: {} {:?}", frame.code, frame.reason))
            }
            Event::Closed(Err(e)) => Action::Closed(format!("failed: {e}")),
            Event::Open => Action::Print("open".into()),
            _ => return Some(Action::None),
        };
        Some(match (action, self.conn.take_message()) {
            (_, Some(message)) => Action::Echo(message),
            (action, None) => action,
        })
    }
}

fn serve(stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let origin = std::time::Instant::now();
    let conn = Connection::server(Instant::ZERO, Config::default(), OsEntropy::new());
    let mut d = Driver {
        conn,
        stream,
        origin,
    };
    loop {
        while let Some(action) = d.next_action() {
            match action {
                Action::Accept => d.conn.accept(Accept::default()).map_err(io::Error::other)?,
                Action::Echo(message) => d
                    .conn
                    .send(message, SendOptions::default())
                    .map_err(io::Error::other)?,
                Action::Closed(how) => println!("server: {how}"),
                Action::Print(what) => println!("server: {what}"),
                Action::None => {}
            }
        }
        if !d.flush()? {
            return Ok(());
        }
        d.read()?;
    }
}

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    println!("echo server listening on ws://{addr}/");
    let server = std::thread::spawn(move || -> io::Result<()> {
        let (stream, _) = listener.accept()?;
        serve(stream)
    });

    let target = Target::parse(&format!("ws://{addr}/echo")).map_err(io::Error::other)?;
    let conn = Connection::client(
        Instant::ZERO,
        &target,
        &ClientOptions::default(),
        Config::default(),
        OsEntropy::new(),
    )
    .map_err(io::Error::other)?;
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let mut d = Driver {
        conn,
        stream,
        origin: std::time::Instant::now(),
    };
    let mut to_send = vec!["hello", "tether", "¡sans-IO!"].into_iter();
    let mut closing = false;
    loop {
        while let Some(action) = d.next_action() {
            match action {
                Action::Print(what) => println!("client: {what}"),
                Action::Echo(message) => println!("client: echoed {message:?}"),
                Action::Closed(how) => println!("client: {how}"),
                _ => {}
            }
            if matches!(d.conn.state(), tether_proto::connection::State::Open) {
                match to_send.next() {
                    Some(text) => d
                        .conn
                        .send(Message::text(text), SendOptions::default())
                        .map_err(io::Error::other)?,
                    None if !closing => {
                        closing = true;
                        let now = d.now();
                        d.conn
                            .close(now, CloseCode::NORMAL, "done")
                            .map_err(io::Error::other)?;
                    }
                    None => {}
                }
            }
        }
        if !d.flush()? {
            break;
        }
        d.read()?;
    }
    server
        .join()
        .map_err(|_| io::Error::other("server thread panicked"))??;
    Ok(())
}
