//! One blocking surface over both adapters, so a scenario is written once and run against
//! each: [`Adapter`] (connect, accept), [`Socket`] (a message socket), [`Stream`] (its byte
//! stream), the split halves, and [`Writer`] (a message sent in chunks).
//!
//! [`Std`] is tether-std as it is (its API is already blocking). [`Tokio`] runs each of
//! tether-tokio's `async` calls to completion on a multi-thread runtime that the test binary
//! owns ([`runtime`]): the socket's keeper task runs on the runtime's workers, so a test thread
//! that sleeps or blocks elsewhere leaves the socket to its keeper, as an async application
//! that is busy elsewhere would.
//!
//! The types are the adapters' own (`Message`, `Error`, `ClientConfig`, ... are the socket
//! layer's, shared by both), so a scenario sees exactly what an application sees.

mod std_impl;
mod tokio_impl;

use std::io::{Read, Write};
use std::net::TcpStream;

use tether_std::{
    Chunk, ClientConfig, CloseCode, CloseFrame, ConnectionInfo, Error, Message, MessageKind,
    PreparedMessage, ReceiveMode, SendOptions, ServerConfig, TrySendError,
};

pub use std_impl::Std;
pub use tokio_impl::{BlockingIo, Tokio, block_on, runtime};

/// An adapter: how to get a [`Socket`].
pub trait Adapter: Send + Sync + 'static {
    /// The crate's name, for messages and reports.
    const NAME: &'static str;
    /// Its message socket.
    type Socket: Socket;

    /// `connect(url, config)`.
    ///
    /// # Errors
    ///
    /// As the adapter's `connect`.
    fn connect(url: &str, config: &ClientConfig) -> Result<Self::Socket, Error>;

    /// `accept(tcp, config)` (TLS when `config.tls` is set).
    ///
    /// # Errors
    ///
    /// As the adapter's `accept`.
    fn accept(tcp: TcpStream, config: &ServerConfig) -> Result<Self::Socket, Error>;
}

/// A message socket, method for method the adapters' `MessageSocket`, blocking.
pub trait Socket: std::fmt::Debug + Send + Sized + 'static {
    /// [`into_stream`](Self::into_stream)'s result.
    type Stream: Stream;
    /// The receiving half of [`into_split`](Self::into_split).
    type ReadHalf: ReadHalf;
    /// The sending half of [`into_split`](Self::into_split).
    type WriteHalf: WriteHalf;
    /// [`start_message`](Self::start_message)'s writer.
    type Writer<'a>: Writer
    where
        Self: 'a;

    /// `recv`.
    ///
    /// # Errors
    ///
    /// As `MessageSocket::recv`.
    fn recv(&mut self) -> Result<Option<Message>, Error>;
    /// `recv_chunk`.
    ///
    /// # Errors
    ///
    /// As `MessageSocket::recv_chunk`.
    fn recv_chunk(&mut self) -> Result<Option<Chunk>, Error>;
    /// `send`.
    ///
    /// # Errors
    ///
    /// As `MessageSocket::send`.
    fn send(&mut self, message: impl Into<Message>) -> Result<(), Error>;
    /// `send_with`.
    ///
    /// # Errors
    ///
    /// As `MessageSocket::send_with`.
    fn send_with(&mut self, message: impl Into<Message>, options: SendOptions)
    -> Result<(), Error>;
    /// `feed`.
    ///
    /// # Errors
    ///
    /// As `MessageSocket::feed`.
    fn feed(&mut self, message: impl Into<Message>) -> Result<(), Error>;
    /// `try_send`.
    ///
    /// # Errors
    ///
    /// As `MessageSocket::try_send`.
    fn try_send(&mut self, message: impl Into<Message>) -> Result<(), TrySendError<Message>>;
    /// `send_prepared`.
    ///
    /// # Errors
    ///
    /// As `MessageSocket::send_prepared`.
    fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error>;
    /// `try_send_prepared`.
    ///
    /// # Errors
    ///
    /// As `MessageSocket::try_send_prepared`.
    fn try_send_prepared(
        &mut self,
        prepared: &PreparedMessage,
    ) -> Result<(), TrySendError<PreparedMessage>>;
    /// `flush`.
    ///
    /// # Errors
    ///
    /// As `MessageSocket::flush`.
    fn flush(&mut self) -> Result<(), Error>;
    /// `ping`.
    ///
    /// # Errors
    ///
    /// As `MessageSocket::ping`.
    fn ping(&mut self, payload: &[u8]) -> Result<(), Error>;
    /// `pong`.
    ///
    /// # Errors
    ///
    /// As `MessageSocket::pong`.
    fn pong(&mut self, payload: &[u8]) -> Result<(), Error>;
    /// `start_message`.
    ///
    /// # Errors
    ///
    /// As `MessageSocket::start_message`.
    fn start_message(&mut self, kind: MessageKind) -> Result<Self::Writer<'_>, Error>;
    /// `close`.
    ///
    /// # Errors
    ///
    /// As `MessageSocket::close`.
    fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error>;
    /// `close_frame`.
    fn close_frame(&self) -> Option<CloseFrame>;
    /// `info`.
    fn info(&self) -> ConnectionInfo;
    /// `buffered_amount`.
    fn buffered_amount(&self) -> usize;
    /// `set_receive_mode`.
    fn set_receive_mode(&mut self, mode: ReceiveMode);
    /// `into_stream`.
    fn into_stream(self) -> Self::Stream;
    /// `into_split`.
    fn into_split(self) -> (Self::ReadHalf, Self::WriteHalf);
}

