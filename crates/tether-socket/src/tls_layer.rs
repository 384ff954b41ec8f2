//! [`TlsLayer`]: TLS records in and out of tether's own buffers, sans-IO, on rustls' unbuffered
//! API.
//!
//! rustls' buffered connection keeps a read buffer of at least 4 KiB from its first read to its
//! end, with no call to let it go; thousands of idle `wss` connections would each hold one. Here
//! the ciphertext read and the ciphertext to write live in buffers of this layer: an idle
//! connection gives both back (the read buffer to the thread's spare list, as the plain input
//! buffer does), keeping only the bytes of an unfinished record.
//!
//! An adapter moves bytes: ciphertext read goes into [`read_space`](TlsLayer::read_space) and
//! is committed ([`commit_read`](TlsLayer::commit_read)); [`read_plain`](TlsLayer::read_plain)
//! turns it into plaintext; [`write_plain`](TlsLayer::write_plain) and
//! [`close_notify`](TlsLayer::close_notify) make records; [`outgoing`](TlsLayer::outgoing) is
//! what to write next, [`advance_outgoing`](TlsLayer::advance_outgoing) what was written.

use std::io;
use std::sync::Arc;

use rustls::client::UnbufferedClientConnection;
use rustls::pki_types::ServerName;
use rustls::server::UnbufferedServerConnection;
use rustls::unbuffered::{
    ConnectionState, EncodeError, EncryptError, InsufficientSizeError, UnbufferedStatus,
};
use rustls::{ClientConfig, ServerConfig};

use crate::spare;

/// The read offered for ciphertext: room for a whole record of the largest size (16 KiB of
/// plaintext plus its overhead) and more, so a busy connection reads many records at once.
const READ_SIZE: usize = 32 << 10;

/// Room reserved for one record's overhead when encrypting (header, content type, tag, padding);
/// rustls says how much it needs when this is short.
const RECORD_OVERHEAD: usize = 64;

/// The largest plaintext in one record.
const MAX_FRAGMENT: usize = 16 << 10;

/// Most plaintext one [`TlsLayer::write_plain`] takes: its records then fit a buffer the
/// thread's spare list keeps, so a busy connection neither allocates nor zeroes one per write.
const MAX_WRITE: usize = 60 << 10;

/// Unfinished records of at most this many bytes move to a buffer of their own size when the
/// connection goes idle; more, and the read buffer is kept.
const KEEP_PENDING: usize = 1 << 10;

/// A TLS connection, client or server, whose records pass through buffers it owns.
pub struct TlsLayer {
    side: Side,
    /// Ciphertext: `incoming[start..filled]` received and not yet processed.
    incoming: Vec<u8>,
    start: usize,
    filled: usize,
    /// What the connection's states produce: records to write, plaintext not yet handed out.
    out: Out,
    /// Where the plaintext not yet handed out starts in `out.plain`.
    plain_at: usize,
    /// Slices of a vectored write, gathered so they make full records.
    gather: Vec<u8>,
    /// The transport's read side ended.
    eof: bool,
    /// A TLS error ended the connection: rustls is not asked again (it would answer with a
    /// second alert).
    failed: bool,
}

enum Side {
    Client(Box<UnbufferedClientConnection>),
    Server(Box<UnbufferedServerConnection>),
}

/// What [`TlsLayer::read_plain`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainRead {
    /// This many plaintext bytes were copied out.
    Data(usize),
    /// More ciphertext is needed (read into [`TlsLayer::read_space`]); write
    /// [`TlsLayer::outgoing`] first when there is some (a handshake in progress waits on it).
    NeedInput,
    /// The peer closed with close_notify: no more plaintext.
    End,
}

/// What one look at the connection's state asked for.
enum Step {
    /// Handled: look again.
    Again,
    /// Plaintext was handed out.
    Data(usize),
    /// Waiting for ciphertext.
    NeedInput,
    /// Open, nothing more to process: writing is possible.
    Open,
    /// Both sides closed.
    Closed,
}

