//! Property: any sequence of messages, fragmented any way and interleaved with control frames,
//! encoded by one role and decoded by the other, yields the same messages — however the byte
//! stream is split, down to one byte at a time, in both receive modes.

use proptest::prelude::*;
use tether_proto::connection::Negotiated;
use tether_proto::testkit::{Ev, drain, events};
use tether_proto::{
    Config, Connection, FixedEntropy, Instant, MessageKind, ReceiveMode, Role, SendOptions,
};

/// One thing the sender does.
#[derive(Clone, Debug)]
enum Op {
    /// A message sent in these pieces (streamed; one piece is a whole message), with a ping
    /// after the piece at index `ping_after`, if any.
    Message {
        kind: MessageKind,
        pieces: Vec<Vec<u8>>,
        ping_after: Option<usize>,
    },
    /// A ping between messages.
    Ping(Vec<u8>),
}

/// A message of `data` cut into pieces at the chosen places, with a ping after a chosen piece.
fn message_op(
    kind: MessageKind,
    data: &[u8],
    cuts: &[prop::sample::Index],
    ping: Option<prop::sample::Index>,
) -> Op {
    let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).collect();
    cuts.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain([data.len()]) {
        pieces.push(data[start..cut].to_vec());
        start = cut;
    }
    let ping_after = ping.map(|i| i.index(pieces.len()));
    Op::Message {
        kind,
        pieces,
        ping_after,
    }
}

fn op() -> impl Strategy<Value = Op> {
    let text = any::<String>().prop_map(|s| (MessageKind::Text, s.into_bytes()));
    let binary = prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| (MessageKind::Binary, b));
    let message = (
        prop_oneof![text, binary],
        prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        any::<Option<prop::sample::Index>>(),
    )
        .prop_map(|((kind, data), cuts, ping)| message_op(kind, &data, &cuts, ping));
    prop_oneof![4 => message, 1 => prop::collection::vec(any::<u8>(), 0..=125).prop_map(Op::Ping)]
}

/// Encodes `ops` with a connection of `role`; returns the bytes and the events the peer should
/// see in message mode.
fn encode(role: Role, ops: &[Op], frame_size: usize) -> (Vec<u8>, Vec<Ev>) {
    let config = Config::default()
        .send_frame_size(frame_size)
        .ping_interval(None);
    let mut sender = Connection::open(
        Instant::ZERO,
        role,
        Negotiated::default(),
        config,
        FixedEntropy::new(3),
    );
    let mut expected = Vec::new();
    for op in ops {
        match op {
            Op::Ping(p) => {
                sender.ping(p).unwrap();
                expected.push(Ev::Ping(p.clone()));
            }
            Op::Message {
                kind,
                pieces,
                ping_after,
            } => {
                sender.begin_message(*kind, SendOptions::default()).unwrap();
                for (i, piece) in pieces.iter().enumerate() {
                    sender
                        .send_chunk(piece.clone(), i + 1 == pieces.len())
                        .unwrap();
                    if *ping_after == Some(i) && i + 1 < pieces.len() {
                        sender.ping(b"mid").unwrap();
                        expected.push(Ev::Ping(b"mid".to_vec()));
                    }
                }
                let data = pieces.concat();
                expected.push(match kind {
                    MessageKind::Text => Ev::Text(String::from_utf8(data).unwrap()),
                    MessageKind::Binary => Ev::Binary(data),
                });
            }
        }
    }
    (drain(&mut sender), expected)
}

/// An open connection of `role` receiving in `mode`.
fn receiver(role: Role, mode: ReceiveMode) -> Connection {
    let config = Config::default().receive_mode(mode).ping_interval(None);
    Connection::open(
        Instant::ZERO,
        role,
        Negotiated::default(),
        config,
        FixedEntropy::new(4),
    )
}

/// Decodes `bytes` fed in pieces of the given sizes (cycled).
fn decode(role: Role, mode: ReceiveMode, bytes: &[u8], sizes: &[usize]) -> Vec<Ev> {
    let mut receiver = receiver(role, mode);
    let mut got = Vec::new();
    let mut rest = bytes;
    let mut sizes = sizes.iter().cycle();
    while !rest.is_empty() {
        let n = (*sizes.next().unwrap()).clamp(1, rest.len());
        receiver.handle_input(Instant::ZERO, &rest[..n]);
        rest = &rest[n..];
        got.extend(events(&mut receiver));
    }
    got
}

