//! Fragmentation (§5.4): control frames are never fragmented; messages in fragments, with
//! control frames between.

use super::*;

pub(super) fn fragmentation() -> Vec<Case> {
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