/// What a look at the state does besides processing input.
enum Intent<'a> {
    /// Hand plaintext out into this buffer.
    Read(&'a mut [u8]),
    /// Encrypt this plaintext once writing is possible.
    Write(&'a [u8]),
    /// Queue close_notify once writing is possible.
    Close,
    /// Run the handshake (or process input) only.
    Progress,
}

impl TlsLayer {
    /// A client connection to `name`.
    ///
    /// # Errors
    ///
    /// rustls' error when the config is unusable.
    pub fn client(
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
    ) -> Result<Self, rustls::Error> {
        let conn = UnbufferedClientConnection::new(config, name)?;
        Ok(Self::new(Side::Client(Box::new(conn))))
    }

    /// A server connection.
    ///
    /// # Errors
    ///
    /// rustls' error when the config is unusable.
    pub fn server(config: Arc<ServerConfig>) -> Result<Self, rustls::Error> {
        let conn = UnbufferedServerConnection::new(config)?;
        Ok(Self::new(Side::Server(Box::new(conn))))
    }

    fn new(side: Side) -> Self {
        Self {
            side,
            incoming: Vec::new(),
            start: 0,
            filled: 0,
            out: Out::default(),
            plain_at: 0,
            gather: Vec::new(),
            eof: false,
            failed: false,
        }
    }

    /// The protocol the handshake agreed through ALPN.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        match &self.side {
            Side::Client(c) => c.alpn_protocol(),
            Side::Server(s) => s.alpn_protocol(),
        }
    }

    /// Space to read ciphertext into; then [`commit_read`](Self::commit_read).
    pub fn read_space(&mut self) -> &mut [u8] {
        if self.incoming.is_empty()
            && let Some(buf) = spare::take()
        {
            self.incoming = buf;
        }
        if self.start > 0 && self.incoming.len() - self.filled < READ_SIZE {
            // Processed records are dropped from the front only when the room is needed.
            self.incoming.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.start = 0;
        }
        let want = self.filled + READ_SIZE;
        if self.incoming.len() < want {
            self.incoming.resize(want, 0);
        }
        &mut self.incoming[self.filled..]
    }

    /// `n` bytes of ciphertext were read into [`read_space`](Self::read_space); 0 means the
    /// transport's read side ended.
    pub fn commit_read(&mut self, n: usize) {
        if n == 0 {
            self.eof = true;
        }
        self.filled = (self.filled + n).min(self.incoming.len());
    }

    /// Runs the handshake as far as the ciphertext received allows. `Ok(true)` once it is
    /// done; `Ok(false)`: write [`outgoing`](Self::outgoing), then read more.
    ///
    /// # Errors
    ///
    /// The handshake failed (the alert to send is in [`outgoing`](Self::outgoing)), or the
    /// transport ended first.
    pub fn handshake(&mut self) -> io::Result<bool> {
        loop {
            match self.step(Intent::Progress)? {
                Step::Again | Step::Data(_) => {}
                Step::Open => return Ok(true),
                Step::Closed => return Err(io::ErrorKind::UnexpectedEof.into()),
                Step::NeedInput if self.eof => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the peer closed the connection during the TLS handshake",
                    ));
                }
                Step::NeedInput => return Ok(false),
            }
        }
    }

    /// Copies received plaintext into `out`, processing buffered ciphertext as needed.
    ///
    /// # Errors
    ///
    /// A TLS error (the alert to send is in [`outgoing`](Self::outgoing)), or
    /// [`io::ErrorKind::UnexpectedEof`] when the transport ended without close_notify.
    pub fn read_plain(&mut self, out: &mut [u8]) -> io::Result<PlainRead> {
        if out.is_empty() {
            return Ok(PlainRead::Data(0));
        }
        let plain = &mut self.out.plain;
        if self.plain_at < plain.len() {
            let n = (plain.len() - self.plain_at).min(out.len());
            out[..n].copy_from_slice(&plain[self.plain_at..self.plain_at + n]);
            self.plain_at += n;
            if self.plain_at == plain.len() {
                *plain = Vec::new();
                self.plain_at = 0;
            }
            return Ok(PlainRead::Data(n));
        }
        loop {
            match self.step(Intent::Read(out))? {
                Step::Again => {}
                Step::Data(n) => return Ok(PlainRead::Data(n)),
                Step::Closed => return Ok(PlainRead::End),
                Step::Open | Step::NeedInput if self.out.peer_closed => return Ok(PlainRead::End),
                Step::Open | Step::NeedInput if self.eof => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the peer closed the connection without a TLS close_notify",
                    ));
                }
                Step::Open | Step::NeedInput => return Ok(PlainRead::NeedInput),
            }
        }
    }

    /// Encrypts `bufs`, in order, into records to write. Returns the plaintext bytes taken:
    /// none before the handshake is done; then as much as one call takes — up to 60 KiB of the
    /// first slice, or, when it is shorter than the rest, the slices gathered up to one full
    /// record (so a frame header and the start of its payload share a record, and the rest of
    /// a large payload is encrypted from where it is, not copied).
    ///
    /// # Errors
    ///
    /// A TLS error.
    pub fn write_plain(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let mut gather = std::mem::take(&mut self.gather);
        let data: &[u8] = match bufs.iter().find(|b| !b.is_empty()) {
            None => return Ok(0),
            Some(first) if first.len() >= total.min(MAX_WRITE) => &first[..total.min(MAX_WRITE)],
            Some(_) => {
                let take = total.min(MAX_FRAGMENT);
                gather.clear();
                for buf in bufs {
                    let room = take - gather.len();
                    gather.extend_from_slice(&buf[..buf.len().min(room)]);
                }
                &gather
            }
        };
        let taken = data.len();
        let result = loop {
            match self.step(Intent::Write(data)) {
                Ok(Step::Open) => break Ok(taken),
                Ok(Step::Again | Step::Data(_)) => {}
                Ok(Step::NeedInput) => break Ok(0),
                Ok(Step::Closed) => break Err(io::ErrorKind::BrokenPipe.into()),
                Err(e) => break Err(e),
            }
        };
        // At most one record's worth: kept until the connection is idle.
        self.gather = gather;
        result
    }

    /// Queues close_notify (once).
    ///
    /// # Errors
    ///
    /// A TLS error.
    pub fn close_notify(&mut self) -> io::Result<()> {
        if self.out.closing || self.failed {
            return Ok(());
        }
        loop {
            match self.step(Intent::Close)? {
                Step::Again | Step::Data(_) => {}
                Step::Open | Step::NeedInput | Step::Closed => return Ok(()),
            }
        }
    }

    /// Ciphertext to write.
    pub fn outgoing(&self) -> &[u8] {
        let out = &self.out;
        &out.records[out.sent..out.end]
    }

    /// `n` bytes of [`outgoing`](Self::outgoing) were written. Once all are, the buffer is let
    /// go.
    pub fn advance_outgoing(&mut self, n: usize) {
        let out = &mut self.out;
        out.sent = (out.sent + n).min(out.end);
        if out.sent == out.end {
            out.sent = 0;
            out.end = 0;
            spare::put(std::mem::take(&mut out.records));
        }
    }

    /// The transport has nothing to read now: the buffers an idle connection does not need are
    /// let go (the read buffer to this thread's spare list), keeping only a short unfinished
    /// record. An adapter calls it whenever a read of ciphertext would block.
    pub fn read_would_block(&mut self) {
        self.gather = Vec::new();
        let pending = self.filled - self.start;
        if pending == 0 {
            self.start = 0;
            self.filled = 0;
            spare::put(std::mem::take(&mut self.incoming));
        } else if pending <= KEEP_PENDING && self.incoming.len() > KEEP_PENDING {
            let rest = self.incoming[self.start..self.filled].to_vec();
            self.start = 0;
            self.filled = pending;
            spare::put(std::mem::replace(&mut self.incoming, rest));
        }
    }

    /// One look at the connection's state: processes buffered ciphertext and does what the
    /// state asks (and what `intent` wants, when the state allows it).
    fn step(&mut self, intent: Intent<'_>) -> io::Result<Step> {
        if self.failed {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the TLS connection failed earlier",
            ));
        }
        let result = self.step_once(intent);
        if result.is_err() {
            self.failed = true;
            // The alert rustls queued for the peer, if any, goes to `outgoing` (rustls hands
            // out what it queued before it looks at the input again).
            let _ = self.step_once(Intent::Progress);
        }
        result
    }

    fn step_once(&mut self, intent: Intent<'_>) -> io::Result<Step> {
        let Self {
            side,
            incoming,
            start,
            filled,
            out,
            ..
        } = self;
        let records = &mut incoming[*start..*filled];
        let (discard, step) = match side {
            Side::Client(c) => handle(c.process_tls_records(records), intent, out),
            Side::Server(s) => handle(s.process_tls_records(records), intent, out),
        };
        if discard > 0 {
            *start += discard;
            if *start == *filled {
                *start = 0;
                *filled = 0;
            }
        }
        step
    }
}

