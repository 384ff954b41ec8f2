//! A hyper server (no axum) with one WebSocket route, `/ws` (an echo), over HTTP/1.1 and
//! HTTP/2 on one port (h2c with prior knowledge on plain TCP). Every other path gets a plain
//! HTTP answer.
//!
//! ```text
//! cargo run -p tether-tokio --features hyper --example hyper_upgrade -- 127.0.0.1:PORT
//! ```
//!
//! hyper parses the request; `tether_tokio::upgrade` checks it (an HTTP/1.1 upgrade or an
//! HTTP/2 extended CONNECT), decides it as the `ServerConfig` says (subprotocol, compression)
//! and gives the response; once hyper hands the connection or stream over, the `Upgrading`
//! resolves to the socket. `tether_tokio::http_server()` is hyper-util's server builder set up
//! for both versions.

use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tether_tokio::ServerConfig;
use tokio::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string())
        .parse()?;
    let listener = TcpListener::bind(addr).await?;
    println!(
        "hyper + tether listening on ws://{}/ws (HTTP/1.1 and HTTP/2)",
        listener.local_addr()?
    );
    serve(listener).await
}

/// Serves connections from `listener`, HTTP/1.1 or HTTP/2 as each client speaks.
pub(crate) async fn serve(listener: TcpListener) -> Result<(), Box<dyn Error + Send + Sync>> {
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        tokio::spawn(async move {
            if let Err(e) = tether_tokio::http_server()
                .serve_connection_with_upgrades(TokioIo::new(tcp), service_fn(route))
                .await
            {
                eprintln!("http: {e}");
            }
        });
    }
}

async fn route(mut req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/ws" {
        let mut response = Response::new(Full::new(Bytes::from_static(b"try /ws\n")));
        *response.status_mut() = StatusCode::NOT_FOUND;
        return Ok(response);
    }
    let config = ServerConfig::default().protocols(["echo"]);
    Ok(match tether_tokio::upgrade(&mut req, &config) {
        Ok((response, upgrading)) => {
            tokio::spawn(async move {
                let mut ws = match upgrading.await {
                    Ok(ws) => ws,
                    Err(e) => return eprintln!("upgrade: {e}"),
                };
                while let Ok(Some(message)) = ws.recv().await {
                    if ws.feed(message).await.is_err() {
                        break;
                    }
                }
            });
            response
        }
        // 400, 405, 426, ... with the reason in the body.
        Err(refusal) => refusal,
    })
}
