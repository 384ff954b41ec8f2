//! [`MessageSocket`] and its halves: whole messages (or their pieces), text and binary (WinRT
//! `MessageWebSocket`), with inherent async methods and the `Stream` / `Sink` traits.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_core::Stream;
use futures_sink::Sink;
use tether_net::{ConnectionInfo, Error, MessageType, SocketConfig};
use tether_proto::connection::{Negotiated, State};
use tether_proto::{CloseCode, CloseFrame, Connection, MessageKind, OsEntropy, ReceiveMode, Role};

use crate::driver::{Addrs, Driver};
use crate::handle::Handle;
use crate::message::{chunk, whole};
use crate::{Chunk, MaybeTlsStream, Message, MessageWriter, StreamSocket, Transport};

/// The receive operations, shared by [`MessageSocket`] and [`MessageReadHalf`].
macro_rules! recv_methods {
    () => {
        /// Receives the next whole message; `Ok(None)` once the peer closed cleanly (its code
        /// and reason are then in [`close_frame`](Self::close_frame)). Pings are answered on
        /// the way, and output queued with `feed_*` is written whenever no more input is
        /// ready. Waits up to the read timeout ([`Error::Timeout`] leaves the socket usable).
        ///
        /// **Cancel safe**: dropping the future (in `tokio::select!`, say) loses no message;
        /// the next call receives it.
        ///
        /// # Errors
        ///
        /// [`Error::Protocol`] (1002/1007 sent), [`Error::MessageTooBig`] (1009 sent),
        /// [`Error::Timeout`], [`Error::Io`], ...
        pub async fn recv(&mut self) -> Result<Option<Message>, Error> {
            loop {
                match self.handle.next(whole).await? {
                    None => return Ok(None),
                    Some(Some(message)) => return message.map(Some),
                    Some(None) => {}
                }
            }
        }

        /// Receives the next whole message into `buf` (replacing its contents) and returns its
        /// type: the allocation-free path for small messages, which are copied into `buf`'s
        /// capacity. A message assembled from several frames or reads is swapped in instead
        /// (no copy), and `buf`'s old allocation assembles the next one. `Ok(None)` once
        /// closed cleanly. Cancel safe, like [`recv`](Self::recv).
        ///
        /// # Errors
        ///
        /// As [`recv`](Self::recv).
        pub async fn recv_into(&mut self, buf: &mut Vec<u8>) -> Result<Option<MessageKind>, Error> {
            self.handle.recv_into(buf).await
        }

        /// Receives the next piece of a message as it arrives (with
        /// [`ReceiveMode::Partial`]; in message mode each piece is a whole message).
        /// `Ok(None)` once closed cleanly. Cancel safe.
        ///
        /// # Errors
        ///
        /// As [`recv`](Self::recv).
        pub async fn recv_chunk(&mut self) -> Result<Option<Chunk>, Error> {
            self.handle.next(|i, _| chunk(i)).await
        }

        /// Sets how long each receive may wait (`None`: for ever).
        pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
            self.handle.with_mut(|d| d.read_timeout = timeout);
        }
    };
}

