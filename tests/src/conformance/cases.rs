//! The case table, family by family (numbered after the Autobahn testsuite where a case has a
//! counterpart there).

use super::{
    Case, Delivery, Expect, Family, Frame, Masking, Part, Roles, Step, binary, close, close_raw,
    cont, op, ping, pong, text,
};

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

fn framing() -> Vec<Case> {
    let mut t = Table::new(Family::Framing, "1");
    for (name, opcode) in [("text", op::TEXT), ("binary", op::BINARY)] {
        for len in LENGTHS {
            let payload = if opcode == op::TEXT {
                ascii(len)
            } else {
                bytes(len)
            };
            t.add(
                format!("{name} message, payload length {len}, one write"),
                cat(vec![
                    vec![
                        send(vec![Frame::new(opcode, payload.clone())]),
                        expect(Expect::Message(opcode, payload)),
                    ],
                    close_normally(),
                ]),
            );
        }
    }
    for len in [0, 1, 125, 126, 127, 128] {
        t.add(
            format!("binary message, payload length {len}, written one byte at a time"),
            cat(vec![
                vec![
                    Step::Send(vec![binary(bytes(len))], Delivery::Chopped(1)),
                    echo_binary(bytes(len)),
                ],
                close_normally(),
            ]),
        );
    }
    for len in [65535, 65536] {
        t.add(
            format!("text message, payload length {len}, written in chunks of 997 bytes"),
            cat(vec![
                vec![
                    Step::Send(vec![text(ascii(len))], Delivery::Chopped(997)),
                    echo_text(ascii(len)),
                ],
                close_normally(),
            ]),
        );
    }
    t.add(
        "binary message of 65536 bytes written one byte at a time",
        cat(vec![
            vec![
                Step::Send(vec![binary(bytes(65536))], Delivery::Chopped(1)),
                echo_binary(bytes(65536)),
            ],
            close_normally(),
        ]),
    );
    t.add(
        "header and payload in separate writes (2-byte, 16-bit and 64-bit lengths)",
        cat(vec![
            vec![
                Step::SendPart(vec![text(ascii(100))], Part::Head(0)),
                Step::Pause(20),
                Step::SendPart(vec![text(ascii(100))], Part::Tail(0)),
                echo_text(ascii(100)),
                Step::SendPart(vec![binary(bytes(300))], Part::Head(0)),
                Step::Pause(20),
                Step::SendPart(vec![binary(bytes(300))], Part::Tail(0)),
                echo_binary(bytes(300)),
                Step::SendPart(vec![binary(bytes(70000))], Part::Head(0)),
                Step::Pause(20),
                Step::SendPart(vec![binary(bytes(70000))], Part::Tail(0)),
                echo_binary(bytes(70000)),
            ],
            close_normally(),
        ]),
    );
    t.add(
        "ten messages of mixed types and sizes in one write",
        cat(vec![
            vec![send(
                (0..10)
                    .map(|i| {
                        if i % 2 == 0 {
                            text(ascii(i * 30))
                        } else {
                            binary(bytes(i * 30))
                        }
                    })
                    .collect(),
            )],
            (0..10)
                .map(|i| {
                    if i % 2 == 0 {
                        echo_text(ascii(i * 30))
                    } else {
                        echo_binary(bytes(i * 30))
                    }
                })
                .collect(),
            close_normally(),
        ]),
    );
    t.add(
        "frames in the same write as the handshake's end (request or 101): decoded, not dropped",
        cat(vec![
            vec![expect(Expect::Unordered(vec![
                Expect::Message(op::TEXT, b"early".to_vec()),
                Expect::Pong(b"early ping".to_vec()),
            ]))],
            close_normally(),
        ]),
    )
    .with_handshake = vec![text("early"), ping(b"early ping".to_vec())];
    t.add(
        "a client's frame without a mask (§5.1: the server fails with 1002)",
        cat(vec![
            vec![send(vec![text("unmasked").masking(Masking::Unmasked)])],
            fails(1002),
        ]),
    )
    .roles = Roles::ServerOnly;
    t.add(
        "a server's frame with a mask (§5.1: the client fails with 1002)",
        cat(vec![
            vec![send(vec![text("masked").masking(Masking::Masked)])],
            fails(1002),
        ]),
    )
    .roles = Roles::ClientOnly;
    t.add(
        "valid message, then an unmasked frame: 1002 (the echo only if tether got to it first)",
        cat(vec![
            vec![
                send(vec![
                    text("first"),
                    binary(bytes(10)).masking(Masking::Unmasked),
                ]),
                maybe_echo_text("first"),
            ],
            fails(1002),
        ]),
    )
    .roles = Roles::ServerOnly;
    t.cases
}

