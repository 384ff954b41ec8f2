//! Backpressure: a writer that outpaces its peer waits at the outbound bound
//! (`Config::outbound_high_water`), a write timeout ends the wait, and `try_send` never waits —
//! it gives the message back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use tether_std::{
    ClientConfig, CloseCode, Config, Message, PreparedMessage, ServerConfig, TimeoutKind,
    TrySendError,
};

use crate::adapter::{Adapter, Socket};
use crate::loopback::{connect_with, serve_one};
use crate::raw::{self, Role, op};

const BOUND: usize = 256 << 10;
const PIECE: usize = 64 << 10;
/// Far more than the socket buffers on both sides hold: past this, the bound did not hold.
const MAX_PIECES: usize = 4096;

/// Uncompressed, with a 256 KiB bound: deflate would shrink the pieces to almost nothing.
fn bounded() -> Config {
    Config::default().deflate(None).outbound_high_water(BOUND)
}

/// A server that reads nothing until told, then counts the messages to the end.
fn slow_reader<A: Adapter>() -> (
    std::net::SocketAddr,
    crate::loopback::Task<usize>,
    mpsc::Sender<()>,
) {
    let (go, wait) = mpsc::channel::<()>();
    let (addr, server) =
        serve_one::<A, _, _>(ServerConfig::default().config(bounded()), move |ws| {
            let mut ws = ws.unwrap();
            let _ = wait.recv();
            let mut count = 0;
            while let Ok(Some(_)) = ws.recv() {
                count += 1;
            }
            count
        });
    (addr, server, go)
}

/// The peer does not read: `feed` blocks once the bound is reached (the queue stops growing
/// past one piece over it), and everything queued arrives once the peer reads.
pub fn a_writer_waits_at_the_outbound_bound_while_the_peer_does_not_read<A: Adapter>() {
    let (addr, server, go) = slow_reader::<A>();
    let mut ws = connect_with::<A>(addr, &ClientConfig::default().config(bounded()));
    let sent = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (sent, stop) = (sent.clone(), stop.clone());
        crate::loopback::Task::spawn(move || {
            let piece = Message::binary(vec![1u8; PIECE]);
            let mut most = 0;
            while !stop.load(Ordering::SeqCst) && sent.load(Ordering::SeqCst) < MAX_PIECES {
                ws.feed(piece.clone()).unwrap();
                most = most.max(ws.buffered_amount());
                sent.fetch_add(1, Ordering::SeqCst);
            }
            ws.flush().unwrap();
            (ws, most)
        })
    };
    // Wait until the writer stops making progress: it is blocked in `feed`.
    let mut last = usize::MAX;
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = sent.load(Ordering::SeqCst);
        assert!(
            now < MAX_PIECES,
            "256 MiB queued without the writer waiting"
        );
        if now == last {
            break;
        }
        last = now;
    }
    stop.store(true, Ordering::SeqCst);
    go.send(()).unwrap();
    let (mut ws, most) = writer.join();
    // One piece (and frame headers) may go past the bound, never more.
    assert!(most <= BOUND + PIECE + 64, "buffered {most}");
    ws.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(server.join(), sent.load(Ordering::SeqCst));
}

/// A writer blocked on a peer that never reads fails with the write timeout — at its deadline,
/// not at whatever timer happens to fire next (the core's are a minute away here: without the
/// deadline of its own, the send would wait that long).
pub fn the_write_timeout_fails_a_writer_blocked_on_a_stalled_peer<A: Adapter>() {
    let (addr, server, go) = slow_reader::<A>();
    let config = ClientConfig::default()
        .config(
            bounded()
                .handshake_timeout(Some(Duration::from_secs(60)))
                .ping_interval(Some(Duration::from_secs(60))),
        )
        .write_timeout(Some(Duration::from_millis(200)));
    let mut ws = connect_with::<A>(addr, &config);
    let writer = crate::loopback::Task::spawn(move || {
        let piece = Message::binary(vec![1u8; PIECE]);
        let mut sent = 0;
        let e = loop {
            assert!(
                sent < MAX_PIECES,
                "256 MiB sent to a peer that reads nothing"
            );
            match ws.send(piece.clone()) {
                Ok(()) => sent += 1,
                Err(e) => break e,
            }
        };
        (ws, e)
    });
    let (ws, e) = writer
        .join_within(Duration::from_secs(20))
        .expect("the write timeout of 200 ms did not end the send within 20 s");
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Write), "{e:?}");
    drop(ws);
    drop(go);
    server.join();
}

