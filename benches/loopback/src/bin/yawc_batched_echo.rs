//! yawc echo server with batched writes: as `yawc_echo` (the upstream example's setup), but
//! every text/binary reply is `feed`-ed (yawc encodes it into its write buffer) and the socket
//! is flushed only when no further frame is ready, so a burst of pipelined messages goes back
//! in one write. yawc's write buffer flushes early by itself past its backpressure boundary.
//!
//! ```text
//! yawc_batched_echo 127.0.0.1:PORT
//! ```
//!
//! yawc's own comparison benchmark has a batched server of this kind too (`feed`, then `flush`
//! once `next_frame().now_or_never()` finds nothing, at most 32 frames per batch); this one has
//! no cap and waits with the task's own waker. Pings and closes are answered by yawc itself.

use std::error::Error;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use tether_loopback::{listen_addr, next_if_ready};
use tokio::net::TcpListener;
use yawc::{CompressionLevel, OpCode, Options, WebSocket};

async fn handle_client(fut: yawc::UpgradeFut) -> yawc::Result<()> {
    let mut ws = fut.await?;
    while let Some(mut frame) = ws.next().await {
        loop {
            if let OpCode::Text | OpCode::Binary = frame.opcode() {
                ws.feed(frame).await?;
            }
            match next_if_ready(&mut ws).await {
                Some(Some(next)) => frame = next,
                Some(None) => return Ok(()),
                None => break,
            }
        }
        ws.flush().await?;
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
    let addr = listen_addr("yawc_batched_echo")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        println!(
            "yawc (batched) echo server listening on {}",
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
