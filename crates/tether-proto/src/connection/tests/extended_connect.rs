//! RFC 8441: a client connection whose handshake is an HTTP/2 extended CONNECT — the request
//! goes out through the HTTP/2 layer, the response head comes back through
//! `handle_response`, and the stream then carries frames as over HTTP/1.1; the server side
//! is `Request::answer` + `Connection::open`.

use super::*;
use crate::handshake::{Accept, ClientOptions, Headers, PseudoHeaders, Target};

fn target() -> Target {
    Target::parse("wss://example.com/chat").unwrap()
}

/// A client connection over HTTP/2 and the server's side of its request: the answer, checked
/// by `Request::answer` with `server_config`.
fn pair(client_config: Config, server_config: &Config) -> (Connection, Headers, Connection) {
    let options = ClientOptions::default().protocols(["v1"]);
    let (client, request) = Connection::client_extended_connect(
        T0,
        &target(),
        &options,
        client_config,
        FixedEntropy::new(1),
    )
    .unwrap();
    let pseudo = PseudoHeaders {
        method: ConnectRequest::METHOD,
        protocol: Some(ConnectRequest::PROTOCOL),
        scheme: Some(request.scheme),
        authority: Some(&request.authority),
        path: Some(&request.path),
    };
    let req = Request::from_extended_connect(&pseudo, request.headers.clone()).unwrap();
    let answer = req
        .answer(Accept::default().protocol("v1"), server_config)
        .unwrap();
    let headers = answer.headers().clone();
    let server = Connection::open(
        T0,
        Role::Server,
        answer.into_negotiated(),
        server_config.clone(),
        FixedEntropy::new(2),
    );
    (client, headers, server)
}

#[test]
fn rfc8441_5_a_200_opens_the_client_and_frames_flow_compressed() {
    let (mut client, headers, mut server) = pair(config(), &config());
    assert_eq!(client.state(), State::Connecting);
    assert!(is_idle(&mut client), "nothing goes out before the answer");
    assert!(events(&mut client).is_empty());
    client.handle_response(T0, 200, headers, b"");
    assert_eq!(events(&mut client), [Ev::Open]);
    assert_eq!(client.negotiated().protocol.as_deref(), Some("v1"));
    assert!(client.negotiated().deflate().is_some());
    assert_eq!(client.response().map(Response::status), Some(200));

    let text = "compressible ".repeat(100);
    send(&mut client, text.clone());
    let wire = drain(&mut client);
    assert!(
        wire.len() < text.len() / 4,
        "{} bytes on the wire",
        wire.len()
    );
    server.handle_input(T0, &wire);
    assert_eq!(events(&mut server), [Ev::Text(text.clone())]);
    send(&mut server, text.clone());
    client.handle_input(T0, &drain(&mut server));
    assert_eq!(events(&mut client), [Ev::Text(text)]);
}

#[test]
fn rfc8441_5_refusals_and_bad_answers_fail_the_client() {
    let (mut client, _, _) = pair(config(), &config());
    let mut h = Headers::new();
    h.push("content-type", "text/plain");
    client.handle_response(T0, 404, h, &[b'x'; 10_000]);
    match events(&mut client).as_slice() {
        [
            Ev::Failed(ConnectionError::Handshake(HandshakeError::Rejected {
                status, body, ..
            })),
        ] => {
            assert_eq!(*status, 404);
            assert_eq!(body.len(), 4 << 10, "the body kept is bounded");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.state(), State::Closed);

    // A 101 is the HTTP/1.1 answer, not an HTTP/2 one.
    let (mut client, headers, _) = pair(config(), &config());
    client.handle_response(T0, 101, headers, b"");
    assert!(matches!(
        events(&mut client).as_slice(),
        [Ev::Failed(ConnectionError::Handshake(
            HandshakeError::Rejected { status: 101, .. }
        ))]
    ));

    // A permessage-deflate answer the offer does not allow (RFC 7692 §7.1.1.1: a window the
    // client did not ask for is fine, an unknown parameter is not).
    let (mut client, _, _) = pair(config(), &config());
    let mut h = Headers::new();
    h.push("sec-websocket-extensions", "permessage-deflate; x_unknown");
    client.handle_response(T0, 200, h, b"");
    assert!(matches!(
        events(&mut client).as_slice(),
        [Ev::Failed(ConnectionError::Handshake(
            HandshakeError::InvalidExtensionResponse(_)
        ))]
    ));
}

#[test]
fn rfc8441_the_handshake_timeout_covers_the_wait_for_the_response() {
    let (mut client, _, _) = pair(
        config().handshake_timeout(Some(core::time::Duration::from_secs(5))),
        &config(),
    );
    let at = client.poll_timeout().expect("a handshake deadline");
    client.handle_timeout(at);
    assert_eq!(
        events(&mut client),
        [Ev::Failed(ConnectionError::HandshakeTimeout)]
    );
    // The stream ending before the answer is an error too.
    let (mut client, _, _) = pair(config(), &config());
    client.handle_eof(T0);
    assert_eq!(
        events(&mut client),
        [Ev::Failed(ConnectionError::Handshake(
            HandshakeError::UnexpectedEof
        ))]
    );
}
