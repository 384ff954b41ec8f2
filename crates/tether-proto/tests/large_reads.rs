//! Property: large frames read the way an adapter reads a socket — into whatever space
//! `input_buffer` offers (the input buffer, or straight into the buffer a message is assembled
//! in), in reads of any size, with now and then a piece handed in by `handle_input` instead and
//! the connection's buffers released between reads as an idle adapter does — arrive whole and
//! in order, text checked, however the stream is split.

use proptest::prelude::*;
use tether_proto::connection::Negotiated;
use tether_proto::testkit::masked;
use tether_proto::{Config, Connection, Event, FixedEntropy, Instant, MessageKind, Role};

const T0: Instant = Instant::ZERO;

/// A message: kind, length, and how many frames it is sent in.
#[derive(Clone, Debug)]
struct Msg {
    kind: MessageKind,
    len: usize,
    frames: usize,
}

impl Msg {
    /// The payload: ASCII with a multi-byte character now and then in text (so characters
    /// straddle reads), a pattern in binary.
    fn payload(&self, seed: usize) -> Vec<u8> {
        match self.kind {
            MessageKind::Binary => (0..self.len).map(|i| (i * 31 + seed * 7) as u8).collect(),
            MessageKind::Text => {
                let mut s = String::with_capacity(self.len);
                let mut i = 0;
                while s.len() + 3 <= self.len {
                    s.push(if (i + seed).is_multiple_of(97) {
                        '€'
                    } else {
                        'a'
                    });
                    i += 1;
                }
                while s.len() < self.len {
                    s.push('z');
                }
                s.into_bytes()
            }
        }
    }

    /// Masked client frames carrying `payload`, cut into `frames` pieces.
    fn wire(&self, payload: &[u8]) -> Vec<u8> {
        let step = payload.len().div_ceil(self.frames).max(1);
        let pieces: Vec<&[u8]> = if payload.is_empty() {
            vec![&[]]
        } else {
            payload.chunks(step).collect()
        };
        let mut wire = Vec::new();
        for (i, piece) in pieces.iter().enumerate() {
            let opcode = match (i, self.kind) {
                (0, MessageKind::Text) => 0x1,
                (0, MessageKind::Binary) => 0x2,
                _ => 0x0,
            };
            let fin = if i + 1 == pieces.len() { 0x80 } else { 0 };
            wire.extend_from_slice(&masked(fin | opcode, piece));
        }
        wire
    }
}

fn msg() -> impl Strategy<Value = Msg> {
    let len = prop_oneof![
        0..200usize,
        30_000..70_000usize,
        250_000..300_000usize,
        (1usize << 20)..(1 << 20) + 16,
    ];
    (
        prop_oneof![Just(MessageKind::Binary), Just(MessageKind::Text)],
        len,
        1..4usize,
    )
        .prop_map(|(kind, len, frames)| Msg { kind, len, frames })
}

/// How one read goes.
#[derive(Clone, Copy, Debug)]
enum Read {
    /// Fill at most this many bytes of what is offered.
    Size(usize),
    /// Hand this many bytes in with `handle_input` (after asking for space, unused).
    Handed(usize),
    /// Release the connection's buffers (as an adapter does when a read would block), then
    /// read this many bytes into a reused buffer.
    Released(usize),
}

fn read() -> impl Strategy<Value = Read> {
    let size = prop_oneof![1..16usize, 1..5000usize, 1..400_000usize];
    prop_oneof![
        6 => size.clone().prop_map(Read::Size),
        1 => size.clone().prop_map(Read::Handed),
        1 => size.prop_map(Read::Released),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn large_frames_arrive_whole_however_reads_split_them(
        messages in prop::collection::vec(msg(), 1..5),
        reads in prop::collection::vec(read(), 1..40),
        take in any::<bool>(),
    ) {
        let payloads: Vec<Vec<u8>> =
            messages.iter().enumerate().map(|(i, m)| m.payload(i)).collect();
        let wire: Vec<u8> = messages
            .iter()
            .zip(&payloads)
            .flat_map(|(m, p)| m.wire(p))
            .collect();
        let config = Config::default().ping_interval(None);
        let mut conn = Connection::open(
            T0,
            Role::Server,
            Negotiated::default(),
            config,
            FixedEntropy::new(3),
        );
        let mut got: Vec<(MessageKind, Vec<u8>)> = Vec::new();
        let mut spare: Option<Vec<u8>> = None;
        let mut fed = 0;
        let mut turn = 0;
        while fed < wire.len() {
            let rest = wire.len() - fed;
            match reads[turn % reads.len()] {
                Read::Size(size) => {
                    let space = conn.input_buffer();
                    let n = size.min(space.len()).min(rest);
                    space[..n].copy_from_slice(&wire[fed..fed + n]);
                    conn.commit_input(T0, n);
                    fed += n;
                }
                Read::Handed(size) => {
                    let _ = conn.input_buffer();
                    let n = size.min(rest);
                    conn.handle_input(T0, &wire[fed..fed + n]);
                    fed += n;
                }
                Read::Released(size) => {
                    if let Some(buf) = conn.release_buffers() {
                        spare = Some(buf);
                    }
                    if let Some(mut buf) = spare.take() {
                        // Someone else's bytes in it: they must not show.
                        buf.fill(0xee);
                        spare = conn.reuse_input_buffer(buf);
                    }
                    let space = conn.input_buffer();
                    let n = size.min(space.len()).min(rest);
                    space[..n].copy_from_slice(&wire[fed..fed + n]);
                    conn.commit_input(T0, n);
                    fed += n;
                }
            }
            turn += 1;
            while let Some(event) = conn.poll_event() {
                match event {
                    Event::Message { kind, data } => {
                        let data = data.to_vec();
                        if take {
                            let message = conn.take_message().expect("the message");
                            prop_assert_eq!(message.as_bytes(), &data[..]);
                        }
                        got.push((kind, data));
                    }
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
        }
        prop_assert_eq!(got.len(), messages.len());
        for (i, ((kind, data), m)) in got.iter().zip(&messages).enumerate() {
            prop_assert_eq!(*kind, m.kind, "message {}", i);
            prop_assert!(data == &payloads[i], "message {} differs ({} bytes)", i, data.len());
        }
    }
}
