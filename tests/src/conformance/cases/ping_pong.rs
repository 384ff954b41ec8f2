//! Pings and pongs (§5.5.2, §5.5.3): payload limits, pings answered in order, unsolicited pongs
//! ignored.

use super::*;

pub(super) fn ping_pong() -> Vec<Case> {
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
