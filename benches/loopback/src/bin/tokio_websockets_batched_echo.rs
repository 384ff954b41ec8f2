//! tokio-websockets echo server with batched writes: as `tokio_websockets_echo` (the upstream
//! example's setup), but the replies to every message that is ready without waiting are queued
//! with `feed` and written with one `flush`.
//!
//! ```text
//! tokio_websockets_batched_echo 127.0.0.1:PORT
//! ```
//!
//! tokio-websockets' `poll_next` writes out whatever is queued before it reads the next frame,
//! so `feed` followed by `next` would still write once per message. This server therefore
//! first takes every message that is ready (into a reused `Vec`; the payloads are `Bytes`, so
//! nothing is copied), then feeds all the replies and flushes once. The sink flushes early by
//! itself when more than its `flush_threshold` (8 KiB by default) is queued.
//!
//! One difference in behaviour: tokio-websockets answers a close as soon as it reads it and
//! sends nothing after that, so replies to messages that arrived in the same burst as a close
//! are dropped (the per-message server would have sent them before reading the close).

use std::error::Error;

use futures_util::{SinkExt, StreamExt};
use tether_loopback::{listen_addr, next_if_ready};
use tokio::net::{TcpListener, TcpStream};
use tokio_websockets::{Config, Limits, ServerBuilder};

fn main() -> Result<(), Box<dyn Error>> {
    let addr = listen_addr("tokio_websockets_batched_echo")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        println!(
            "tokio-websockets (batched) echo server listening on {}",
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
    let mut burst = Vec::new();
    while let Some(Ok(item)) = server.next().await {
        burst.push(item);
        let mut ended = false;
        loop {
            match next_if_ready(&mut server).await {
                Some(Some(Ok(item))) => burst.push(item),
                Some(_) => {
                    ended = true;
                    break;
                }
                None => break,
            }
        }
        if ended {
            // The peer closed (tokio-websockets has already answered) or the stream failed:
            // nothing can be sent any more, not even replies to messages of this burst. The
            // load client closes only once every echo is back, so it never loses one here.
            break;
        }
        for item in burst.drain(..) {
            if item.is_text() || item.is_binary() {
                server.feed(item).await?;
            }
        }
        server.flush().await?;
    }
    Ok(())
}
