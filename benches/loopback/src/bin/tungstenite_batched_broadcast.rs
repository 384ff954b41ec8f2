//! tokio-tungstenite broadcast server with batched writes: as `tungstenite_broadcast` (one
//! `tokio::sync::broadcast` channel, the read half of each connection publishing into it, a
//! task per connection forwarding into its write half), but the forwarding task `feed`s every
//! message the channel has ready (tungstenite encodes it into its write buffer) and flushes
//! once when no more is queued, so a burst goes out in one write.
//!
//! ```text
//! tungstenite_batched_broadcast 127.0.0.1:PORT
//! ```

use std::error::Error;

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tether_loopback::{BROADCAST_CAPACITY, listen_addr};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

fn main() -> Result<(), Box<dyn Error>> {
    let addr = listen_addr("tungstenite_batched_broadcast")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        println!(
            "tokio-tungstenite (batched) broadcast server listening on {}",
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
    let (write, mut read) = ws.split();
    let forward = tokio::spawn(forward(write, tx.subscribe()));
    while let Some(Ok(message)) = read.next().await {
        if message.is_text() || message.is_binary() {
            let _ = tx.send(message);
        }
    }
    forward.abort();
}

async fn forward(
    mut write: SplitSink<WebSocketStream<TcpStream>, Message>,
    mut rx: broadcast::Receiver<Message>,
) -> Result<(), WsError> {
    loop {
        let message = match rx.recv().await {
            Ok(message) => message,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return Ok(()),
        };
        write.feed(message).await?;
        loop {
            match rx.try_recv() {
                Ok(message) => write.feed(message).await?,
                Err(TryRecvError::Lagged(_)) => {}
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        write.flush().await?;
    }
}
