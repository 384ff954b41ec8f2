//! A raw peer over HTTP/2: [`H2Io`] makes one HTTP/2 stream (the `h2` crate's, driven on the
//! test runtime) a blocking byte stream for [`RawPeer`], and [`against`] sets tether up (the
//! tokio adapter, as an HTTP/2 server behind hyper or as an HTTP/2 client) against such a
//! peer — what [`crate::raw::against`] does over TCP, so the conformance cases run over an
//! HTTP/2 stream unchanged.

use std::any::Any;
use std::io::{self, Read, Write};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tether_tokio::{Bytes, ClientConfig, Error, HttpMode, MessageSocket, ServerConfig};
use tokio::sync::mpsc;

use super::{Http2Server, RawH2Client, RawH2Server, RawStream, handler};
use crate::adapter::block_on;
use crate::loopback::Task;
use crate::raw::{READ_BOUND, RawIo, RawPeer, Role};

/// What the reading task hands over.
enum In {
    Data(Bytes),
    End,
    Failed(io::Error),
}

/// What the writing task is given.
enum Out {
    Data(Bytes),
    End,
    Reset,
}

/// One HTTP/2 stream as a blocking byte stream: reads wait (up to the read bound) for DATA
/// from a task on the test runtime; writes go to another task that sends them within the
/// stream's flow-control window. The end of the stream reads as EOF, a reset as
/// `ConnectionReset`.
pub struct H2Io {
    incoming: std_mpsc::Receiver<In>,
    outgoing: mpsc::UnboundedSender<Out>,
    pending: Bytes,
    ended: bool,
    bound: Duration,
    /// What keeps the connection (and the server) alive while the stream is used.
    _keep: Box<dyn Any + Send>,
}

impl std::fmt::Debug for H2Io {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H2Io")
            .field("pending", &self.pending.len())
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl H2Io {
    /// `stream`, bridged; `keep` lives as long as the bridge. Call from outside the runtime.
    pub fn new(stream: RawStream, keep: Box<dyn Any + Send>) -> Self {
        let RawStream { mut send, mut recv } = stream;
        let (in_tx, incoming) = std_mpsc::channel();
        let (outgoing, mut out_rx) = mpsc::unbounded_channel();
        let runtime = crate::adapter::runtime();
        runtime.spawn(async move {
            loop {
                let item = match recv.data().await {
                    Some(Ok(data)) => {
                        let _ = recv.flow_control().release_capacity(data.len());
                        In::Data(data)
                    }
                    Some(Err(e)) => In::Failed(io::Error::new(io::ErrorKind::ConnectionReset, e)),
                    None => In::End,
                };
                let last = !matches!(item, In::Data(_));
                if in_tx.send(item).is_err() || last {
                    return;
                }
            }
        });
        runtime.spawn(async move {
            while let Some(out) = out_rx.recv().await {
                match out {
                    Out::Data(mut data) => {
                        send.reserve_capacity(data.len());
                        while !data.is_empty() {
                            let got = std::future::poll_fn(|cx| send.poll_capacity(cx)).await;
                            let Some(Ok(n)) = got else { return };
                            let chunk = data.split_to(n.min(data.len()));
                            if send.send_data(chunk, false).is_err() {
                                return;
                            }
                        }
                    }
                    Out::End => {
                        let _ = send.send_data(Bytes::new(), true);
                    }
                    Out::Reset => send.send_reset(h2::Reason::CANCEL),
                }
            }
        });
        Self {
            incoming,
            outgoing,
            pending: Bytes::new(),
            ended: false,
            bound: READ_BOUND,
            _keep: keep,
        }
    }
}

impl Read for H2Io {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() {
            if self.ended {
                return Ok(0);
            }
            match self.incoming.recv_timeout(self.bound) {
                Ok(In::Data(data)) => self.pending = data,
                Ok(In::End) | Err(std_mpsc::RecvTimeoutError::Disconnected) => self.ended = true,
                Ok(In::Failed(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                Err(std_mpsc::RecvTimeoutError::Timeout) => {
                    return Err(io::ErrorKind::WouldBlock.into());
                }
            }
        }
        let n = self.pending.len().min(buf.len());
        buf[..n].copy_from_slice(&self.pending.split_to(n));
        Ok(n)
    }
}

impl Write for H2Io {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.outgoing
            .send(Out::Data(Bytes::copy_from_slice(buf)))
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl RawIo for H2Io {
    fn set_read_timeout(&mut self, bound: Duration) -> io::Result<()> {
        self.bound = bound;
        Ok(())
    }

    fn shutdown_write(&mut self) {
        let _ = self.outgoing.send(Out::End);
    }

    fn abort(&mut self) {
        let _ = self.outgoing.send(Out::Reset);
    }
}

/// tether-tokio in `role` over HTTP/2 (h2c), set up with `server` or `client`, running `run`
/// on its side (on a thread), against a raw HTTP/2 peer: as a client (an extended CONNECT to
/// tether's hyper server, `early` sent right after its HEADERS) or as a server (the `h2`
/// crate's, answering tether's extended CONNECT with a 200 and `early` right after it).
///
/// # Errors
///
/// The handshake failed, as text.
pub fn against<T, F>(
    role: Role,
    server: ServerConfig,
    client: ClientConfig,
    early: &[u8],
    run: F,
) -> Result<(RawPeer, Task<T>), String>
where
    T: Send + 'static,
    F: FnOnce(Result<MessageSocket, Error>) -> T + Send + 'static,
{
    let early = Bytes::copy_from_slice(early);
    match role {
        Role::Server => {
            let (tx, rx) = std_mpsc::channel();
            let tether = block_on(Http2Server::start(
                None,
                server,
                handler(move |ws, _| {
                    let tx = tx.clone();
                    async move {
                        let _ = tx.send(ws);
                    }
                }),
            ));
            let addr = tether.addr;
            let task = Task::spawn(move || {
                let socket = rx
                    .recv_timeout(Duration::from_secs(10))
                    .map_err(|_| Error::from(io::Error::from(io::ErrorKind::TimedOut)));
                run(socket)
            });
            let (client, stream) = block_on(async move {
                let mut client = RawH2Client::connect(addr).await;
                let (head, stream) = client
                    .connect_request_with(
                        "/raw",
                        Some("websocket"),
                        &[("sec-websocket-version", "13")],
                        early,
                    )
                    .await;
                (client, (head, stream))
            });
            let (head, stream) = stream;
            if head.status != 200 {
                return Err(format!("expected 200, got {}", head.status));
            }
            let io = H2Io::new(stream, Box::new((client, tether)));
            Ok((RawPeer::over(Box::new(io), Vec::new(), Role::Server), task))
        }
        Role::Client => {
            let mut raw = block_on(RawH2Server::start());
            let url = format!("ws://{}/raw", raw.addr);
            let config = client.http(HttpMode::Http2);
            let task = Task::spawn(move || {
                run(block_on(async move {
                    tether_tokio::connect(&url, &config).await
                }))
            });
            let stream = block_on(async {
                let (request, mut respond) = raw.request().await;
                let mut send = respond
                    .send_response(http::Response::new(()), false)
                    .map_err(|e| e.to_string())?;
                if !early.is_empty() {
                    send.send_data(early, false).map_err(|e| e.to_string())?;
                }
                Ok::<_, String>(RawStream {
                    send,
                    recv: request.into_body(),
                })
            })?;
            let io = H2Io::new(stream, Box::new(raw));
            Ok((RawPeer::over(Box::new(io), Vec::new(), Role::Client), task))
        }
    }
}
