//! [`Std`]: tether-std, whose API is already the kit's blocking surface.

use std::net::TcpStream;

use tether_std::{
    Chunk, ClientConfig, CloseCode, CloseFrame, ConnectionInfo, Error, Message, MessageKind,
    MessageReadHalf, MessageSocket, MessageWriteHalf, MessageWriter, PreparedMessage, ReceiveMode,
    SendOptions, ServerConfig, StreamSocket, StreamWriteHalf, TrySendError,
};

use super::{Adapter, ReadHalf, Socket, Stream, WriteHalf, Writer};

/// tether-std.
#[derive(Debug)]
pub enum Std {}

impl Adapter for Std {
    const NAME: &'static str = "tether-std";
    type Socket = MessageSocket;

    fn connect(url: &str, config: &ClientConfig) -> Result<MessageSocket, Error> {
        tether_std::connect(url, config)
    }

    fn accept(tcp: TcpStream, config: &ServerConfig) -> Result<MessageSocket, Error> {
        tether_std::accept(tcp, config)
    }
}

impl Socket for MessageSocket {
    type Stream = StreamSocket;
    type ReadHalf = MessageReadHalf;
    type WriteHalf = MessageWriteHalf;
    type Writer<'a> = MessageWriter<'a>;

    fn recv(&mut self) -> Result<Option<Message>, Error> {
        Self::recv(self)
    }

    fn recv_chunk(&mut self) -> Result<Option<Chunk>, Error> {
        Self::recv_chunk(self)
    }

    fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        Self::send(self, message)
    }

    fn send_with(
        &mut self,
        message: impl Into<Message>,
        options: SendOptions,
    ) -> Result<(), Error> {
        Self::send_with(self, message, options)
    }

    fn feed(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        Self::feed(self, message)
    }

    fn try_send(&mut self, message: impl Into<Message>) -> Result<(), TrySendError<Message>> {
        Self::try_send(self, message)
    }

    fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
        Self::send_prepared(self, prepared)
    }

    fn try_send_prepared(
        &mut self,
        prepared: &PreparedMessage,
    ) -> Result<(), TrySendError<PreparedMessage>> {
        Self::try_send_prepared(self, prepared)
    }

    fn flush(&mut self) -> Result<(), Error> {
        Self::flush(self)
    }

    fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        Self::ping(self, payload)
    }

    fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        Self::pong(self, payload)
    }

    fn start_message(&mut self, kind: MessageKind) -> Result<MessageWriter<'_>, Error> {
        Self::start_message(self, kind)
    }

    fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        Self::close(self, code, reason)
    }

    fn close_frame(&self) -> Option<CloseFrame> {
        Self::close_frame(self)
    }

    fn info(&self) -> ConnectionInfo {
        Self::info(self)
    }

    fn buffered_amount(&self) -> usize {
        Self::buffered_amount(self)
    }

    fn set_receive_mode(&mut self, mode: ReceiveMode) {
        Self::set_receive_mode(self, mode);
    }

    fn into_stream(self) -> StreamSocket {
        Self::into_stream(self)
    }

    fn into_split(self) -> (MessageReadHalf, MessageWriteHalf) {
        Self::into_split(self)
    }
}

impl Writer for MessageWriter<'_> {
    fn write_chunk(&mut self, data: &[u8]) -> Result<(), Error> {
        Self::write_chunk(self, data)
    }

    fn finish(self) -> Result<(), Error> {
        Self::finish(self)
    }
}

impl ReadHalf for MessageReadHalf {
    fn recv(&mut self) -> Result<Option<Message>, Error> {
        Self::recv(self)
    }

    fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        Self::close(self, code, reason)
    }

    fn close_frame(&self) -> Option<CloseFrame> {
        Self::close_frame(self)
    }
}

impl WriteHalf for MessageWriteHalf {
    fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        Self::send(self, message)
    }

    fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        Self::close(self, code, reason)
    }
}

impl Stream for StreamSocket {
    type ReadHalf = tether_std::StreamReadHalf;
    type WriteHalf = StreamWriteHalf;

    fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        Self::close(self, code, reason)
    }

    fn info(&self) -> ConnectionInfo {
        Self::info(self)
    }

    fn into_split(self) -> (tether_std::StreamReadHalf, StreamWriteHalf) {
        Self::into_split(self)
    }
}

impl super::StreamWriteHalf for StreamWriteHalf {
    fn shutdown(&mut self) -> std::io::Result<()> {
        Ok(Self::shutdown(self)?)
    }
}
