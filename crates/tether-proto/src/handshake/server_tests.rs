//! Tests of the server side of the HTTP/1.1 handshake.

use super::*;

const SAMPLE: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

fn parse(wire: &str) -> Result<Request, HandshakeError> {
    parse_with(wire, &Limits::default())
}

fn parse_with(wire: &str, limits: &Limits) -> Result<Request, HandshakeError> {
    let (req, used) = ServerHandshake::new()
        .poll_request(wire.as_bytes(), limits)?
        .expect("complete head");
    assert_eq!(used, wire.len());
    Ok(req)
}

/// The sample request with `from` replaced by `to`.
fn sample_with(from: &str, to: &str) -> String {
    assert!(SAMPLE.contains(from), "{from}");
    SAMPLE.replacen(from, to, 1)
}

fn status_of(e: &HandshakeError) -> Option<u16> {
    e.rejection().map(|r| r.status())
}

#[test]
fn rfc6455_1_3_example_request_and_response() {
    let req = parse(SAMPLE).unwrap();
    assert_eq!(
        (req.method(), req.target(), req.path(), req.query()),
        ("GET", "/chat", "/chat", None)
    );
    assert_eq!(
        (req.host(), req.origin()),
        ("server.example.com", Some("http://example.com"))
    );
    assert_eq!(req.key(), Some("dGhlIHNhbXBsZSBub25jZQ=="));
    assert_eq!(req.protocols(), ["chat", "superchat"]);
    assert_eq!(req.header("sec-websocket-version"), Some("13"));
    assert_eq!(req.headers().len(), 7);
    let mut out = Vec::new();
    req.write_accept(&Accept::default().protocol("chat"), &mut out)
        .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
    );
}

#[test]
fn rfc6455_4_2_1_method_must_be_get_else_405_with_allow() {
    let e = parse(&sample_with("GET", "POST")).unwrap_err();
    assert_eq!(e, HandshakeError::MethodNotGet("POST".into()));
    let r = e.rejection().unwrap();
    assert_eq!((r.status(), r.headers().get("Allow")), (405, Some("GET")));
}

#[test]
fn rfc6455_4_2_1_http_version_must_be_1_1_else_505() {
    let e = parse(&sample_with("HTTP/1.1", "HTTP/1.0")).unwrap_err();
    assert_eq!(
        (e.clone(), status_of(&e)),
        (HandshakeError::HttpVersion, Some(505))
    );
    let e = parse(&sample_with("HTTP/1.1", "HTTP/2.0")).unwrap_err();
    assert_eq!(e, HandshakeError::HttpVersion);
}

#[test]
fn rfc6455_4_2_1_host_required() {
    let e = parse(&sample_with("Host: server.example.com\r\n", "")).unwrap_err();
    assert_eq!(
        (e.clone(), status_of(&e)),
        (HandshakeError::MissingHost, Some(400))
    );
    let e = parse(&sample_with("Host: server.example.com\r\n", "Host: \r\n")).unwrap_err();
    assert_eq!(e, HandshakeError::MissingHost);
    let e = parse(&sample_with(
        "Host: server.example.com\r\n",
        "Host: a\r\nHost: b\r\n",
    ))
    .unwrap_err();
    assert!(matches!(e, HandshakeError::InvalidHeader(_)), "{e:?}");
}

#[test]
fn rfc6455_4_2_1_upgrade_and_connection_tokens() {
    let e = parse(&sample_with("Upgrade: websocket\r\n", "")).unwrap_err();
    assert_eq!(
        (e.clone(), status_of(&e)),
        (HandshakeError::MissingUpgrade, Some(400))
    );
    let e = parse(&sample_with("Upgrade: websocket", "Upgrade: h2c")).unwrap_err();
    assert_eq!(e, HandshakeError::MissingUpgrade);
    let e = parse(&sample_with(
        "Connection: Upgrade",
        "Connection: keep-alive",
    ))
    .unwrap_err();
    assert_eq!(
        (e.clone(), status_of(&e)),
        (HandshakeError::MissingConnectionUpgrade, Some(400))
    );
    // Token lists, any case, split over lines.
    parse(&sample_with(
        "Connection: Upgrade",
        "Connection: keep-alive, Upgrade",
    ))
    .unwrap();
    parse(&sample_with(
        "Connection: Upgrade",
        "connection: keep-alive\r\nCONNECTION: upgrade",
    ))
    .unwrap();
    parse(&sample_with(
        "Upgrade: websocket",
        "upgrade: foo/2, WebSocket",
    ))
    .unwrap();
}

