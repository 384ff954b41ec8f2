//! [`MessageSocket`]: whole messages (or their pieces), text and binary (WinRT
//! `MessageWebSocket`).

use std::net::TcpStream;
use std::time::Duration;

pub use tether_net::{Chunk, Message};
use tether_net::{ConnectionInfo, Error, MessageType, SocketConfig};
use tether_proto::{CloseCode, CloseFrame, ConnectionError, MessageKind, ReceiveMode};

use crate::handle::Handle;
use crate::{MessageWriter, StreamSocket, Transport};

/// The receive operations, shared by [`MessageSocket`] and [`MessageReadHalf`].
macro_rules! recv_methods {
    () => {
        /// Receives the next whole message; `Ok(None)` once the peer closed cleanly (its code
        /// and reason are then in [`close_frame`](Self::close_frame)). Pings are answered on
        /// the way. Blocks up to the read timeout ([`Error::Timeout`] leaves the socket
        /// usable).
        ///
        /// # Errors
        ///
        /// [`Error::Protocol`] (1002/1007 sent), [`Error::MessageTooBig`] (1009 sent),
        /// [`Error::Timeout`], [`Error::Io`], ...
        pub fn recv(&mut self) -> Result<Option<Message>, Error> {
            let mut buf = Vec::new();
            Ok(match self.recv_into(&mut buf)? {
                None => None,
                Some(MessageKind::Binary) => Some(Message::Binary(buf)),
                Some(MessageKind::Text) => {
                    Some(Message::Text(String::from_utf8(buf).map_err(|_| {
                        Error::Protocol(ConnectionError::InvalidUtf8)
                    })?))
                }
            })
        }

        /// Receives the next whole message into `buf` (cleared first, its capacity reused) and
        /// returns its type: the allocation-free fast path. `Ok(None)` once closed cleanly.
        ///
        /// # Errors
        ///
        /// As [`recv`](Self::recv).
        pub fn recv_into(&mut self, buf: &mut Vec<u8>) -> Result<Option<MessageKind>, Error> {
            buf.clear();
            loop {
                let piece = self.handle.next(|i| {
                    buf.extend_from_slice(i.payload);
                    (i.kind, i.fin)
                })?;
                match piece {
                    None => return Ok(None),
                    Some((kind, true)) => return Ok(Some(kind)),
                    Some((_, false)) => {}
                }
            }
        }

        /// Receives the next piece of a message as it arrives (with
        /// [`ReceiveMode::Partial`](tether_proto::ReceiveMode::Partial); in message mode each
        /// piece is a whole message). `Ok(None)` once closed cleanly.
        ///
        /// # Errors
        ///
        /// As [`recv`](Self::recv).
        pub fn recv_chunk(&mut self) -> Result<Option<Chunk>, Error> {
            self.handle.next(|i| Chunk {
                kind: i.kind,
                data: i.payload.to_vec(),
                is_last: i.fin,
            })
        }

        /// Sets how long each receive may wait (`None`: for ever).
        pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
            self.handle.lock().read_timeout = timeout;
        }
    };
}

/// The send operations, shared by [`MessageSocket`] and [`MessageWriteHalf`].
macro_rules! send_methods {
    () => {
        /// Sends `data` as one message of the socket's [`MessageType`] (text must be UTF-8).
        ///
        /// # Errors
        ///
        /// [`Error::Send`] (e.g. invalid UTF-8 for a text socket), [`Error::ConnectionClosed`]
        /// after the end, [`Error::Timeout`] for the write timeout, [`Error::Io`].
        pub fn send(&mut self, data: impl AsRef<[u8]>) -> Result<(), Error> {
            let data = data.as_ref();
            match self.message_type {
                MessageType::Utf8 => self.handle.send_message(tether_proto::Message::Text(
                    std::str::from_utf8(data)
                        .map_err(|_| Error::Send(tether_proto::SendError::InvalidUtf8))?,
                )),
                MessageType::Binary => self
                    .handle
                    .send_message(tether_proto::Message::Binary(data)),
            }
        }

        /// Sends a text message.
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub fn send_text(&mut self, text: &str) -> Result<(), Error> {
            self.handle.send_message(tether_proto::Message::Text(text))
        }

        /// Sends a binary message.
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
            self.handle
                .send_message(tether_proto::Message::Binary(data))
        }

        /// Sends an owned [`Message`] of either type (for example to echo one).
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub fn send_message(&mut self, message: &Message) -> Result<(), Error> {
            match message {
                Message::Text(t) => self.send_text(t),
                Message::Binary(b) => self.send_binary(b),
            }
        }

        /// Sends a ping (at most 125 bytes); the pong is answered by the peer and dropped.
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub fn send_ping(&mut self, payload: &[u8]) -> Result<(), Error> {
            self.handle.send(|c| c.send_ping(payload), true)
        }

        /// Sends an unsolicited pong (a one-way heartbeat, at most 125 bytes).
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub fn send_pong(&mut self, payload: &[u8]) -> Result<(), Error> {
            self.handle.send(|c| c.send_pong(payload), true)
        }

        /// Starts one message sent in pieces through the returned [`MessageWriter`]
        /// (`std::io::Write`), so a large message never has to be in memory whole.
        ///
        /// # Errors
        ///
        /// Another streamed message is unfinished, or the connection is closed.
        pub fn start_message(&mut self, kind: MessageKind) -> Result<MessageWriter<'_, S>, Error> {
            MessageWriter::start(&mut self.handle, kind)
        }

        /// Writes any queued output now.
        ///
        /// # Errors
        ///
        /// [`Error::Timeout`] for the write timeout, [`Error::Io`].
        pub fn flush(&mut self) -> Result<(), Error> {
            self.handle.flush()
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
            self.handle.lock().info()
        }

        /// The peer's close code and reason, once the close handshake completed.
        pub fn close_frame(&self) -> Option<CloseFrame> {
            self.handle.lock().close_frame()
        }
    };
}
pub(crate) use info_methods;

