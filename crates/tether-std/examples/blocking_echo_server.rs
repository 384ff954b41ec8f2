//! A blocking echo server, one thread per connection.
//!
//! ```text
//! cargo run --release -p tether-std --example blocking_echo_server -- 127.0.0.1:9001
//! ```
//!
//! Echoes every text and binary message whole (however it was fragmented), answers pings,
//! completes the close handshake. Compression (permessage-deflate) is used when the client
//! offers it. Prints one line when listening.

use std::net::TcpListener;
use std::time::Duration;

use tether_std::{Config, Error, ServerConfig};

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = TcpListener::bind(&addr)?;
    println!("echo server listening on ws://{}/", listener.local_addr()?);
    let config = ServerConfig::default()
        .config(
            Config::default()
                .ping_interval(None)
                .max_message_size(64 << 20)
                .handshake_timeout(Some(Duration::from_secs(10))),
        )
        .read_timeout(None);
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let config = config.clone();
        std::thread::spawn(move || {
            if let Err(e) = serve(stream, &config) {
                eprintln!("connection ended: {e}");
            }
        });
    }
    Ok(())
}

fn serve(stream: std::net::TcpStream, config: &ServerConfig) -> Result<(), Error> {
    let mut ws = tether_std::accept(stream, config)?;
    while let Some(message) = ws.recv()? {
        ws.send(message)?;
    }
    Ok(())
}