fn ping_pong() -> Vec<Case> {
    let mut t = Table::new(Family::PingPong, "2");
    let mut pong_case = |title: &str, payload: Vec<u8>, delivery: Delivery| {
        t.add(
            title,
            cat(vec![
                vec![
                    Step::Send(vec![ping(payload.clone())], delivery),
                    expect_pong(payload),
                ],
                close_normally(),
            ]),
        );
    };
    pong_case("ping without payload", Vec::new(), Delivery::Whole);
    pong_case(
        "ping with a text payload",
        b"Hello, world!".to_vec(),
        Delivery::Whole,
    );
    pong_case(
        "ping with a binary payload (0x00..0xff bytes)",
        vec![0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff],
        Delivery::Whole,
    );
    pong_case(
        "ping with 125 bytes of payload",
        bytes(125),
        Delivery::Whole,
    );
    pong_case(
        "ping with 125 bytes, written one byte at a time",
        bytes(125),
        Delivery::Chopped(1),
    );
    t.add(
        "ping with 126 bytes of payload (§5.5: control frames ≤ 125)",
        cat(vec![vec![send(vec![ping(bytes(126))])], fails(1002)]),
    );
    t.add(
        "pong with 126 bytes of payload (§5.5: control frames ≤ 125)",
        cat(vec![vec![send(vec![pong(bytes(126))])], fails(1002)]),
    );
    t.add(
        "unsolicited pong without payload: ignored",
        cat(vec![
            vec![
                send(vec![pong(Vec::new()), text("after pong")]),
                echo_text("after pong"),
            ],
            close_normally(),
        ]),
    );
    t.add(
        "unsolicited pong with payload: ignored",
        cat(vec![
            vec![
                send(vec![pong(b"unsolicited".to_vec()), text("after pong")]),
                echo_text("after pong"),
            ],
            close_normally(),
        ]),
    );
    t.add(
        "unsolicited pong, then ping: only the ping is answered",
        cat(vec![
            vec![
                send(vec![
                    pong(b"unsolicited".to_vec()),
                    ping(b"solicited".to_vec()),
                ]),
                expect_pong(b"solicited".to_vec()),
            ],
            close_normally(),
        ]),
    );
    let payloads: Vec<Vec<u8>> = (0..10).map(|i| format!("ping {i}").into_bytes()).collect();
    t.add(
        "ten pings in one write: ten pongs, in order (§5.5.3: none left out)",
        cat(vec![
            vec![send(payloads.iter().map(|p| ping(p.clone())).collect())],
            payloads.iter().map(|p| expect_pong(p.clone())).collect(),
            close_normally(),
        ]),
    );
    t.add(
        "ten pings written one by one, each answered",
        cat(vec![
            payloads
                .iter()
                .flat_map(|p| {
                    vec![
                        Step::Send(vec![ping(p.clone())], Delivery::Chopped(2)),
                        expect_pong(p.clone()),
                    ]
                })
                .collect(),
            close_normally(),
        ]),
    );
    t.add(
        "ping with 125 bytes of 0xff, 0x00 ... (binary payload kept exactly)",
        cat(vec![
            vec![
                send(vec![ping(
                    (0..125)
                        .map(|i| if i % 2 == 0 { 0xff } else { 0 })
                        .collect::<Vec<u8>>(),
                )]),
                expect_pong(
                    (0..125)
                        .map(|i| if i % 2 == 0 { 0xff } else { 0 })
                        .collect::<Vec<u8>>(),
                ),
            ],
            close_normally(),
        ]),
    );
    t.add(
        "ping after close: no pong",
        vec![
            send(vec![close(1000, ""), ping(b"after close".to_vec())]),
            expect(Expect::Close(vec![1000])),
            expect(Expect::TcpClose),
        ],
    );
    t.add(
        "ping between messages: pong before the later echo",
        cat(vec![
            vec![
                send(vec![text("one"), ping(b"p".to_vec()), text("two")]),
                expect(Expect::Unordered(vec![
                    Expect::Message(op::TEXT, b"one".to_vec()),
                    Expect::Pong(b"p".to_vec()),
                ])),
                echo_text("two"),
            ],
            close_normally(),
        ]),
    );
    t.cases
}

