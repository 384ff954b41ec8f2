//! [`MessageSocket`] and its halves: whole messages (or their chunks), text and binary, with
//! `async` methods and the `Stream` / `Sink` traits.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;
use tether_socket::{
    Batch, Chunk, CloseCode, CloseFrame, ConnectionInfo, Error, Message, MessageKind,
    PreparedMessage, ReceiveMode, SendOptions, Session, TrySendError,
};

use crate::handle::Handle;
use crate::held::Held;
use crate::{MessageWriter, StreamSocket};

/// A WebSocket that sends and receives whole messages, text or binary.
///
/// Get one from [`connect`](crate::connect) or [`accept`](crate::accept) (or
/// [`take_over`](crate::take_over) after an HTTP server did the handshake). Besides the methods
/// below it is a `Stream<Item = Result<Message, Error>>` and a `Sink<Message>`, and it splits
/// ([`into_split`](Self::into_split)) into halves for two tasks.
///
/// ```no_run
/// # async fn run() -> Result<(), tether_tokio::Error> {
/// use tether_tokio::{ClientConfig, CloseCode, Message};
///
/// let mut ws = tether_tokio::connect("ws://127.0.0.1:9001/", &ClientConfig::default()).await?;
/// ws.send("hello").await?;
/// while let Some(message) = ws.recv().await? {
///     match message.as_text() {
///         Some(text) => println!("text: {text}"),
///         None => println!("{} bytes", message.len()),
///     }
/// }
/// println!("peer closed: {:?}", ws.close_frame());
/// # Ok(()) }
/// ```
pub struct MessageSocket {
    /// First, so a dropped socket queues what it held before its handles go (and the keeper
    /// closes).
    held: Held,
    read: MessageReadHalf,
    write: MessageWriteHalf,
}

/// The receiving half of a split [`MessageSocket`]; also a `Stream` of messages.
pub struct MessageReadHalf {
    handle: Handle,
    /// The `Stream` reported the end.
    ended: bool,
    /// Whole messages received in one burst and not handed out yet (see
    /// [`Session::recv_batch`](tether_socket::Session::recv_batch)): a receive takes the next
    /// one without the connection's lock.
    batch: Batch,
}

/// The sending half of a split [`MessageSocket`]; also a `Sink` of messages.
pub struct MessageWriteHalf {
    handle: Handle,
}

impl MessageSocket {
    pub(crate) fn new(handle: Handle) -> Self {
        let other = handle.another();
        Self {
            held: Held::new(handle.downgrade()),
            read: MessageReadHalf {
                handle,
                ended: false,
                batch: Batch::default(),
            },
            write: MessageWriteHalf { handle: other },
        }
    }

    pub(crate) fn write_handle(&self) -> &Handle {
        &self.write.handle
    }

    /// Receives the next whole message; `Ok(None)` once the peer closed normally (1000, 1001
    /// or no code; its frame is then in [`close_frame`](Self::close_frame)). Waits up to the
    /// read timeout, if one is set.
    ///
    /// **Cancel safe**: dropping the future (in `tokio::select!`, say) loses no message.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] when the peer closed with another code (4000, 1009, ...),
    /// [`Error::Failed`] when the connection failed (1002/1007/1009/1011 sent),
    /// [`Error::Timeout`], [`Error::Io`].
    pub async fn recv(&mut self) -> Result<Option<Message>, Error> {
        if let Some(message) = self.read.batch.pop() {
            return Ok(Some(message));
        }
        // One lock for the burst: the answers held for it are queued, and written by the
        // read that looks for the next burst.
        let (held, read) = (&mut self.held, &mut self.read);
        let mut fresh = true;
        poll_fn(|cx| {
            let batch = &mut read.batch;
            let polled = read.handle.poll_recv(
                cx,
                std::mem::take(&mut fresh),
                |s| held.queue(s),
                &mut |s: &mut Session| s.recv_batch(batch),
            );
            if polled.is_pending() {
                held.waiting();
            }
            polled
        })
        .await
    }

    /// Queues the answers held for a burst (see [`feed`](Self::feed)) ahead of what the socket
    /// does next.
    fn release(&mut self) -> Result<(), Error> {
        if self.held.is_empty() {
            return Ok(());
        }
        let held = &mut self.held;
        let queued = self.write.handle.with(|d| held.queue(&mut d.session));
        self.write.handle.nudge();
        queued
    }

