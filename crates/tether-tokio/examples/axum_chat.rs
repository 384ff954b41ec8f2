//! An axum app with a chat room on tether's `WebSocketUpgrade`, and an echo on axum's own
//! `ws` side by side, served over HTTP/1.1 and HTTP/2 on one port (h2c with prior knowledge,
//! or TLS with ALPN `h2`/`http/1.1` when given a certificate and key).
//!
//! ```text
//! cargo run -p tether-tokio --features axum --example axum_chat -- 127.0.0.1:8080 [cert.pem key.pem]
//! ```
//!
//! - `GET /` is a page that opens a WebSocket to `/chat` and shows what everyone says;
//! - `/chat` is the room, on tether: one `Hub` topic, every message to every member (encoded
//!   once), compression and keepalive on, and a welcome line saying which HTTP carried it;
//! - `/echo` is an echo on axum's own `axum::extract::ws`, for comparison.
//!
//! The two WebSocket handlers differ in their imports and message types only (see
//! `docs/axum.md`).

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{Html, Response};
use axum::routing::{any, get};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tether_tokio::axum::{Message, WebSocket, WebSocketUpgrade};
use tether_tokio::{HttpVersion, Hub, HubConfig, TlsStream, rustls, tls};
use tokio::net::TcpListener;

/// The page: a log, a box to type in, a WebSocket to `/chat` on the page's own origin.
const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>tether + axum chat</title></head>
<body><h1>chat</h1><pre id="log"></pre>
<form id="f"><input id="say" autocomplete="off" autofocus><button>send</button></form>
<script>
const log = (s) => { document.getElementById("log").textContent += s + "\n"; };
const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/chat`);
ws.onmessage = (e) => log(e.data);
ws.onclose = (e) => log(`closed: ${e.code} ${e.reason}`);
document.getElementById("f").onsubmit = (e) => {
  e.preventDefault();
  const say = document.getElementById("say");
  ws.send(say.value);
  say.value = "";
};
</script></body></html>
"#;

/// What the handlers share.
#[derive(Clone)]
pub struct App {
    hub: Hub,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:8080".into())
        .parse()?;
    let tls = match (args.next(), args.next()) {
        (Some(cert), Some(key)) => Some(tls_config(&std::fs::read(cert)?, &std::fs::read(key)?)?),
        _ => None,
    };
    let listener = TcpListener::bind(addr).await?;
    let web = if tls.is_some() { "https" } else { "http" };
    println!(
        "open {web}://{}/ (HTTP/1.1 and HTTP/2)",
        listener.local_addr()?
    );
    serve(listener, tls).await
}

/// A TLS server config offering HTTP/2 and HTTP/1.1 by ALPN, from PEM.
///
/// # Errors
///
/// Unreadable PEM.
pub fn tls_config(
    cert_pem: &[u8],
    key_pem: &[u8],
) -> Result<Arc<rustls::ServerConfig>, tether_tokio::Error> {
    let mut config = (*tls::server_config_pem(cert_pem, key_pem)?).clone();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The app's routes.
pub fn app() -> Router {
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        // `any`: HTTP/1.1 upgrades are GETs, HTTP/2 ones CONNECTs.
        .route("/chat", any(chat))
        .route("/echo", any(axum_echo))
        .with_state(App {
            hub: Hub::new(HubConfig::default()),
        })
}

/// Serves `listener` until it fails: each connection speaks HTTP/1.1 or HTTP/2 as the client
/// does, over TLS when `tls` is given. (`axum::serve` does the same for plain TCP; this loop
/// adds TLS and tether's HTTP/2 settings: the extended CONNECT, and flow-control windows that
/// keep a stalled WebSocket from holding up the others.)
///
/// # Errors
///
/// The listener failed.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<(), Box<dyn Error + Send + Sync>> {
    let service = TowerToHyperService::new(app());
    loop {
        let (tcp, _) = listener.accept().await?;
        let (service, tls) = (service.clone(), tls.clone());
        tokio::spawn(async move {
            let server = tether_tokio::http_server();
            let _ = match tls {
                Some(tls) => match TlsStream::accept(tcp, tls).await {
                    Ok(stream) => {
                        server
                            .serve_connection_with_upgrades(TokioIo::new(stream), service)
                            .await
                    }
                    Err(_) => return,
                },
                None => {
                    server
                        .serve_connection_with_upgrades(TokioIo::new(tcp), service)
                        .await
                }
            };
        });
    }
}

/// The chat room, on tether: every message goes to every member.
async fn chat(ws: WebSocketUpgrade, State(app): State<App>) -> Response {
    let http = match ws.http_version() {
        HttpVersion::Http11 => "HTTP/1.1",
        HttpVersion::Http2 => "HTTP/2",
    };
    ws.protocols(["chat"])
        .max_message_size(64 << 10)
        .on_upgrade(move |socket| member(socket, app.hub, http))
}

async fn member(mut socket: WebSocket, hub: Hub, http: &'static str) {
    let _membership = hub.join("chat", &socket);
    if socket.send(format!("welcome ({http})")).await.is_err() {
        return;
    }
    while let Ok(Some(message)) = socket.recv().await {
        hub.publish("chat", message);
    }
}

/// The same kind of handler on axum's own `ws`, for comparison: an echo. (Its socket must be
/// read to the end after a close for its answer to go out; tether's answers closes itself.)
async fn axum_echo(ws: axum::extract::ws::WebSocketUpgrade) -> Response {
    use axum::extract::ws::Message as Axum;
    ws.on_upgrade(|mut socket| async move {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Axum::Close(_) | Axum::Ping(_) | Axum::Pong(_)) {
                continue;
            }
            if socket.send(message).await.is_err() {
                return;
            }
        }
    })
}

/// tether's `Message` from axum's, for code that has both (see `docs/axum.md`).
#[allow(dead_code)]
pub fn from_axum(message: axum::extract::ws::Message) -> Option<Message> {
    use axum::extract::ws::Message as Axum;
    match message {
        Axum::Text(text) => Some(Message::text(text.as_str())),
        Axum::Binary(bytes) => Some(Message::binary(bytes)),
        // Control frames are tether's own business (pongs, closes).
        Axum::Ping(_) | Axum::Pong(_) | Axum::Close(_) => None,
    }
}
