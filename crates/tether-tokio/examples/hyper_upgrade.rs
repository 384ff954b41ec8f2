//! A hyper 1 HTTP server that upgrades one route, `/ws`, to a tether message socket (an echo).
//! Every other path gets a plain HTTP answer.
//!
//! ```text
//! cargo run -p tether-tokio --example hyper_upgrade -- 127.0.0.1:PORT
//! ```
//!
//! hyper parses the request; `Request::from_http` checks it exactly as tether's own parser
//! would, `answer` settles the 101 response (compression included), and once hyper hands over
//! the connection (`hyper::upgrade::on`) `tether_tokio::take_over` runs WebSocket over it.

use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tether_proto::handshake;
use tether_tokio::{Accept, ServerConfig};
use tokio::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string())
        .parse()?;
    let listener = TcpListener::bind(addr).await?;
    println!(
        "hyper + tether listening on http://{}/ws",
        listener.local_addr()?
    );
    serve(listener).await
}

/// Serves HTTP/1.1 connections from `listener`, upgrading `/ws`.
pub(crate) async fn serve(listener: TcpListener) -> Result<(), Box<dyn Error + Send + Sync>> {
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        tokio::spawn(async move {
            let service = service_fn(route);
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades()
                .await
            {
                eprintln!("http: {e}");
            }
        });
    }
}

async fn route(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/ws" {
        return Ok(plain(StatusCode::NOT_FOUND, "try /ws\n"));
    }
    // Check the upgrade request and choose a subprotocol, as `tether_tokio::accept` would.
    let ws_request = match handshake::Request::from_http(&req) {
        Ok(r) => r,
        Err(e) => {
            let status = e.rejection().map_or(400, |r| r.status());
            return Ok(plain(
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                "not a WebSocket upgrade\n",
            ));
        }
    };
    let accept = match ws_request.protocols().iter().find(|p| *p == "echo") {
        Some(p) => Accept::default().protocol(p.clone()),
        None => Accept::default(),
    };
    // The answer: the subprotocol chosen, and compression negotiated as the config says.
    let config = ServerConfig::default();
    let Ok(answer) = ws_request.answer(accept, &config.config) else {
        return Ok(plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot accept\n"));
    };
    let Ok(switching) = answer.to_http() else {
        return Ok(plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot accept\n"));
    };
    let negotiated = answer.into_negotiated();
    // Once hyper has sent the 101, the connection is ours.
    tokio::spawn(async move {
        match hyper::upgrade::on(req).await {
            Ok(upgraded) => {
                let io = TokioIo::new(upgraded);
                let mut ws = tether_tokio::take_over(io, negotiated, &config);
                while let Ok(Some(message)) = ws.recv().await {
                    if ws.feed(message).await.is_err() {
                        break;
                    }
                }
            }
            Err(e) => eprintln!("upgrade: {e}"),
        }
    });
    let (parts, ()) = switching.into_parts();
    Ok(Response::from_parts(parts, Full::new(Bytes::new())))
}

fn plain(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}