    /// Receives the next chunk of a message as it arrives (in [`ReceiveMode::Chunks`]; in
    /// message mode each whole message is one chunk). Cancel safe.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    pub async fn recv_chunk(&mut self) -> Result<Option<Chunk>, Error> {
        self.release()?;
        self.read.recv_chunk().await
    }

    /// Sends a message and writes everything queued out. Waits first while more than
    /// [`Config::outbound_high_water`](crate::Config) bytes are queued. Large payloads are
    /// written from where they are (no copy).
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] / [`Error::Failed`] after the end, [`Error::Timeout`] for the write
    /// timeout, [`Error::Io`].
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        self.release()?;
        self.write.send(message).await
    }

    /// As [`send`](Self::send), with options (for example uncompressed).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_with(
        &mut self,
        message: impl Into<Message>,
        options: SendOptions,
    ) -> Result<(), Error> {
        self.release()?;
        self.write.send_with(message, options).await
    }

    /// Queues a message without writing it yet: it goes out with the next receive that finds
    /// no more input ready, the next [`flush`](Self::flush) or `send`, or soon after on its own.
    /// An echo loop of `recv` + `feed` thus answers a burst of messages with one write.
    ///
    /// While messages received in one burst are still waiting to be taken, a small message fed
    /// is held by the socket until its next receive that reads (or `flush`, `send`, `close`,
    /// or the socket's drop): such a loop comes back for the rest of the burst, and its
    /// answers then cost no lock each. A task that stops receiving in the middle of a burst
    /// and wants its answers out meanwhile calls [`flush`](Self::flush).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send). An answer held for a burst that the connection can no longer
    /// take (it ended meanwhile) is reported by the call that queues it.
    pub async fn feed(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        let mut message = message.into();
        if !self.read.batch.is_empty() {
            match self.held.hold(message) {
                Ok(()) => return Ok(()),
                Err(given_back) => message = given_back,
            }
        }
        let held = &mut self.held;
        self.write
            .handle
            .queue(
                |s| {
                    held.queue(s)?;
                    s.send(message, SendOptions::default())
                },
                false,
            )
            .await
    }

    /// Queues a message at once, never waiting: for fan-out to many sockets from one task.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] (with the message) while more than the outbound bound is queued;
    /// [`TrySendError::Failed`] otherwise, as [`send`](Self::send).
    pub fn try_send(&mut self, message: impl Into<Message>) -> Result<(), TrySendError<Message>> {
        self.release().map_err(TrySendError::Failed)?;
        self.write.try_send(message)
    }

    /// Sends a [`PreparedMessage`], encoded once for many sockets, and writes it out.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
        self.release()?;
        self.write.send_prepared(prepared).await
    }

    /// Queues a [`PreparedMessage`] at once, never waiting (see [`try_send`](Self::try_send)).
    ///
    /// # Errors
    ///
    /// As [`try_send`](Self::try_send).
    pub fn try_send_prepared(
        &mut self,
        prepared: &PreparedMessage,
    ) -> Result<(), TrySendError<PreparedMessage>> {
        self.release().map_err(TrySendError::Failed)?;
        self.write.try_send_prepared(prepared)
    }

    /// Writes everything queued.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] for the write timeout, [`Error::Io`].
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.release()?;
        self.write.flush().await
    }

    /// Sends a ping (at most 125 bytes); the answer is not reported.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.release()?;
        self.write.ping(payload).await
    }

    /// Sends an unsolicited pong (a one-way heartbeat, at most 125 bytes).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.release()?;
        self.write.pong(payload).await
    }

    /// Starts one message sent in chunks through the returned [`MessageWriter`], so a large
    /// message never has to be in memory whole.
    ///
    /// # Errors
    ///
    /// Another streamed message is unfinished, or the connection is closed.
    pub async fn start_message(&mut self, kind: MessageKind) -> Result<MessageWriter<'_>, Error> {
        self.release()?;
        self.write.start_message(kind).await
    }

    /// Closes: sends a close frame with `code` and `reason` (at most 123 bytes), waits for the
    /// peer's answer (up to the close timeout), and returns the peer's close frame. Received
    /// data meanwhile is dropped.
    ///
    /// # Errors
    ///
    /// [`Error::Send`] for a code that may not be sent or a reason over 123 bytes,
    /// [`Error::Timeout`] when the peer does not answer in time, or how the connection failed.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        // The answers held go out ahead of the close frame; failing that, the close says why.
        let _ = self.release();
        self.read.close(code, reason).await
    }

    /// The peer's close code and reason, once the close handshake completed.
    pub fn close_frame(&self) -> Option<CloseFrame> {
        self.read.close_frame()
    }

    /// Addresses, what was negotiated, bytes and messages counted.
    pub fn info(&self) -> ConnectionInfo {
        self.read.info()
    }

    /// Bytes queued for the transport and not yet written (answers held for a burst count
    /// with their payload).
    pub fn buffered_amount(&self) -> usize {
        self.write.buffered_amount() + self.held.bytes()
    }

    /// Switches between whole messages and chunks as they arrive, from the next message on.
    pub fn set_receive_mode(&mut self, mode: ReceiveMode) {
        self.read
            .handle
            .with(|d| d.session.connection_mut().config_mut().receive_mode = mode);
    }

    /// Turns this socket into a [`StreamSocket`]: received payloads are then read as a byte
    /// stream, chunk by chunk, with no message size limit (memory stays constant).
    pub fn into_stream(mut self) -> StreamSocket {
        let _ = self.release();
        let mut read = self.read;
        read.give_back();
        StreamSocket::from_halves(read.handle, self.write.handle)
    }

    /// Splits into owned receiving and sending halves for two tasks. Pings are answered, and
    /// queued output written, whichever half is busy — or by the connection's keeper when
    /// neither is. Either half can close.
    pub fn into_split(mut self) -> (MessageReadHalf, MessageWriteHalf) {
        let _ = self.release();
        (self.read, self.write)
    }
}

