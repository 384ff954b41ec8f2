//! A blocking echo server, one thread per connection.
//!
//! ```text
//! cargo run --release -p tether-std --example echo_server -- 127.0.0.1:9001
//! ```
//!
//! Echoes every text and binary message whole (however it was fragmented), answers pings,
//! completes the close handshake. No compression. Prints one line when listening.

use std::net::TcpListener;
use std::time::Duration;

use tether_std::{Error, MessageKind, SocketConfig, accept_with};

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = TcpListener::bind(&addr)?;
    println!("echo server listening on ws://{}/", listener.local_addr()?);
    let config = SocketConfig::default()
        .read_timeout(None)
        .keepalive_interval(None)
        .max_message_size(64 << 20)
        .handshake_timeout(Some(Duration::from_secs(10)));
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

fn serve(stream: std::net::TcpStream, config: &SocketConfig) -> Result<(), Error> {
    let mut ws = accept_with(stream, config, |_| Ok(Default::default()))?;
    let mut buf = Vec::new();
    while let Some(kind) = ws.recv_into(&mut buf)? {
        match kind {
            MessageKind::Text => match std::str::from_utf8(&buf) {
                Ok(text) => ws.send_text(text)?,
                Err(_) => return Ok(()),
            },
            MessageKind::Binary => ws.send_binary(&buf)?,
        }
    }
    Ok(())
}