/// Joins the chunks of chunks mode back into whole messages.
fn join_pieces(events: Vec<Ev>) -> Vec<Ev> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    for ev in events {
        match ev {
            Ev::Chunk(kind, bytes, fin) => {
                buf.extend_from_slice(&bytes);
                if fin {
                    let data = std::mem::take(&mut buf);
                    out.push(match kind {
                        MessageKind::Text => {
                            Ev::Text(String::from_utf8(data).expect("pieces of valid text"))
                        }
                        MessageKind::Binary => Ev::Binary(data),
                    });
                }
            }
            other => out.push(other),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_split_gives_the_same_messages(
        ops in prop::collection::vec(op(), 0..12),
        frame_size in 1usize..80,
        sizes in prop::collection::vec(1usize..64, 1..8),
        client_sends in any::<bool>(),
    ) {
        let (sender, receiver) = if client_sends { (Role::Client, Role::Server) } else { (Role::Server, Role::Client) };
        let (bytes, expected) = encode(sender, &ops, frame_size);
        prop_assert_eq!(&decode(receiver, ReceiveMode::Message, &bytes, &[bytes.len().max(1)]), &expected);
        prop_assert_eq!(&decode(receiver, ReceiveMode::Message, &bytes, &sizes), &expected);
        prop_assert_eq!(&decode(receiver, ReceiveMode::Message, &bytes, &[1]), &expected);
        prop_assert_eq!(&join_pieces(decode(receiver, ReceiveMode::Chunks, &bytes, &sizes)), &expected);
        prop_assert_eq!(&join_pieces(decode(receiver, ReceiveMode::Chunks, &bytes, &[1])), &expected);
    }
}

/// Decodes `bytes` the way adapters read: into [`Connection::input_buffer`], each read taking
/// at most the size given (cycled) and never more than offered. Large frames then go straight
/// into the assembly buffer.
fn decode_reads(role: Role, mode: ReceiveMode, bytes: &[u8], sizes: &[usize]) -> Vec<Ev> {
    let mut receiver = receiver(role, mode);
    let mut got = Vec::new();
    let mut rest = bytes;
    let mut sizes = sizes.iter().cycle();
    while !rest.is_empty() {
        let space = receiver.input_buffer();
        let n = (*sizes.next().unwrap())
            .clamp(1, rest.len())
            .min(space.len());
        space[..n].copy_from_slice(&rest[..n]);
        receiver.commit_input(Instant::ZERO, n);
        rest = &rest[n..];
        got.extend(events(&mut receiver));
    }
    got
}

/// A large message (up to 200 KB, text with multi-byte characters or binary) in pieces.
fn large_op() -> impl Strategy<Value = Op> {
    let sizes = 30_000usize..200_000;
    let text = (sizes.clone(), any::<u8>()).prop_map(|(n, seed)| {
        // 1-, 2-, 3- and 4-byte characters, so pieces and reads split them.
        let chars = ['a', 'é', '€', '𝄞'];
        let s: String = (0..n / 3)
            .map(|i| chars[(i + usize::from(seed)) % 4])
            .collect();
        (MessageKind::Text, s.into_bytes())
    });
    let binary = (sizes, any::<u8>()).prop_map(|(n, seed)| {
        let data = (0..n).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect();
        (MessageKind::Binary, data)
    });
    (
        prop_oneof![text, binary],
        prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        any::<Option<prop::sample::Index>>(),
    )
        .prop_map(|((kind, data), cuts, ping)| message_op(kind, &data, &cuts, ping))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn reads_into_the_input_buffer_give_the_same_messages_as_handed_in_bytes(
        ops in prop::collection::vec(prop_oneof![1 => op(), 2 => large_op()], 1..5),
        frame_size in prop_oneof![Just(usize::MAX), 1_000usize..150_000],
        sizes in prop::collection::vec(prop_oneof![1usize..100, 1_000usize..70_000, Just(usize::MAX)], 1..6),
        client_sends in any::<bool>(),
    ) {
        let (sender, receiver) = if client_sends { (Role::Client, Role::Server) } else { (Role::Server, Role::Client) };
        let (bytes, expected) = encode(sender, &ops, frame_size);
        prop_assert_eq!(&decode_reads(receiver, ReceiveMode::Message, &bytes, &sizes), &expected);
        prop_assert_eq!(&decode_reads(receiver, ReceiveMode::Message, &bytes, &[usize::MAX]), &expected);
        prop_assert_eq!(&join_pieces(decode_reads(receiver, ReceiveMode::Chunks, &bytes, &sizes)), &expected);
    }
}