/// `try_send` never waits: over the bound it returns `Full` with the very message given (not
/// a copy), queues nothing, and the socket goes on; the same for a prepared message.
pub fn try_send_returns_full_over_the_bound_and_gives_the_message_back<A: Adapter>() {
    let (addr, server, go) = slow_reader::<A>();
    let mut ws = connect_with::<A>(addr, &ClientConfig::default().config(bounded()));
    let mut queued = 0;
    let full = loop {
        assert!(queued < MAX_PIECES, "256 MiB taken by try_send");
        let piece = Message::binary(vec![2u8; PIECE]);
        let at = piece.as_bytes().as_ptr();
        match ws.try_send(piece) {
            Ok(()) => queued += 1,
            Err(TrySendError::Full(back)) => {
                assert_eq!(back.as_bytes().as_ptr(), at, "the same bytes come back");
                break back;
            }
            Err(e) => panic!("{e:?}"),
        }
    };
    assert_eq!(full, Message::binary(vec![2u8; PIECE]));
    // The socket writes in the background meanwhile: there may be room again by now.
    let prepared = PreparedMessage::new(Message::binary(vec![3u8; PIECE]));
    loop {
        assert!(
            queued < 2 * MAX_PIECES,
            "256 MiB taken by try_send_prepared"
        );
        match ws.try_send_prepared(&prepared) {
            Ok(()) => queued += 1,
            Err(TrySendError::Full(back)) => {
                assert_eq!(back.message(), prepared.message());
                break;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    // The peer reads; a blocking send waits for room, then everything arrives.
    go.send(()).unwrap();
    ws.send(full).unwrap();
    ws.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(server.join(), queued + 1);
}

/// `try_send` never waits, even on a peer that stopped reading long enough for every buffer on
/// the way (the outbound bound, both kernels' socket buffers) to fill: round after round it
/// queues up to the bound and returns `Full`, while the socket keeps writing what it can in
/// the background. Fan-out from one thread to many sockets relies on it.
pub fn try_send_never_waits_on_a_peer_that_stopped_reading<A: Adapter>() {
    let (addr, server, go) = slow_reader::<A>();
    let mut ws = connect_with::<A>(addr, &ClientConfig::default().config(bounded()));
    let fill = crate::loopback::Task::spawn(move || {
        let mut queued = 0;
        // 200 rounds of the 256 KiB bound: 50 MiB, far more than the buffers on the way.
        for _ in 0..200 {
            loop {
                match ws.try_send(Message::binary(vec![4u8; PIECE])) {
                    Ok(()) => queued += 1,
                    Err(TrySendError::Full(_)) => break,
                    Err(e) => panic!("{e:?}"),
                }
            }
            // Let the socket write in the background meanwhile.
            std::thread::sleep(Duration::from_millis(10));
        }
        (ws, queued)
    });
    let (mut ws, queued) = fill
        .join_within(Duration::from_secs(60))
        .expect("try_send waited for a peer that does not read");
    go.send(()).unwrap();
    ws.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(server.join(), queued);
}

/// Output queued without a flush — `feed`, `try_send` — goes out on its own while the
/// application does nothing more (it waits on something else): the peer gets both messages,
/// in order, and the socket is usable afterwards.
fn queued_messages_go_out_without_a_flush<A: Adapter>(role: Role) {
    let (wake, wait) = mpsc::channel::<()>();
    let (mut peer, tether) = raw::against::<A, _, _>(
        role,
        ServerConfig::default(),
        ClientConfig::default(),
        &[],
        move |ws| {
            let mut ws = ws.unwrap();
            // Some time after the connection opened, when the socket has long been waiting
            // for input.
            std::thread::sleep(Duration::from_millis(200));
            ws.feed("fed").unwrap();
            ws.try_send("tried").unwrap();
            // Neither receiving nor flushing until told.
            wait.recv_timeout(Duration::from_secs(30)).unwrap();
            ws.recv()
        },
    )
    .unwrap();
    for text in ["fed", "tried"] {
        let frame = peer.frame();
        assert_eq!(
            (frame.opcode, frame.payload.as_slice()),
            (op::TEXT, text.as_bytes()),
            "{}",
            frame.describe()
        );
    }
    wake.send(()).unwrap();
    peer.close_normally();
    assert_eq!(tether.join().unwrap(), None);
}

/// See [`queued_messages_go_out_without_a_flush`].
pub fn queued_messages_go_out_without_a_flush_as_server<A: Adapter>() {
    queued_messages_go_out_without_a_flush::<A>(Role::Server);
}

/// See [`queued_messages_go_out_without_a_flush`].
pub fn queued_messages_go_out_without_a_flush_as_client<A: Adapter>() {
    queued_messages_go_out_without_a_flush::<A>(Role::Client);
}
