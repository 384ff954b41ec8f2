//! Large payloads go out from the message's own bytes: the application hands a `Message` over
//! (owned `Bytes`), and the socket writes it as one slice of a vectored write, never copied —
//! in an echo, from a fed queue, from a split write half, and after a send that was cancelled
//! half way.
//!
//! The server side runs over [`Spy`], a `TcpStream` that logs every write it is given, so the
//! tests see which writes pointed into a payload.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tether_tests::raw::{Got, RawPeer, op};
use tether_tokio::{Bytes, ClientConfig, CloseCode, Config, Message, MessageSocket, ServerConfig};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Payloads at least this large are queued as they are (the core's `SHARE_MIN`); smaller ones
/// are copied next to their header.
const SHARE_MIN: usize = 16 << 10;

/// One write the transport was asked for.
#[derive(Clone, Debug)]
struct WriteCall {
    /// Address and length of each buffer.
    bufs: Vec<(usize, usize)>,
    vectored: bool,
    /// What the socket took (`None`: pending or failed).
    written: Option<usize>,
}

type Log = Arc<Mutex<Vec<WriteCall>>>;

fn mark(log: &Log) -> usize {
    log.lock().unwrap().len()
}

fn since(log: &Log, mark: usize) -> Vec<WriteCall> {
    log.lock().unwrap()[mark..].to_vec()
}

/// A `TcpStream` that logs the writes it is given.
struct Spy {
    inner: TcpStream,
    log: Log,
}

impl Spy {
    fn record(&self, bufs: &[&[u8]], vectored: bool, result: &Poll<io::Result<usize>>) {
        let written = match result {
            Poll::Ready(Ok(n)) => Some(*n),
            _ => None,
        };
        self.log.lock().unwrap().push(WriteCall {
            bufs: bufs
                .iter()
                .map(|b| (b.as_ptr() as usize, b.len()))
                .collect(),
            vectored,
            written,
        });
    }
}

impl AsyncRead for Spy {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Spy {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.record(&[buf], false, &result);
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        let slices: Vec<&[u8]> = bufs.iter().map(|b| &**b).collect();
        this.record(&slices, true, &result);
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Where a payload was: its address range.
#[derive(Clone, Copy, Debug)]
struct Span {
    at: usize,
    len: usize,
}

impl Span {
    fn of(bytes: &[u8]) -> Self {
        Self {
            at: bytes.as_ptr() as usize,
            len: bytes.len(),
        }
    }
}

/// How many bytes of `span` the logged writes took straight from it (slices pointing into it:
/// after a header in a vectored write, or alone once the header is out), checking that they
/// take it in order from its start. The log must be of writes made while the payload was alive
/// (an address in its range is then really it).
fn written_from(calls: &[WriteCall], span: Span) -> usize {
    let range = span.at..span.at + span.len;
    let mut done = 0;
    for call in calls {
        let Some(n) = call.written else { continue };
        let mut left = n;
        for &(at, len) in &call.bufs {
            if left == 0 {
                break;
            }
            let take = left.min(len);
            if len > 0 && range.contains(&at) {
                assert_eq!(
                    at - span.at,
                    done,
                    "the payload goes on where it stopped: {call:?}"
                );
                done += take;
            }
            left -= take;
        }
    }
    done
}

/// Serves one connection on a fresh loopback port over a [`Spy`] (with this socket send
/// buffer, if any), then runs `run` with the socket and the write log.
async fn spy_server<T, F, Fut>(
    config: ServerConfig,
    send_buffer: Option<usize>,
    run: F,
) -> (SocketAddr, JoinHandle<T>)
where
    T: Send + 'static,
    F: FnOnce(MessageSocket, Log) -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        stream.set_nodelay(true).unwrap();
        if let Some(size) = send_buffer {
            socket2::SockRef::from(&stream)
                .set_send_buffer_size(size)
                .unwrap();
        }
        let log = Log::default();
        let spy = Spy {
            inner: stream,
            log: log.clone(),
        };
        let ws = tether_tokio::accept(spy, &config).await.unwrap();
        run(ws, log).await
    });
    (addr, handle)
}

/// Uncompressed: with permessage-deflate every message is encoded (a new buffer).
fn plain() -> Config {
    Config::default().deflate(None)
}

async fn client(addr: SocketAddr) -> MessageSocket {
    tether_tokio::connect(
        &format!("ws://{addr}/"),
        &ClientConfig::default().config(plain()),
    )
    .await
    .unwrap()
}

/// Bytes that differ from their neighbours, so a payload written from a wrong offset does not
/// compare equal; `seed` tells messages apart.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8 ^ seed).collect()
}

/// ASCII text of `len` bytes with the same property.
fn text(len: usize, seed: u8) -> String {
    (0..len)
        .map(|i| char::from(b'a' + ((i * 7 + i / 26 + usize::from(seed)) % 26) as u8))
        .collect()
}

