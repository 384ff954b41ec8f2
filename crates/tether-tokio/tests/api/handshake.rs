//! Subprotocol negotiation, basic auth, refusals.

use tether_tokio::{
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

async fn protocol_seen(offered: &[&str]) -> (Option<String>, Option<String>) {
    let (addr, server) = serve_one(SocketConfig::default(), pick_v2, |ws| async move {
        let mut ws = ws.unwrap();
        let protocol = ws.info().protocol;
        echo(&mut ws).await.unwrap();
        protocol
    })
    .await;
    let config = SocketConfig::default().protocols(offered.iter().copied());
    let mut ws = connect_with(&format!("ws://{addr}/"), &config)
        .await
        .unwrap();
    let client = ws.info().protocol;
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    (client, server.await.unwrap())
}

#[tokio::test]
async fn subprotocol_chosen_by_the_server_is_seen_by_both() {
    let (client, server) = protocol_seen(&["v1", "v2"]).await;
    assert_eq!(client.as_deref(), Some("v2"));
    assert_eq!(server.as_deref(), Some("v2"));
}

#[tokio::test]
async fn no_common_subprotocol_means_none() {
    assert_eq!(protocol_seen(&["v1"]).await, (None, None));
}

fn require_alice(req: &Request) -> Result<Accept, Reject> {
    let expected = Credentials::new("alice", "s3cret").basic_value();
    if req.header("authorization") == Some(expected.as_str()) {
        Ok(Accept::default())
    } else {
        Err(Reject::new(401).header("WWW-Authenticate", "Basic realm=\"test\""))
    }
}

async fn auth_server() -> (
    std::net::SocketAddr,
    tokio::task::JoinHandle<Result<(), Error>>,
) {
    serve_one(SocketConfig::default(), require_alice, |ws| async move {
        echo(&mut ws?).await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn basic_auth_from_the_url_or_the_config_is_accepted() {
    let (addr, server) = auth_server().await;
    let mut ws = connect_with(
        &format!("ws://alice:s3cret@{addr}/"),
        &SocketConfig::default(),
    )
    .await
    .unwrap();
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap().unwrap();

    let (addr, server) = auth_server().await;
    let config = SocketConfig::default().server_credential(Credentials::new("alice", "s3cret"));
    let mut ws = connect_with(&format!("ws://{addr}/"), &config)
        .await
        .unwrap();
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn wrong_or_missing_credentials_get_401() {
    for url in ["ws://{addr}/", "ws://alice:wrong@{addr}/"] {
        let (addr, server) = auth_server().await;
        let e = connect_with(
            &url.replace("{addr}", &addr.to_string()),
            &SocketConfig::default(),
        )
        .await
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
            server.await.unwrap(),
            Err(Error::Refused { status: 401 })
        ));
    }
}

#[tokio::test]
async fn refusal_with_404_is_distinguishable() {
    let (addr, server) = serve_one(
        SocketConfig::default(),
        |req: &Request| {
            if req.path() == "/exists" {
                Ok(Accept::default())
            } else {
                Err(Reject::new(404))
            }
        },
        |ws| async move { ws.map(drop) },
    )
    .await;
    let e = connect_with(&format!("ws://{addr}/missing"), &SocketConfig::default())
        .await
        .unwrap_err();
    assert!(e.is_not_found() && !e.is_unauthorized(), "{e:?}");
    assert!(server.await.unwrap().is_err());
}

#[tokio::test]
async fn an_accepted_tcp_socket_reports_both_addresses() {
    let (addr, server) = serve_one(
        SocketConfig::default(),
        |_| Ok(Accept::default()),
        |ws| async move {
            let mut ws = ws.unwrap();
            let info = ws.info();
            echo(&mut ws).await.unwrap();
            (info.local_addr, info.peer_addr)
        },
    )
    .await;
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default())
        .await
        .unwrap();
    let client = ws.info();
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    let (server_local, server_peer) = server.await.unwrap();
    assert_eq!(server_local, Some(addr));
    assert_eq!(server_peer, client.local_addr);
    assert!(server_peer.is_some());
}