fn reserved_bits() -> Vec<Case> {
    let mut t = Table::new(Family::ReservedBits, "3");
    for rsv in 1..=7u8 {
        t.add(
            format!("text frame with RSV = {rsv} (no extension negotiated)"),
            cat(vec![vec![send(vec![text("rsv").rsv(rsv)])], fails(1002)]),
        );
    }
    t.add(
        "valid text, text with RSV2, ping: 1002 (the echo only if tether got to it first), no pong",
        cat(vec![
            vec![
                send(vec![text("ok"), text("bad").rsv(2), ping(b"p".to_vec())]),
                maybe_echo_text("ok"),
            ],
            fails(1002),
        ]),
    );
    t.add(
        "same, frame by frame",
        cat(vec![
            vec![
                Step::Send(
                    vec![text("ok"), text("bad").rsv(2), ping(b"p".to_vec())],
                    Delivery::Framewise,
                ),
                maybe_echo_text("ok"),
            ],
            fails(1002),
        ]),
    );
    t.add(
        "same, written one byte at a time",
        cat(vec![
            vec![
                Step::Send(
                    vec![text("ok"), text("bad").rsv(3), ping(b"p".to_vec())],
                    Delivery::Chopped(1),
                ),
                maybe_echo_text("ok"),
            ],
            fails(1002),
        ]),
    );
    t.add(
        "binary frame with RSV = 5",
        cat(vec![vec![send(vec![binary(bytes(8)).rsv(5)])], fails(1002)]),
    );
    t.add(
        "ping with RSV = 6",
        cat(vec![
            vec![send(vec![ping(b"p".to_vec()).rsv(6)])],
            fails(1002),
        ]),
    );
    t.add(
        "close with RSV = 7",
        cat(vec![vec![send(vec![close(1000, "").rsv(7)])], fails(1002)]),
    );
    t.add(
        "continuation frame with RSV1 inside a fragmented message",
        cat(vec![
            vec![send(vec![text("frag").fin(false), cont("ment").rsv(4)])],
            fails(1002),
        ]),
    );
    t.cases
}

fn opcodes() -> Vec<Case> {
    let mut t = Table::new(Family::Opcodes, "4");
    for opcode in [3u8, 4, 5, 6, 7] {
        t.add(
            format!("reserved non-control opcode {opcode}"),
            cat(vec![
                vec![send(vec![Frame::new(opcode, Vec::new())])],
                fails(1002),
            ]),
        );
        t.add(
            format!(
                "text, reserved opcode {opcode} with payload, ping: 1002 (the echo only if \
                 tether got to it first), no pong"
            ),
            cat(vec![
                vec![
                    send(vec![
                        text("ok"),
                        Frame::new(opcode, b"reserved".to_vec()),
                        ping(b"p".to_vec()),
                    ]),
                    maybe_echo_text("ok"),
                ],
                fails(1002),
            ]),
        );
    }
    for opcode in [11u8, 12, 13, 14, 15] {
        t.add(
            format!("reserved control opcode {opcode}"),
            cat(vec![
                vec![send(vec![Frame::new(opcode, Vec::new())])],
                fails(1002),
            ]),
        );
        t.add(
            format!(
                "text, reserved opcode {opcode} with payload, ping: 1002 (the echo only if \
                 tether got to it first), no pong"
            ),
            cat(vec![
                vec![
                    Step::Send(
                        vec![
                            text("ok"),
                            Frame::new(opcode, b"reserved".to_vec()),
                            ping(b"p".to_vec()),
                        ],
                        Delivery::Framewise,
                    ),
                    maybe_echo_text("ok"),
                ],
                fails(1002),
            ]),
        );
    }
    t.add(
        "reserved opcode 3 inside a fragmented message",
        cat(vec![
            vec![send(vec![
                text("a").fin(false),
                Frame::new(3, b"x".to_vec()),
                cont("b"),
            ])],
            fails(1002),
        ]),
    );
    t.cases
}