/// The send operations, shared by [`MessageSocket`] and [`MessageWriteHalf`].
macro_rules! send_methods {
    () => {
        /// Sends `data` as one message of the socket's [`MessageType`] (text must be UTF-8)
        /// and writes it out.
        ///
        /// Waits first while more than the outbound buffer size is queued. Cancelling after
        /// the message was queued leaves it queued (it goes out with the next write).
        ///
        /// # Errors
        ///
        /// [`Error::Send`] (e.g. invalid UTF-8 for a text socket), [`Error::ConnectionClosed`]
        /// after the end, [`Error::Timeout`] for the write timeout, [`Error::Io`].
        pub async fn send(&mut self, data: impl AsRef<[u8]>) -> Result<(), Error> {
            let kind = match self.message_type {
                MessageType::Utf8 => MessageKind::Text,
                MessageType::Binary => MessageKind::Binary,
            };
            self.send_as(kind, data.as_ref()).await
        }

        /// Sends a text message and writes it out.
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub async fn send_text(&mut self, text: &str) -> Result<(), Error> {
            self.handle
                .send_message(tether_proto::Message::Text(text), true)
                .await
        }

        /// Sends a binary message and writes it out.
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub async fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
            self.handle
                .send_message(tether_proto::Message::Binary(data), true)
                .await
        }

        /// Sends an owned [`Message`] of either type and writes it out.
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub async fn send_message(&mut self, message: &Message) -> Result<(), Error> {
            match message {
                Message::Text(t) => self.send_text(t).await,
                Message::Binary(b) => self.send_binary(b).await,
            }
        }

        /// Sends `data` as one message of type `kind` (text must be UTF-8) and writes it out.
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub async fn send_as(&mut self, kind: MessageKind, data: &[u8]) -> Result<(), Error> {
            self.handle
                .send_message(crate::ops::message(kind, data)?, true)
                .await
        }

        /// Queues `data` as one message of type `kind` without writing it yet: it goes out
        /// with the next [`flush`](Self::flush), the next `send_*`, once the outbound buffer
        /// fills, or — on a whole socket or with a running read half — as soon as the next
        /// receive finds no more input ready. An echo loop of `recv_into` + `feed_as` thus
        /// answers a burst of messages with one write, without adding latency.
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub async fn feed_as(&mut self, kind: MessageKind, data: &[u8]) -> Result<(), Error> {
            self.handle
                .send_message(crate::ops::message(kind, data)?, false)
                .await
        }

        /// Queues a text message; see [`feed_as`](Self::feed_as).
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub async fn feed_text(&mut self, text: &str) -> Result<(), Error> {
            self.handle
                .send_message(tether_proto::Message::Text(text), false)
                .await
        }

        /// Queues a binary message; see [`feed_as`](Self::feed_as).
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub async fn feed_binary(&mut self, data: &[u8]) -> Result<(), Error> {
            self.handle
                .send_message(tether_proto::Message::Binary(data), false)
                .await
        }

        /// Writes everything queued.
        ///
        /// # Errors
        ///
        /// [`Error::Timeout`] for the write timeout, [`Error::Io`].
        pub async fn flush(&mut self) -> Result<(), Error> {
            self.handle.flush().await
        }

        /// Sends a ping (at most 125 bytes); the peer's pong is dropped.
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub async fn send_ping(&mut self, payload: &[u8]) -> Result<(), Error> {
            self.handle.send(|c| c.send_ping(payload), true).await
        }

        /// Sends an unsolicited pong (a one-way heartbeat, at most 125 bytes).
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub async fn send_pong(&mut self, payload: &[u8]) -> Result<(), Error> {
            self.handle.send(|c| c.send_pong(payload), true).await
        }

        /// Starts one message sent in pieces through the returned [`MessageWriter`], so a
        /// large message never has to be in memory whole.
        ///
        /// # Errors
        ///
        /// Another streamed message is unfinished, or the connection is closed.
        pub async fn start_message(
            &mut self,
            kind: MessageKind,
        ) -> Result<MessageWriter<'_, S>, Error> {
            MessageWriter::start(&mut self.handle, kind).await
        }

        /// The type [`send`](Self::send) uses (WinRT `MessageType`, the one control that may
        /// change after connecting).
        pub fn message_type(&self) -> MessageType {
            self.message_type
        }

        /// Changes the type [`send`](Self::send) uses.
        pub fn set_message_type(&mut self, message_type: MessageType) {
            self.message_type = message_type;
        }
    };
}

/// The getters shared by every socket type.
macro_rules! info_methods {
    () => {
        /// Addresses, negotiated subprotocol and extensions, bytes and messages counted.
        pub fn info(&self) -> ConnectionInfo {
            self.handle.with(|d| d.info())
        }

        /// The peer's close code and reason, once the close handshake completed.
        pub fn close_frame(&self) -> Option<CloseFrame> {
            self.handle.with(|d| d.close_frame())
        }

        /// Bytes queued for the transport and not yet written (at most about the outbound
        /// buffer size plus one message or piece).
        pub fn buffered_amount(&self) -> usize {
            self.handle.with(|d| d.conn.buffered_output())
        }
    };
}
pub(crate) use info_methods;

