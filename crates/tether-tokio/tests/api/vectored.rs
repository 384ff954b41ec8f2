//! Large payloads written from the caller's slice (vectored), and recv_into moving messages.
//!
//! The server side runs over [`Spy`], a `TcpStream` that logs every write it is given, so the
//! tests see whether a payload went out from the caller's own slice (a vectored write whose
//! second buffer points into it) or was copied into the connection first.

use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tether_tokio::tether_proto::connection::VECTORED_MIN;
use tether_tokio::{
    Accept, CloseCode, Message, MessageKind, MessageSocket, SocketConfig, accept_with, connect_with,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::common;

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

/// How many bytes of `data` the logged writes took straight from `data` (the second buffer of
/// a vectored write, after the head). Checks that these writes are vectored, that each takes
/// up where the one before stopped, and that nothing else points into `data`. The log must be
/// of writes made while `data` was alive (an address in its range is then really `data`).
fn written_from(calls: &[WriteCall], data: &[u8]) -> usize {
    let start = data.as_ptr() as usize;
    let range = start..start + data.len();
    let mut done = 0;
    for call in calls {
        let Some(i) = call
            .bufs
            .iter()
            .position(|(at, len)| *len > 0 && range.contains(at))
        else {
            continue;
        };
        assert!(
            call.vectored,
            "a plain write from the caller's slice: {call:?}"
        );
        assert_eq!(
            i, 1,
            "the payload is the second buffer, after the head: {call:?}"
        );
        assert_eq!(call.bufs.len(), 2, "{call:?}");
        let (at, len) = call.bufs[1];
        assert_eq!(
            at - start,
            done,
            "the payload goes on where it stopped: {call:?}"
        );
        assert_eq!(
            at + len,
            range.end,
            "the rest of the payload is offered: {call:?}"
        );
        if let Some(n) = call.written {
            done += n.saturating_sub(call.bufs[0].1).min(len);
        }
    }
    done
}

/// Serves one connection on a fresh loopback port over a [`Spy`] (with this socket send
/// buffer, if any), then runs `run` with the socket and the write log.
async fn spy_server<T, F, Fut>(
    config: SocketConfig,
    send_buffer: Option<usize>,
    run: F,
) -> (SocketAddr, JoinHandle<T>)
where
    T: Send + 'static,
    F: FnOnce(MessageSocket<Spy>, Log) -> Fut + Send + 'static,
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
        let ws = accept_with(spy, &config, |_| Ok(Accept::default()))
            .await
            .unwrap();
        run(ws, log).await
    });
    (addr, handle)
}

/// Uncompressed on both sides: with permessage-deflate every message is copied (compressed).
fn plain() -> SocketConfig {
    SocketConfig::default().deflate(false)
}

