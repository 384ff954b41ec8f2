//! Subprotocol negotiation, basic auth, refusals.

use tether_std::{
    Accept, CloseCode, Credentials, Error, Reject, Request, SocketConfig, connect_with,
};

use crate::common::{echo, serve_one};

fn pick_v2(req: &Request) -> Result<Accept, Reject> {
    Ok(if req.protocols().iter().any(|p| p == "v2") {
        Accept::default().protocol("v2")
    } else {
        Accept::default()
    })
}

#[test]
fn subprotocol_chosen_by_the_server_is_seen_by_both() {
    let (addr, server) = serve_one(SocketConfig::default(), pick_v2, |ws| {
        let mut ws = ws.unwrap();
        let protocol = ws.info().protocol;
        echo(&mut ws).unwrap();
        protocol
    });
    let config = SocketConfig::default().protocols(["v1", "v2"]);
    let mut ws = connect_with(&format!("ws://{addr}/"), &config).unwrap();
    assert_eq!(ws.info().protocol.as_deref(), Some("v2"));
    ws.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(server.join().unwrap().as_deref(), Some("v2"));
}

#[test]
fn no_common_subprotocol_means_none() {
    let (addr, server) = serve_one(SocketConfig::default(), pick_v2, |ws| {
        let mut ws = ws.unwrap();
        let protocol = ws.info().protocol;
        echo(&mut ws).unwrap();
        protocol
    });
    let config = SocketConfig::default().protocols(["v1"]);
    let mut ws = connect_with(&format!("ws://{addr}/"), &config).unwrap();
    assert_eq!(ws.info().protocol, None);
    ws.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(server.join().unwrap(), None);
}

fn require_alice(req: &Request) -> Result<Accept, Reject> {
    let expected = Credentials::new("alice", "s3cret").basic_value();
    if req.header("authorization") == Some(expected.as_str()) {
        Ok(Accept::default())
    } else {
        Err(Reject::new(401).header("WWW-Authenticate", "Basic realm=\"test\""))
    }
}

fn auth_server() -> (
    std::net::SocketAddr,
    std::thread::JoinHandle<Result<(), Error>>,
) {
    serve_one(SocketConfig::default(), require_alice, |ws| {
        echo(&mut ws?)?;
        Ok(())
    })
}

#[test]
fn basic_auth_from_the_url_is_accepted() {
    let (addr, server) = auth_server();
    let mut ws = connect_with(
        &format!("ws://alice:s3cret@{addr}/"),
        &SocketConfig::default(),
    )
    .unwrap();
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap().unwrap();
}

#[test]
fn basic_auth_from_the_config_is_accepted() {
    let (addr, server) = auth_server();
    let config = SocketConfig::default().server_credential(Credentials::new("alice", "s3cret"));
    let mut ws = connect_with(&format!("ws://{addr}/"), &config).unwrap();
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap().unwrap();
}

#[test]
fn wrong_or_missing_credentials_get_401() {
    for url in ["ws://{addr}/", "ws://alice:wrong@{addr}/"] {
        let (addr, server) = auth_server();
        let e = connect_with(
            &url.replace("{addr}", &addr.to_string()),
            &SocketConfig::default(),
        )
        .unwrap_err();
        assert!(e.is_unauthorized(), "{e:?}");
        let Error::ServerRefused {
            status, headers, ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(*status, 401);
        assert!(headers.get("www-authenticate").is_some());
        assert!(matches!(
            server.join().unwrap(),
            Err(Error::Refused { status: 401 })
        ));
    }
}

#[test]
fn refusal_with_404_is_distinguishable() {
    let (addr, server) = serve_one(
        SocketConfig::default(),
        |req: &Request| {
            if req.path() == "/exists" {
                Ok(Accept::default())
            } else {
                Err(Reject::new(404))
            }
        },
        |ws| ws.map(drop),
    );
    let e = connect_with(&format!("ws://{addr}/missing"), &SocketConfig::default()).unwrap_err();
    assert!(e.is_not_found() && !e.is_unauthorized(), "{e:?}");
    assert!(server.join().unwrap().is_err());
}