#[test]
fn rfc6455_4_2_1_key_must_decode_to_16_bytes() {
    for bad in [
        "Sec-WebSocket-Key: not base64!\r\n",
        "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA\r\n", // 15 bytes
        "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=\r\n", // 17 bytes
        "Sec-WebSocket-Key: a\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
        "",
    ] {
        let e = parse(&sample_with(
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
            bad,
        ))
        .unwrap_err();
        assert_eq!(
            (e.clone(), status_of(&e)),
            (HandshakeError::InvalidKey, Some(400)),
            "{bad}"
        );
    }
}

#[test]
fn rfc6455_4_2_2_version_8_gets_426_with_version_13() {
    let e = parse(&sample_with(
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Version: 8",
    ))
    .unwrap_err();
    assert_eq!(e, HandshakeError::UnsupportedVersion(Some("8".into())));
    let r = e.rejection().unwrap();
    assert_eq!(
        (r.status(), r.headers().get("Sec-WebSocket-Version")),
        (426, Some("13"))
    );
    let mut out = Vec::new();
    r.write(&mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"), "{text}");
    assert!(text.contains("\r\nConnection: close\r\n"), "{text}");
    let e = parse(&sample_with("Sec-WebSocket-Version: 13\r\n", "")).unwrap_err();
    assert_eq!(
        (e.clone(), status_of(&e)),
        (HandshakeError::UnsupportedVersion(None), Some(426))
    );
}

#[test]
fn too_large_or_too_many_headers_gets_431() {
    let limits = Limits {
        max_head_bytes: 64,
        ..Limits::default()
    };
    let mut hs = ServerHandshake::new();
    let e = hs.poll_request(SAMPLE.as_bytes(), &limits).unwrap_err();
    assert_eq!(
        (e.clone(), status_of(&e)),
        (HandshakeError::HeadTooLarge { limit: 64 }, Some(431))
    );
    // Fails before the terminator arrives: no need to wait for more.
    let e = ServerHandshake::new()
        .poll_request(&[b'a'; 64], &limits)
        .unwrap_err();
    assert_eq!(e, HandshakeError::HeadTooLarge { limit: 64 });
    let limits = Limits {
        max_headers: 6,
        ..Limits::default()
    };
    let e = parse_with(SAMPLE, &limits).unwrap_err();
    assert_eq!(
        (e.clone(), status_of(&e)),
        (HandshakeError::TooManyHeaders { limit: 6 }, Some(431))
    );
    let limits = Limits {
        max_headers: 7,
        ..Limits::default()
    };
    parse_with(SAMPLE, &limits).unwrap();
}

#[test]
fn malformed_heads_get_400() {
    for bad in [
        "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        "\r\n\r\n",
        "G\0T / HTTP/1.1\r\n\r\n",
        "GET\r\n\r\n",
    ] {
        let e = ServerHandshake::new()
            .poll_request(bad.as_bytes(), &Limits::default())
            .unwrap_err();
        assert!(matches!(e, HandshakeError::Malformed(_)), "{bad:?}: {e:?}");
        assert_eq!(status_of(&e), Some(400));
    }
    let e = parse(&sample_with("GET /chat", "GET *")).unwrap_err();
    assert!(matches!(e, HandshakeError::Malformed(_)), "{e:?}");
    let e = parse(&sample_with("chat, superchat", "chat, a\"b")).unwrap_err();
    assert!(matches!(e, HandshakeError::InvalidHeader(_)), "{e:?}");
}

#[test]
fn every_split_gives_the_same_request_and_frames_are_not_consumed() {
    let mut wire = SAMPLE.as_bytes().to_vec();
    wire.extend_from_slice(&[0x81, 0x82, 1, 2, 3, 4, 5, 6]);
    let want = parse(SAMPLE).unwrap();
    for split in 0..=wire.len() {
        let mut hs = ServerHandshake::new();
        let first = hs.poll_request(&wire[..split], &Limits::default()).unwrap();
        assert_eq!(first.is_some(), split >= SAMPLE.len(), "split at {split}");
        let got = match first {
            Some(done) => done,
            None => hs.poll_request(&wire, &Limits::default()).unwrap().unwrap(),
        };
        assert_eq!(got, (want.clone(), SAMPLE.len()), "split at {split}");
    }
    let mut hs = ServerHandshake::new();
    let mut got = None;
    for n in 0..=wire.len() {
        if let Some(done) = hs.poll_request(&wire[..n], &Limits::default()).unwrap() {
            got = Some((n, done.1));
            break;
        }
    }
    assert_eq!(got, Some((SAMPLE.len(), SAMPLE.len())));
    assert_eq!(
        hs.poll_request(&wire, &Limits::default()).unwrap_err(),
        HandshakeError::AlreadyComplete
    );
}

#[test]
fn request_head_of_16_kib_one_byte_at_a_time_is_linear() {
    let mut wire = SAMPLE.trim_end_matches("\r\n").to_string();
    wire.push_str("\r\n");
    while wire.len() < (16 << 10) - 40 {
        wire.push_str("X-Padding: 0123456789abcdef0123456789abcdef\r\n");
    }
    wire.push_str("\r\n");
    let limits = Limits {
        max_headers: 1 << 10,
        max_head_bytes: 32 << 10,
        ..Limits::default()
    };
    let mut hs = ServerHandshake::new();
    let mut done = None;
    for n in 1..=wire.len() {
        if let Some((_, used)) = hs.poll_request(&wire.as_bytes()[..n], &limits).unwrap() {
            done = Some(used);
            break;
        }
    }
    assert_eq!(done, Some(wire.len()));
    assert_eq!(
        hs.scanner.examined,
        wire.len(),
        "each byte examined once: O(n), not O(n^2)"
    );
}

#[test]
fn targets_paths_and_queries() {
    let req = parse(&sample_with("GET /chat", "GET /a/b?x=1&y=%20")).unwrap();
    assert_eq!((req.path(), req.query()), ("/a/b", Some("x=1&y=%20")));
    let req = parse(&sample_with(
        "GET /chat",
        "GET ws://server.example.com:8080?q",
    ))
    .unwrap();
    assert_eq!(
        (req.target(), req.path(), req.query()),
        ("ws://server.example.com:8080?q", "/", Some("q"))
    );
    let req = parse(&sample_with("GET /chat", "GET http://h/p/q")).unwrap();
    assert_eq!((req.path(), req.query()), ("/p/q", None));
}

#[test]
fn protocols_and_extensions_from_all_lines() {
    let wire = sample_with(
        "chat, superchat",
        " chat ,,superchat\r\nSec-WebSocket-Protocol: v3 ",
    );
    assert_eq!(
        parse(&wire).unwrap().protocols(),
        ["chat", "superchat", "v3"]
    );
    let wire = sample_with(
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
         Sec-WebSocket-Extensions: x-foo\r\nSec-WebSocket-Version",
    );
    let req = parse(&wire).unwrap();
    let names: Vec<&str> = req.extensions().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["permessage-deflate", "x-foo"]);
}

