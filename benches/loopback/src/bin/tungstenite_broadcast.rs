//! tokio-tungstenite broadcast server written the common way (as the tokio, axum and
//! tokio-tungstenite chat examples do): one `tokio::sync::broadcast` channel; each connection is
//! split, its read half publishes every text/binary message into the channel, and a task per
//! connection forwards what the channel gives into the write half, one `send` (encode, write,
//! flush) per message. A receiver that lags past the channel's capacity (1024 messages) skips
//! what it missed.
//!
//! ```text
//! tungstenite_broadcast 127.0.0.1:PORT
//! ```
//!
//! Same conditions as the echo servers: a current-thread runtime, `TCP_NODELAY` on accepted
//! sockets, one line printed once listening.

use std::error::Error;

use futures_util::{SinkExt, StreamExt};
use tether_loopback::{BROADCAST_CAPACITY, listen_addr};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_tungstenite::tungstenite::Message;

fn main() -> Result<(), Box<dyn Error>> {
    let addr = listen_addr("tungstenite_broadcast")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        println!(
            "tokio-tungstenite broadcast server listening on {}",
            listener.local_addr()?
        );
        let (tx, _) = broadcast::channel::<Message>(BROADCAST_CAPACITY);
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(connection(stream, tx.clone()));
        }
        Ok(())
    })
}

async fn connection(stream: TcpStream, tx: broadcast::Sender<Message>) {
    let _ = stream.set_nodelay(true);
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut write, mut read) = ws.split();
    let mut rx = tx.subscribe();
    let forward = tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(message) => {
                    if write.send(message).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    });
    while let Some(Ok(message)) = read.next().await {
        if message.is_text() || message.is_binary() {
            let _ = tx.send(message);
        }
    }
    forward.abort();
}
