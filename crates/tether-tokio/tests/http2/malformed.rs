//! A malformed extended CONNECT gets the right HTTP/2 answer, never a panic: what HTTP/2
//! itself forbids (a missing pseudo-header, a connection-specific field, `:protocol` on
//! another method) resets the stream with PROTOCOL_ERROR (RFC 9113 §8.1.1, RFC 8441 §4);
//! what WebSocket forbids gets the HTTP/1.1 status (426 with `Sec-WebSocket-Version: 13`, 400,
//! 405); and the connection goes on serving valid requests.

use tether_tests::http2::{Http2Server, RawFrame, RawH2Client, echo_handler};
use tether_tokio::ServerConfig;

/// The pseudo-headers of a valid extended CONNECT to `/ws`, without `skip`.
fn pseudo(skip: &str) -> Vec<(&'static str, &'static str)> {
    [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "http"),
        (":authority", "localhost"),
        (":path", "/ws"),
    ]
    .into_iter()
    .filter(|(name, _)| *name != skip)
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc8441_4_malformed_extended_connects_are_reset_with_protocol_error() {
    let server = Http2Server::start(None, ServerConfig::default(), echo_handler()).await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let version = ("sec-websocket-version", "13");
    let mut no_path = pseudo(":path");
    no_path.push(version);
    let mut connection_field = pseudo("");
    connection_field.extend([version, ("connection", "upgrade")]);
    let mut protocol_on_get = pseudo(":method");
    protocol_on_get.insert(0, (":method", "GET"));
    protocol_on_get.push(version);
    let mut no_scheme = pseudo(":scheme");
    no_scheme.push(version);
    let cases = [
        ("no :path", no_path),
        ("a Connection field", connection_field),
        (":protocol on a GET", protocol_on_get),
        ("no :scheme", no_scheme),
    ];
    let mut first = true;
    for (stream, (what, fields)) in (1u32..).step_by(2).zip(cases) {
        let frame = RawFrame::headers(stream, &fields);
        let answer = if first {
            first = false;
            RawFrame::exchange(&mut tcp, &[frame], stream).await
        } else {
            tokio::io::AsyncWriteExt::write_all(&mut tcp, &frame.encode())
                .await
                .unwrap();
            RawFrame::read_until(&mut tcp, stream).await
        };
        let answer = answer.unwrap_or_else(|| panic!("{what}: the connection ended"));
        assert_eq!(answer.reset_code(), Some(0x1), "{what}: {answer:?}");
    }
    // The same connection serves a valid one: a 200 (`:status: 200` is HPACK static entry 8).
    let mut valid = pseudo("");
    valid.push(version);
    let frame = RawFrame::headers(9, &valid);
    tokio::io::AsyncWriteExt::write_all(&mut tcp, &frame.encode())
        .await
        .unwrap();
    let answer = RawFrame::read_until(&mut tcp, 9).await.unwrap();
    assert_eq!((answer.kind, answer.payload.first()), (0x1, Some(&0x88)));
}

/// What is wrong, the `:protocol`, the header fields, the status expected.
type Case = (
    &'static str,
    Option<&'static str>,
    Vec<(&'static str, &'static str)>,
    u16,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc8441_5_websocket_errors_get_their_http_status_over_http2() {
    let server = Http2Server::start(None, ServerConfig::default(), echo_handler()).await;
    let mut client = RawH2Client::connect(server.addr).await;
    let v13 = ("sec-websocket-version", "13");
    let cases: [Case; 5] = [
        (
            "version 8",
            Some("websocket"),
            vec![("sec-websocket-version", "8")],
            426,
        ),
        ("no version", Some("websocket"), vec![], 426),
        ("another protocol", Some("chat-tunnel"), vec![v13], 400),
        (
            "a Sec-WebSocket-Key",
            Some("websocket"),
            vec![v13, ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")],
            400,
        ),
        (
            "a subprotocol that is no token",
            Some("websocket"),
            vec![v13, ("sec-websocket-protocol", "a b")],
            400,
        ),
    ];
    for (what, protocol, headers, status) in cases {
        let (head, mut stream) = client.connect_request("/ws", protocol, &headers).await;
        assert_eq!(head.status.as_u16(), status, "{what}");
        if status == 426 {
            assert_eq!(head.headers["sec-websocket-version"], "13", "{what}");
        }
        // The refusal's body says why.
        let body = stream.next().await.unwrap().unwrap();
        assert!(!body.is_empty(), "{what}");
    }
    let (head, _) = client
        .connect_request("/ws", Some("websocket"), &[v13])
        .await;
    assert_eq!(head.status, 200);
}

#[test]
fn rfc8441_4_other_methods_over_http2_get_405_with_allow_connect() {
    let mut get = http::Request::builder()
        .method("GET")
        .version(http::Version::HTTP_2)
        .uri("https://localhost/ws")
        .header("sec-websocket-version", "13")
        .body(())
        .unwrap();
    let refusal = tether_tokio::upgrade(&mut get, &ServerConfig::default()).unwrap_err();
    assert_eq!(refusal.status(), http::StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(refusal.headers()["allow"], "CONNECT");
    // And a valid request whose connection was not served with upgrades is a server error
    // that says so, not a socket that never comes.
    let mut connect = http::Request::builder()
        .method("CONNECT")
        .version(http::Version::HTTP_2)
        .uri("https://localhost/ws")
        .header("sec-websocket-version", "13")
        .body(())
        .unwrap();
    connect
        .extensions_mut()
        .insert(hyper::ext::Protocol::from_static("websocket"));
    assert!(tether_tokio::is_upgrade_request(&connect));
    let refusal = tether_tokio::upgrade(&mut connect, &ServerConfig::default()).unwrap_err();
    assert_eq!(refusal.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
}