fn fragmentation() -> Vec<Case> {
    let mut t = Table::new(Family::Fragmentation, "5");
    t.add(
        "ping fragmented into 2 frames (§5.5: control frames must not be fragmented)",
        cat(vec![
            vec![send(vec![ping(b"frag".to_vec()).fin(false), cont("ment")])],
            fails(1002),
        ]),
    );
    t.add(
        "pong fragmented into 2 frames",
        cat(vec![
            vec![send(vec![pong(b"frag".to_vec()).fin(false), cont("ment")])],
            fails(1002),
        ]),
    );
    t.add(
        "close fragmented into 2 frames",
        cat(vec![
            vec![send(vec![close(1000, "").fin(false), cont("ment")])],
            fails(1002),
        ]),
    );
    for (how, delivery) in [
        ("one write", Delivery::Whole),
        ("frame by frame", Delivery::Framewise),
        ("one byte at a time", Delivery::Chopped(1)),
    ] {
        t.add(
            format!("text in 2 fragments, {how}"),
            cat(vec![
                vec![
                    Step::Send(vec![text("frag").fin(false), cont("ment")], delivery),
                    echo_text("fragment"),
                ],
                close_normally(),
            ]),
        );
        t.add(
            format!("text in 2 fragments with a ping between, {how}: pong, then echo"),
            cat(vec![
                vec![
                    Step::Send(
                        vec![
                            text("frag").fin(false),
                            ping(b"inside".to_vec()),
                            cont("ment"),
                        ],
                        delivery,
                    ),
                    expect_pong(b"inside".to_vec()),
                    echo_text("fragment"),
                ],
                close_normally(),
            ]),
        );
        t.add(
            format!("continuation (FIN) without a message in progress, {how}"),
            cat(vec![
                vec![Step::Send(
                    vec![cont("orphan"), text("x").fin(false), cont("y")],
                    delivery,
                )],
                fails(1002),
            ]),
        );
    }
    t.add(
        "continuation (no FIN) without a message in progress",
        cat(vec![
            vec![send(vec![cont("orphan").fin(false), cont("more")])],
            fails(1002),
        ]),
    );
    t.add(
        "a whole fragmented message, then a stray continuation: 1002 (the echo only if tether \
         got to it first)",
        cat(vec![
            vec![
                send(vec![
                    text("frag").fin(false),
                    cont("ment"),
                    cont("stray").fin(false),
                    text("never"),
                ]),
                maybe_echo_text("fragment"),
            ],
            fails(1002),
        ]),
    );
    t.add(
        "new text frame while a fragmented message is in progress",
        cat(vec![
            vec![send(vec![text("frag").fin(false), text("new")])],
            fails(1002),
        ]),
    );
    t.add(
        "new binary frame while a fragmented text message is in progress",
        cat(vec![
            vec![send(vec![
                text("frag").fin(false),
                binary(bytes(3)).fin(false),
                cont(""),
            ])],
            fails(1002),
        ]),
    );
    let pieces = ["fr", "ag", "me", "nt", "ed"];
    let mut steps = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let frame = if i == 0 {
            text(*piece).fin(false)
        } else {
            cont(*piece).fin(i == pieces.len() - 1)
        };
        let name = format!("ping {i}").into_bytes();
        steps.push(Step::Send(
            vec![frame, ping(name.clone())],
            Delivery::Framewise,
        ));
        if i == pieces.len() - 1 {
            // The message is whole with the last ping: its echo and the pong in either order.
            steps.push(expect(Expect::Unordered(vec![
                Expect::Message(op::TEXT, b"fragmented".to_vec()),
                Expect::Pong(name),
            ])));
        } else {
            steps.push(expect_pong(name));
        }
        steps.push(Step::Pause(30));
    }
    t.add(
        "text in 5 fragments, a ping after each with pauses: each pong at once, the echo with the \
         last",
        cat(vec![steps, close_normally()]),
    );
    t.add(
        "text in 5 fragments with unsolicited pongs between: echo only",
        cat(vec![
            vec![
                send(vec![
                    text("fr").fin(false),
                    pong(b"1".to_vec()),
                    cont("ag").fin(false),
                    pong(b"2".to_vec()),
                    cont("me").fin(false),
                    cont("nt").fin(false),
                    pong(Vec::new()),
                    cont("ed"),
                ]),
                echo_text("fragmented"),
            ],
            close_normally(),
        ]),
    );
    t.add(
        "binary in 3 fragments, every byte value",
        cat(vec![
            vec![
                send(vec![
                    binary(bytes(100)).fin(false),
                    cont(bytes(256)).fin(false),
                    cont(bytes(3)),
                ]),
                echo_binary([bytes(100), bytes(256), bytes(3)].concat()),
            ],
            close_normally(),
        ]),
    );
    t.add(
        "empty text message in 3 empty fragments",
        cat(vec![
            vec![
                send(vec![text("").fin(false), cont("").fin(false), cont("")]),
                echo_text(""),
            ],
            close_normally(),
        ]),
    );
    t.add(
        "text in 1000 fragments of 1 byte",
        cat(vec![
            vec![
                send(
                    (0..1000)
                        .map(|i| {
                            let b = ascii(1000)[i..=i].to_vec();
                            if i == 0 {
                                text(b).fin(false)
                            } else {
                                cont(b).fin(i == 999)
                            }
                        })
                        .collect(),
                ),
                echo_text(ascii(1000)),
            ],
            close_normally(),
        ]),
    );
    t.add(
        "fragments of 64 KiB each (16-bit and 64-bit lengths) into a 192 KiB message",
        cat(vec![
            vec![
                send(vec![
                    binary(bytes(65535)).fin(false),
                    cont(bytes(65536)).fin(false),
                    cont(bytes(65537)),
                ]),
                echo_binary([bytes(65535), bytes(65536), bytes(65537)].concat()),
            ],
            close_normally(),
        ]),
    );
    t.cases
}

