//! The in-memory streams and the peers' sockets the decode benches read through, shared with
//! the `decode_pair` example: [`SliceStream`], each implementation's socket over it and its
//! read loop, and the `decode_copyin` runs (one fresh connection reading through its own
//! buffer).

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use tether_proto::{Event, Role};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A stream over borrowed bytes: reads hand out as much as the reader asks for, writes are
/// discarded. Implements both the blocking and the tokio traits, so both peers read the same
/// way a socket with everything already received would behave. The bytes left to read are
/// shared with the benchmark, which refills them between iterations: each peer keeps one
/// long-lived socket with warm buffers, as tether keeps one connection.
#[derive(Clone)]
pub(crate) struct SliceStream<'a> {
    data: Rc<Cell<&'a [u8]>>,
}

impl<'a> SliceStream<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self {
            data: Rc::new(Cell::new(data)),
        }
    }

    pub(crate) fn next_bytes(&self, max: usize) -> &'a [u8] {
        let data = self.data.get();
        let (now, later) = data.split_at(max.min(data.len()));
        self.data.set(later);
        now
    }

    pub(crate) fn refill(&self, data: &'a [u8]) {
        assert!(
            self.data.get().is_empty(),
            "the previous round left input unread"
        );
        self.data.set(data);
    }
}

impl Read for SliceStream<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let bytes = self.next_bytes(out.len());
        out[..bytes.len()].copy_from_slice(bytes);
        Ok(bytes.len())
    }
}

impl Write for SliceStream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsyncRead for SliceStream<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        buf.put_slice(self.next_bytes(buf.remaining()));
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for SliceStream<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

pub(crate) fn tungstenite_socket(
    stream: SliceStream<'_>,
) -> tungstenite::WebSocket<SliceStream<'_>> {
    let config = tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20));
    tungstenite::WebSocket::from_raw_socket(
        stream,
        tungstenite::protocol::Role::Server,
        Some(config),
    )
}

pub(crate) fn tungstenite_read(
    ws: &mut tungstenite::WebSocket<SliceStream<'_>>,
    frames: usize,
    mut f: impl FnMut(usize, &[u8]),
) {
    for n in 0..frames {
        match ws.read() {
            Ok(tungstenite::Message::Binary(payload)) => f(n, &payload),
            other => panic!("unexpected {other:?}"),
        }
    }
}

pub(crate) fn fastws_socket(stream: SliceStream<'_>) -> fastwebsockets::WebSocket<SliceStream<'_>> {
    let mut ws = fastwebsockets::WebSocket::after_handshake(stream, fastwebsockets::Role::Server);
    ws.set_auto_close(false);
    ws.set_auto_pong(false);
    ws.set_max_message_size(64 << 20);
    ws
}

pub(crate) async fn fastws_read(
    ws: &mut fastwebsockets::WebSocket<SliceStream<'_>>,
    frames: usize,
    mut f: impl FnMut(usize, &[u8]),
) {
    for n in 0..frames {
        let frame = ws.read_frame().await.expect("fastwebsockets read_frame");
        assert!(frame.opcode == fastwebsockets::OpCode::Binary && frame.fin);
        f(n, &frame.payload);
    }
}

pub(crate) fn tokio_websockets_socket(
    stream: SliceStream<'_>,
) -> tokio_websockets::WebSocketStream<SliceStream<'_>> {
    tokio_websockets::ServerBuilder::new()
        .limits(tokio_websockets::Limits::default().max_payload_len(Some(64 << 20)))
        .serve(stream)
}

pub(crate) async fn tokio_websockets_read(
    ws: &mut tokio_websockets::WebSocketStream<SliceStream<'_>>,
    frames: usize,
    mut f: impl FnMut(usize, &[u8]),
) {
    use futures_util::StreamExt;
    for n in 0..frames {
        let message = ws
            .next()
            .await
            .expect("tokio-websockets: stream ended")
            .expect("tokio-websockets: read");
        assert!(
            message.is_binary(),
            "tokio-websockets: not a binary message"
        );
        f(n, message.as_payload());
    }
}

pub(crate) fn yawc_socket(stream: SliceStream<'_>) -> yawc::WebSocket<SliceStream<'_>> {
    // yawc's payload limit is exclusive: a frame of exactly the limit is refused.
    let options = yawc::Options::default()
        .with_max_payload_read((64 << 20) + 1)
        .with_max_read_buffer((128 << 20) + 1);
    yawc::WebSocket::from_stream(stream, yawc::Role::Server, options).expect("yawc from_stream")
}

pub(crate) async fn yawc_read(
    ws: &mut yawc::WebSocket<SliceStream<'_>>,
    frames: usize,
    mut f: impl FnMut(usize, &[u8]),
) {
    for n in 0..frames {
        let frame = ws.next_frame().await.expect("yawc next_frame");
        assert!(frame.opcode() == yawc::OpCode::Binary && frame.is_fin());
        f(n, frame.payload());
    }
}

pub(crate) fn sockudo_socket(
    stream: SliceStream<'_>,
) -> sockudo_ws::WebSocketStream<SliceStream<'_>> {
    // The defaults allow 16 MiB frames and 64 MiB messages: enough for every size here.
    sockudo_ws::WebSocketStream::server(stream, sockudo_ws::Config::default())
}

