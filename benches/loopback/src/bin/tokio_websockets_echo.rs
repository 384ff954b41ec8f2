//! tokio-websockets echo server, written as tokio-websockets' own `examples/echo_server.rs`:
//! `ServerBuilder` with `frame_size(usize::MAX)` and unlimited limits, then
//! `while let Some(Ok(item)) = server.next()` and `server.send(item)` for text and binary
//! messages (one write per reply). tokio-websockets answers pings and closes itself.
//!
//! ```text
//! tokio_websockets_echo 127.0.0.1:PORT
//! ```
//!
//! Differences from the upstream example, the same for every server in this benchmark:
//! `TCP_NODELAY` on accepted sockets, errors printed instead of `unwrap`, the address from the
//! command line, and one line printed once listening. Like upstream it runs a current-thread
//! runtime and runs each connection `unconstrained`.

use std::error::Error;

use futures_util::{SinkExt, StreamExt};
use tether_loopback::listen_addr;
use tokio::net::{TcpListener, TcpStream};
use tokio_websockets::{Config, Limits, ServerBuilder};

fn main() -> Result<(), Box<dyn Error>> {
    let addr = listen_addr("tokio_websockets_echo")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        println!(
            "tokio-websockets echo server listening on {}",
            listener.local_addr()?
        );
        loop {
            let (conn, _) = listener.accept().await?;
            tokio::spawn(tokio::task::unconstrained(async move {
                if let Err(e) = echo(conn).await {
                    eprintln!("connection: {e}");
                }
            }));
        }
    })
}

async fn echo(conn: TcpStream) -> Result<(), tokio_websockets::Error> {
    conn.set_nodelay(true)?;
    let (_request, mut server) = ServerBuilder::new()
        .config(Config::default().frame_size(usize::MAX))
        .limits(Limits::unlimited())
        .accept(conn)
        .await?;
    while let Some(Ok(item)) = server.next().await {
        if item.is_text() || item.is_binary() {
            server.send(item).await?;
        }
    }
    Ok(())
}
