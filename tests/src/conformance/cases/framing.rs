//! Frame lengths (RFC 6455 §5.2): every payload-length form, written whole, in chunks and a
//! byte at a time.

use super::*;

pub(super) fn framing() -> Vec<Case> {
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