pub(crate) async fn sockudo_read(
    ws: &mut sockudo_ws::WebSocketStream<SliceStream<'_>>,
    frames: usize,
    mut f: impl FnMut(usize, &[u8]),
) {
    use futures_util::StreamExt;
    for n in 0..frames {
        match ws.next().await {
            Some(Ok(sockudo_ws::Message::Binary(payload))) => f(n, &payload),
            other => panic!("sockudo-ws: unexpected {other:?}"),
        }
    }
}

/// A current-thread runtime with timers: sockudo-ws arms its keepalive timers on tokio's clock.
pub(crate) fn runtime_with_time() -> tokio::runtime::Runtime {
    sockudo_ws::init_clock();
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio runtime")
}

// ---- decode_copyin/<size>/<impl>: the in-memory receive path with one copy-in ----
//
// Issue 12's definition: "The input is about 32 MiB of masked client binary frames, decoded by
// a fresh server connection. Each implementation reads the bytes through its own buffer, in
// the read sizes it asks for (so each pays one copy-in, as from a socket), and gets every
// message out", for payloads of 16 B, 1 KiB, 64 KiB and 1 MiB.
//
// Every iteration opens a fresh server-role connection (its setup is timed, and is nothing
// next to 32 MiB) over a `SliceStream` of the whole input. The stream hands out as many bytes
// as each read asks for, copying them into the implementation's buffer, as a socket with
// everything already received would. Each implementation keeps its own defaults (buffer and
// read sizes) except for limits raised so the largest message passes. The async peers run on a
// current-thread runtime and never see `Pending`.

/// About how many bytes of frames the `decode_copyin` input holds.
pub(crate) const COPYIN_BYTES: usize = 32 << 20;

/// The length of a masked client frame header for a payload of `len` bytes.
pub(crate) fn masked_header_len(len: usize) -> usize {
    2 + 4
        + match len {
            0..=125 => 0,
            126..=0xffff => 2,
            _ => 8,
        }
}

/// tether as an adapter reads a socket: read into the space the connection offers
/// (`input_buffer` / `commit_input`), drain the events. Returns how many messages came out.
pub(crate) fn tether_copyin(feed: &mut SliceStream<'_>, mut f: impl FnMut(usize, &[u8])) -> usize {
    use tether_proto::{Config, Instant};
    // The benches' limits, with the default read size.
    let mut conn = tether_bench::tether_open(Role::Server, Config::default().read_size);
    let mut n = 0;
    loop {
        let got = feed.read(conn.input_buffer()).expect("in-memory read");
        if got == 0 {
            return n;
        }
        conn.commit_input(Instant::ZERO, got);
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Message { data, .. } => f(n, data),
                other => panic!("tether: unexpected event {other:?}"),
            }
            n += 1;
        }
    }
}

/// tungstenite with its default buffers (reads of its 128 KiB read buffer's free space).
pub(crate) fn tungstenite_copyin(
    feed: SliceStream<'_>,
    frames: usize,
    f: impl FnMut(usize, &[u8]),
) {
    tungstenite_read(&mut tungstenite_socket(feed), frames, f);
}

pub(crate) async fn fastws_copyin(
    feed: SliceStream<'_>,
    frames: usize,
    f: impl FnMut(usize, &[u8]),
) {
    fastws_read(&mut fastws_socket(feed), frames, f).await;
}

pub(crate) async fn tokio_websockets_copyin(
    feed: SliceStream<'_>,
    frames: usize,
    f: impl FnMut(usize, &[u8]),
) {
    tokio_websockets_read(&mut tokio_websockets_socket(feed), frames, f).await;
}

pub(crate) async fn yawc_copyin(feed: SliceStream<'_>, frames: usize, f: impl FnMut(usize, &[u8])) {
    yawc_read(&mut yawc_socket(feed), frames, f).await;
}

pub(crate) async fn sockudo_copyin(
    feed: SliceStream<'_>,
    frames: usize,
    f: impl FnMut(usize, &[u8]),
) {
    sockudo_read(&mut sockudo_socket(feed), frames, f).await;
}

/// The implementations of `decode_copyin`, by name.
pub(crate) const COPYIN_IMPLS: [&str; 6] = [
    "tether",
    "tungstenite",
    "fastwebsockets",
    "tokio-websockets",
    "yawc",
    "sockudo-ws",
];

/// Runs implementation `which` once over `wire`, handing every message to `f`.
pub(crate) fn copyin_run(
    which: &str,
    wire: &[u8],
    frames: usize,
    rt: &tokio::runtime::Runtime,
    mut f: impl FnMut(usize, &[u8]),
) {
    let mut feed = SliceStream::new(wire);
    match which {
        "tether" => assert_eq!(tether_copyin(&mut feed, &mut f), frames),
        "tungstenite" => tungstenite_copyin(feed.clone(), frames, f),
        "fastwebsockets" => rt.block_on(fastws_copyin(feed.clone(), frames, f)),
        "tokio-websockets" => rt.block_on(tokio_websockets_copyin(feed.clone(), frames, f)),
        "yawc" => rt.block_on(yawc_copyin(feed.clone(), frames, f)),
        "sockudo-ws" => rt.block_on(sockudo_copyin(feed.clone(), frames, f)),
        other => unreachable!("no implementation {other}"),
    }
    assert!(feed.next_bytes(1).is_empty(), "{which} left input unread");
}
