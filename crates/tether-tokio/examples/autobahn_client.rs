//! The Autobahn|Testsuite client driver: asks the fuzzing server for its case count, runs every
//! case as an echo client, then asks it to write the reports.
//!
//! ```text
//! cargo run --release -p tether-tokio --example autobahn_client -- ws://127.0.0.1:PORT AGENT
//! ```

use std::error::Error;

use tether_tokio::{ClientConfig, Config};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .ok_or("usage: autobahn_client ws://HOST:PORT AGENT")?;
    let base = base.trim_end_matches('/').to_string();
    let agent = args.next().unwrap_or_else(|| "tether-tokio".to_string());
    // The suite sends messages up to 16 MiB and waits for answers at its own pace.
    let config = ClientConfig::default()
        .config(
            Config::default()
                .max_message_size(64 << 20)
                .ping_interval(None),
        )
        .read_timeout(None);

    let mut ws = tether_tokio::connect(&format!("{base}/getCaseCount"), &config).await?;
    let answer = ws.recv().await?;
    let count: u32 = match answer.as_ref().and_then(|m| m.as_text()) {
        Some(text) => text.trim().parse()?,
        None => return Err(format!("unexpected case count answer: {answer:?}").into()),
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

    let mut ws =
        tether_tokio::connect(&format!("{base}/updateReports?agent={agent}"), &config).await?;
    // The server closes once the reports are written.
    while ws.recv().await?.is_some() {}
    println!("reports updated");
    Ok(())
}

/// Echoes every message until the connection ends.
async fn run_case(url: &str, config: &ClientConfig) -> Result<(), tether_tokio::Error> {
    let mut ws = tether_tokio::connect(url, config).await?;
    while let Some(message) = ws.recv().await? {
        ws.feed(message).await?;
    }
    Ok(())
}
