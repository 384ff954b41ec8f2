//! tokio-tungstenite echo server, written as tokio-tungstenite's own `examples/echo-server.rs`:
//! `accept_async`, `split`, then forward the read half into the write half.
//!
//! ```text
//! tungstenite_echo 127.0.0.1:PORT
//! ```
//!
//! Differences from the upstream example, the same for every server in this benchmark: a
//! current-thread runtime, `TCP_NODELAY` on accepted sockets, errors printed instead of
//! panicking, and one line printed once listening.

use std::error::Error;
use std::net::SocketAddr;

use futures_util::StreamExt;
use tokio::net::{TcpListener, TcpStream};

fn main() -> Result<(), Box<dyn Error>> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .ok_or("usage: tungstenite_echo ADDR:PORT")?
        .parse()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        println!(
            "tokio-tungstenite echo server listening on {}",
            listener.local_addr()?
        );
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(accept_connection(stream));
        }
        Ok(())
    })
}

async fn accept_connection(stream: TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        eprintln!("set_nodelay: {e}");
    }
    let ws_stream = match tokio_tungstenite::accept_async(stream).await {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("handshake: {e}");
            return;
        }
    };
    let (write, read) = ws_stream.split();
    if let Err(e) = read.forward(write).await {
        // A completed close handshake ends the forward with one of these; that is no error.
        use tokio_tungstenite::tungstenite::Error;
        if !matches!(e, Error::ConnectionClosed | Error::AlreadyClosed) {
            eprintln!("forward: {e}");
        }
    }
}
