//! The socket bench's echo loop run once, for a fixed number of messages: for counting
//! instructions, which unlike time is repeatable on a shared machine.
//!
//! ```text
//! cargo build --release -p tether-bench --example socket_count
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
//!     target/release/examples/socket_count [tether|tokio-websockets] [SIZE] [MESSAGES]
//! callgrind_annotate /tmp/cg.out | head -40
//! ```
//!
//! Divide the total by MESSAGES (default 100 000) for instructions per message.

#[path = "../benches/socket_transport.rs"]
mod transport;

use futures_util::{SinkExt, StreamExt};
use transport::{BURST, Bursts};

fn main() {
    let mut args = std::env::args().skip(1);
    let peer = args.next().unwrap_or_else(|| "tether".into());
    let size: usize = args.next().map_or(16, |s| s.parse().expect("a size"));
    let messages: u64 = args.next().map_or(100_000, |s| s.parse().expect("a count"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        match peer.as_str() {
            "tether" => {
                let config = tether_tokio::ServerConfig::default();
                let mut ws =
                    tether_tokio::take_over(Bursts::new(size), Default::default(), &config);
                for _ in 0..messages {
                    let message = ws.recv().await.expect("no error").expect("a message");
                    ws.feed(message).await.expect("queued");
                }
            }
            "tokio-websockets" => {
                let mut ws = tokio_websockets::ServerBuilder::new()
                    .config(tokio_websockets::Config::default().frame_size(usize::MAX))
                    .limits(tokio_websockets::Limits::unlimited())
                    .serve(Bursts::new(size));
                for n in 1..=messages {
                    let message = ws.next().await.expect("a message").expect("no error");
                    ws.feed(message).await.expect("queued");
                    if n % BURST as u64 == 0 {
                        ws.flush().await.expect("flushed");
                    }
                }
            }
            other => panic!("unknown peer {other} (tether or tokio-websockets)"),
        }
    });
}