/// Valid UTF-8 texts (RFC 3629): boundaries of each sequence length, noncharacters, edges of
/// the surrogate range.
const VALID_UTF8: &[(&str, &[u8])] = &[
    ("mixed Latin text", "Hello-µ@ßöäüàá-UTF-8!!".as_bytes()),
    ("Greek κόσμε", "κόσμε".as_bytes()),
    ("U+0000 (NUL)", &[0x00]),
    ("U+007F, last 1-byte", &[0x7f]),
    ("U+0080, first 2-byte", &[0xc2, 0x80]),
    ("U+07FF, last 2-byte", &[0xdf, 0xbf]),
    ("U+0800, first 3-byte", &[0xe0, 0xa0, 0x80]),
    ("U+D7FF, before the surrogates", &[0xed, 0x9f, 0xbf]),
    ("U+E000, after the surrogates", &[0xee, 0x80, 0x80]),
    ("U+FFFD replacement character", &[0xef, 0xbf, 0xbd]),
    ("U+FFFE noncharacter", &[0xef, 0xbf, 0xbe]),
    ("U+FFFF, last 3-byte (noncharacter)", &[0xef, 0xbf, 0xbf]),
    ("U+FDD0 noncharacter", &[0xef, 0xb7, 0x90]),
    ("U+10000, first 4-byte", &[0xf0, 0x90, 0x80, 0x80]),
    ("U+10FFFF, last code point", &[0xf4, 0x8f, 0xbf, 0xbf]),
    ("emoji U+1F600 in text", "smile 😀 ok".as_bytes()),
];

