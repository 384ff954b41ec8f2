//! `take_over`: hyper parses the request and sends the 101, then a tether socket runs over the
//! upgraded connection — the manual path, by the core's `Request::from_http` and
//! `Request::answer`. (`tether_tokio::upgrade`, with the `hyper` feature, does all of it; the
//! `hyper_upgrade` example and `tests/http2.rs` use that.)

use std::convert::Infallible;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use tether_tokio::{
    Accept, ClientConfig, CloseCode, Config, Error, Message, Request, ServerConfig,
};
use tokio::net::TcpListener;

/// `/ws` becomes a tether echo socket with the subprotocol `echo` when offered; anything else
/// is plain HTTP 404.
async fn route(req: hyper::Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let plain = |status: StatusCode| {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = status;
        Ok(response)
    };
    if req.uri().path() != "/ws" {
        return plain(StatusCode::NOT_FOUND);
    }
    let Ok(ws_request) = Request::from_http(&req) else {
        return plain(StatusCode::BAD_REQUEST);
    };
    let accept = if ws_request.protocols().iter().any(|p| p == "echo") {
        Accept::default().protocol("echo")
    } else {
        Accept::default()
    };
    let no_deflate = ServerConfig::default().config(Config::default().deflate(None));
    let Ok(answer) = ws_request.answer(accept, &no_deflate.config) else {
        return plain(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let Ok(switching) = answer.to_http() else {
        return plain(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let negotiated = answer.into_negotiated();
    tokio::spawn(async move {
        let upgraded = hyper::upgrade::on(req).await.expect("the upgrade");
        let mut ws = tether_tokio::take_over(TokioIo::new(upgraded), negotiated, &no_deflate);
        while let Ok(Some(message)) = ws.recv().await {
            if ws.feed(message).await.is_err() {
                break;
            }
        }
    });
    let (parts, ()) = switching.into_parts();
    Ok(Response::from_parts(parts, Full::new(Bytes::new())))
}

#[tokio::test]
async fn hyper_upgrades_a_route_to_a_tether_socket() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service_fn(route))
                    .with_upgrades()
                    .await;
            });
        }
    });

    let config = ClientConfig::default().protocols(["echo"]);
    let mut ws = tether_tokio::connect(&format!("ws://{addr}/ws"), &config)
        .await
        .unwrap();
    assert_eq!(ws.info().negotiated.protocol.as_deref(), Some("echo"));
    assert!(ws.info().negotiated.deflate().is_none());
    for text in ["hello", "through hyper"] {
        ws.send(text).await.unwrap();
        assert_eq!(ws.recv().await.unwrap(), Some(Message::text(text)));
    }
    let big = Message::binary(vec![3u8; 1 << 20]);
    ws.send(big.clone()).await.unwrap();
    assert!(ws.recv().await.unwrap() == Some(big));
    let answer = ws.close(CloseCode::NORMAL, "bye").await.unwrap();
    assert_eq!(
        (answer.code, answer.reason.as_str()),
        (CloseCode::NORMAL, "bye")
    );

    // Other paths are plain HTTP.
    let e = tether_tokio::connect(&format!("ws://{addr}/other"), &ClientConfig::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::ServerRefused { status: 404, .. }),
        "{e:?}"
    );
    server.abort();
}