async fn client(addr: SocketAddr) -> MessageSocket {
    connect_with(&format!("ws://{addr}/"), &plain())
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

fn len_of(message: &Option<Message>) -> Option<usize> {
    message.as_ref().map(|m| match m {
        Message::Text(t) => t.len(),
        Message::Binary(b) => b.len(),
    })
}

// ---- echo of large messages ----

const SIZES: [usize; 5] = [
    VECTORED_MIN - 1,
    VECTORED_MIN,
    64 << 10,
    1 << 20,
    (16 << 20) + 1,
];

/// How the echo server answers.
#[derive(Clone, Copy, Debug)]
enum Reply {
    /// `feed_as`, the batched echo of `common::echo`.
    Feed,
    /// `send_as`.
    Send,
}

/// Echoes every message with `recv_into` + `reply`, checking after each reply that a payload
/// of at least `VECTORED_MIN` that fits one frame went out whole from `buf` itself (before
/// the reply returned), and that any other was copied. Returns how many went out from `buf`.
async fn checking_echo(mut ws: MessageSocket<Spy>, log: Log, reply: Reply) -> usize {
    let mut buf = Vec::new();
    let mut by_ref = 0;
    while let Some(kind) = ws.recv_into(&mut buf).await.unwrap() {
        let mark = log.lock().unwrap().len();
        match reply {
            Reply::Feed => ws.feed_as(kind, &buf).await.unwrap(),
            Reply::Send => ws.send_as(kind, &buf).await.unwrap(),
        }
        let calls = log.lock().unwrap()[mark..].to_vec();
        let from_buf = written_from(&calls, &buf);
        if (VECTORED_MIN..=16 << 20).contains(&buf.len()) {
            assert_eq!(
                from_buf,
                buf.len(),
                "{reply:?} of {} bytes: written from the caller's slice before returning",
                buf.len()
            );
            by_ref += 1;
        } else {
            assert_eq!(from_buf, 0, "{reply:?} of {} bytes: copied", buf.len());
        }
    }
    assert_eq!(ws.close_frame().unwrap().code, CloseCode::NORMAL);
    by_ref
}

async fn echo_large_messages(reply: Reply) {
    let (addr, server) =
        spy_server(plain(), None, move |ws, log| checking_echo(ws, log, reply)).await;
    let mut ws = client(addr).await;
    for (i, size) in SIZES.into_iter().enumerate() {
        let seed = i as u8;
        let message = text(size, seed);
        ws.send_text(&message).await.unwrap();
        let got = ws.recv().await.unwrap();
        assert!(
            got == Some(Message::Text(message)),
            "{reply:?}: text of {size}: got {:?} bytes",
            len_of(&got)
        );
        let binary = pattern(size, seed);
        ws.send_binary(&binary).await.unwrap();
        let got = ws.recv().await.unwrap();
        assert!(
            got == Some(Message::Binary(binary)),
            "{reply:?}: binary of {size}: got {:?} bytes",
            len_of(&got)
        );
    }
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    // 32 KiB, 64 KiB and 1 MiB, text and binary; not 32 KiB - 1 nor 16 MiB + 1.
    assert_eq!(server.await.unwrap(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_of_large_messages_through_recv_into_and_feed_as() {
    echo_large_messages(Reply::Feed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_of_large_messages_through_recv_into_and_send_as() {
    echo_large_messages(Reply::Send).await;
}

#[tokio::test]
async fn fed_messages_go_out_in_the_head_of_a_large_send() {
    // Small messages fed (queued, not written) before a large send go out first, in the same
    // vectored write as the large payload's header.
    let (addr, server) = spy_server(plain(), None, |mut ws, log| async move {
        let big = pattern(200_000, 3);
        ws.feed_text("a").await.unwrap();
        ws.feed_binary(b"bc").await.unwrap();
        let mark = log.lock().unwrap().len();
        ws.send_binary(&big).await.unwrap();
        let calls = log.lock().unwrap()[mark..].to_vec();
        assert_eq!(written_from(&calls, &big), big.len());
        let first = &calls[0];
        assert!(first.vectored, "{first:?}");
        // "a" (3 bytes), "bc" (4 bytes), the 10-byte header; then all of the payload.
        assert_eq!(first.bufs[0].1, 3 + 4 + 10, "{first:?}");
        assert_eq!(first.bufs[1], (big.as_ptr() as usize, big.len()));
        assert_eq!(ws.recv().await.unwrap(), None);
    })
    .await;
    let mut ws = client(addr).await;
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Text("a".into())));
    assert_eq!(
        ws.recv().await.unwrap(),
        Some(Message::Binary(b"bc".to_vec()))
    );
    let got = ws.recv().await.unwrap();
    assert!(got == Some(Message::Binary(pattern(200_000, 3))));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap();
}

// ---- cancel safety of a large send ----

/// How the large send is abandoned.
#[derive(Clone, Copy, Debug)]
enum Cancel {
    Timeout,
    Select,
}

const BIG: usize = 8 << 20;

/// The server sends 8 MiB to a client that does not read yet, and drops the send while it is
/// pending part way through the payload; then sends more. The client must get the 8 MiB
/// message whole, then the rest.
async fn cancelled_large_send(cancel: Cancel) {
    let (go, wait) = oneshot::channel::<()>();
    // A small socket send buffer, so the 8 MiB cannot all be taken while the client does not
    // read.
    let (addr, server) = spy_server(plain(), Some(64 << 10), move |mut ws, log| async move {
        let big = pattern(BIG, 0x11);
        let mark = log.lock().unwrap().len();
        let finished = match cancel {
            Cancel::Timeout => {
                tokio::time::timeout(Duration::from_millis(300), ws.send_binary(&big))
                    .await
                    .is_ok()
            }
            Cancel::Select => tokio::select! {
                r = ws.send_binary(&big) => { r.unwrap(); true }
                () = tokio::time::sleep(Duration::from_millis(300)) => false,
            },
        };
        assert!(
            !finished,
            "{cancel:?}: the send should be pending: the client is not reading"
        );
        let calls = log.lock().unwrap()[mark..].to_vec();
        let from_big = written_from(&calls, &big);
        assert!(
            from_big > 0 && from_big < BIG,
            "{cancel:?}: the send was cut part way through the payload ({from_big} written)"
        );
        // What was not written is now the connection's: header written, the rest buffered.
        assert_eq!(ws.buffered_amount(), BIG - from_big, "{cancel:?}");
        // The caller lets go of its bytes.
        drop(big);
        go.send(()).unwrap();
        let mut second_by_ref = None;
        if let Cancel::Select = cancel {
            // Another large message: left with the caller again, behind the first's rest.
            let second = pattern(1 << 20, 0x22);
            let mark = log.lock().unwrap().len();
            ws.send_binary(&second).await.unwrap();
            let calls = log.lock().unwrap()[mark..].to_vec();
            second_by_ref = Some(written_from(&calls, &second));
        }
        ws.send_text("after").await.unwrap();
        assert_eq!(ws.recv().await.unwrap(), None);
        assert_eq!(ws.close_frame().unwrap().reason, "got all");
        second_by_ref
    })
    .await;
    let mut ws = client(addr).await;
    // Not reading until the server gave up its send.
    wait.await.unwrap();
    let got = ws.recv().await.unwrap();
    assert!(
        got == Some(Message::Binary(pattern(BIG, 0x11))),
        "{cancel:?}: the 8 MiB message arrives whole and intact (got {:?} bytes)",
        len_of(&got)
    );
    if let Cancel::Select = cancel {
        let got = ws.recv().await.unwrap();
        assert!(
            got == Some(Message::Binary(pattern(1 << 20, 0x22))),
            "{cancel:?}: the second large message (got {:?} bytes)",
            len_of(&got)
        );
    }
    assert_eq!(
        ws.recv().await.unwrap(),
        Some(Message::Text("after".into()))
    );
    ws.close(CloseCode::NORMAL, "got all").await.unwrap();
    let second_by_ref = server.await.unwrap();
    if let Cancel::Select = cancel {
        assert_eq!(second_by_ref, Some(1 << 20), "sent from the caller's slice");
    }
}

#[tokio::test]
async fn large_send_dropped_by_timeout_still_goes_out_whole() {
    cancelled_large_send(Cancel::Timeout).await;
}

#[tokio::test]
async fn large_send_losing_a_select_still_goes_out_whole() {
    cancelled_large_send(Cancel::Select).await;
}

// ---- split halves ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_halves_copy_large_messages_and_still_work() {
    const N: u8 = 4;
    let (addr, server) = spy_server(plain(), None, |ws, log| async move {
        let (mut reader, mut writer) = ws.into_split();
        // The write half sends while the read half receives.
        let sending = async {
            for i in 0..N {
                writer.send_binary(&pattern(1 << 20, i)).await.unwrap();
            }
            writer.send_text(&text(1 << 20, N)).await.unwrap();
        };
        let receiving = async {
            for i in 0..N {
                let got = reader.recv().await.unwrap();
                assert!(
                    got == Some(Message::Binary(pattern(1 << 20, 0x80 | i))),
                    "server: message {i} (got {:?} bytes)",
                    len_of(&got)
                );
            }
            assert_eq!(reader.recv().await.unwrap(), None);
        };
        tokio::join!(sending, receiving);
        let calls = log.lock().unwrap().clone();
        assert!(!calls.is_empty());
        assert!(
            calls.iter().all(|c| !c.vectored),
            "halves copy: no vectored write"
        );
    })
    .await;
    let mut ws = client(addr).await;
    for i in 0..N {
        ws.send_binary(&pattern(1 << 20, 0x80 | i)).await.unwrap();
    }
    for i in 0..N {
        let got = ws.recv().await.unwrap();
        assert!(
            got == Some(Message::Binary(pattern(1 << 20, i))),
            "client: message {i} (got {:?} bytes)",
            len_of(&got)
        );
    }
    let got = ws.recv().await.unwrap();
    assert!(got == Some(Message::Text(text(1 << 20, N))));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap();
}

// ---- recv_into ----

#[tokio::test]
async fn recv_into_takes_fragmented_messages_and_reuses_the_callers_buffer() {
    // Below 1 MiB: larger buffers are not kept by the connection between messages.
    const LEN: usize = 1 << 19;
    let (addr, server) = common::serve_one(
        plain(),
        |_| Ok(Accept::default()),
        |ws| async move {
            let mut ws = ws.unwrap();
            for (seed, kind) in [(1, MessageKind::Binary), (2, MessageKind::Binary)] {
                let payload = pattern(LEN, seed);
                let mut writer = ws.start_message(kind).await.unwrap();
                // Uneven pieces: frames of 100 000 bytes and a short last one.
                for piece in payload.chunks(100_000) {
                    writer.write(piece).await.unwrap();
                }
                writer.finish().await.unwrap();
            }
            // Text in pieces too, then a small whole message.
            let message = text(LEN, 3);
            let mut writer = ws.start_message(MessageKind::Text).await.unwrap();
            for piece in message.as_bytes().chunks(300_000) {
                writer.write(piece).await.unwrap();
            }
            writer.finish().await.unwrap();
            ws.send_text("small").await.unwrap();
            assert_eq!(ws.recv().await.unwrap(), None);
        },
    )
    .await;
    let mut ws = client(addr).await;
    let mut buf: Vec<u8> = Vec::with_capacity(LEN);
    buf.extend_from_slice(b"stale contents");
    let callers = buf.as_ptr();

    assert_eq!(
        ws.recv_into(&mut buf).await.unwrap(),
        Some(MessageKind::Binary)
    );
    assert!(buf == pattern(LEN, 1), "first message");
    let first = buf.as_ptr();
    assert_ne!(
        first, callers,
        "the assembled message was moved in, not copied"
    );

    assert_eq!(
        ws.recv_into(&mut buf).await.unwrap(),
        Some(MessageKind::Binary)
    );
    assert!(buf == pattern(LEN, 2), "second message");
    assert_eq!(
        buf.as_ptr(),
        callers,
        "the caller's first buffer assembled the second message"
    );

    assert_eq!(
        ws.recv_into(&mut buf).await.unwrap(),
        Some(MessageKind::Text)
    );
    assert!(buf == text(LEN, 3).into_bytes(), "third message");
    assert_eq!(buf.as_ptr(), first);

    let before = buf.as_ptr();
    assert_eq!(
        ws.recv_into(&mut buf).await.unwrap(),
        Some(MessageKind::Text)
    );
    assert_eq!(buf, b"small", "a whole message replaces the contents");
    assert_eq!(buf.as_ptr(), before, "copied into the caller's allocation");

    ws.close(CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap();
}
