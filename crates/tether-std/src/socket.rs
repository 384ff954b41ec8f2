//! [`MessageSocket`] and its halves: whole messages (or their chunks), text and binary.

use tether_socket::{
    Chunk, CloseCode, CloseFrame, ConnectionInfo, Error, Message, MessageKind, PreparedMessage,
    ReceiveMode, SendOptions, TrySendError,
};

use crate::handle::Handle;
use crate::{MessageWriter, StreamSocket};

/// A WebSocket that sends and receives whole messages, text or binary: the blocking twin of
/// `tether_tokio::MessageSocket`, method for method.
///
/// Get one from [`connect`](crate::connect) or [`accept`](crate::accept). It splits
/// ([`into_split`](Self::into_split)) into halves for two threads.
///
/// ```no_run
/// use tether_std::{ClientConfig, CloseCode};
///
/// let mut ws = tether_std::connect("ws://127.0.0.1:9001/", &ClientConfig::default())?;
/// ws.send("hello")?;
/// while let Some(message) = ws.recv()? {
///     match message.as_text() {
///         Some(text) => println!("text: {text}"),
///         None => println!("{} bytes", message.len()),
///     }
/// }
/// println!("peer closed: {:?}", ws.close_frame());
/// # Ok::<(), tether_std::Error>(())
/// ```
pub struct MessageSocket {
    read: MessageReadHalf,
    write: MessageWriteHalf,
}

/// The receiving half of a split [`MessageSocket`].
pub struct MessageReadHalf {
    handle: Handle,
}

/// The sending half of a split [`MessageSocket`].
pub struct MessageWriteHalf {
    handle: Handle,
}

impl MessageSocket {
    pub(crate) fn new(handle: Handle) -> Self {
        let other = handle.another();
        Self {
            read: MessageReadHalf { handle },
            write: MessageWriteHalf { handle: other },
        }
    }

    /// Receives the next whole message; `Ok(None)` once the peer closed normally (1000, 1001
    /// or no code; its frame is then in [`close_frame`](Self::close_frame)). Blocks up to the
    /// read timeout, if one is set.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] when the peer closed with another code (4000, 1009, ...),
    /// [`Error::Failed`] when the connection failed (1002/1007/1009/1011 sent),
    /// [`Error::Timeout`], [`Error::Io`].
    pub fn recv(&mut self) -> Result<Option<Message>, Error> {
        self.read.recv()
    }

    /// Receives the next chunk of a message as it arrives (in [`ReceiveMode::Chunks`]; in
    /// message mode each whole message is one chunk).
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    pub fn recv_chunk(&mut self) -> Result<Option<Chunk>, Error> {
        self.read.recv_chunk()
    }

    /// Sends a message and writes everything queued out. Blocks first while more than
    /// [`Config::outbound_high_water`](crate::Config) bytes are queued. Large payloads are
    /// written from where they are (no copy).
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] / [`Error::Failed`] after the end, [`Error::Timeout`] for the write
    /// timeout, [`Error::Io`].
    pub fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        self.write.send(message)
    }

    /// As [`send`](Self::send), with options (for example uncompressed).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn send_with(
        &mut self,
        message: impl Into<Message>,
        options: SendOptions,
    ) -> Result<(), Error> {
        self.write.send_with(message, options)
    }

    /// Queues a message without writing it yet: it goes out with the next receive, flush or
    /// send, or a few milliseconds later from the socket's writer thread.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn feed(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        self.write.feed(message)
    }

    /// Queues a message at once, never blocking on the transport: for fan-out to many sockets
    /// from one thread.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] (with the message) while more than the outbound bound is queued;
    /// [`TrySendError::Failed`] otherwise, as [`send`](Self::send).
    pub fn try_send(&mut self, message: impl Into<Message>) -> Result<(), TrySendError<Message>> {
        self.write.try_send(message)
    }

    /// Sends a [`PreparedMessage`], encoded once for many sockets, and writes it out.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
        self.write.send_prepared(prepared)
    }

    /// Queues a [`PreparedMessage`] at once (see [`try_send`](Self::try_send)).
    ///
    /// # Errors
    ///
    /// As [`try_send`](Self::try_send).
    pub fn try_send_prepared(
        &mut self,
        prepared: &PreparedMessage,
    ) -> Result<(), TrySendError<PreparedMessage>> {
        self.write.try_send_prepared(prepared)
    }

    /// Writes everything queued.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] for the write timeout, [`Error::Io`].
    pub fn flush(&mut self) -> Result<(), Error> {
        self.write.flush()
    }

    /// Sends a ping (at most 125 bytes); the answer is not reported.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.write.ping(payload)
    }

    /// Sends an unsolicited pong (a one-way heartbeat, at most 125 bytes).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.write.pong(payload)
    }

    /// Starts one message sent in chunks through the returned [`MessageWriter`].
    ///
    /// # Errors
    ///
    /// Another streamed message is unfinished, or the connection is closed.
    pub fn start_message(&mut self, kind: MessageKind) -> Result<MessageWriter<'_>, Error> {
        self.write.start_message(kind)
    }

    /// Closes: sends a close frame with `code` and `reason` (at most 123 bytes), waits for the
    /// peer's answer (up to the close timeout), and returns the peer's close frame. Received
    /// data meanwhile is dropped.
    ///
    /// # Errors
    ///
    /// [`Error::Send`] for a code that may not be sent or a reason over 123 bytes,
    /// [`Error::Timeout`] when the peer does not answer in time, or how the connection failed.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        self.read.handle.close(code, reason)
    }

    /// The peer's close code and reason, once the close handshake completed.
    pub fn close_frame(&self) -> Option<CloseFrame> {
        self.read.close_frame()
    }

    /// Addresses, what was negotiated, bytes and messages counted.
    pub fn info(&self) -> ConnectionInfo {
        self.read.info()
    }

    /// Bytes queued for the transport and not yet written.
    pub fn buffered_amount(&self) -> usize {
        self.write.buffered_amount()
    }

    /// Switches between whole messages and chunks as they arrive, from the next message on.
    pub fn set_receive_mode(&mut self, mode: ReceiveMode) {
        self.read
            .handle
            .with(|d| d.session.connection_mut().config_mut().receive_mode = mode);
    }

    /// Turns this socket into a [`StreamSocket`]: received payloads are then read as a byte
    /// stream, with no message size limit (memory stays constant).
    pub fn into_stream(self) -> StreamSocket {
        StreamSocket::from_halves(self.read.handle, self.write.handle)
    }

    /// Splits into owned receiving and sending halves for two threads. Pings are answered
    /// by the socket's reader thread whatever either half is doing. Either half can close.
    pub fn into_split(self) -> (MessageReadHalf, MessageWriteHalf) {
        (self.read, self.write)
    }
}

