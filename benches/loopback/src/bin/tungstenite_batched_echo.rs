//! tokio-tungstenite echo server with batched writes: one task per connection, no `split`;
//! every text/binary message is `feed`-ed back (tungstenite buffers the frame), and the socket
//! is flushed only when no further message is ready, so a burst of pipelined messages goes
//! back in one write.
//!
//! ```text
//! tungstenite_batched_echo 127.0.0.1:PORT
//! ```
//!
//! Same conditions as `tungstenite_echo` (the upstream example's shape): a current-thread
//! runtime, `TCP_NODELAY` on accepted sockets, one line printed once listening. The upstream
//! example (`read.forward(write)`) also flushes only when the read half has nothing ready
//! (that is how `forward` works), but through the two `split` halves and their lock; this is
//! the same batching without them. Pings are answered and closes completed by tungstenite
//! itself, on the next read.

use std::error::Error;

use futures_util::{SinkExt, StreamExt};
use tether_loopback::{listen_addr, next_if_ready};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

fn main() -> Result<(), Box<dyn Error>> {
    let addr = listen_addr("tungstenite_batched_echo")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        println!(
            "tokio-tungstenite (batched) echo server listening on {}",
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
    let ws = match tokio_tungstenite::accept_async(stream).await {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("handshake: {e}");
            return;
        }
    };
    if let Err(e) = echo(ws).await
        // A completed close handshake ends the stream with one of these; that is no error.
        && !matches!(e, WsError::ConnectionClosed | WsError::AlreadyClosed)
    {
        eprintln!("connection: {e}");
    }
}

async fn echo(mut ws: tokio_tungstenite::WebSocketStream<TcpStream>) -> Result<(), WsError> {
    while let Some(message) = ws.next().await {
        let mut message = message?;
        loop {
            if let Message::Text(_) | Message::Binary(_) = message {
                ws.feed(message).await?;
            }
            match next_if_ready(&mut ws).await {
                Some(Some(next)) => message = next?,
                Some(None) => return Ok(()),
                None => break,
            }
        }
        ws.flush().await?;
    }
    Ok(())
}