#[test]
fn malformed_extension_offers_are_declined_not_fatal() {
    let wire = sample_with(
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Extensions: x-foo\r\nSec-WebSocket-Extensions: permessage-deflate; =\r\nSec-WebSocket-Version",
    );
    assert!(parse(&wire).unwrap().extensions().is_empty());
}

#[test]
fn write_accept_refuses_what_was_not_offered() {
    let wire = sample_with(
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Version",
    );
    let req = parse(&wire).unwrap();
    let mut out = Vec::new();
    let e = req
        .write_accept(&Accept::default().protocol("other"), &mut out)
        .unwrap_err();
    assert_eq!(
        (e.clone(), status_of(&e)),
        (
            HandshakeError::ProtocolNotOffered("other".into()),
            Some(500)
        )
    );
    let e = req
        .write_accept(
            &Accept::default().extension(ExtensionOffer::new("x-foo")),
            &mut out,
        )
        .unwrap_err();
    assert_eq!(e, HandshakeError::ExtensionNotOffered("x-foo".into()));
    let e = req
        .write_accept(
            &Accept::default().header("Sec-WebSocket-Accept", "x"),
            &mut out,
        )
        .unwrap_err();
    assert!(matches!(e, HandshakeError::InvalidOption(_)), "{e:?}");
    assert!(out.is_empty());

    let pmd =
        ExtensionOffer::new("permessage-deflate").with_param_value("server_max_window_bits", "10");
    let accept = Accept::default()
        .protocol("superchat")
        .extension(pmd.clone())
        .header("Set-Cookie", "a=1");
    assert_eq!(
        (accept.chosen_protocol(), accept.chosen_extensions()),
        (Some("superchat"), &[pmd][..])
    );
    req.write_accept(&accept, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.ends_with(
            "Sec-WebSocket-Protocol: superchat\r\n\
             Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\nSet-Cookie: a=1\r\n\r\n"
        ),
        "{text}"
    );
}

#[test]
fn reject_writes_status_headers_length_close_and_body() {
    let r = Reject::new(401)
        .header("WWW-Authenticate", "Basic realm=\"x\"")
        .header("Content-Length", "99")
        .header("X-Bad", "a\r\nb")
        .body("who?");
    assert_eq!(r.body_bytes(), b"who?");
    let mut out = Vec::new();
    r.write(&mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 4\r\n\
         Connection: close\r\n\r\nwho?"
    );
    let mut out = Vec::new();
    Reject::new(7).write(&mut out);
    assert!(out.starts_with(b"HTTP/1.1 500 Internal Server Error\r\n"));
}
