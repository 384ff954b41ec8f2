//! The case table, family by family (numbered after the Autobahn testsuite where a case has a
//! counterpart there).

use super::{
    Case, Delivery, Expect, Family, Frame, Masking, Part, Roles, Step, binary, close, close_raw,
    cont, op, ping, pong, text,
};

mod closing;
mod fragmentation;
mod framing;
mod limits;
mod opcodes;
mod ping_pong;
mod reserved_bits;
mod utf8;

use closing::closing;
use fragmentation::fragmentation;
use framing::framing;
use limits::limits;
use opcodes::opcodes;
use ping_pong::ping_pong;
use reserved_bits::reserved_bits;
use utf8::utf8;

/// Collects the cases of one family with running ids.
struct Table {
    family: Family,
    prefix: &'static str,
    cases: Vec<Case>,
}

impl Table {
    fn new(family: Family, prefix: &'static str) -> Self {
        Self {
            family,
            prefix,
            cases: Vec::new(),
        }
    }

    fn add(&mut self, title: impl Into<String>, steps: Vec<Step>) -> &mut Case {
        let id = format!("{}.{}", self.prefix, self.cases.len() + 1);
        self.cases.push(Case {
            id,
            family: self.family,
            title: title.into(),
            roles: Roles::Both,
            max_message_size: None,
            with_handshake: Vec::new(),
            steps,
        });
        self.cases.last_mut().expect("just pushed")
    }
}

fn send(frames: Vec<Frame>) -> Step {
    Step::Send(frames, Delivery::Whole)
}

fn expect(e: Expect) -> Step {
    Step::Expect(e)
}

fn echo_text(s: impl Into<Vec<u8>>) -> Step {
    expect(Expect::Message(op::TEXT, s.into()))
}

fn echo_binary(b: impl Into<Vec<u8>>) -> Step {
    expect(Expect::Message(op::BINARY, b.into()))
}

fn expect_pong(p: impl Into<Vec<u8>>) -> Step {
    expect(Expect::Pong(p.into()))
}

/// The echo of a text message read just before the connection ended, if tether got to it
/// first (see [`Expect::Optional`]).
fn maybe_echo_text(s: impl Into<Vec<u8>>) -> Step {
    expect(Expect::Optional(Box::new(Expect::Message(
        op::TEXT,
        s.into(),
    ))))
}

/// The peer closes with 1000; tether answers 1000 and the TCP connection ends.
fn close_normally() -> Vec<Step> {
    vec![
        send(vec![close(1000, "")]),
        expect(Expect::Close(vec![1000])),
        expect(Expect::TcpClose),
    ]
}

/// Tether fails the connection with `code` and the TCP connection ends.
fn fails(code: u16) -> Vec<Step> {
    vec![expect(Expect::Close(vec![code])), expect(Expect::TcpClose)]
}

fn cat(parts: Vec<Vec<Step>>) -> Vec<Step> {
    parts.into_iter().flatten().collect()
}

/// Text of `n` bytes (ASCII, varied).
fn ascii(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

/// Binary of `n` bytes, every value.
fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 256) as u8).collect()
}

/// Every case, all families.
pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(framing());
    all.extend(ping_pong());
    all.extend(reserved_bits());
    all.extend(opcodes());
    all.extend(fragmentation());
    all.extend(utf8());
    all.extend(closing());
    all.extend(limits());
    all
}

const LENGTHS: [usize; 8] = [0, 1, 125, 126, 127, 128, 65535, 65536];
