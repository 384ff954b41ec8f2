//! Text (§8.1): valid and invalid UTF-8, in one frame, a byte per fragment, and split across
//! fragments.

use super::*;

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

pub(super) fn utf8() -> Vec<Case> {
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
        let frames = byte_per_fragment(seq);
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
        let frames = byte_per_fragment(seq);
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

/// A text message of `seq`, one byte per fragment.
fn byte_per_fragment(seq: &[u8]) -> Vec<Frame> {
    seq.iter()
        .enumerate()
        .map(|(i, b)| {
            let f = if i == 0 {
                text(vec![*b])
            } else {
                cont(vec![*b])
            };
            f.fin(i == seq.len() - 1)
        })
        .collect()
}
