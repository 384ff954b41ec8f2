//! Opcodes (§5.2): reserved data and control opcodes.

use super::*;

pub(super) fn opcodes() -> Vec<Case> {
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
