//! The Autobahn|Testsuite client driver.
//!
//! ```text
//! cargo run --release -p tether-std --example blocking_autobahn_client -- ws://127.0.0.1:9001 tether-std
//! ```
//!
//! Asks the fuzzing server for the number of cases (`/getCaseCount`), runs each case
//! (`/runCase?case=N&agent=AGENT`) by echoing every message until the server closes, then asks
//! it to write the reports (`/updateReports?agent=AGENT`).

use std::time::Duration;

use tether_std::{ClientConfig, Config, Error, connect};

fn config() -> ClientConfig {
    ClientConfig::default()
        .config(
            Config::default()
                .max_message_size(64 << 20)
                .ping_interval(None),
        )
        .read_timeout(Some(Duration::from_secs(120)))
}

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let base = args.next().unwrap_or_else(|| "ws://127.0.0.1:9001".into());
    let base = base.trim_end_matches('/');
    let agent = args.next().unwrap_or_else(|| "tether-std".into());

    let mut ws = connect(&format!("{base}/getCaseCount"), &config())?;
    let count: u32 = match ws.recv()? {
        Some(message) => message
            .as_text()
            .and_then(|t| t.trim().parse().ok())
            .ok_or_else(|| Error::InvalidInput("case count is not a number".into()))?,
        None => 0,
    };
    let _ = ws.close(tether_std::CloseCode::NORMAL, "");
    println!("{count} cases");

    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        match run_case(&url) {
            Ok(()) => {}
            Err(e) => println!("case {case}: {e}"),
        }
    }

    let mut ws = connect(&format!("{base}/updateReports?agent={agent}"), &config())?;
    while ws.recv()?.is_some() {}
    println!("reports updated");
    Ok(())
}

/// Echoes every message until the server closes.
fn run_case(url: &str) -> Result<(), Error> {
    let mut ws = connect(url, &config())?;
    while let Some(message) = ws.recv()? {
        ws.send(message)?;
    }
    Ok(())
}