/// Invalid UTF-8 sequences.
const INVALID_UTF8: &[(&str, &[u8])] = &[
    ("lone continuation byte 0x80", &[0x80]),
    ("lone continuation byte 0xbf", &[0xbf]),
    ("three continuation bytes", &[0x80, 0xbf, 0x80]),
    ("2-byte start 0xc2 followed by a space", &[0xc2, 0x20]),
    ("3-byte start 0xe0 followed by a space", &[0xe0, 0x20]),
    ("4-byte start 0xf0 followed by a space", &[0xf0, 0x20]),
    ("overlong '/' in 2 bytes (c0 af)", &[0xc0, 0xaf]),
    ("overlong NUL in 2 bytes (c0 80)", &[0xc0, 0x80]),
    ("overlong U+007F in 2 bytes (c1 bf)", &[0xc1, 0xbf]),
    ("overlong '/' in 3 bytes (e0 80 af)", &[0xe0, 0x80, 0xaf]),
    ("overlong U+07FF in 3 bytes (e0 9f bf)", &[0xe0, 0x9f, 0xbf]),
    (
        "overlong '/' in 4 bytes (f0 80 80 af)",
        &[0xf0, 0x80, 0x80, 0xaf],
    ),
    (
        "overlong U+FFFF in 4 bytes (f0 8f bf bf)",
        &[0xf0, 0x8f, 0xbf, 0xbf],
    ),
    ("surrogate U+D800 (ed a0 80)", &[0xed, 0xa0, 0x80]),
    ("surrogate U+DB7F (ed ad bf)", &[0xed, 0xad, 0xbf]),
    ("surrogate U+DC00 (ed b0 80)", &[0xed, 0xb0, 0x80]),
    ("surrogate U+DFFF (ed bf bf)", &[0xed, 0xbf, 0xbf]),
    (
        "surrogate pair U+D800 U+DC00 encoded separately",
        &[0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80],
    ),
    (
        "U+110000, past the last code point (f4 90 80 80)",
        &[0xf4, 0x90, 0x80, 0x80],
    ),
    ("start byte 0xf5", &[0xf5, 0x80, 0x80, 0x80]),
    (
        "5-byte sequence (f8 88 80 80 80)",
        &[0xf8, 0x88, 0x80, 0x80, 0x80],
    ),
    (
        "6-byte sequence (fc 84 80 80 80 80)",
        &[0xfc, 0x84, 0x80, 0x80, 0x80, 0x80],
    ),
    ("byte 0xfe", &[0xfe]),
    ("byte 0xff", &[0xff]),
    ("fe fe ff ff (UTF-16 BOMs)", &[0xfe, 0xfe, 0xff, 0xff]),
    ("truncated 2-byte sequence at the end (ce)", &[0xce]),
    (
        "truncated 3-byte sequence at the end (e0 a0)",
        &[0xe0, 0xa0],
    ),
    (
        "truncated 4-byte sequence at the end (f0 90 80)",
        &[0xf0, 0x90, 0x80],
    ),
    (
        "κόσμε, then a truncated sequence",
        &[
            0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xce,
        ],
    ),
    (
        "surrogate U+D800 in the middle of valid text",
        &[0x61, 0x62, 0xed, 0xa0, 0x80, 0x63, 0x64],
    ),
];

