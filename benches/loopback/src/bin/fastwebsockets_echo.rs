//! fastwebsockets echo server, written as fastwebsockets' own `examples/echo_server.rs`:
//! a hyper 1 HTTP/1 connection with upgrades, `upgrade::upgrade`, then a `FragmentCollector`
//! that reads frames and writes text/binary ones straight back.
//!
//! ```text
//! fastwebsockets_echo 127.0.0.1:PORT
//! ```
//!
//! Differences from the upstream example, the same for every server in this benchmark:
//! `TCP_NODELAY` on accepted sockets, no per-connection `println!`, and the address from the
//! command line. Like upstream it runs a current-thread runtime and runs each WebSocket task
//! `unconstrained`.

use std::error::Error;
use std::net::SocketAddr;

use bytes::Bytes;
use fastwebsockets::{FragmentCollector, OpCode, WebSocketError, upgrade};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use tokio::net::TcpListener;

async fn handle_client(fut: upgrade::UpgradeFut) -> Result<(), WebSocketError> {
    let mut ws = FragmentCollector::new(fut.await?);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => break,
            OpCode::Text | OpCode::Binary => {
                ws.write_frame(frame).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

async fn server_upgrade(
    mut req: Request<Incoming>,
) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, fut) = upgrade::upgrade(&mut req)?;
    tokio::task::spawn(async move {
        if let Err(e) = tokio::task::unconstrained(handle_client(fut)).await {
            eprintln!("Error in websocket connection: {e}");
        }
    });
    Ok(response)
}

fn main() -> Result<(), Box<dyn Error>> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .ok_or("usage: fastwebsockets_echo ADDR:PORT")?
        .parse()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        println!(
            "fastwebsockets echo server listening on {}",
            listener.local_addr()?
        );
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
