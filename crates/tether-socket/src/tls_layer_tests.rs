//! [`TlsLayer`] in memory: a client and a server layer pass records to each other in pieces of
//! any size.

use std::io::{self, IoSlice};

use proptest::prelude::*;

use super::{PlainRead, TlsLayer};
use crate::{TlsOptions, tls};

fn pair() -> (TlsLayer, TlsLayer) {
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let server = tls::server_config_pem(
        key.cert.pem().as_bytes(),
        key.signing_key.serialize_pem().as_bytes(),
    )
    .unwrap();
    let client =
        tls::client_config(&TlsOptions::default().danger_accept_invalid_certs(true)).unwrap();
    let name = tls::server_name("localhost").unwrap();
    (
        TlsLayer::client(client, name).unwrap(),
        TlsLayer::server(server).unwrap(),
    )
}

/// Moves what `from` has to write into `to`, `piece` bytes at a time. Returns whether any moved.
fn transfer(from: &mut TlsLayer, to: &mut TlsLayer, piece: usize) -> bool {
    let mut moved = false;
    while !from.outgoing().is_empty() {
        let space = to.read_space();
        let n = from.outgoing().len().min(piece).min(space.len());
        space[..n].copy_from_slice(&from.outgoing()[..n]);
        to.commit_read(n);
        from.advance_outgoing(n);
        moved = true;
    }
    moved
}

fn handshake(client: &mut TlsLayer, server: &mut TlsLayer, piece: usize) {
    for _ in 0..100 {
        let client_done = client.handshake().unwrap();
        let to_server = transfer(client, server, piece);
        let server_done = server.handshake().unwrap();
        let to_client = transfer(server, client, piece);
        if client_done && server_done && !to_server && !to_client {
            return;
        }
    }
    panic!("the handshake did not finish");
}

/// Reads plaintext from `layer` in reads of `read` bytes until `want` bytes came.
fn read_all(
    from: &mut TlsLayer,
    to: &mut TlsLayer,
    piece: usize,
    read: usize,
    want: usize,
) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = vec![0; read];
    while got.len() < want {
        match to.read_plain(&mut buf).unwrap() {
            PlainRead::Data(n) => got.extend_from_slice(&buf[..n]),
            PlainRead::NeedInput => {
                // Records the reader owes (tickets, say) go back; then more comes.
                transfer(to, from, piece);
                assert!(
                    transfer(from, to, piece),
                    "nothing more to read after {}",
                    got.len()
                );
            }
            PlainRead::End => panic!("ended after {} of {want} bytes", got.len()),
        }
    }
    got
}

/// Writes `data` as a vectored write of a short head and the rest, as a socket writes a frame.
fn write_all(layer: &mut TlsLayer, data: &[u8]) {
    let mut at = 0;
    while at < data.len() {
        let head = (data.len() - at).min(10);
        let n = layer
            .write_plain(&[
                IoSlice::new(&data[at..at + head]),
                IoSlice::new(&data[at + head..]),
            ])
            .unwrap();
        assert!(n > 0, "the handshake is done: writes are taken");
        at += n;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Plaintext arrives intact and in order however the ciphertext is split on the way and
    /// whatever the reader's buffer size; large writes are taken in parts.
    #[test]
    fn bytes_arrive_intact_however_the_records_are_split(
        piece in prop_oneof![Just(1usize), 2usize..64, 64usize..20_000, Just(1 << 20)],
        read in prop_oneof![Just(1usize), 2usize..2000, Just(64 << 10)],
        len in prop_oneof![Just(1usize), 2usize..5000, 60_000usize..200_000],
    ) {
        let (mut client, mut server) = pair();
        handshake(&mut client, &mut server, piece);
        let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        write_all(&mut client, &data);
        transfer(&mut client, &mut server, piece);
        let got = read_all(&mut client, &mut server, piece, read, data.len());
        prop_assert!(got == data, "{} bytes differ", len);
        write_all(&mut server, b"and back");
        transfer(&mut server, &mut client, piece);
        prop_assert_eq!(read_all(&mut server, &mut client, piece, read, 8), b"and back".to_vec());
    }
}

#[test]
fn writes_before_the_handshake_are_not_taken() {
    let (mut client, _server) = pair();
    assert_eq!(client.write_plain(&[IoSlice::new(b"early")]).unwrap(), 0);
}

#[test]
fn close_notify_ends_the_plaintext_and_an_eof_without_it_is_an_error() {
    let (mut client, mut server) = pair();
    handshake(&mut client, &mut server, 1 << 20);
    client.close_notify().unwrap();
    client.close_notify().unwrap();
    transfer(&mut client, &mut server, 1 << 20);
    let mut buf = [0; 100];
    assert_eq!(server.read_plain(&mut buf).unwrap(), PlainRead::End);

    let (mut client, mut server) = pair();
    handshake(&mut client, &mut server, 1 << 20);
    server.commit_read(0);
    let e = server.read_plain(&mut buf).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
}

#[test]
fn a_peer_that_is_not_tls_fails_the_handshake_with_an_alert() {
    let (_client, mut server) = pair();
    let space = server.read_space();
    let junk = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    space[..junk.len()].copy_from_slice(junk);
    server.commit_read(junk.len());
    let e = server.handshake().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
    assert!(!server.outgoing().is_empty(), "an alert goes back");
    // Once failed, rustls is left alone (asked again, it would queue a second fatal alert).
    server.close_notify().unwrap();
    assert!(server.read_plain(&mut [0; 16]).is_err());
}

/// Issue 12's idle footprint: once a read would block, the layer holds no buffer.
#[test]
fn an_idle_layer_holds_no_buffers() {
    let (mut client, mut server) = pair();
    handshake(&mut client, &mut server, 1 << 20);
    write_all(&mut client, &[7; 100_000]);
    transfer(&mut client, &mut server, 1 << 20);
    read_all(&mut client, &mut server, 1 << 20, 64 << 10, 100_000);
    let mut buf = [0; 16];
    assert_eq!(server.read_plain(&mut buf).unwrap(), PlainRead::NeedInput);
    server.read_would_block();
    assert_eq!(server.incoming.capacity(), 0);
    assert_eq!(server.out.records.capacity(), 0);
    assert_eq!(server.out.plain.capacity(), 0);
    assert_eq!(server.gather.capacity(), 0);
}
