//! The opening handshake (RFC 6455 §4): subprotocols, HTTP Basic credentials, refusals and
//! what the errors say about them, addresses.

use tether_std::{
    Accept, ClientConfig, CloseCode, Credentials, Error, Reject, Request, ServerConfig,
};

use crate::adapter::{Adapter, Socket};
use crate::loopback::{connect, connect_with, echo, serve_one, url};

/// The subprotocol each side sees, with the server set up by `server` and the client offering
/// `offered`.
fn protocols_seen<A: Adapter>(
    server: ServerConfig,
    offered: &[&str],
) -> (Option<String>, Option<String>) {
    let (addr, task) = serve_one::<A, _, _>(server, |ws| {
        let mut ws = ws.unwrap();
        let protocol = ws.info().negotiated.protocol;
        echo(&mut ws).unwrap();
        protocol
    });
    let config = ClientConfig::default().protocols(offered.iter().copied());
    let mut ws = connect_with::<A>(addr, &config);
    let client = ws.info().negotiated.protocol;
    ws.close(CloseCode::NORMAL, "").unwrap();
    (client, task.join())
}

/// §4.2.2: without a decision of its own, the server picks its most preferred subprotocol
/// (`ServerConfig::protocols`, in order) that the client offered, and both sides see it.
pub fn the_servers_most_preferred_offered_subprotocol_is_chosen<A: Adapter>() {
    let server = ServerConfig::default().protocols(["v4", "v3", "v2"]);
    let (client, server) = protocols_seen::<A>(server, &["v1", "v2", "v3"]);
    assert_eq!(client.as_deref(), Some("v3"));
    assert_eq!(server.as_deref(), Some("v3"));
}

/// No subprotocol in common: none is chosen, and the connection opens.
pub fn no_common_subprotocol_means_none<A: Adapter>() {
    let server = ServerConfig::default().protocols(["v2"]);
    assert_eq!(protocols_seen::<A>(server, &["v1"]), (None, None));
}

/// `on_request` decides instead, seeing the offers.
pub fn on_request_chooses_the_subprotocol<A: Adapter>() {
    let server = ServerConfig::default()
        .protocols(["v1"])
        .on_request(|req: &Request| {
            Ok(if req.protocols().iter().any(|p| p == "v2") {
                Accept::default().protocol("v2")
            } else {
                Accept::default()
            })
        });
    let (client, server) = protocols_seen::<A>(server, &["v1", "v2"]);
    assert_eq!(client.as_deref(), Some("v2"));
    assert_eq!(server.as_deref(), Some("v2"));
}

/// A server that wants `alice:s3cret` (RFC 7617), refusing others with 401.
fn auth_server<A: Adapter>() -> (
    std::net::SocketAddr,
    crate::loopback::Task<Result<(), Error>>,
) {
    let config = ServerConfig::default().on_request(|req: &Request| {
        let expected = Credentials::new("alice", "s3cret").basic_value();
        if req.header("authorization") == Some(expected.as_str()) {
            Ok(Accept::default())
        } else {
            Err(Reject::new(401).header("WWW-Authenticate", "Basic realm=\"test\""))
        }
    });
    serve_one::<A, _, _>(config, |ws| echo(&mut ws?).map(drop))
}

/// Credentials from the URL (`user:pass@`) or from the config are sent.
pub fn basic_auth_from_the_url_or_the_config_is_accepted<A: Adapter>() {
    let (addr, server) = auth_server::<A>();
    let mut ws = A::connect(
        &format!("ws://alice:s3cret@{addr}/"),
        &ClientConfig::default(),
    )
    .unwrap();
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap();

    let (addr, server) = auth_server::<A>();
    let config = ClientConfig::default().credentials(Credentials::new("alice", "s3cret"));
    let mut ws = connect_with::<A>(addr, &config);
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap();
}

/// Missing or wrong credentials: the client gets the 401 with its headers, the server reports
/// its own refusal.
pub fn wrong_or_missing_credentials_get_401<A: Adapter>() {
    for user in ["", "alice:wrong@"] {
        let (addr, server) = auth_server::<A>();
        let e = A::connect(&format!("ws://{user}{addr}/"), &ClientConfig::default()).unwrap_err();
        let Error::ServerRefused {
            status, headers, ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(*status, 401);
        assert_eq!(
            headers.get("www-authenticate"),
            Some("Basic realm=\"test\"")
        );
        assert_eq!(e.http_status(), Some(401));
        assert!(e.to_string().contains("give credentials"), "{e}");
        assert!(!e.to_string().contains("wrong"), "the password leaked: {e}");
        assert!(
            matches!(server.join(), Err(Error::Refused { status: 401 })),
            "the server reports its refusal"
        );
    }
}

/// `Debug` of a refused upgrade shows the response's header values as text.
pub fn debug_of_a_refused_upgrade_shows_header_values_as_text<A: Adapter>() {
    let (addr, server) = auth_server::<A>();
    let e = A::connect(&url(addr), &ClientConfig::default()).unwrap_err();
    let debug = format!("{e:?}");
    assert!(
        debug.contains(r#": "Basic realm=\"test\"""#),
        "header values are not shown as text: {debug}"
    );
    assert!(debug.contains("status: 401"), "{debug}");
    let _ = server.join();
}

/// A refusal with 404: the error names the status, the URL with its path, and a hint.
pub fn a_404_names_the_url_and_the_path<A: Adapter>() {
    let config = ServerConfig::default().on_request(|req: &Request| {
        if req.path() == "/exists" {
            Ok(Accept::default())
        } else {
            Err(Reject::new(404))
        }
    });
    let (addr, server) = serve_one::<A, _, _>(config, |ws| ws.map(drop));
    let url = format!("ws://{addr}/missing?x=1");
    let e = A::connect(&url, &ClientConfig::default()).unwrap_err();
    assert_eq!(e.http_status(), Some(404), "{e:?}");
    let text = e.to_string();
    assert!(text.contains(&url), "{text}");
    assert!(text.contains("404 Not Found"), "{text}");
    assert!(
        text.contains("no WebSocket endpoint at that path"),
        "{text}"
    );
    assert!(matches!(server.join(), Err(Error::Refused { status: 404 })));
}

/// `info()` of an accepted socket reports both addresses, matching the client's view.
pub fn an_accepted_socket_reports_both_addresses<A: Adapter>() {
    let (addr, server) = serve_one::<A, _, _>(ServerConfig::default(), |ws| {
        let mut ws = ws.unwrap();
        let info = ws.info();
        echo(&mut ws).unwrap();
        (info.local_addr, info.peer_addr)
    });
    let mut ws = connect::<A>(addr);
    let client = ws.info();
    ws.close(CloseCode::NORMAL, "").unwrap();
    let (server_local, server_peer) = server.join();
    assert_eq!(server_local, Some(addr));
    assert!(server_peer.is_some());
    assert_eq!(server_peer, client.local_addr);
    assert_eq!(client.peer_addr, Some(addr));
}