/// A WebSocket that sends and receives whole messages, text or binary (WinRT
/// `MessageWebSocket`).
///
/// Get one from [`connect`](crate::connect) / [`connect_with`](crate::connect_with) or
/// [`accept`](crate::accept) / [`accept_with`](crate::accept_with).
///
/// ```no_run
/// use tether_std::{connect, CloseCode, Message};
///
/// let mut ws = connect("ws://127.0.0.1:9001/")?;
/// ws.send_text("hello")?;
/// ws.send_binary(&[1, 2, 3])?;
/// while let Some(message) = ws.recv()? {
///     match message {
///         Message::Text(text) => println!("text: {text}"),
///         Message::Binary(bytes) => println!("{} bytes", bytes.len()),
///     }
/// }
/// println!("peer closed: {:?}", ws.close_frame());
/// # Ok::<(), tether_std::Error>(())
/// ```
pub struct MessageSocket<S: Transport = TcpStream> {
    handle: Handle<S>,
    message_type: MessageType,
}

impl<S: Transport> MessageSocket<S> {
    pub(crate) fn from_handle(handle: Handle<S>, config: &SocketConfig) -> Self {
        Self {
            handle,
            message_type: config.message_type,
        }
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
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        self.handle
            .close(code, reason)?
            .ok_or(Error::Send(tether_proto::SendError::Closed))
    }

    /// Switches to receiving pieces as they arrive ([`recv_chunk`](Self::recv_chunk)), or
    /// back to whole messages, from the next message on.
    pub fn set_receive_mode(&mut self, mode: ReceiveMode) {
        self.handle.lock().conn.config_mut().receive_mode = mode;
    }

    /// Turns this socket into a [`StreamSocket`]: incoming data is then received in pieces as
    /// it arrives, with no message size limit (memory stays constant whatever the size).
    pub fn into_stream(self) -> StreamSocket<S> {
        {
            let mut shared = self.handle.lock();
            let config = shared.conn.config_mut();
            config.receive_mode = ReceiveMode::Partial;
            config.max_message_size = u64::MAX;
        }
        StreamSocket::from_handle(self.handle)
    }

    /// Splits into a reading and a writing half, for two threads (the transport must support
    /// [`Transport::try_clone`]). Pings that arrive are answered when the reader next runs;
    /// either half can close.
    ///
    /// # Errors
    ///
    /// The transport cannot be cloned.
    pub fn split(self) -> Result<(MessageReadHalf<S>, MessageWriteHalf<S>), Error> {
        let (read, write) = self.handle.split()?;
        Ok((
            MessageReadHalf { handle: read },
            MessageWriteHalf {
                handle: write,
                message_type: self.message_type,
            },
        ))
    }
}

impl<S: Transport> std::fmt::Debug for MessageSocket<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageSocket")
            .field("conn", &self.handle.lock().conn)
            .finish_non_exhaustive()
    }
}

/// The receiving half of a split [`MessageSocket`].
pub struct MessageReadHalf<S: Transport = TcpStream> {
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
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        self.handle
            .close(code, reason)?
            .ok_or(Error::Send(tether_proto::SendError::Closed))
    }
}

/// The sending half of a split [`MessageSocket`].
pub struct MessageWriteHalf<S: Transport = TcpStream> {
    handle: Handle<S>,
    message_type: MessageType,
}

impl<S: Transport> MessageWriteHalf<S> {
    send_methods!();
    info_methods!();

    /// Starts the close handshake and returns at once; the reading half sees the peer's
    /// answer (its `recv` returns `Ok(None)`).
    ///
    /// # Errors
    ///
    /// [`Error::Send`] for a code that may not be sent, write failures.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.handle.close(code, reason).map(drop)
    }
}