/// A message sent in chunks (`MessageWriter`).
pub trait Writer {
    /// `write_chunk`.
    ///
    /// # Errors
    ///
    /// As `MessageWriter::write_chunk`.
    fn write_chunk(&mut self, data: &[u8]) -> Result<(), Error>;
    /// `finish`.
    ///
    /// # Errors
    ///
    /// As `MessageWriter::finish`.
    fn finish(self) -> Result<(), Error>;
}

/// The receiving half of a split socket.
pub trait ReadHalf: Send + 'static {
    /// `recv`.
    ///
    /// # Errors
    ///
    /// As `MessageReadHalf::recv`.
    fn recv(&mut self) -> Result<Option<Message>, Error>;
    /// `close` (waits for the answer).
    ///
    /// # Errors
    ///
    /// As `MessageReadHalf::close`.
    fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error>;
    /// `close_frame`.
    fn close_frame(&self) -> Option<CloseFrame>;
}

/// The sending half of a split socket.
pub trait WriteHalf: Send + 'static {
    /// `send`.
    ///
    /// # Errors
    ///
    /// As `MessageWriteHalf::send`.
    fn send(&mut self, message: impl Into<Message>) -> Result<(), Error>;
    /// `close` (starts the close handshake).
    ///
    /// # Errors
    ///
    /// As `MessageWriteHalf::close`.
    fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error>;
}

/// A stream socket: `Read + Write`, `close`, `info`, halves.
pub trait Stream: Read + Write + Send + 'static {
    /// The reading half.
    type ReadHalf: Read + Send + 'static;
    /// The writing half.
    type WriteHalf: StreamWriteHalf;

    /// `close`.
    ///
    /// # Errors
    ///
    /// As `StreamSocket::close`.
    fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error>;
    /// `info`.
    fn info(&self) -> ConnectionInfo;
    /// `into_split`.
    fn into_split(self) -> (Self::ReadHalf, Self::WriteHalf);
}

/// The writing half of a stream socket.
pub trait StreamWriteHalf: Write + Send + 'static {
    /// Starts the close handshake with 1000 (tether-std's `shutdown`, tokio's
    /// `AsyncWriteExt::shutdown`).
    ///
    /// # Errors
    ///
    /// Write failures.
    fn shutdown(&mut self) -> std::io::Result<()>;
}