impl MessageReadHalf {
    /// See [`MessageSocket::recv`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::recv`].
    pub fn recv(&mut self) -> Result<Option<Message>, Error> {
        self.handle.recv(Session::recv)
    }

    /// See [`MessageSocket::recv_chunk`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::recv`].
    pub fn recv_chunk(&mut self) -> Result<Option<Chunk>, Error> {
        self.handle.recv(Session::recv_chunk)
    }

    /// Closes from the receiving side (see [`MessageSocket::close`]).
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::close`].
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        self.handle.close(code, reason)
    }

    /// See [`MessageSocket::close_frame`].
    pub fn close_frame(&self) -> Option<CloseFrame> {
        self.handle.with(|d| d.session.close_frame())
    }

    /// See [`MessageSocket::info`].
    pub fn info(&self) -> ConnectionInfo {
        self.handle.with(|d| d.session.info())
    }
}

use tether_socket::Session;

impl MessageWriteHalf {
    /// See [`MessageSocket::send`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::send`].
    pub fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        self.send_with(message, SendOptions::default())
    }

    /// See [`MessageSocket::send_with`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::send`].
    pub fn send_with(
        &mut self,
        message: impl Into<Message>,
        options: SendOptions,
    ) -> Result<(), Error> {
        let message = message.into();
        self.handle.queue(|s| s.send(message, options), true)
    }

    /// See [`MessageSocket::feed`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::send`].
    pub fn feed(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        let message = message.into();
        self.handle
            .queue(|s| s.send(message, SendOptions::default()), false)
    }

    /// See [`MessageSocket::try_send`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::try_send`].
    pub fn try_send(&self, message: impl Into<Message>) -> Result<(), TrySendError<Message>> {
        let message = message.into();
        self.handle.try_queue(|s| {
            if !s.is_writable() {
                return Err(TrySendError::Full(message));
            }
            s.send(message, SendOptions::default())
                .map_err(TrySendError::Failed)
        })
    }

    /// See [`MessageSocket::send_prepared`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::send`].
    pub fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
        self.handle.queue(|s| s.send_prepared(prepared), true)
    }

    /// See [`MessageSocket::try_send_prepared`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::try_send`].
    pub fn try_send_prepared(
        &self,
        prepared: &PreparedMessage,
    ) -> Result<(), TrySendError<PreparedMessage>> {
        self.handle.try_queue(|s| {
            if !s.is_writable() {
                return Err(TrySendError::Full(prepared.clone()));
            }
            s.send_prepared(prepared).map_err(TrySendError::Failed)
        })
    }

    /// See [`MessageSocket::flush`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::flush`].
    pub fn flush(&mut self) -> Result<(), Error> {
        self.handle.flush()
    }

    /// See [`MessageSocket::ping`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::send`].
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.handle.queue(|s| s.ping(payload), true)
    }

    /// See [`MessageSocket::pong`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::send`].
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.handle.queue(|s| s.pong(payload), true)
    }

    /// See [`MessageSocket::start_message`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::start_message`].
    pub fn start_message(&mut self, kind: MessageKind) -> Result<MessageWriter<'_>, Error> {
        MessageWriter::start(&self.handle, kind)
    }

    /// Starts the close handshake and returns once the close frame is written; the receiving
    /// half sees the peer's answer.
    ///
    /// # Errors
    ///
    /// [`Error::Send`] for a code that may not be sent, write failures.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.handle.start_close(code, reason)
    }

    /// See [`MessageSocket::buffered_amount`].
    pub fn buffered_amount(&self) -> usize {
        self.handle
            .with(|d| d.session.connection().buffered_output())
    }

    /// See [`MessageSocket::info`].
    pub fn info(&self) -> ConnectionInfo {
        self.handle.with(|d| d.session.info())
    }
}

impl std::fmt::Debug for MessageSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageSocket")
            .field("info", &self.info())
            .finish_non_exhaustive()
    }
}