/// What the connection's states produce.
#[derive(Default)]
struct Out {
    /// Ciphertext to write: `records[sent..end]`.
    records: Vec<u8>,
    sent: usize,
    end: usize,
    /// Plaintext decrypted but not yet handed out (from `TlsLayer::plain_at` on).
    plain: Vec<u8>,
    /// The peer sent close_notify.
    peer_closed: bool,
    /// close_notify was queued.
    closing: bool,
}

impl Out {
    /// Room for `n` more bytes of ciphertext to write.
    fn room(&mut self, n: usize) -> &mut [u8] {
        if self.end == self.sent {
            self.sent = 0;
            self.end = 0;
        }
        if self.records.is_empty()
            && let Some(buf) = spare::take()
        {
            self.records = buf;
        }
        if self.records.len() - self.end < n {
            self.records.resize(self.end + n, 0);
        }
        &mut self.records[self.end..]
    }

    /// Encodes or encrypts into the room for the ciphertext to write, with as much room as the
    /// operation says it needs.
    fn produce<E: std::error::Error + Send + Sync + 'static>(
        &mut self,
        first_guess: usize,
        mut op: impl FnMut(&mut [u8]) -> Result<usize, E>,
        required: impl Fn(&E) -> Option<usize>,
    ) -> io::Result<()> {
        let mut need = first_guess;
        loop {
            match op(self.room(need)) {
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) => match required(&e) {
                    Some(size) if size > need => need = size,
                    _ => return Err(io::Error::other(e)),
                },
            }
        }
    }
}