/// A WebSocket that sends and receives whole messages, text or binary (WinRT
/// `MessageWebSocket`).
///
/// Get one from [`connect`](crate::connect) / [`connect_with`](crate::connect_with),
/// [`accept`](crate::accept) / [`accept_with`](crate::accept_with), or
/// [`from_upgraded`](Self::from_upgraded) after an HTTP server did the handshake. Besides the
/// inherent methods it is a `Stream<Item = Result<Message, Error>>` and a `Sink<Message>`.
///
/// ```no_run
/// use tether_tokio::{connect, CloseCode, Message};
///
/// # async fn run() -> Result<(), tether_tokio::Error> {
/// let mut ws = connect("ws://127.0.0.1:9001/").await?;
/// ws.send_text("hello").await?;
/// while let Some(message) = ws.recv().await? {
///     match message {
///         Message::Text(text) => println!("text: {text}"),
///         Message::Binary(bytes) => println!("{} bytes", bytes.len()),
///     }
/// }
/// println!("peer closed: {:?}", ws.close_frame());
/// # Ok(()) }
/// ```
pub struct MessageSocket<S = MaybeTlsStream> {
    handle: Handle<S>,
    message_type: MessageType,
}

impl<S: Transport> MessageSocket<S> {
    pub(crate) fn from_driver(driver: Driver<S>, config: &SocketConfig) -> Self {
        Self {
            handle: Handle::new(driver),
            message_type: config.message_type,
        }
    }

    /// A server socket over a connection whose upgrade an HTTP server already accepted
    /// (hyper's `hyper::upgrade::on`, wrapped in `hyper_util::rt::TokioIo`; see the
    /// `hyper_upgrade` example): `negotiated` is what the 101 response settled (the
    /// subprotocol chosen with `Request::accept_http`). It starts open.
    pub fn from_upgraded(io: S, negotiated: Negotiated, config: &SocketConfig) -> Self {
        Self::from_driver(
            upgraded(io, negotiated, config.proto_config(), config),
            config,
        )
    }

    recv_methods!();
    send_methods!();
    info_methods!();

    /// Closes: sends a close frame with `code` and `reason` (at most 123 bytes), waits for the
    /// peer's answer and the end of the transport (up to the close timeout), and returns the
    /// peer's close frame. Incoming data meanwhile is dropped.
    ///
    /// # Errors
    ///
    /// [`Error::Send`] for a code that may not be sent, [`Error::Timeout`] when the peer does
    /// not answer in time, or how the connection failed.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        self.handle.close(code, reason).await
    }

    /// Switches to receiving pieces as they arrive ([`recv_chunk`](Self::recv_chunk)), or
    /// back to whole messages, from the next message on.
    pub fn set_receive_mode(&mut self, mode: ReceiveMode) {
        self.handle
            .with_mut(|d| d.conn.config_mut().receive_mode = mode);
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        match &self.handle {
            Handle::Whole(d) => &d.io,
            Handle::Half(_) => unreachable_half(),
        }
    }

    /// Turns this socket into a [`StreamSocket`]: incoming data is then received in pieces as
    /// it arrives, with no message size limit (memory stays constant whatever the size).
    pub fn into_stream(mut self) -> StreamSocket<S> {
        self.handle.with_mut(|d| {
            let config = d.conn.config_mut();
            config.receive_mode = ReceiveMode::Partial;
            config.max_message_size = u64::MAX;
        });
        StreamSocket::from_handle(self.handle)
    }

    /// Splits into owned reading and writing halves for two tasks.
    ///
    /// The halves share the connection behind a lock that each takes only for one
    /// synchronous poll step. The read half reads, runs the timers (keepalive, close
    /// timeout) and writes queued output (pongs, the close answer) whenever no more input is
    /// ready, so pings are answered while the write half is idle; the write half queues and
    /// flushes. Either half can close.
    pub fn into_split(self) -> (MessageReadHalf<S>, MessageWriteHalf<S>) {
        let (read, write) = self.handle.split();
        (
            MessageReadHalf { handle: read },
            MessageWriteHalf {
                handle: write,
                message_type: self.message_type,
            },
        )
    }

    /// The same as [`into_split`](Self::into_split).
    pub fn split(self) -> (MessageReadHalf<S>, MessageWriteHalf<S>) {
        self.into_split()
    }
}

/// A whole socket's handle is never a half.
fn unreachable_half() -> ! {
    unreachable!("a whole socket owns its driver")
}

pub(crate) fn upgraded<S: Transport>(
    io: S,
    negotiated: Negotiated,
    proto: tether_proto::Config,
    config: &SocketConfig,
) -> Driver<S> {
    let origin = tokio::time::Instant::now();
    let conn = Connection::open(
        Role::Server,
        negotiated,
        proto,
        OsEntropy::new(),
        tether_proto::Instant::ZERO,
    );
    Driver::new(conn, io, origin, config, Addrs::default())
}

