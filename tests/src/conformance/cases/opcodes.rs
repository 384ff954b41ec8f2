//! Opcodes (§5.2): reserved data and control opcodes.

use super::*;

pub(super) fn opcodes() -> Vec<Case> {
    let mut t = Table::new(Family::Opcodes, "4");
    // The reserved data opcodes, then the reserved control opcodes (written frame by frame).
    let reserved = [
        ("non-control", [3u8, 4, 5, 6, 7], Delivery::Whole),
        ("control", [11, 12, 13, 14, 15], Delivery::Framewise),
    ];
    for (kind, opcodes, delivery) in reserved {
        for opcode in opcodes {
            t.add(
                format!("reserved {kind} opcode {opcode}"),
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
                            delivery,
                        ),
                        maybe_echo_text("ok"),
                    ],
                    fails(1002),
                ]),
            );
        }
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
