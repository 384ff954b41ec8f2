//! Split halves (`into_split`) used from two threads: full duplex, a close from either half,
//! pings answered whichever half is busy.

use std::sync::mpsc;
use std::time::Duration;

use tether_std::{ClientConfig, CloseCode, Config, Message, ServerConfig};

use crate::adapter::{Adapter, ReadHalf, Socket, WriteHalf};
use crate::loopback::{Task, connect, connect_with, echo_server};
use crate::raw::{self, Role, op};

/// Two thousand messages sent from one thread while another receives their echoes; the write
/// half closes and the read half sees the end, with the reason echoed.
pub fn split_halves_send_and_receive_from_two_threads<A: Adapter>() {
    const N: usize = 2000;
    let (addr, server) = echo_server::<A>(ServerConfig::default());
    let (mut reader, mut writer) = connect::<A>(addr).into_split();
    let sender = Task::spawn(move || {
        for i in 0..N {
            writer.send(format!("message {i}")).unwrap();
        }
        writer
    });
    for i in 0..N {
        assert_eq!(
            reader.recv().unwrap(),
            Some(Message::text(format!("message {i}")))
        );
    }
    let mut writer = sender.join();
    writer.close(CloseCode::NORMAL, "writer done").unwrap();
    assert_eq!(reader.recv().unwrap(), None);
    let frame = reader.close_frame().unwrap();
    assert_eq!(
        (frame.code, frame.reason.as_str()),
        (CloseCode::NORMAL, "writer done")
    );
    server.join().unwrap();
    assert!(writer.send("late").is_err());
}

/// The read half closes while the write half keeps sending: the close waits for the peer's
/// answer (received data meanwhile is dropped) and the writer's sends then fail.
pub fn a_read_half_close_waits_for_the_answer_while_the_write_half_is_busy<A: Adapter>() {
    // Uncompressed: compression would let far more messages queue ahead of the close.
    let plain = Config::default().deflate(None);
    let (addr, server) = echo_server::<A>(ServerConfig::default().config(plain.clone()));
    let ws = connect_with::<A>(addr, &ClientConfig::default().config(plain));
    let (mut reader, mut writer) = ws.into_split();
    let sender = Task::spawn(move || {
        let mut sent = 0u32;
        while writer.send(vec![7u8; 1000]).is_ok() {
            sent += 1;
        }
        sent
    });
    for _ in 0..50 {
        reader.recv().unwrap().unwrap();
    }
    let frame = reader.close(CloseCode::from(4200), "reader done").unwrap();
    assert_eq!(
        (frame.code, frame.reason.as_str()),
        (CloseCode::from(4200), "reader done")
    );
    assert!(sender.join() >= 50);
    assert_eq!(server.join().unwrap().code, CloseCode::from(4200));
}

/// Only the read half works (it waits in `recv`), the write half is never used: the peer's
/// ping is answered, and its close ends the receive.
fn pings_are_answered_while_the_write_half_is_idle<A: Adapter>(role: Role) {
    let (started, start) = mpsc::channel();
    let (mut peer, tether) = raw::against::<A, _, _>(
        role,
        ServerConfig::default(),
        ClientConfig::default(),
        &[],
        move |ws| {
            let (mut reader, writer) = ws.unwrap().into_split();
            started.send(()).unwrap();
            let end = reader.recv();
            drop(writer);
            (end, reader.close_frame())
        },
    )
    .unwrap();
    start.recv_timeout(Duration::from_secs(10)).unwrap();
    peer.send(&[raw::ping("are you there")]).unwrap();
    let pong = peer.frame();
    assert!(pong.is_pong(b"are you there"), "{}", pong.describe());
    peer.send(&[raw::close(1000, "seen")]).unwrap();
    let close = peer.frame();
    assert_eq!(
        (close.opcode, close.close_code()),
        (op::CLOSE, 1000),
        "{}",
        close.describe()
    );
    if role == Role::Client {
        peer.shutdown_write();
    }
    peer.expect_tcp_close();
    let (end, frame) = tether.join();
    assert!(matches!(end, Ok(None)), "{end:?}");
    assert_eq!(frame.unwrap().reason, "seen");
}

/// See [`pings_are_answered_while_the_write_half_is_idle`].
pub fn pings_are_answered_while_the_write_half_is_idle_as_server<A: Adapter>() {
    pings_are_answered_while_the_write_half_is_idle::<A>(Role::Server);
}

/// See [`pings_are_answered_while_the_write_half_is_idle`].
pub fn pings_are_answered_while_the_write_half_is_idle_as_client<A: Adapter>() {
    pings_are_answered_while_the_write_half_is_idle::<A>(Role::Client);
}