impl<S: Transport> std::fmt::Debug for MessageSocket<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageSocket")
            .field("info", &self.info())
            .finish_non_exhaustive()
    }
}

/// The receiving half of a split [`MessageSocket`]; also a `Stream` of messages.
pub struct MessageReadHalf<S = MaybeTlsStream> {
    handle: Handle<S>,
}

impl<S: Transport> MessageReadHalf<S> {
    recv_methods!();
    info_methods!();

    /// Closes from the reading side: sends a close frame, reads until the peer answers and
    /// returns its close frame (as [`MessageSocket::close`]).
    ///
    /// # Errors
    ///
    /// As [`MessageSocket::close`].
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        self.handle.close(code, reason).await
    }
}

/// The sending half of a split [`MessageSocket`]; also a `Sink` of messages.
pub struct MessageWriteHalf<S = MaybeTlsStream> {
    handle: Handle<S>,
    message_type: MessageType,
}

impl<S: Transport> MessageWriteHalf<S> {
    send_methods!();
    info_methods!();

    /// Starts the close handshake and returns once the close frame is written; the reading
    /// half sees the peer's answer (its `recv` returns `Ok(None)`).
    ///
    /// # Errors
    ///
    /// [`Error::Send`] for a code that may not be sent, write failures.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.handle.start_close(code, reason).await
    }
}

// ---- Stream and Sink ----

fn poll_next_message<S: Transport>(
    handle: &mut Handle<S>,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Message, Error>>> {
    if handle.with(|d| d.ended) {
        return Poll::Ready(None);
    }
    loop {
        let step = ready!(handle.drive(cx, |d, cx| d.poll_next(cx, &mut whole)));
        let item = match step {
            Ok(None) => None,
            Ok(Some(None)) => continue,
            Ok(Some(Some(result))) => Some(result),
            Err(e) => Some(Err(e)),
        };
        // Timeouts leave the socket usable; anything else ends the stream.
        if !matches!(
            item,
            Some(Ok(_)) | Some(Err(Error::Timeout(tether_net::TimeoutKind::Read)))
        ) {
            handle.with_mut(|d| d.ended = true);
        }
        return Poll::Ready(item);
    }
}

impl<S: Transport> Stream for MessageSocket<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        poll_next_message(&mut self.get_mut().handle, cx)
    }
}

impl<S: Transport> Stream for MessageReadHalf<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        poll_next_message(&mut self.get_mut().handle, cx)
    }
}

fn start_send_message<S: Transport>(handle: &mut Handle<S>, item: &Message) -> Result<(), Error> {
    handle.with_mut(|d| {
        d.command(|c| match item {
            Message::Text(t) => c.send_text(t),
            Message::Binary(b) => c.send_binary(b),
        })
    })
}

fn poll_close_sink<S: Transport>(
    handle: &mut Handle<S>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Error>> {
    let open = handle.with(|d| d.conn.state() == State::Open);
    if open {
        handle.with_mut(|d| d.start_close(CloseCode::NORMAL, ""))?;
        handle.wake_other();
    }
    handle.drive(cx, |d, cx| d.poll_flush_out(cx, true))
}

/// `poll_ready` waits below the outbound bound, `start_send` queues, `poll_flush` writes,
/// `poll_close` starts the close handshake with 1000 and writes the close frame (the peer's
/// answer is seen by the next receive).
impl<S: Transport> Sink<Message> for MessageSocket<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().handle.drive(cx, |d, cx| d.poll_writable(cx))
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        start_send_message(&mut self.get_mut().handle, &item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut()
            .handle
            .drive(cx, |d, cx| d.poll_flush_out(cx, true))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        poll_close_sink(&mut self.get_mut().handle, cx)
    }
}

/// As the [`MessageSocket`] sink.
impl<S: Transport> Sink<Message> for MessageWriteHalf<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().handle.drive(cx, |d, cx| d.poll_writable(cx))
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        start_send_message(&mut self.get_mut().handle, &item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut()
            .handle
            .drive(cx, |d, cx| d.poll_flush_out(cx, true))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        poll_close_sink(&mut self.get_mut().handle, cx)
    }
}
