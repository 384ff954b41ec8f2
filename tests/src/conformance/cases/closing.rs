//! The closing handshake (§5.5.1, §7.4): codes, reasons, what may follow a close.

use super::*;

pub(super) fn closing() -> Vec<Case> {
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
