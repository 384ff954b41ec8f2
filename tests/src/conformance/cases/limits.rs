//! Limits: messages and frames at and past the configured maximum sizes (1009).

use super::*;

pub(super) fn limits() -> Vec<Case> {
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
