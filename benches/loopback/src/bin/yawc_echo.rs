//! yawc echo server, written as yawc's own `examples/echo_server.rs`: a hyper 1 HTTP/1
//! connection with upgrades, `WebSocket::upgrade_with_options` with the example's options
//! (100 MiB payloads, a 200 MiB read buffer, compression level "none" if a client asks for
//! compression; ours does not), then `while let Some(frame) = ws.next()` and `ws.send(frame)`
//! for text and binary frames (one write per reply). yawc answers pings and closes itself.
//!
//! ```text
//! yawc_echo 127.0.0.1:PORT
//! ```
//!
//! Differences from the upstream example, the same for every server in this benchmark: a
//! current-thread runtime (upstream: `#[tokio::main]`, multi-thread), `TCP_NODELAY` on accepted
//! sockets, errors printed instead of logged, the address from the command line, and one line
//! printed once listening. Like upstream it runs each WebSocket task `unconstrained`.

use std::error::Error;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use tether_loopback::listen_addr;
use tokio::net::TcpListener;
use yawc::{CompressionLevel, OpCode, Options, WebSocket};

async fn handle_client(fut: yawc::UpgradeFut) -> yawc::Result<()> {
    let mut ws = fut.await?;
    while let Some(frame) = ws.next().await {
        if let OpCode::Text | OpCode::Binary = frame.opcode() {
            ws.send(frame).await?;
        }
    }
    Ok(())
}

async fn server_upgrade(mut req: Request<Incoming>) -> yawc::Result<Response<Empty<Bytes>>> {
    let (response, fut) = WebSocket::upgrade_with_options(
        &mut req,
        Options::default()
            .with_max_payload_read(100 * 1024 * 1024)
            .with_max_read_buffer(200 * 1024 * 1024)
            .with_compression_level(CompressionLevel::none()),
    )?;
    tokio::task::spawn(async move {
        if let Err(e) = tokio::task::unconstrained(handle_client(fut)).await {
            eprintln!("Error in websocket connection: {e}");
        }
    });
    Ok(response)
}

fn main() -> Result<(), Box<dyn Error>> {
    let addr = listen_addr("yawc_echo")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        println!("yawc echo server listening on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            if let Err(e) = stream.set_nodelay(true) {
                eprintln!("set_nodelay: {e}");
            }
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let conn_fut = http1::Builder::new()
                    .serve_connection(io, service_fn(server_upgrade))
                    .with_upgrades();
                if let Err(e) = conn_fut.await {
                    eprintln!("An error occurred: {e:?}");
                }
            });
        }
    })
}