/// How much of a payload of `len` goes out by reference: each frame's piece (frames of at most
/// 16 MiB) that is at least `SHARE_MIN`.
fn by_reference(len: usize) -> usize {
    let frame = 16 << 20;
    (0..len.div_ceil(frame))
        .map(|i| (len - i * frame).min(frame))
        .filter(|&piece| piece >= SHARE_MIN)
        .sum()
}

// ---- echo of large messages ----

const SIZES: [usize; 5] = [SHARE_MIN - 1, SHARE_MIN, 64 << 10, 1 << 20, (16 << 20) + 1];

/// How the echo server answers.
#[derive(Clone, Copy, Debug)]
enum Reply {
    /// `feed`: written by the next receive (or the keeper).
    Feed,
    /// `send`: written before it returns.
    Send,
}

/// Echoes every message with `recv` + `reply`, then checks, once the next message arrived
/// (its echo is written by then), that every piece of at least `SHARE_MIN` went out from the
/// received message's own bytes and nothing else did. Returns how many messages went out by
/// reference.
async fn checking_echo(mut ws: MessageSocket, log: Log, reply: Reply) -> usize {
    let mut by_ref = 0;
    let mut last: Option<(Span, usize)> = None;
    loop {
        let received = ws.recv().await.unwrap();
        if let Some((span, from)) = last.take() {
            let got = written_from(&since(&log, from), span);
            assert_eq!(
                got,
                by_reference(span.len),
                "{reply:?} of {} bytes",
                span.len
            );
            by_ref += usize::from(got > 0);
        }
        let Some(message) = received else { break };
        let span = Span::of(message.as_bytes());
        let from = mark(&log);
        match reply {
            Reply::Feed => ws.feed(message).await.unwrap(),
            Reply::Send => ws.send(message).await.unwrap(),
        }
        last = Some((span, from));
    }
    assert_eq!(ws.close_frame().unwrap().code, CloseCode::NORMAL);
    by_ref
}