fn utf8() -> Vec<Case> {
    let mut t = Table::new(Family::Utf8, "6");
    for (name, seq) in VALID_UTF8 {
        t.add(
            format!("valid: {name}, one frame"),
            cat(vec![
                vec![send(vec![text(*seq)]), echo_text(*seq)],
                close_normally(),
            ]),
        );
    }
    for (name, seq) in VALID_UTF8.iter().filter(|(_, s)| s.len() > 1) {
        let frames: Vec<Frame> = seq
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let f = if i == 0 {
                    text(vec![*b])
                } else {
                    cont(vec![*b])
                };
                f.fin(i == seq.len() - 1)
            })
            .collect();
        t.add(
            format!("valid: {name}, one byte per fragment"),
            cat(vec![vec![send(frames), echo_text(*seq)], close_normally()]),
        );
    }
    let four = "\u{10000}x\u{10FFFF}".as_bytes();
    for at in 1..4 {
        t.add(
            format!("valid: U+10000 split across 2 fragments after byte {at}"),
            cat(vec![
                vec![
                    Step::Send(
                        vec![text(&four[..at]).fin(false), cont(&four[at..])],
                        Delivery::Framewise,
                    ),
                    echo_text(four),
                ],
                close_normally(),
            ]),
        );
    }
    for (name, seq) in INVALID_UTF8 {
        t.add(
            format!("invalid: {name}, one frame"),
            cat(vec![vec![send(vec![text(*seq)])], fails(1007)]),
        );
    }
    for (name, seq) in INVALID_UTF8.iter().filter(|(_, s)| s.len() > 1) {
        let frames: Vec<Frame> = seq
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let f = if i == 0 {
                    text(vec![*b])
                } else {
                    cont(vec![*b])
                };
                f.fin(i == seq.len() - 1)
            })
            .collect();
        t.add(
            format!("invalid: {name}, one byte per fragment"),
            cat(vec![vec![send(frames)], fails(1007)]),
        );
    }
    t.add(
        "invalid at a fragment boundary: κόσμε + f4 | 90 80 80",
        cat(vec![
            vec![send(vec![
                text(["κόσμε".as_bytes(), &[0xf4]].concat()).fin(false),
                cont([0x90, 0x80, 0x80]),
            ])],
            fails(1007),
        ]),
    );
    t.add(
        "message ends with an unfinished character carried over an empty last fragment",
        cat(vec![
            vec![send(vec![text([0x61, 0xce]).fin(false), cont("")])],
            fails(1007),
        ]),
    );
    t.add(
        "fail fast, fragment: 1007 arrives before the rest of the message is sent",
        vec![
            send(vec![
                text(["κόσμε".as_bytes(), &[0xed, 0xa0, 0x80], b"x"].concat()).fin(false),
            ]),
            expect(Expect::Close(vec![1007])),
            send(vec![cont("the rest of the message")]),
            expect(Expect::TcpClose),
        ],
    );
    let body = [
        "κόσμε".as_bytes(),
        &[0xf4, 0x90, 0x80, 0x80],
        b"and more text after it",
    ]
    .concat();
    t.add(
        "fail fast, inside one frame: 1007 arrives before the frame's rest is sent",
        vec![
            Step::SendPart(vec![text(body.clone())], Part::Head(12)),
            expect(Expect::Close(vec![1007])),
            Step::SendPart(vec![text(body)], Part::Tail(12)),
            expect(Expect::TcpClose),
        ],
    );
    t.add(
        "fail fast, first byte of a frame 0xff: 1007 before the 64 KiB rest",
        vec![
            Step::SendPart(
                vec![text([&[0xff][..], &ascii(65535)].concat())],
                Part::Head(1),
            ),
            expect(Expect::Close(vec![1007])),
            Step::SendPart(
                vec![text([&[0xff][..], &ascii(65535)].concat())],
                Part::Tail(1),
            ),
            expect(Expect::TcpClose),
        ],
    );
    t.add(
        "fail fast, second fragment starts with a continuation byte",
        vec![
            send(vec![
                text("valid start").fin(false),
                cont([0x80, 0x61]).fin(false),
            ]),
            expect(Expect::Close(vec![1007])),
            send(vec![cont("end")]),
            expect(Expect::TcpClose),
        ],
    );
    t.cases
}

fn closing() -> Vec<Case> {
    let mut t = Table::new(Family::Close, "7");
    t.add(
        "echo, then close 1000",
        cat(vec![
            vec![send(vec![text("hello")]), echo_text("hello")],
            close_normally(),
        ]),
    );
    t.add(
        "close twice: answered once",
        vec![
            send(vec![close(1000, ""), close(1000, "again")]),
            expect(Expect::Close(vec![1000])),
            expect(Expect::TcpClose),
        ],
    );
    t.add(
        "text after close: not echoed",
        vec![
            send(vec![close(1000, ""), text("after close")]),
            expect(Expect::Close(vec![1000])),
            expect(Expect::TcpClose),
        ],
    );
    t.add(
        "close after the first fragment of a message: closes, no message",
        vec![
            send(vec![text("frag").fin(false), close(1000, "")]),
            expect(Expect::Close(vec![1000])),
            expect(Expect::TcpClose),
        ],
    );
    t.add(
        "close between fragments written frame by frame, then the last fragment",
        vec![
            Step::Send(
                vec![text("frag").fin(false), close(1000, ""), cont("ment")],
                Delivery::Framewise,
            ),
            expect(Expect::Close(vec![1000])),
            expect(Expect::TcpClose),
        ],
    );
    t.add(
        "a 64 KiB message, then close in the same write: the close answered (the echo only if \
         tether got to it first)",
        vec![
            send(vec![binary(bytes(65536)), close(1000, "")]),
            expect(Expect::Optional(Box::new(Expect::Message(
                op::BINARY,
                bytes(65536),
            )))),
            expect(Expect::Close(vec![1000])),
            expect(Expect::TcpClose),
        ],
    );
    t.add(
        "close with an empty payload: answered (no code, or 1000)",
        vec![
            send(vec![close_raw(Vec::new())]),
            expect(Expect::Close(vec![1005, 1000])),
            expect(Expect::TcpClose),
        ],
    );
    t.add(
        "close with a 1-byte payload (§5.5.1)",
        cat(vec![vec![send(vec![close_raw(vec![0x03])])], fails(1002)]),
    );
    for (len, ok) in [(0, true), (1, true), (123, true), (124, false)] {
        let reason = ascii(len);
        let title = format!(
            "close 1000 with a reason of {len} bytes (payload {})",
            len + 2
        );
        if ok {
            t.add(
                title,
                vec![
                    send(vec![close(1000, &reason)]),
                    expect(Expect::Close(vec![1000])),
                    expect(Expect::TcpClose),
                ],
            );
        } else {
            t.add(
                title,
                cat(vec![vec![send(vec![close(1000, &reason)])], fails(1002)]),
            );
        }
    }
    t.add(
        "close with a UTF-8 reason (multi-byte characters)",
        vec![
            send(vec![close(1000, "κόσμε 😀")]),
            expect(Expect::Close(vec![1000])),
            expect(Expect::TcpClose),
        ],
    );
    t.add(
        "close with an invalid UTF-8 reason",
        cat(vec![
            vec![send(vec![close(1000, [0xce, 0xba, 0xed, 0xa0, 0x80])])],
            fails(1007),
        ]),
    );
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
        4000, 4999,
    ] {
        t.add(
            format!("valid close code {code}: answered (same code or 1000)"),
            vec![
                send(vec![close(code, "reason")]),
                expect(Expect::Close(vec![code, 1000])),
                expect(Expect::TcpClose),
            ],
        );
    }
    for code in [
        0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        t.add(
            format!("invalid close code {code}"),
            cat(vec![vec![send(vec![close(code, "")])], fails(1002)]),
        );
    }
    t.cases
}

