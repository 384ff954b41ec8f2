//! Tests of the client side of the HTTP/1.1 handshake.

use super::*;

/// RFC 6455 §1.3's nonce: base64 "dGhlIHNhbXBsZSBub25jZQ==".
const NONCE: [u8; 16] = *b"the sample nonce";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn request(
    url: &str,
    options: &ClientOptions,
) -> Result<(ClientHandshake, String), HandshakeError> {
    let mut out = Vec::new();
    let hs = ClientHandshake::new(&Target::parse(url)?, options, NONCE, &mut out)?;
    Ok((hs, String::from_utf8(out).unwrap()))
}

fn fixed(extra: &str) -> String {
    format!(
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

fn response(extra: &str) -> Vec<u8> {
    format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n{extra}\r\n").into_bytes()
}

fn poll(
    hs: &mut ClientHandshake,
    buf: &[u8],
    eof: bool,
) -> Result<Option<(Response, usize)>, HandshakeError> {
    hs.poll_response(buf, eof, &Limits::default())
}

fn chat() -> ClientOptions {
    ClientOptions::default()
        .origin("http://example.com")
        .protocols(["chat", "superchat"])
}

#[test]
fn rfc6455_1_3_example_request_is_written_exactly() {
    let (hs, req) = request("ws://server.example.com/chat", &chat()).unwrap();
    let want = format!(
        "GET /chat HTTP/1.1\r\nHost: server.example.com\r\n{}",
        fixed("Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n")
    );
    assert_eq!(req, want);
    assert_eq!(hs.key(), "dGhlIHNhbXBsZSBub25jZQ==");
    assert_eq!(
        (hs.target().host(), hs.target().port(), hs.target().is_tls()),
        ("server.example.com", 80, false)
    );
}

#[test]
fn rfc6455_1_3_example_response_is_accepted() {
    let (mut hs, _) = request("ws://server.example.com/chat", &chat()).unwrap();
    let resp = response("Sec-WebSocket-Protocol: chat\r\n");
    let (r, used) = poll(&mut hs, &resp, false).unwrap().unwrap();
    assert_eq!(used, resp.len());
    assert_eq!((r.status(), r.protocol()), (101, Some("chat")));
    assert_eq!(r.headers().get("sec-websocket-accept"), Some(ACCEPT));
    assert!(r.extensions().is_empty());
    assert_eq!(
        poll(&mut hs, &resp, false).unwrap_err(),
        HandshakeError::AlreadyComplete
    );
}

#[test]
fn rfc6455_4_1_host_has_port_only_when_not_default() {
    for (url, host, port, tls) in [
        ("ws://h.example:80/", "h.example", 80, false),
        ("ws://h.example:8080", "h.example:8080", 8080, false),
        ("wss://h.example:443/", "h.example", 443, true),
        ("wss://h.example", "h.example", 443, true),
        ("wss://h.example:80/", "h.example:80", 80, true),
        ("ws://[::1]:9001/", "[::1]:9001", 9001, false),
        ("ws://[::1]/", "[::1]", 80, false),
        ("ws://127.0.0.1:81/", "127.0.0.1:81", 81, false),
        ("WS://H.Example/", "h.example", 80, false),
        (
            "ws://b\u{fc}cher.example/",
            "xn--bcher-kva.example",
            80,
            false,
        ),
    ] {
        let (hs, req) = request(url, &ClientOptions::default()).unwrap();
        assert_eq!(
            req,
            format!("GET / HTTP/1.1\r\nHost: {host}\r\n{}", fixed("")),
            "{url}"
        );
        assert_eq!(
            (hs.target().port(), hs.target().is_tls()),
            (port, tls),
            "{url}"
        );
    }
    let (hs, _) = request("ws://[::1]/", &ClientOptions::default()).unwrap();
    assert_eq!(hs.target().host(), "::1");
}

#[test]
fn rfc6455_4_1_request_uri_is_path_and_query() {
    let (_, req) = request("ws://h/a/b%20c?x=1&y", &ClientOptions::default()).unwrap();
    assert!(req.starts_with("GET /a/b%20c?x=1&y HTTP/1.1\r\n"), "{req}");
    let (_, req) = request("ws://h?only", &ClientOptions::default()).unwrap();
    assert!(req.starts_with("GET /?only HTTP/1.1\r\n"), "{req}");
}

#[test]
fn url_userinfo_becomes_basic_authorization_percent_decoded() {
    let (_, req) = request("ws://us%40er:p%3Ass@h/", &ClientOptions::default()).unwrap();
    let want = format!("Authorization: Basic {}\r\n", STANDARD.encode("us@er:p:ss"));
    assert!(req.ends_with(&format!("13\r\n{want}\r\n")), "{req}");
    assert!(!req.contains("us%40er@"));
    // Explicit credentials win over the URL's.
    let (_, req) = request(
        "ws://a:b@h/",
        &ClientOptions::default().basic_auth("x", "y"),
    )
    .unwrap();
    assert!(
        req.contains(&format!(
            "Authorization: Basic {}\r\n",
            STANDARD.encode("x:y")
        )),
        "{req}"
    );
    let (_, req) = request("ws://h/", &ClientOptions::default()).unwrap();
    assert!(!req.contains("Authorization"));
}

#[test]
fn debug_output_hides_passwords() {
    let options = ClientOptions::default().basic_auth("alice", "hunter2");
    let (hs, _) = request("ws://bob:swordfish@h/", &options).unwrap();
    let shown = format!("{options:?} {hs:?}");
    assert!(shown.contains("alice"), "{shown}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("swordfish"),
        "{shown}"
    );
}

#[test]
fn extensions_and_extra_headers_follow_the_handshake_fields() {
    let options = ClientOptions::default()
        .protocol("v1")
        .extension(ExtensionOffer::new("permessage-deflate").with_param("client_max_window_bits"))
        .extension(ExtensionOffer::new("permessage-deflate"))
        .header("User-Agent", "tether")
        .header("Cookie", "a=1");
    let (_, req) = request("ws://h/", &options).unwrap();
    let tail = "Sec-WebSocket-Protocol: v1\r\n\
                Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, permessage-deflate\r\n\
                User-Agent: tether\r\nCookie: a=1\r\n";
    assert_eq!(req, format!("GET / HTTP/1.1\r\nHost: h\r\n{}", fixed(tail)));
}

#[test]
fn bad_urls_and_options_are_refused_and_nothing_is_written() {
    let cases: [(&str, ClientOptions); 11] = [
        ("http://h/", ClientOptions::default()),
        ("ws://h/#frag", ClientOptions::default()),
        ("not a url", ClientOptions::default()),
        ("ws://h/", ClientOptions::default().protocol("a b")),
        ("ws://h/", ClientOptions::default().protocol("")),
        ("ws://h/", ClientOptions::default().protocols(["a", "a"])),
        (
            "ws://h/",
            ClientOptions::default().header("Sec-WebSocket-Key", "x"),
        ),
        (
            "ws://h/",
            ClientOptions::default().header("X-A", "1\r\nX-B: 2"),
        ),
        (
            "ws://h/",
            ClientOptions::default().origin("o").header("origin", "p"),
        ),
        ("ws://h/", ClientOptions::default().basic_auth("a:b", "c")),
        (
            "ws://h/",
            ClientOptions::default().extension(ExtensionOffer::new("x y")),
        ),
    ];
    for (url, options) in cases {
        let mut out = Vec::new();
        let e = Target::parse(url)
            .and_then(|t| ClientHandshake::new(&t, &options, NONCE, &mut out))
            .unwrap_err();
        assert!(out.is_empty(), "{url} {options:?}");
        let expected = matches!(
            e,
            HandshakeError::InvalidOption(_)
                | HandshakeError::InvalidUrl(_)
                | HandshakeError::UnsupportedScheme(_)
        );
        assert!(expected, "{url} {options:?}: {e:?}");
    }
    let scheme = Target::parse("https://h/").unwrap_err();
    assert_eq!(scheme, HandshakeError::UnsupportedScheme("https".into()));
    let frag = Target::parse("ws://h/#x").unwrap_err();
    assert!(matches!(frag, HandshakeError::InvalidUrl(_)));
}

#[test]
fn non_101_is_rejected_with_body_up_to_content_length() {
    let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
    let resp = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic\r\nContent-Length: 5\r\n\r\nhelloEXTRA";
    assert_eq!(poll(&mut hs, &resp[..resp.len() - 7], false).unwrap(), None);
    let e = poll(&mut hs, resp, false).unwrap_err();
    let HandshakeError::Rejected {
        status,
        headers,
        body,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!((*status, body.as_slice()), (401, &b"hello"[..]));
    assert_eq!(headers.get("www-authenticate"), Some("Basic"));
    assert_eq!(e.status(), Some(401));
}

#[test]
fn status_401_and_407_are_told_apart() {
    for status in [401u16, 407, 403, 500] {
        let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
        let resp = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(
            poll(&mut hs, resp.as_bytes(), false).unwrap_err().status(),
            Some(status)
        );
    }
}

#[test]
fn non_101_without_content_length_reads_until_eof_capped() {
    let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
    let resp = b"HTTP/1.0 404 Not Found\r\n\r\nno such";
    assert_eq!(poll(&mut hs, resp, false).unwrap(), None);
    assert_eq!(
        poll(&mut hs, resp, true).unwrap_err().response_body(),
        Some(&b"no such"[..])
    );

    let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
    let limits = Limits {
        max_body_bytes: 3,
        ..Limits::default()
    };
    let e = hs.poll_response(resp, false, &limits).unwrap_err();
    assert_eq!(e.response_body(), Some(&b"no "[..]));
}

fn refused(extra: &str, options: &ClientOptions) -> HandshakeError {
    let (mut hs, _) = request("ws://h/", options).unwrap();
    poll(&mut hs, &response(extra), false).unwrap_err()
}

#[test]
fn rfc6455_4_1_response_checks_one_by_one() {
    let none = ClientOptions::default();
    let bad_accept = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: xxx\r\n\r\n";
    let (mut hs, _) = request("ws://h/", &none).unwrap();
    assert_eq!(
        poll(&mut hs, bad_accept.as_bytes(), false).unwrap_err(),
        HandshakeError::InvalidAccept
    );
    let no_accept = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    let (mut hs, _) = request("ws://h/", &none).unwrap();
    assert_eq!(
        poll(&mut hs, no_accept.as_bytes(), false).unwrap_err(),
        HandshakeError::MissingAccept
    );
    let twice = format!("Sec-WebSocket-Accept: {ACCEPT}\r\n");
    assert_eq!(refused(&twice, &none), HandshakeError::InvalidAccept);
    let no_upgrade =
        format!("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n");
    let (mut hs, _) = request("ws://h/", &none).unwrap();
    assert_eq!(
        poll(&mut hs, no_upgrade.as_bytes(), false).unwrap_err(),
        HandshakeError::MissingUpgrade
    );
    let no_conn =
        format!("HTTP/1.1 101 OK\r\nUpgrade: WebSocket\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n");
    let (mut hs, _) = request("ws://h/", &none).unwrap();
    assert_eq!(
        poll(&mut hs, no_conn.as_bytes(), false).unwrap_err(),
        HandshakeError::MissingConnectionUpgrade
    );
    assert_eq!(
        refused("Sec-WebSocket-Protocol: chat\r\n", &none),
        HandshakeError::UnexpectedProtocol("chat".into())
    );
    assert_eq!(
        refused("Sec-WebSocket-Protocol: other\r\n", &chat()),
        HandshakeError::UnexpectedProtocol("other".into())
    );
    assert!(matches!(
        refused("Sec-WebSocket-Protocol: chat, superchat\r\n", &chat()),
        HandshakeError::UnexpectedProtocol(_)
    ));
    assert_eq!(
        refused("Sec-WebSocket-Extensions: permessage-deflate\r\n", &none),
        HandshakeError::UnexpectedExtension("permessage-deflate".into())
    );
    let pmd = ClientOptions::default().extension(ExtensionOffer::new("permessage-deflate"));
    assert!(matches!(
        refused("Sec-WebSocket-Extensions: permessage-deflate; =\r\n", &pmd),
        HandshakeError::MalformedExtensions(_)
    ));
    assert!(matches!(
        refused(
            "Sec-WebSocket-Extensions: permessage-deflate, permessage-deflate\r\n",
            &pmd
        ),
        HandshakeError::UnexpectedExtension(_)
    ));
}

#[test]
fn offered_extension_and_mixed_case_tokens_are_accepted() {
    let pmd = ClientOptions::default().extension(ExtensionOffer::new("permessage-deflate"));
    let (mut hs, _) = request("ws://h/", &pmd).unwrap();
    let resp = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUPGRADE: WebSocket\r\nConnection: keep-alive, UPGRADE\r\n\
         Sec-WebSocket-Accept:  {ACCEPT} \r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=\"10\"\r\n\r\n"
    );
    let (r, _) = poll(&mut hs, resp.as_bytes(), false).unwrap().unwrap();
    let want =
        ExtensionOffer::new("permessage-deflate").with_param_value("server_max_window_bits", "10");
    assert_eq!(r.extensions(), [want]);
    assert_eq!(r.protocol(), None);
}

#[test]
fn eof_before_the_head_is_complete_is_an_error() {
    let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
    assert_eq!(
        poll(&mut hs, b"", true).unwrap_err(),
        HandshakeError::UnexpectedEof
    );
    let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
    assert_eq!(
        poll(&mut hs, b"HTTP/1.1 101 Switching\r\n", true).unwrap_err(),
        HandshakeError::UnexpectedEof
    );
}

#[test]
fn every_split_gives_the_same_result_and_frames_are_not_consumed() {
    let mut wire = response("Sec-WebSocket-Protocol: superchat\r\n");
    let head_len = wire.len();
    wire.extend_from_slice(&[0x81, 0x02, b'h', b'i']);
    for split in 0..=wire.len() {
        let (mut hs, _) = request("ws://h/", &chat()).unwrap();
        let first = poll(&mut hs, &wire[..split], false).unwrap();
        let (r, used) = match first.clone() {
            Some(done) => done,
            None => poll(&mut hs, &wire, false).unwrap().unwrap(),
        };
        assert_eq!(
            (r.protocol(), used),
            (Some("superchat"), head_len),
            "split at {split}"
        );
        assert_eq!(first.is_some(), split >= head_len, "split at {split}");
        assert_eq!(hs.scanner.examined, head_len, "split at {split}");
    }
    // One byte at a time.
    let (mut hs, _) = request("ws://h/", &chat()).unwrap();
    let mut result = None;
    for n in 0..=wire.len() {
        if let Some(done) = poll(&mut hs, &wire[..n], false).unwrap() {
            result = Some((n, done.1));
            break;
        }
    }
    assert_eq!(result, Some((head_len, head_len)));
}

#[test]
fn response_head_one_byte_at_a_time_is_scanned_linearly() {
    let mut wire =
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            .to_vec();
    wire.extend_from_slice(format!("Sec-WebSocket-Accept: {ACCEPT}\r\n").as_bytes());
    while wire.len() < (16 << 10) - 40 {
        wire.extend_from_slice(b"X-Padding: 0123456789abcdef0123456789abcdef\r\n");
    }
    wire.extend_from_slice(b"\r\n");
    let limits = Limits {
        max_headers: 1 << 10,
        max_head_bytes: 32 << 10,
        ..Limits::default()
    };
    let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
    let mut done = None;
    for n in 1..=wire.len() {
        if let Some(r) = hs.poll_response(&wire[..n], false, &limits).unwrap() {
            done = Some(r.1);
            break;
        }
    }
    assert_eq!(done, Some(wire.len()));
    // n calls over an n-byte head: O(n) bytes examined in total, not O(n²).
    assert_eq!(hs.scanner.examined, wire.len());
}

#[test]
fn response_limits_apply() {
    let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
    let limits = Limits {
        max_head_bytes: 20,
        ..Limits::default()
    };
    let e = hs.poll_response(&response(""), false, &limits).unwrap_err();
    assert_eq!(e, HandshakeError::HeadTooLarge { limit: 20 });
    let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
    let limits = Limits {
        max_headers: 2,
        ..Limits::default()
    };
    let e = hs.poll_response(&response(""), false, &limits).unwrap_err();
    assert_eq!(e, HandshakeError::TooManyHeaders { limit: 2 });
    let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
    let e = poll(&mut hs, b"HTTP/1.1 abc\r\n\r\n", false).unwrap_err();
    assert!(matches!(e, HandshakeError::Malformed(_)), "{e:?}");
}
