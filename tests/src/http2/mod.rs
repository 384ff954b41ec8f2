//! WebSocket over HTTP/2 (RFC 8441) in tests: [`Http2Server`], a hyper server (HTTP/1.1 and
//! HTTP/2 on one port, h2c or TLS with ALPN) that answers WebSocket requests with
//! `tether_tokio::upgrade` and hands each socket to a handler; client configs for it; and
//! [`RawH2Server`], an HTTP/2 server built on the `h2` crate alone, for what a well-behaved
//! server never does (resetting streams, going away, not answering).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tether_tokio::rustls;
use tether_tokio::{Bytes, ClientConfig, HttpMode, MessageSocket, ServerConfig, TlsOptions};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::pki::TestPki;

/// What a test server does with each WebSocket: the socket and the request's path.
pub type Handler =
    Arc<dyn Fn(MessageSocket, String) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A handler from an async closure.
pub fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(MessageSocket, String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |ws, path| Box::pin(f(ws, path)))
}

/// The handler that echoes every message until the end.
pub fn echo_handler() -> Handler {
    handler(|mut ws, _| async move {
        while let Ok(Some(message)) = ws.recv().await {
            if ws.feed(message).await.is_err() {
                break;
            }
        }
    })
}

/// A hyper server on 127.0.0.1 serving HTTP/1.1 and HTTP/2 on one port: a plain `GET /page`
/// gets 200 `page`; every other request is answered by `tether_tokio::upgrade` (as a
/// WebSocket route would). Dropping it stops accepting.
#[derive(Debug)]
pub struct Http2Server {
    /// Its address.
    pub addr: SocketAddr,
    /// Whether it speaks TLS (ALPN `h2` and `http/1.1`).
    pub tls: bool,
    task: JoinHandle<()>,
}

impl Drop for Http2Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Http2Server {
    /// Starts one (on the current runtime): plain when `tls` is `None`, else TLS with this
    /// server config (ALPN set here).
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound.
    pub async fn start(tls: Option<&TestPki>, config: ServerConfig, on_socket: Handler) -> Self {
        Self::start_with(tls, config, on_socket, tether_tokio::http_server()).await
    }

    /// As [`start`](Self::start), with this hyper-util builder (to leave the extended CONNECT
    /// off, say).
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound.
    pub async fn start_with(
        tls: Option<&TestPki>,
        config: ServerConfig,
        on_socket: Handler,
        builder: hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("its address");
        let acceptor = tls.map(|pki| alpn_h2(&pki.server));
        let builder = Arc::new(builder);
        let config = Arc::new(config);
        let task = tokio::spawn(async move {
            while let Ok((tcp, peer)) = listener.accept().await {
                let (acceptor, builder, config, on_socket) = (
                    acceptor.clone(),
                    builder.clone(),
                    config.clone(),
                    on_socket.clone(),
                );
                tokio::spawn(async move {
                    let tls = acceptor.is_some();
                    let service = hyper::service::service_fn(move |req| {
                        route(req, config.clone(), on_socket.clone(), peer, tls)
                    });
                    match acceptor {
                        Some(acceptor) => {
                            let Ok(stream) = tether_tokio::TlsStream::accept(tcp, acceptor).await
                            else {
                                return;
                            };
                            let _ = builder
                                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                                .await;
                        }
                        None => {
                            let _ = builder
                                .serve_connection_with_upgrades(TokioIo::new(tcp), service)
                                .await;
                        }
                    }
                });
            }
        });
        Self {
            addr,
            tls: tls.is_some(),
            task,
        }
    }

    /// The URL of `path` on this server (`ws://` or `wss://`).
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}{path}", self.addr)
    }
}

/// A rustls server config offering `h2` and `http/1.1` by ALPN.
pub fn alpn_h2(server: &Arc<rustls::ServerConfig>) -> Arc<rustls::ServerConfig> {
    let mut config = (**server).clone();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

async fn route(
    mut req: hyper::Request<Incoming>,
    config: Arc<ServerConfig>,
    on_socket: Handler,
    peer: SocketAddr,
    tls: bool,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    if req.uri().path() == "/page" && !tether_tokio::is_upgrade_request(&req) {
        return Ok(hyper::Response::new(Full::new(Bytes::from_static(b"page"))));
    }
    Ok(match tether_tokio::upgrade(&mut req, &config) {
        Ok((response, mut upgrading)) => {
            upgrading.set_addrs(None, Some(peer), tls);
            let path = upgrading.request().path().to_owned();
            tokio::spawn(async move {
                if let Ok(ws) = upgrading.await {
                    on_socket(ws, path).await;
                }
            });
            response
        }
        Err(refusal) => refusal,
    })
}

/// A client config for `server`: HTTP/2 only, trusting the test CA when it is TLS.
pub fn client_config(pki: Option<&TestPki>) -> ClientConfig {
    let config = ClientConfig::default().http(HttpMode::Http2);
    match pki {
        Some(pki) => config.tls(
            TlsOptions::default()
                .roots(tether_tokio::RootCerts::ExtraOnly)
                .add_roots_pem(pki.ca_pem.as_bytes())
                .expect("the test CA"),
        ),
        None => config,
    }
}

mod bridge;
mod raw;

pub use bridge::{H2Io, against};
pub use raw::{RawFrame, RawH2Client, RawH2Server, RawStream, hpack_literal};