fn limits() -> Vec<Case> {
    const LIMIT: u64 = 65536;
    let mut t = Table::new(Family::Limits, "9");
    let limited = |c: &mut Case| c.max_message_size = Some(LIMIT);
    limited(t.add(
        "message of exactly max_message_size (64 KiB): echoed",
        cat(vec![
            vec![send(vec![binary(bytes(65536))]), echo_binary(bytes(65536))],
            close_normally(),
        ]),
    ));
    limited(t.add(
        "frame one byte over max_message_size: 1009 from the header, before the payload",
        vec![
            Step::SendPart(vec![binary(bytes(65537))], Part::Head(0)),
            expect(Expect::Close(vec![1009])),
            Step::SendPart(vec![binary(bytes(65537))], Part::Tail(0)),
            expect(Expect::TcpClose),
        ],
    ));
    limited(t.add(
        "fragments adding up past max_message_size: 1009",
        cat(vec![
            vec![send(vec![
                text(ascii(40000)).fin(false),
                cont(ascii(40000)),
            ])],
            fails(1009),
        ]),
    ));
    limited(t.add(
        "fragments adding up to exactly max_message_size: echoed",
        cat(vec![
            vec![
                send(vec![text(ascii(32768)).fin(false), cont(ascii(32768))]),
                echo_text([ascii(32768), ascii(32768)].concat()),
            ],
            close_normally(),
        ]),
    ));
    t.add(
        "frame declaring 2^32 bytes (past the 16 MiB frame limit): 1009 from the header",
        vec![
            Step::SendPart(
                vec![binary(Vec::new()).declared_len(1 << 32)],
                Part::Head(0),
            ),
            expect(Expect::Close(vec![1009])),
            expect(Expect::TcpClose),
        ],
    );
    t.add(
        "64-bit length with the most significant bit set (§5.2): 1002",
        vec![
            Step::SendPart(
                vec![binary(Vec::new()).declared_len(1 << 63)],
                Part::Head(0),
            ),
            expect(Expect::Close(vec![1002])),
            expect(Expect::TcpClose),
        ],
    );
    t.add(
        "4 MiB binary message in one frame (default limits): echoed",
        cat(vec![
            vec![
                send(vec![binary(bytes(4 << 20))]),
                echo_binary(bytes(4 << 20)),
            ],
            close_normally(),
        ]),
    );
    t.add(
        "more fragments than the 131072 allowed (empty continuations): 1009",
        cat(vec![
            vec![send(
                std::iter::once(binary(Vec::new()).fin(false))
                    .chain((0..131_073).map(|_| cont(Vec::new()).fin(false)))
                    .collect(),
            )],
            fails(1009),
        ]),
    );
    t.cases
}