impl MessageReadHalf {
    /// See [`MessageSocket::recv`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::recv`].
    pub async fn recv(&mut self) -> Result<Option<Message>, Error> {
        if let Some(message) = self.batch.pop() {
            return Ok(Some(message));
        }
        let batch = &mut self.batch;
        self.handle.recv(|s| s.recv_batch(batch)).await
    }

    /// Hands the messages received in a burst and not taken yet back to the session, before a
    /// receive of another kind (chunks, a byte stream) or a close.
    fn give_back(&mut self) {
        if !self.batch.is_empty() {
            let batch = &mut self.batch;
            self.handle.with(|d| d.session.unrecv(batch));
        }
    }

    /// See [`MessageSocket::recv_chunk`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::recv`].
    pub async fn recv_chunk(&mut self) -> Result<Option<Chunk>, Error> {
        self.give_back();
        self.handle.recv(|s| s.recv_chunk()).await
    }

    /// Closes from the receiving side (see [`MessageSocket::close`]).
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::close`].
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        // Received data is dropped while closing.
        self.give_back();
        self.handle.close(code, reason).await
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

impl MessageWriteHalf {
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// See [`MessageSocket::send`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::send`].
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        self.send_with(message, SendOptions::default()).await
    }

    /// See [`MessageSocket::send_with`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::send`].
    pub async fn send_with(
        &mut self,
        message: impl Into<Message>,
        options: SendOptions,
    ) -> Result<(), Error> {
        let message = message.into();
        self.handle.queue(|s| s.send(message, options), true).await
    }

    /// See [`MessageSocket::feed`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::send`].
    pub async fn feed(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        let message = message.into();
        self.handle
            .queue(|s| s.send(message, SendOptions::default()), false)
            .await
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
    pub async fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
        self.handle.queue(|s| s.send_prepared(prepared), true).await
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
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.handle.flush().await
    }

    /// See [`MessageSocket::ping`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::send`].
    pub async fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.handle.queue(|s| s.ping(payload), true).await
    }

    /// See [`MessageSocket::pong`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::send`].
    pub async fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.handle.queue(|s| s.pong(payload), true).await
    }

    /// See [`MessageSocket::start_message`].
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::start_message`].
    pub async fn start_message(&mut self, kind: MessageKind) -> Result<MessageWriter<'_>, Error> {
        MessageWriter::start(&self.handle, kind).await
    }

    /// Starts the close handshake and returns once the close frame is written; the receiving
    /// half sees the peer's answer.
    ///
    /// # Errors
    ///
    /// [`Error::Send`] for a code that may not be sent, write failures.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.handle.start_close(code, reason).await
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

// ---- Stream and Sink ----

/// Ends after the end of the connection: `None` once closed normally, one `Err` otherwise (a
/// read timeout leaves the stream going).
impl Stream for MessageReadHalf {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        let item = match this.batch.pop() {
            Some(message) => Some(Ok(message)),
            None => {
                let batch = &mut this.batch;
                std::task::ready!(
                    this.handle
                        .poll_recv(cx, false, |_| Ok(()), &mut |s| s.recv_batch(batch))
                )
                .transpose()
            }
        };
        // A read timeout leaves the stream going; anything else but a message ends it.
        if !matches!(
            item,
            Some(Ok(_) | Err(Error::Timeout(tether_socket::TimeoutKind::Read)))
        ) {
            this.ended = true;
        }
        Poll::Ready(item)
    }
}

impl Stream for MessageSocket {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.read.batch.is_empty()
            && !this.read.ended
            && let Err(e) = this.release()
        {
            this.read.ended = true;
            return Poll::Ready(Some(Err(e)));
        }
        Pin::new(&mut this.read).poll_next(cx)
    }
}

/// `poll_ready` waits below the outbound bound, `start_send` queues (the same path as
/// [`MessageSocket::feed`]), `poll_flush` writes, `poll_close` starts the close handshake with
/// 1000 and writes the close frame (the peer's answer ends the stream).
impl Sink<Message> for MessageWriteHalf {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.handle.poll_writable(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.handle
            .with(|d| d.session.send(item, SendOptions::default()))?;
        self.handle.nudge();
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.handle.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.handle.with(|d| {
            let now = d.now();
            d.session.close(now, CloseCode::NORMAL, "")
        })?;
        self.handle.poll_flush(cx)
    }
}

/// As the [`MessageWriteHalf`] sink.
impl Sink<Message> for MessageSocket {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().write).poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        let this = self.get_mut();
        this.release()?;
        Pin::new(&mut this.write).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        this.release()?;
        Pin::new(&mut this.write).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        let _ = this.release();
        Pin::new(&mut this.write).poll_close(cx)
    }
}
