//! [`Handle`]: one user of a [`Shared`] connection — a whole socket, or one half of a split.
//!
//! A whole socket reads under the lock (nobody else uses it). After a split, the reader
//! blocks in `read` on its own clone of the transport without holding the lock, then locks to
//! feed the bytes in; the writer locks to queue and write.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant as StdInstant;

use tether_net::Error;
use tether_proto::connection::State;
use tether_proto::handshake::{Accept, Reject, Request};
use tether_proto::{CloseCode, CloseFrame, Connection, Event, SendError};

use crate::Transport;
use crate::shared::{Incoming, Shared};

/// Bytes a split reader reads at a time (allocated on its first read).
const SPLIT_READ_SIZE: usize = 16 << 10;

pub(crate) struct Handle<S> {
    shared: Arc<Mutex<Shared<S>>>,
    /// The split reader's own transport handle.
    reader: Option<S>,
    buf: Vec<u8>,
    /// A split writer: never reads.
    writer_only: bool,
}

fn lock<S>(shared: &Mutex<Shared<S>>) -> MutexGuard<'_, Shared<S>> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<S: Transport> Handle<S> {
    pub(crate) fn new(shared: Shared<S>) -> Self {
        Self {
            shared: Arc::new(Mutex::new(shared)),
            reader: None,
            buf: Vec::new(),
            writer_only: false,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Shared<S>> {
        lock(&self.shared)
    }

    /// A reading and a writing handle on the same connection.
    pub(crate) fn split(self) -> Result<(Self, Self), Error> {
        let reader = {
            let mut g = self.lock();
            let clone = g.stream.try_clone()?;
            g.split = true;
            clone
        };
        let read_half = Self {
            shared: self.shared.clone(),
            reader: Some(reader),
            buf: Vec::new(),
            writer_only: false,
        };
        let write_half = Self {
            shared: self.shared,
            reader: None,
            buf: Vec::new(),
            writer_only: true,
        };
        Ok((read_half, write_half))
    }

    /// Runs the opening handshake to the end: the server side asks `on_request`.
    pub(crate) fn handshake(
        &mut self,
        on_request: impl FnOnce(&Request) -> Result<Accept, Reject>,
    ) -> Result<(), Error> {
        let mut on_request = Some(on_request);
        loop {
            {
                let mut g = self.lock();
                let mut requested = false;
                let mut opened = false;
                while let Some(event) = g.conn.poll_event() {
                    match event {
                        Event::Request(_) => requested = true,
                        Event::Open => opened = true,
                        _ => {}
                    }
                    if requested || opened {
                        break;
                    }
                }
                if requested {
                    let decision = match (g.conn.request(), on_request.take()) {
                        (Some(request), Some(decide)) => decide(request),
                        _ => Err(Reject::new(500)),
                    };
                    match decision {
                        Ok(accept) => {
                            if let Err(e) = g.conn.accept(accept) {
                                let _ = g.conn.reject(Reject::new(500));
                                let _ = g.flush();
                                return Err(Error::Send(e));
                            }
                        }
                        Err(reject) => {
                            let status = reject.status();
                            g.conn.reject(reject).map_err(Error::Send)?;
                            g.flush()?;
                            return Err(Error::Refused { status });
                        }
                    }
                    g.flush()?;
                    continue;
                }
                g.flush()?;
                if opened {
                    return Ok(());
                }
                if let Some(result) = g.conn.close_result() {
                    return Err(Error::from_close_result(result));
                }
                if g.transport_closed {
                    return Err(Error::Handshake(
                        tether_proto::handshake::HandshakeError::UnexpectedEof,
                    ));
                }
            }
            self.read_once(None)?;
        }
    }

    /// The next piece of incoming data, given to `on`; `None` once the connection closed
    /// cleanly. Blocks up to the read timeout.
    pub(crate) fn next<T>(
        &mut self,
        mut on: impl FnMut(Incoming<'_>) -> T,
    ) -> Result<Option<T>, Error> {
        let deadline = self.lock().read_timeout.map(|t| StdInstant::now() + t);
        loop {
            {
                let mut g = self.lock();
                let found = g.take_incoming(&mut on);
                let flushed = g.flush();
                if let Some(t) = found {
                    return Ok(Some(t));
                }
                flushed?;
                if g.conn.state() == State::Closed {
                    return match g.conn.close_result() {
                        Some(Err(e)) => Err(Error::from_connection(e)),
                        _ => Ok(None),
                    };
                }
                if g.transport_closed {
                    return Err(Error::ConnectionClosed {
                        code: CloseCode::ABNORMAL,
                        reason: String::new(),
                    });
                }
            }
            self.read_once(deadline)?;
        }
    }

    /// One blocking read, bounded by the core's next timer and `deadline`.
    fn read_once(&mut self, deadline: Option<StdInstant>) -> Result<(), Error> {
        if self.writer_only {
            return Err(Error::Send(SendError::InvalidState(
                "the writing half of a split socket does not read",
            )));
        }
        match self.reader.as_mut() {
            Some(reader) => {
                let wait = lock(&self.shared).wait(deadline);
                let _ = reader.set_read_timeout(wait);
                if self.buf.is_empty() {
                    self.buf = vec![0; SPLIT_READ_SIZE];
                }
                let result = reader.read(&mut self.buf);
                let mut g = lock(&self.shared);
                if let Ok(n @ 1..) = result {
                    g.feed(&self.buf[..n])?;
                }
                g.after_read(result, deadline)
            }
            None => {
                let mut g = lock(&self.shared);
                let wait = g.wait(deadline);
                let _ = g.stream.set_read_timeout(wait);
                let result = g.read_direct()?;
                g.after_read(result, deadline)
            }
        }
    }

    /// Queues a command; see [`Shared::send`].
    pub(crate) fn send(
        &mut self,
        command: impl FnOnce(&mut Connection) -> Result<(), SendError>,
        flush: bool,
    ) -> Result<(), Error> {
        self.lock().send(command, flush)
    }

    /// Sends a whole message; see [`Shared::send_message`].
    pub(crate) fn send_message(&mut self, message: tether_proto::Message<'_>) -> Result<(), Error> {
        self.lock().send_message(message)
    }

    pub(crate) fn flush(&mut self) -> Result<(), Error> {
        self.lock().flush()
    }

    /// Starts the close handshake. A whole socket (or a split reader) then waits for it to
    /// finish and returns the peer's close frame; a split writer returns at once (`None`).
    pub(crate) fn close(
        &mut self,
        code: CloseCode,
        reason: &str,
    ) -> Result<Option<CloseFrame>, Error> {
        {
            let mut g = self.lock();
            let now = g.now();
            match g.conn.close(code, reason, now) {
                Ok(()) | Err(SendError::Closed) => {}
                Err(e) => return Err(Error::Send(e)),
            }
            g.flush()?;
        }
        if self.writer_only {
            return Ok(None);
        }
        self.wait_closed().map(Some)
    }

    /// Reads (dropping data) until the transport is closed, then reports how it ended.
    fn wait_closed(&mut self) -> Result<CloseFrame, Error> {
        loop {
            {
                let mut g = self.lock();
                g.discard_incoming();
                g.flush()?;
                if g.transport_closed {
                    break;
                }
            }
            match self.read_once(None) {
                Ok(()) => {}
                Err(Error::Io(_)) => {
                    self.lock().close_transport();
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        let g = self.lock();
        match g.conn.close_result() {
            Some(Ok(frame)) => Ok(frame.clone()),
            Some(Err(e)) => Err(Error::from_connection(e)),
            None => Err(Error::ConnectionClosed {
                code: CloseCode::ABNORMAL,
                reason: String::new(),
            }),
        }
    }
}