async fn echo_large_messages(reply: Reply) {
    let (addr, server) = spy_server(
        ServerConfig::default().config(plain()),
        None,
        move |ws, log| checking_echo(ws, log, reply),
    )
    .await;
    let mut ws = client(addr).await;
    for (i, size) in SIZES.into_iter().enumerate() {
        let seed = i as u8;
        let message = Message::text(text(size, seed));
        ws.send(message.clone()).await.unwrap();
        assert!(ws.recv().await.unwrap() == Some(message), "text of {size}");
        let message = Message::binary(pattern(size, seed));
        ws.send(message.clone()).await.unwrap();
        assert!(
            ws.recv().await.unwrap() == Some(message),
            "binary of {size}"
        );
    }
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    // All but the one below SHARE_MIN, text and binary.
    assert_eq!(server.await.unwrap(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echo_with_feed_writes_large_messages_from_their_own_bytes() {
    echo_large_messages(Reply::Feed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echo_with_send_writes_large_messages_from_their_own_bytes() {
    echo_large_messages(Reply::Send).await;
}

/// Small messages fed (queued, not written) before a large send go out first, in the same
/// vectored write as the large payload's header.
#[tokio::test]
async fn fed_messages_go_out_in_the_head_of_a_large_send() {
    let (addr, server) = spy_server(
        ServerConfig::default().config(plain()),
        None,
        |mut ws, log| async move {
            let big = Bytes::from(pattern(200_000, 3));
            let span = Span::of(&big);
            ws.feed("a").await.unwrap();
            ws.feed(vec![b'b', b'c']).await.unwrap();
            let from = mark(&log);
            ws.send(Message::binary(big)).await.unwrap();
            let calls = since(&log, from);
            assert_eq!(written_from(&calls, span), span.len);
            let first = &calls[0];
            assert!(first.vectored, "{first:?}");
            // "a" (3 bytes), "bc" (4 bytes), the 10-byte header; then all of the payload.
            assert_eq!(first.bufs[0].1, 3 + 4 + 10, "{first:?}");
            assert_eq!(first.bufs[1], (span.at, span.len));
            assert_eq!(ws.recv().await.unwrap(), None);
        },
    )
    .await;
    let mut ws = client(addr).await;
    assert_eq!(ws.recv().await.unwrap(), Some(Message::text("a")));
    assert_eq!(
        ws.recv().await.unwrap(),
        Some(Message::binary(vec![b'b', b'c']))
    );
    let got = ws.recv().await.unwrap();
    assert!(got == Some(Message::binary(pattern(200_000, 3))));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap();
}

// ---- a large send cancelled half way ----

/// How the large send is abandoned.
#[derive(Clone, Copy, Debug)]
enum Cancel {
    Timeout,
    Select,
}

const BIG: usize = 8 << 20;

/// The server sends 8 MiB to a raw client that does not read yet (a small send buffer, so the
/// kernel cannot take it all), and drops the send while it is pending part way through the
/// payload. The message is the connection's by then (owned): what was not written stays
/// queued, goes out once the client reads, and arrives whole, followed by what was sent
/// after it.
async fn a_large_send_cancelled_half_way_still_arrives_whole(cancel: Cancel) {
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let (addr, server) = spy_server(
        ServerConfig::default().config(plain()),
        Some(64 << 10),
        move |mut ws, log| async move {
            let big = Bytes::from(pattern(BIG, 0x11));
            let span = Span::of(&big);
            let from = mark(&log);
            let finished = match cancel {
                Cancel::Timeout => {
                    tokio::time::timeout(Duration::from_millis(300), ws.send(Message::binary(big)))
                        .await
                        .is_ok()
                }
                Cancel::Select => tokio::select! {
                    r = ws.send(Message::binary(big)) => { r.unwrap(); true }
                    () = tokio::time::sleep(Duration::from_millis(300)) => false,
                },
            };
            assert!(
                !finished,
                "{cancel:?}: the send should be pending: the client does not read"
            );
            let from_big = written_from(&since(&log, from), span);
            assert!(
                from_big > 0 && from_big < BIG,
                "{cancel:?}: cut part way through the payload ({from_big} written)"
            );
            // The rest is queued: header written, the payload's remainder waiting.
            assert_eq!(ws.buffered_amount(), BIG - from_big, "{cancel:?}");
            go.send(()).unwrap();
            let mut second_by_ref = None;
            if let Cancel::Select = cancel {
                // Another large message, behind the first's rest, from its own bytes too.
                let second = Bytes::from(pattern(1 << 20, 0x22));
                let span = Span::of(&second);
                let from = mark(&log);
                ws.send(Message::binary(second)).await.unwrap();
                second_by_ref = Some(written_from(&since(&log, from), span));
            }
            ws.send("after").await.unwrap();
            let end = ws.recv().await.unwrap();
            (end, ws.close_frame(), second_by_ref)
        },
    )
    .await;
    let client = tokio::task::spawn_blocking(move || {
        let mut peer = RawPeer::upgrade(addr, &[]).unwrap();
        // Not reading until the server gave up its send.
        wait.recv().unwrap();
        let mut expected = vec![(op::BINARY, pattern(BIG, 0x11))];
        if let Cancel::Select = cancel {
            expected.push((op::BINARY, pattern(1 << 20, 0x22)));
        }
        expected.push((op::TEXT, b"after".to_vec()));
        for (opcode, payload) in expected {
            let frame = peer.frame();
            assert!(
                frame.opcode == opcode && frame.fin && frame.payload == payload,
                "{cancel:?}: expected {} bytes, got {}",
                payload.len(),
                frame.describe()
            );
        }
        peer.send(&[tether_tests::raw::close(1000, "got all")])
            .unwrap();
        let answer = peer.frame();
        assert_eq!(answer.close_code(), 1000);
        assert!(matches!(peer.read_frame(), Ok(Got::Closed(_))));
    });
    client.await.unwrap();
    let (end, frame, second_by_ref) = server.await.unwrap();
    assert_eq!(end, None);
    assert_eq!(frame.unwrap().reason, "got all");
    if let Cancel::Select = cancel {
        assert_eq!(second_by_ref, Some(1 << 20), "sent from its own bytes");
    }
}

#[tokio::test]
async fn a_large_send_dropped_by_a_timeout_still_arrives_whole() {
    a_large_send_cancelled_half_way_still_arrives_whole(Cancel::Timeout).await;
}

#[tokio::test]
async fn a_large_send_losing_a_select_still_arrives_whole() {
    a_large_send_cancelled_half_way_still_arrives_whole(Cancel::Select).await;
}

// ---- split halves ----

/// The write half sends large messages from their own bytes too, while the read half
/// receives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_write_half_writes_large_messages_from_their_own_bytes() {
    const N: u8 = 4;
    let (addr, server) = spy_server(
        ServerConfig::default().config(plain()),
        None,
        |ws, log| async move {
            let (mut reader, mut writer) = ws.into_split();
            let sending = async {
                for i in 0..N {
                    let payload = Bytes::from(pattern(1 << 20, i));
                    let span = Span::of(&payload);
                    let from = mark(&log);
                    writer.send(Message::binary(payload)).await.unwrap();
                    assert_eq!(
                        written_from(&since(&log, from), span),
                        1 << 20,
                        "message {i}"
                    );
                }
                writer.send(text(1 << 20, N)).await.unwrap();
            };
            let receiving = async {
                for i in 0..N {
                    let got = reader.recv().await.unwrap();
                    assert!(
                        got == Some(Message::binary(pattern(1 << 20, 0x80 | i))),
                        "server: message {i}"
                    );
                }
                assert_eq!(reader.recv().await.unwrap(), None);
            };
            tokio::join!(sending, receiving);
        },
    )
    .await;
    let mut ws = client(addr).await;
    for i in 0..N {
        ws.send(pattern(1 << 20, 0x80 | i)).await.unwrap();
    }
    for i in 0..N {
        let got = ws.recv().await.unwrap();
        assert!(
            got == Some(Message::binary(pattern(1 << 20, i))),
            "client: message {i}"
        );
    }
    let got = ws.recv().await.unwrap();
    assert!(got == Some(Message::text(text(1 << 20, N))));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap();
}
