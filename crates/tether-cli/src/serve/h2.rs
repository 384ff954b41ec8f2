//! `tether serve` over HTTP/2: a connection that picked `h2` by ALPN, or opened with the h2c
//! preface, is served by hyper (`tether_tokio::http_server`). Its page requests get the page;
//! its extended CONNECTs (RFC 8441) become WebSockets through `tether_tokio::upgrade`, with the
//! server's config, and then run exactly as HTTP/1.1 ones ([`run_socket`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tether_tokio::{Bytes, ResponseBody, Transport, Upgrading};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{debug, info};

use super::{Server, http, run_socket};

/// The start of the HTTP/2 client preface (RFC 9113 §3.4), as much as an HTTP/1.1 head
/// parser reads before it refuses it.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n";

/// Whether the bytes a client sent first are the HTTP/2 preface (h2c with prior knowledge).
pub(super) fn is_preface(buf: &[u8]) -> bool {
    buf.starts_with(PREFACE)
}

/// Serves one HTTP/2 connection until it and its WebSockets end. On Ctrl-C the connection is
/// shut down gracefully (GOAWAY) while its WebSockets close with 1001.
pub(super) async fn serve<S: Transport>(io: S, peer: SocketAddr, server: Arc<Server>, tls: bool) {
    info!(%peer, "HTTP/2 connection");
    let (tx, mut sockets) = mpsc::unbounded_channel::<(Upgrading, String)>();
    let routing = server.clone();
    let service = service_fn(move |req| route(req, routing.clone(), tx.clone(), peer, tls));
    let builder = tether_tokio::http_server();
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(connection);
    let mut stopping = server.stopping.subscribe();
    let mut running = JoinSet::new();
    let (mut done, mut stopped) = (false, false);
    loop {
        tokio::select! {
            result = &mut connection, if !done => {
                done = true;
                if let Err(e) = result {
                    debug!(%peer, error = %e, "HTTP/2 connection ended");
                }
            }
            Some((upgrading, path)) = sockets.recv() => {
                let server = server.clone();
                running.spawn(async move {
                    match upgrading.await {
                        Ok(ws) => run_socket(ws, peer, &path, &server).await,
                        Err(e) => info!(%peer, %path, error = %e, "HTTP/2 stream not handed over"),
                    }
                });
            }
            Some(_) = running.join_next(), if !running.is_empty() => {}
            _ = stopping.wait_for(|s| *s), if !stopped && !done => {
                stopped = true;
                connection.as_mut().graceful_shutdown();
            }
        }
        if done && running.is_empty() && sockets.is_empty() {
            return;
        }
    }
}

/// One request on the connection: credentials, then a WebSocket or the page.
async fn route(
    mut req: hyper::Request<Incoming>,
    server: Arc<Server>,
    sockets: mpsc::UnboundedSender<(Upgrading, String)>,
    peer: SocketAddr,
    tls: bool,
) -> Result<hyper::Response<ResponseBody>, Infallible> {
    let upgrade = tether_tokio::is_upgrade_request(&req);
    let path = req.uri().path().to_owned();
    if let Some(expected) = &server.auth {
        let given = req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if !http::authorized(given, expected) {
            info!(%peer, target = %path, upgrade, "refused with 401: credentials missing or wrong");
            let mut response = plain(
                401,
                "401 Unauthorized: this server wants the user and password it was started with\n",
            );
            response.headers_mut().insert(
                hyper::header::WWW_AUTHENTICATE,
                hyper::header::HeaderValue::from_static(
                    "Basic realm=\"tether\", charset=\"UTF-8\"",
                ),
            );
            return Ok(response);
        }
    }
    if !upgrade {
        return Ok(page(&req, &server, peer));
    }
    Ok(match tether_tokio::upgrade(&mut req, &server.config) {
        Ok((response, mut upgrading)) => {
            upgrading.set_addrs(None, Some(peer), tls);
            let _ = sockets.send((upgrading, path));
            response
        }
        Err(refusal) => {
            info!(%peer, target = %path, status = refusal.status().as_u16(), "upgrade refused");
            refusal
        }
    })
}

/// The page at `/`, as over HTTP/1.1.
fn page(
    req: &hyper::Request<Incoming>,
    server: &Server,
    peer: SocketAddr,
) -> hyper::Response<ResponseBody> {
    let path = req.uri().path();
    let response = match (req.method(), path) {
        (&hyper::Method::GET, "/" | "/index.html") => {
            let mut response = hyper::Response::new(Full::new(Bytes::from(server.page.clone())));
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response
        }
        (&hyper::Method::GET, "/favicon.ico") => plain(204, ""),
        (&hyper::Method::GET, _) => plain(
            404,
            "404 Not Found: the page is at /, the WebSocket at any path\n",
        ),
        _ => {
            let mut response = plain(
                405,
                "405 Method Not Allowed: GET the page, or open a WebSocket (CONNECT over HTTP/2)\n",
            );
            response.headers_mut().insert(
                hyper::header::ALLOW,
                hyper::header::HeaderValue::from_static("GET, CONNECT"),
            );
            response
        }
    };
    debug!(%peer, method = %req.method(), target = %path, status = response.status().as_u16(), "http");
    response
}

fn plain(status: u16, body: &'static str) -> hyper::Response<ResponseBody> {
    let mut response = hyper::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    response.headers_mut().insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("no-store"),
    );
    response
}
