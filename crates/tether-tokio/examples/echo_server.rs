//! An echo server written with the public API only: every text or binary message goes back
//! whole, pings are answered, closes completed.
//!
//! ```text
//! cargo run --release -p tether-tokio --example echo_server -- 127.0.0.1:PORT [--threads N]
//!     [--tls CERT.pem KEY.pem]
//! ```
//!
//! `--threads 1` (the default) runs a current-thread runtime, N > 1 a multi-thread one with N
//! workers; `--tls` serves `wss` with that certificate chain and key. Prints one line once
//! listening.
//!
//! Each connection runs `recv` + `feed` (queue without writing): a received message is handed
//! back as it is (its payload is shared, not copied), replies pile up while more input is ready
//! and go out in one write as soon as the next receive finds none, so pipelined small messages
//! are batched without adding latency.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;

use tether_tokio::{ServerConfig, tls};
use tokio::net::{TcpSocket, TcpStream};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let mut addr: Option<SocketAddr> = None;
    let mut threads = 1usize;
    // The defaults: no read timeout (a server reads for as long as clients stay), keepalive
    // pings find dead peers.
    let mut config = ServerConfig::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => {
                threads = args.next().ok_or("--threads needs a number")?.parse()?;
            }
            "--tls" => {
                let (Some(cert), Some(key)) = (args.next(), args.next()) else {
                    return Err("--tls needs a certificate chain and a key (PEM files)".into());
                };
                let tls = tls::server_config_pem(&std::fs::read(cert)?, &std::fs::read(key)?)?;
                config = config.tls(tls);
            }
            other => addr = Some(other.parse()?),
        }
    }
    let addr = addr.ok_or("usage: echo_server ADDR:PORT [--threads N] [--tls CERT KEY]")?;
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
    runtime.block_on(serve(addr, threads.max(1), config))
}

async fn serve(
    addr: SocketAddr,
    threads: usize,
    config: ServerConfig,
) -> Result<(), Box<dyn Error>> {
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
    // Shared, so a connection's task holds a pointer, not a copy.
    let config = Arc::new(config);
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
            // A peer that leaves without a close frame (1006) is not worth a line.
            if let Err(e) = echo(tcp, &config).await
                && !matches!(e, tether_tokio::Error::Closed { .. })
            {
                eprintln!("connection: {e}");
            }
        });
    }
}

async fn echo(tcp: TcpStream, config: &ServerConfig) -> Result<(), tether_tokio::Error> {
    let mut ws = tether_tokio::accept(tcp, config).await?;
    while let Some(message) = ws.recv().await? {
        ws.feed(message).await?;
    }
    Ok(())
}
