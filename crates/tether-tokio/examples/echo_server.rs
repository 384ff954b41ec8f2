//! An echo server written with the public API only: every text or binary message goes back
//! whole, pings are answered, closes completed.
//!
//! ```text
//! cargo run --release -p tether-tokio --example echo_server -- 127.0.0.1:PORT [--threads N]
//! ```
//!
//! `--threads 1` (the default) runs a current-thread runtime, N > 1 a multi-thread one with N
//! workers. Prints one line once listening.
//!
//! Each connection runs `recv_into` (into one reused buffer) + `feed_as` (queue without
//! writing): replies pile up while more input is ready and go out in one write as soon as
//! the next receive finds none, so pipelined small messages are batched without adding
//! latency, and no small message allocates.

use std::error::Error;
use std::net::SocketAddr;

use tether_tokio::{Accept, SocketConfig, accept_with};
use tokio::net::{TcpSocket, TcpStream};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let mut addr: Option<SocketAddr> = None;
    let mut threads = 1usize;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => {
                threads = args.next().ok_or("--threads needs a number")?.parse()?;
            }
            other => addr = Some(other.parse()?),
        }
    }
    let addr = addr.ok_or("usage: echo_server ADDR:PORT [--threads N]")?;
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(serve(addr, threads.max(1)))
}

async fn serve(addr: SocketAddr, threads: usize) -> Result<(), Box<dyn Error>> {
    // A deep accept queue (the default bind gives 128), so bursts of connects are not dropped.
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(4096)?;
    println!(
        "tether-tokio echo server listening on {} ({threads} thread{})",
        listener.local_addr()?,
        if threads == 1 { "" } else { "s" }
    );
    // A server reads for as long as clients stay; keepalive pings still find dead peers.
    let config = SocketConfig::default().read_timeout(None);
    loop {
        let (tcp, _) = match listener.accept().await {
            Ok(conn) => conn,
            // Out of file descriptors, say: keep serving the connections we have.
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let config = config.clone();
        tokio::spawn(async move {
            if let Err(e) = echo(tcp, &config).await
                && !matches!(e, tether_tokio::Error::ConnectionClosed { .. })
            {
                eprintln!("connection: {e}");
            }
        });
    }
}

async fn echo(tcp: TcpStream, config: &SocketConfig) -> Result<(), tether_tokio::Error> {
    tcp.set_nodelay(true)?;
    let mut ws = accept_with(tcp, config, |_| Ok(Accept::default())).await?;
    let mut buf = Vec::new();
    while let Some(kind) = ws.recv_into(&mut buf).await? {
        ws.feed_as(kind, &buf).await?;
    }
    Ok(())
}
