//! What an idle connection holds: [`Connection::release_buffers`] lets go of the input and
//! output buffers (keeping an unfinished frame's bytes only), and of large buffers once a
//! keepalive ping went out unanswered; [`Connection::reuse_input_buffer`] takes a released buffer back.

use alloc::vec;
use alloc::vec::Vec;

use super::*;

/// Reads `bytes` in one read, without polling.
fn read_quietly(conn: &mut Connection, bytes: &[u8]) {
    let space = conn.input_buffer();
    space[..bytes.len()].copy_from_slice(bytes);
    conn.commit_input(T0, bytes.len());
}

#[test]
fn an_idle_connection_gives_back_its_input_and_output_buffers() {
    let mut s = server();
    read_quietly(&mut s, &masked(0x81, b"hello"));
    assert_eq!(events(&mut s), [Ev::Text("hello".into())]);
    send(&mut s, Message::text("hello"));
    let _ = drain(&mut s);
    let buf = s.release_buffers().expect("the input buffer");
    assert!(buf.len() >= s.config().read_size, "{}", buf.len());
    assert_eq!(s.input.buf.capacity(), 0);
    assert_eq!(s.core.out.raw_buf().capacity(), 0);
    // Nothing more to give back; the connection works on.
    assert!(s.release_buffers().is_none());
    read_quietly(&mut s, &masked(0x82, &[1, 2, 3]));
    assert_eq!(events(&mut s), [Ev::Binary(vec![1, 2, 3])]);
}

#[test]
fn unwritten_output_is_kept() {
    let mut s = server();
    send(&mut s, Message::text("not yet written"));
    let _ = s.release_buffers();
    assert_eq!(
        frames(&drain(&mut s)),
        [(0x81, b"not yet written".to_vec())]
    );
}

#[test]
fn an_unfinished_frame_keeps_only_its_bytes_and_moves_into_a_reused_buffer() {
    let mut s = server();
    let wire = masked(0x82, &pattern(300));
    read_quietly(&mut s, &wire[..5]);
    assert_eq!(events(&mut s), []);
    let big = s.release_buffers().expect("the input buffer");
    assert_eq!(s.input.buf.len(), 5, "only the frame's first bytes");
    // Another connection's buffer (with other bytes in it) takes over, the 5 bytes first.
    let mut other = vec![0xee; big.len()];
    other[..4].copy_from_slice(b"junk");
    assert!(s.reuse_input_buffer(other).is_none(), "taken");
    assert_eq!(s.input.buf.len(), big.len());
    read_quietly(&mut s, &wire[5..]);
    assert_eq!(events(&mut s), [Ev::Binary(pattern(300))]);
    // A buffer no larger than the one held is given back.
    assert_eq!(s.reuse_input_buffer(vec![0; 8]), Some(vec![0; 8]));
}

#[test]
fn many_undecoded_bytes_keep_the_input_buffer() {
    let mut s = server();
    let wire = masked(0x82, &pattern(3000));
    read_quietly(&mut s, &wire[..2000]);
    // Not polled: 2000 bytes wait in the buffer.
    assert!(s.release_buffers().is_none());
    assert_eq!(events(&mut s), []);
    read_quietly(&mut s, &wire[2000..]);
    assert_eq!(events(&mut s), [Ev::Binary(pattern(3000))]);
}

#[test]
fn large_buffers_stay_while_busy_and_go_once_idle() {
    let mut s = open(
        Role::Server,
        config().ping_interval(Some(core::time::Duration::from_secs(30))),
    );
    // Reads that fill their offers grow the input buffer past 64 KiB.
    let small: Vec<u8> = (0..20_000).flat_map(|_| masked(0x82, &[7; 100])).collect();
    let _ = read_in(&mut s, &small, usize::MAX);
    assert!(s.input.buf.len() > 64 << 10, "{}", s.input.buf.len());
    // A message echoed from a buffer of its own leaves it for the next large message.
    let payload = Bytes::from(pattern(100_000));
    s.send(Message::binary(payload), SendOptions::default())
        .unwrap();
    let _ = drain(&mut s);
    assert!(s.input.assembly.capacity() >= 100_000);
    // However often a read would block, both stay while no keepalive ping went out (a busy
    // echo finds a read would block at each write progress).
    for _ in 0..10 {
        assert!(s.release_buffers().is_none());
        assert!(s.input.buf.len() > 64 << 10);
        assert!(s.input.assembly.capacity() >= 100_000);
    }
    // Idle for a ping interval: the keepalive ping goes out, and with it both buffers.
    let at = s.poll_timeout().expect("the keepalive timer");
    s.handle_timeout(at);
    let _ = drain(&mut s);
    assert!(s.release_buffers().is_some());
    assert_eq!(s.input.buf.capacity(), 0);
    assert_eq!(s.input.assembly.capacity(), 0);
}
