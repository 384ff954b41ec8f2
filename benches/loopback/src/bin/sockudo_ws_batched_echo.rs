//! sockudo-ws echo server with batched writes, as sockudo-ws' README shows it ("For a Tokio
//! unified echo loop, explicitly queue data replies with `feed`. When the parsed input batch is
//! exhausted, `next()` drains queued output before reading more input"): the setup of
//! `sockudo_ws_echo` (the upstream `simple_echo` example), with `ws.feed(..)` instead of
//! `ws.send(..)`. The library's write coalescing (on by default) also drains the queue early
//! once it passes its high-water mark (64 KiB).
//!
//! ```text
//! sockudo_ws_batched_echo 127.0.0.1:PORT
//! ```

use std::error::Error;

use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use sockudo_ws::handshake::{build_response, generate_accept_key, parse_request};
use sockudo_ws::{Config, Message, Role, WebSocketStream};
use tether_loopback::listen_addr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn main() -> Result<(), Box<dyn Error>> {
    let addr = listen_addr("sockudo_ws_batched_echo")?;
    // Calibrates sockudo-ws' clock before the runtime starts, as its documentation advises.
    sockudo_ws::init_clock();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        println!(
            "sockudo-ws (batched) echo server listening on {}",
            listener.local_addr()?
        );
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true).ok();
            tokio::spawn(async move {
                if let Err(e) = handle_connection(stream).await {
                    eprintln!("Connection error: {e}");
                }
            });
        }
    })
}

async fn handle_connection(stream: TcpStream) -> sockudo_ws::Result<()> {
    let mut ws = upgrade(stream).await?;
    while let Some(msg) = ws.next().await {
        match msg? {
            msg @ (Message::Text(_) | Message::Binary(_)) => ws.feed(msg).await?,
            Message::Ping(_) | Message::Pong(_) => {} // pongs are sent by the stream
            Message::Close(_) => break,
        }
    }
    Ok(())
}

/// The server side of the opening handshake, as the upstream example does it.
async fn upgrade(mut stream: TcpStream) -> sockudo_ws::Result<WebSocketStream<TcpStream>> {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        if stream.read_buf(&mut buf).await? == 0 {
            return Err(sockudo_ws::Error::ConnectionClosed);
        }
        if let Some((req, consumed)) = parse_request(&buf)? {
            let response = build_response(&generate_accept_key(req.key), None, None);
            stream.write_all(&response).await?;
            stream.flush().await?;
            let leftover = buf.split_off(consumed).freeze();
            return Ok(WebSocketStream::from_raw_with_leftover(
                stream,
                Role::Server,
                Config::default(),
                (!leftover.is_empty()).then_some(leftover),
            ));
        }
    }
}
