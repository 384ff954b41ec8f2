//! Raw HTTP/2 peers: [`RawH2Server`] and [`RawH2Client`] on the `h2` crate (an HTTP/2 stack
//! without opinions on WebSocket), which do what tests ask — answer, reset, go away, say
//! nothing — and [`RawFrame`]s written by hand, for requests no HTTP/2 library would send.

use std::net::SocketAddr;

use h2::{Reason, RecvStream, SendStream};
use tether_tokio::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// One side of an HTTP/2 stream a raw peer holds: what it sends and what it receives.
#[derive(Debug)]
pub struct RawStream {
    /// The sending half.
    pub send: SendStream<Bytes>,
    /// The receiving half.
    pub recv: RecvStream,
}

impl RawStream {
    /// Sends `bytes` (without ending the stream), waiting for flow-control capacity.
    ///
    /// # Panics
    ///
    /// When the stream is gone.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.send.reserve_capacity(bytes.len());
        let mut rest = Bytes::copy_from_slice(bytes);
        while !rest.is_empty() {
            let capacity = std::future::poll_fn(|cx| self.send.poll_capacity(cx))
                .await
                .expect("capacity")
                .expect("the stream is open");
            let chunk = rest.split_to(capacity.min(rest.len()));
            self.send.send_data(chunk, false).expect("sent");
        }
    }

    /// The next DATA received (`None` at the end of the stream), its flow-control capacity
    /// released.
    pub async fn next(&mut self) -> Option<Result<Bytes, h2::Error>> {
        let data = self.recv.data().await?;
        if let Ok(d) = &data {
            let _ = self.recv.flow_control().release_capacity(d.len());
        }
        Some(data)
    }

    /// Resets the stream with `reason`.
    pub fn reset(&mut self, reason: Reason) {
        self.send.send_reset(reason);
    }
}

/// What a test tells a [`RawH2Server`] to do with its connection.
#[derive(Debug)]
enum Command {
    GoAway(Reason),
}

/// An HTTP/2 server on 127.0.0.1 (h2c) that enables the extended CONNECT and hands every
/// request to the test; the test answers each as it likes.
#[derive(Debug)]
pub struct RawH2Server {
    /// Its address.
    pub addr: SocketAddr,
    requests: mpsc::UnboundedReceiver<(http::Request<RecvStream>, h2::server::SendResponse<Bytes>)>,
    commands: mpsc::UnboundedSender<Command>,
}

impl RawH2Server {
    /// Starts one that serves one connection (on the current runtime).
    ///
    /// # Panics
    ///
    /// When no port can be bound.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("its address");
        let (tx, requests) = mpsc::unbounded_channel();
        let (commands, mut rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let mut builder = h2::server::Builder::new();
            builder.enable_connect_protocol();
            let Ok(mut conn) = builder.handshake::<_, Bytes>(tcp).await else {
                return;
            };
            loop {
                tokio::select! {
                    request = conn.accept() => match request {
                        Some(Ok(pair)) => {
                            let _ = tx.send(pair);
                        }
                        _ => break,
                    },
                    Some(Command::GoAway(reason)) = rx.recv() => {
                        conn.abrupt_shutdown(reason);
                    }
                }
            }
        });
        Self {
            addr,
            requests,
            commands,
        }
    }

    /// The next request, and how to answer it.
    ///
    /// # Panics
    ///
    /// When the connection ended first.
    pub async fn request(
        &mut self,
    ) -> (http::Request<RecvStream>, h2::server::SendResponse<Bytes>) {
        self.requests.recv().await.expect("a request")
    }

    /// Accepts the next request with a 200 (RFC 8441) and returns its stream.
    ///
    /// # Panics
    ///
    /// When the connection ended first.
    pub async fn accept(&mut self) -> RawStream {
        let (request, mut respond) = self.request().await;
        let send = respond
            .send_response(http::Response::new(()), false)
            .expect("the 200 is sent");
        RawStream {
            send,
            recv: request.into_body(),
        }
    }

    /// Sends a GOAWAY with `reason` and closes the connection.
    pub fn go_away(&self, reason: Reason) {
        let _ = self.commands.send(Command::GoAway(reason));
    }
}

/// An HTTP/2 client (h2c) on the `h2` crate, which sends the requests it is given.
#[derive(Debug)]
pub struct RawH2Client {
    send: h2::client::SendRequest<Bytes>,
}

impl RawH2Client {
    /// Connects to `addr` with prior knowledge.
    ///
    /// # Panics
    ///
    /// When the connection or the HTTP/2 handshake fails.
    pub async fn connect(addr: SocketAddr) -> Self {
        let tcp = TcpStream::connect(addr).await.expect("connected");
        let (send, conn) = h2::client::handshake(tcp).await.expect("HTTP/2");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Self { send }
    }

    /// An extended CONNECT for `path` with `:protocol` (when given) and `headers`; returns the
    /// response head and the stream.
    ///
    /// # Panics
    ///
    /// When the request cannot be sent or the stream fails before the response.
    pub async fn connect_request(
        &mut self,
        path: &str,
        protocol: Option<&'static str>,
        headers: &[(&str, &str)],
    ) -> (http::response::Parts, RawStream) {
        self.connect_request_with(path, protocol, headers, Bytes::new())
            .await
    }

