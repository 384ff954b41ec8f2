//! The Autobahn|Testsuite client driver: asks the fuzzing server for its case count, runs every
//! case as an echo client, then asks it to write the reports.
//!
//! ```text
//! cargo run --release -p tether-tokio --example autobahn_client -- ws://127.0.0.1:PORT AGENT
//! ```

use std::error::Error;

use tether_tokio::{Message, SocketConfig, connect_with};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .ok_or("usage: autobahn_client ws://HOST:PORT AGENT")?;
    let base = base.trim_end_matches('/').to_string();
    let agent = args.next().unwrap_or_else(|| "tether-tokio".to_string());
    // The suite sends messages up to 16 MiB and waits for answers at its own pace.
    let config = SocketConfig::default()
        .max_message_size(64 << 20)
        .read_timeout(None)
        .keepalive_interval(None);

    let mut ws = connect_with(&format!("{base}/getCaseCount"), &config).await?;
    let count: u32 = match ws.recv().await? {
        Some(Message::Text(text)) => text.trim().parse()?,
        other => return Err(format!("unexpected case count answer: {other:?}").into()),
    };
    drop(ws);
    println!("{count} cases");

    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        match run_case(&url, &config).await {
            Ok(()) => {}
            Err(e) => println!("case {case}: {e}"),
        }
    }

    let mut ws = connect_with(&format!("{base}/updateReports?agent={agent}"), &config).await?;
    // The server closes once the reports are written.
    while ws.recv().await?.is_some() {}
    println!("reports updated");
    Ok(())
}

/// Echoes every message until the connection ends.
async fn run_case(url: &str, config: &SocketConfig) -> Result<(), tether_tokio::Error> {
    let mut ws = connect_with(url, config).await?;
    let mut buf = Vec::new();
    while let Some(kind) = ws.recv_into(&mut buf).await? {
        ws.feed_as(kind, &buf).await?;
    }
    Ok(())
}
