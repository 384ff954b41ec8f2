//! Reserved bits (§5.2): set without an extension that gives them meaning.

use super::*;

pub(super) fn reserved_bits() -> Vec<Case> {
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
