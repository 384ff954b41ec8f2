//! [`Tokio`]: tether-tokio, each `async` call run to completion on the test binary's runtime.

use std::future::Future;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;

use tether_tokio::{
    Chunk, ClientConfig, CloseCode, CloseFrame, ConnectionInfo, Error, Message, MessageKind,
    MessageReadHalf, MessageSocket, MessageWriteHalf, MessageWriter, PreparedMessage, ReceiveMode,
    SendOptions, ServerConfig, StreamReadHalf, StreamSocket, StreamWriteHalf, TrySendError,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::runtime::Runtime;

use super::{Adapter, ReadHalf, Socket, Stream, WriteHalf, Writer};

/// The test binary's runtime: multi-thread with two workers (the machine's cores), which run
/// every socket's keeper whatever the test threads do.
///
/// # Panics
///
/// When the runtime cannot be built.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kit-tokio")
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// Runs `future` to completion on [`runtime`] (from a thread outside it).
pub fn block_on<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

/// tether-tokio.
#[derive(Debug)]
pub enum Tokio {}

impl Adapter for Tokio {
    const NAME: &'static str = "tether-tokio";
    type Socket = MessageSocket;

    fn connect(url: &str, config: &ClientConfig) -> Result<MessageSocket, Error> {
        block_on(tether_tokio::connect(url, config))
    }

    fn accept(tcp: TcpStream, config: &ServerConfig) -> Result<MessageSocket, Error> {
        tcp.set_nonblocking(true)?;
        block_on(async move {
            let tcp = tokio::net::TcpStream::from_std(tcp)?;
            tether_tokio::accept(tcp, config).await
        })
    }
}

impl Socket for MessageSocket {
    type Stream = BlockingIo<StreamSocket>;
    type ReadHalf = MessageReadHalf;
    type WriteHalf = MessageWriteHalf;
    type Writer<'a> = MessageWriter<'a>;

    fn recv(&mut self) -> Result<Option<Message>, Error> {
        block_on(Self::recv(self))
    }

    fn recv_chunk(&mut self) -> Result<Option<Chunk>, Error> {
        block_on(Self::recv_chunk(self))
    }

    fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        block_on(Self::send(self, message))
    }

    fn send_with(
        &mut self,
        message: impl Into<Message>,
        options: SendOptions,
    ) -> Result<(), Error> {
        block_on(Self::send_with(self, message, options))
    }

    fn feed(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        block_on(Self::feed(self, message))
    }

    fn try_send(&mut self, message: impl Into<Message>) -> Result<(), TrySendError<Message>> {
        Self::try_send(self, message)
    }

    fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
        block_on(Self::send_prepared(self, prepared))
    }

    fn try_send_prepared(
        &mut self,
        prepared: &PreparedMessage,
    ) -> Result<(), TrySendError<PreparedMessage>> {
        Self::try_send_prepared(self, prepared)
    }

    fn flush(&mut self) -> Result<(), Error> {
        block_on(Self::flush(self))
    }

    fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        block_on(Self::ping(self, payload))
    }

    fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        block_on(Self::pong(self, payload))
    }

    fn start_message(&mut self, kind: MessageKind) -> Result<MessageWriter<'_>, Error> {
        block_on(Self::start_message(self, kind))
    }

    fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        block_on(Self::close(self, code, reason))
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

    fn into_stream(self) -> BlockingIo<StreamSocket> {
        BlockingIo(Self::into_stream(self))
    }

    fn into_split(self) -> (MessageReadHalf, MessageWriteHalf) {
        Self::into_split(self)
    }
}

impl Writer for MessageWriter<'_> {
    fn write_chunk(&mut self, data: &[u8]) -> Result<(), Error> {
        block_on(Self::write_chunk(self, data))
    }

    fn finish(self) -> Result<(), Error> {
        block_on(Self::finish(self))
    }
}

impl ReadHalf for MessageReadHalf {
    fn recv(&mut self) -> Result<Option<Message>, Error> {
        block_on(Self::recv(self))
    }

    fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        block_on(Self::close(self, code, reason))
    }

    fn close_frame(&self) -> Option<CloseFrame> {
        Self::close_frame(self)
    }
}

impl WriteHalf for MessageWriteHalf {
    fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        block_on(Self::send(self, message))
    }

    fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        block_on(Self::close(self, code, reason))
    }
}

/// An `AsyncRead`/`AsyncWrite` as a blocking `Read`/`Write`.
#[derive(Debug)]
pub struct BlockingIo<T>(pub T);

impl<T: AsyncRead + Unpin> Read for BlockingIo<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        block_on(self.0.read(buf))
    }
}

impl<T: AsyncWrite + Unpin> Write for BlockingIo<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        block_on(self.0.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        block_on(self.0.flush())
    }
}

impl Stream for BlockingIo<StreamSocket> {
    type ReadHalf = BlockingIo<StreamReadHalf>;
    type WriteHalf = BlockingIo<StreamWriteHalf>;

    fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        block_on(self.0.close(code, reason))
    }

    fn info(&self) -> ConnectionInfo {
        self.0.info()
    }

    fn into_split(self) -> (BlockingIo<StreamReadHalf>, BlockingIo<StreamWriteHalf>) {
        let (read, write) = self.0.into_split();
        (BlockingIo(read), BlockingIo(write))
    }
}

impl super::StreamWriteHalf for BlockingIo<StreamWriteHalf> {
    fn shutdown(&mut self) -> io::Result<()> {
        block_on(self.0.shutdown())
    }
}