    /// [`connect_request`](Self::connect_request), with `early` sent on the stream right
    /// after the request's HEADERS, before the answer.
    ///
    /// # Panics
    ///
    /// As [`connect_request`](Self::connect_request).
    pub async fn connect_request_with(
        &mut self,
        path: &str,
        protocol: Option<&'static str>,
        headers: &[(&str, &str)],
        early: Bytes,
    ) -> (http::response::Parts, RawStream) {
        let mut request = http::Request::builder()
            .method(http::Method::CONNECT)
            .uri(format!("http://localhost{path}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(()).expect("a request");
        if let Some(p) = protocol {
            request
                .extensions_mut()
                .insert(h2::ext::Protocol::from_static(p));
        }
        let mut send_request = self.send.clone().ready().await.expect("ready");
        let (response, mut send) = send_request
            .send_request(request, false)
            .expect("the request is sent");
        if !early.is_empty() {
            send.send_data(early, false).expect("early data is sent");
        }
        let (parts, recv) = response.await.expect("a response").into_parts();
        (parts, RawStream { send, recv })
    }
}

/// A frame written by hand (RFC 9113 §4.1): for what an HTTP/2 library refuses to send.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct RawFrame {
    /// The type: 0x1 HEADERS, 0x3 RST_STREAM, 0x4 SETTINGS, 0x7 GOAWAY, ...
    pub kind: u8,
    /// The flags.
    pub flags: u8,
    /// The stream.
    pub stream: u32,
    /// The payload.
    pub payload: Vec<u8>,
}

impl RawFrame {
    /// The frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let len = self.payload.len();
        let mut out = vec![
            (len >> 16) as u8,
            (len >> 8) as u8,
            len as u8,
            self.kind,
            self.flags,
        ];
        out.extend_from_slice(&self.stream.to_be_bytes());
        out.extend_from_slice(&self.payload);
        out
    }

    /// A HEADERS frame with END_HEADERS (and not END_STREAM) carrying `fields`, each encoded as
    /// a literal without indexing (RFC 7541 §6.2.2), pseudo-headers included as given.
    pub fn headers(stream: u32, fields: &[(&str, &str)]) -> Self {
        let mut payload = Vec::new();
        for (name, value) in fields {
            payload.extend_from_slice(&hpack_literal(name, value));
        }
        Self {
            kind: 0x1,
            flags: 0x4,
            stream,
            payload,
        }
    }

    /// Writes the client connection preface and an empty SETTINGS on `tcp`, then these frames;
    /// reads the server's frames until one on `stream` is a HEADERS or an RST_STREAM (or the
    /// connection ends), and returns that frame.
    ///
    /// # Panics
    ///
    /// On I/O errors.
    pub async fn exchange(tcp: &mut TcpStream, frames: &[Self], stream: u32) -> Option<Self> {
        let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        out.extend_from_slice(
            &Self {
                kind: 0x4,
                flags: 0,
                stream: 0,
                payload: Vec::new(),
            }
            .encode(),
        );
        for f in frames {
            out.extend_from_slice(&f.encode());
        }
        tcp.write_all(&out).await.expect("written");
        Self::read_until(tcp, stream).await
    }

    /// Reads the server's frames until one on `stream` is a HEADERS or an RST_STREAM; `None`
    /// when the connection ends first. SETTINGS are acknowledged.
    ///
    /// # Panics
    ///
    /// On I/O errors.
    pub async fn read_until(tcp: &mut TcpStream, stream: u32) -> Option<Self> {
        loop {
            let mut head = [0u8; 9];
            tcp.read_exact(&mut head).await.ok()?;
            let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
            let mut payload = vec![0; len];
            tcp.read_exact(&mut payload).await.ok()?;
            let frame = Self {
                kind: head[3],
                flags: head[4],
                stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff,
                payload,
            };
            if frame.kind == 0x4 && frame.flags & 1 == 0 {
                let ack = Self {
                    kind: 0x4,
                    flags: 1,
                    stream: 0,
                    payload: Vec::new(),
                };
                tcp.write_all(&ack.encode()).await.ok()?;
            }
            if frame.stream == stream && matches!(frame.kind, 0x1 | 0x3) {
                return Some(frame);
            }
        }
    }

    /// For an RST_STREAM: its error code.
    pub fn reset_code(&self) -> Option<u32> {
        (self.kind == 0x3)
            .then(|| {
                self.payload
                    .first_chunk::<4>()
                    .map(|c| u32::from_be_bytes(*c))
            })
            .flatten()
    }
}

/// A header field as an HPACK literal without indexing, new name, no Huffman coding (RFC 7541
/// §6.2.2); names and values under 127 bytes.
pub fn hpack_literal(name: &str, value: &str) -> Vec<u8> {
    assert!(name.len() < 127 && value.len() < 127, "short fields only");
    let mut out = vec![0x00, name.len() as u8];
    out.extend_from_slice(name.as_bytes());
    out.push(value.len() as u8);
    out.extend_from_slice(value.as_bytes());
    out
}