/// Does what the state asks; returns the input bytes to discard and what comes next.
fn handle<Data>(
    status: UnbufferedStatus<'_, '_, Data>,
    intent: Intent<'_>,
    out: &mut Out,
) -> (usize, io::Result<Step>) {
    let UnbufferedStatus { mut discard, state } = status;
    let state = match state {
        Ok(state) => state,
        Err(e) => return (discard, Err(tls_error(e))),
    };
    let step = match state {
        ConnectionState::ReadTraffic(mut traffic) => {
            let mut copied = 0;
            let mut target = match intent {
                Intent::Read(buf) => Some(buf),
                _ => None,
            };
            while let Some(record) = traffic.next_record() {
                let record = match record {
                    Ok(record) => record,
                    Err(e) => return (discard, Err(tls_error(e))),
                };
                discard += record.discard;
                let mut payload = record.payload;
                if let Some(buf) = target.as_deref_mut()
                    && out.plain.is_empty()
                {
                    let n = payload.len().min(buf.len() - copied);
                    buf[copied..copied + n].copy_from_slice(&payload[..n]);
                    copied += n;
                    payload = &payload[n..];
                }
                out.plain.extend_from_slice(payload);
            }
            if copied > 0 {
                Ok(Step::Data(copied))
            } else {
                Ok(Step::Again)
            }
        }
        ConnectionState::EncodeTlsData(mut encode) => out
            .produce(
                4096,
                |room| encode.encode(room),
                |e| match e {
                    EncodeError::InsufficientSize(InsufficientSizeError { required_size }) => {
                        Some(*required_size)
                    }
                    _ => None,
                },
            )
            .map(|()| Step::Again),
        ConnectionState::TransmitTlsData(transmit) => {
            // The records stay in `outgoing` until written, once.
            transmit.done();
            Ok(Step::Again)
        }
        ConnectionState::BlockedHandshake => Ok(Step::NeedInput),
        ConnectionState::WriteTraffic(mut traffic) => match intent {
            Intent::Write(data) => {
                let records = data.len().div_ceil(MAX_FRAGMENT).max(1);
                out.produce(
                    data.len() + records * RECORD_OVERHEAD,
                    |room| traffic.encrypt(data, room),
                    encrypt_required,
                )
                .map(|()| Step::Open)
            }
            Intent::Close => {
                out.closing = true;
                out.produce(
                    RECORD_OVERHEAD,
                    |room| traffic.queue_close_notify(room),
                    encrypt_required,
                )
                .map(|()| Step::Open)
            }
            Intent::Read(_) | Intent::Progress => Ok(Step::Open),
        },
        ConnectionState::PeerClosed => {
            out.peer_closed = true;
            Ok(Step::Again)
        }
        ConnectionState::Closed => {
            out.peer_closed = true;
            Ok(Step::Closed)
        }
        // Early data is never enabled, and later states are not known here.
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "unexpected TLS connection state (early data?)",
        )),
    };
    (discard, step)
}

fn encrypt_required(e: &EncryptError) -> Option<usize> {
    match e {
        EncryptError::InsufficientSize(InsufficientSizeError { required_size }) => {
            Some(*required_size)
        }
        _ => None,
    }
}

fn tls_error(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

#[cfg(test)]
#[path = "tls_layer_tests.rs"]
mod tests;
