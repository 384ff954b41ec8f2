//! A broadcast server on the [`Hub`]: every connection joins one topic, and every message it
//! sends goes to every connection (itself too), encoded once. The fan-out loopback benchmark's
//! tether server (`benches/loopback/fanout.sh`).
//!
//! ```text
//! cargo run --release -p tether-tokio --example hub_server -- 127.0.0.1:PORT [--threads N]
//!     [--queue-messages N] [--queue-bytes N] [--slow drop|close] [--one-by-one]
//!     [--per-connection]
//! ```
//!
//! `--threads 1` (the default) runs a current-thread runtime. The hub's per-subscriber queue
//! and slow-subscriber policy come from the options (defaults: 1024 messages, 4 MiB, drop the
//! oldest). permessage-deflate is accepted with `server_no_context_takeover`, so subscribers
//! that agree on the window share one compressed copy of each message.
//!
//! Each connection publishes what it receives with `publish_batch`: a message and every other
//! one already received with it, so each subscriber is visited once per burst. `--one-by-one`
//! publishes each message on its own with `publish`, as the README's chat room does.
//!
//! `--per-connection` is the comparison without the hub: the write half of every connection
//! in a list, and each message handed to each with `try_send` (which encodes, and compresses,
//! it for that connection; a connection whose output is full misses it). Prints one line once
//! listening, and the hub's counters on stderr every 5 s while they change.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;
use tether_proto::deflate::DeflateConfig;
use tether_tokio::{
    CloseCode, Config, FanoutLimits, Hub, HubConfig, MessageWriteHalf, ServerConfig, SlowPolicy,
};
use tokio::net::{TcpSocket, TcpStream};

const TOPIC: &str = "bench";

struct Options {
    addr: SocketAddr,
    threads: usize,
    limits: FanoutLimits,
    per_connection: bool,
    one_by_one: bool,
}

fn options() -> Result<Options, Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let mut addr = None;
    let mut threads = 1;
    let mut limits = FanoutLimits::default();
    let mut per_connection = false;
    let mut one_by_one = false;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--threads" => threads = value()?.parse()?,
            "--queue-messages" => limits = limits.max_messages(value()?.parse()?),
            "--queue-bytes" => limits = limits.max_bytes(value()?.parse()?),
            "--slow" => {
                limits = limits.on_slow(match value()?.as_str() {
                    "drop" => SlowPolicy::DropOldest,
                    "close" => SlowPolicy::Close {
                        code: CloseCode::TRY_AGAIN_LATER,
                        reason: "too slow".into(),
                    },
                    other => return Err(format!("--slow drop|close, not {other}").into()),
                });
            }
            "--per-connection" => per_connection = true,
            "--one-by-one" => one_by_one = true,
            other => addr = Some(other.parse()?),
        }
    }
    Ok(Options {
        addr: addr.ok_or("usage: hub_server ADDR:PORT [--threads N] [--queue-messages N] [--queue-bytes N] [--slow drop|close] [--one-by-one] [--per-connection]")?,
        threads,
        limits,
        per_connection,
        one_by_one,
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let options = options()?;
    let runtime = if options.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(options.threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(serve(options))
}

/// Where messages go: the hub, or (`--per-connection`) every write half in turn.
#[derive(Clone)]
enum Room {
    Hub(Hub),
    PerConnection(Arc<Mutex<Vec<(u64, MessageWriteHalf)>>>),
}

async fn serve(options: Options) -> Result<(), Box<dyn Error>> {
    // A deep accept queue (the default bind gives 128), so bursts of connects are not dropped.
    let socket = if options.addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(options.addr)?;
    let listener = socket.listen(4096)?;
    println!(
        "tether-tokio hub server listening on {} ({})",
        listener.local_addr()?,
        if options.per_connection {
            "per connection"
        } else {
            "hub"
        }
    );
    let deflate = DeflateConfig::default().server_no_context_takeover(true);
    let config = ServerConfig::default().config(Config::default().deflate(Some(deflate)));
    let room = if options.per_connection {
        Room::PerConnection(Arc::default())
    } else {
        let hub = Hub::new(HubConfig::default().limits(options.limits));
        tokio::spawn(report(hub.clone()));
        Room::Hub(hub)
    };
    let mut next_id = 0;
    loop {
        let (tcp, _) = match listener.accept().await {
            Ok(conn) => conn,
            // Out of file descriptors, say: keep serving the connections we have.
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        next_id += 1;
        let (config, room) = (config.clone(), room.clone());
        // Errors (a peer that leaves without a close frame, say) end the connection quietly.
        tokio::spawn(connection(tcp, config, room, next_id, options.one_by_one));
    }
}

async fn connection(
    tcp: TcpStream,
    config: ServerConfig,
    room: Room,
    id: u64,
    one_by_one: bool,
) -> Result<(), tether_tokio::Error> {
    let _ = tcp.set_nodelay(true);
    let ws = tether_tokio::accept(tcp, &config).await?;
    match room {
        Room::Hub(hub) if one_by_one => {
            let mut ws = ws;
            let _member = hub.join(TOPIC, &ws);
            while let Some(message) = ws.recv().await? {
                hub.publish(TOPIC, message);
            }
        }
        Room::Hub(hub) => {
            let mut ws = ws;
            let _member = hub.join(TOPIC, &ws);
            let mut batch = Vec::new();
            while let Some(message) = ws.recv().await? {
                // With everything else already received (`recv` is cancel safe, so a receive
                // that would wait is dropped): each subscriber is visited once for them all.
                batch.push(message);
                let mut ended = false;
                while let Some(next) = ws.recv().now_or_never() {
                    match next? {
                        Some(message) => batch.push(message),
                        None => {
                            ended = true;
                            break;
                        }
                    }
                }
                hub.publish_batch(TOPIC, batch.drain(..));
                if ended {
                    break;
                }
            }
        }
        Room::PerConnection(list) => {
            let (mut reader, writer) = ws.into_split();
            let lock = || list.lock().unwrap_or_else(PoisonError::into_inner);
            lock().push((id, writer));
            let result = async {
                while let Some(message) = reader.recv().await? {
                    for (_, writer) in lock().iter() {
                        let _ = writer.try_send(message.clone());
                    }
                }
                Ok(())
            }
            .await;
            lock().retain(|(other, _)| *other != id);
            return result;
        }
    }
    Ok(())
}

/// The hub's counters on stderr every 5 s, while they change.
async fn report(hub: Hub) {
    let mut last = hub.stats();
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let stats = hub.stats();
        if stats != last {
            eprintln!("{stats:?}");
            last = stats;
        }
    }
}
