//! Opens many idle WebSocket connections to the `echo_server` example and reports the
//! server's resident memory per connection.
//!
//! ```text
//! cargo build --release -p tether-tokio --examples
//! cargo run --release -p tether-tokio --example idle_conns -- [COUNT] [--threads N]
//! ```
//!
//! It starts the sibling `echo_server` binary (built next to this one) on a free loopback
//! port with `--threads N` (default 2: a multi-thread runtime), raises the open-file limit
//! (in this process, which the server inherits), opens COUNT connections (default 10 000),
//! checks each with one echoed message, lets them sit idle, and reads the server's `VmRSS`
//! from `/proc` before and after.

use std::error::Error;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tether_tokio::ClientConfig;

fn main() -> Result<(), Box<dyn Error>> {
    let mut count = 10_000usize;
    let mut threads = 2usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().ok_or("--threads needs a number")?.parse()?,
            n => count = n.parse()?,
        }
    }
    // One descriptor per connection here (the client ends) and one in the server.
    let want = count as u64 + 1024;
    let (_, hard) = rlimit::Resource::NOFILE.get()?;
    rlimit::Resource::NOFILE.set(want.min(hard), hard)?;
    println!("open-file limit raised to {}", want.min(hard));

    let server_path = std::env::current_exe()?
        .parent()
        .ok_or("no examples directory")?
        .join("echo_server");
    let mut server = Command::new(&server_path)
        .args(["127.0.0.1:0", "--threads", &threads.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start {}: {e} (build the examples first)",
                server_path.display()
            )
        })?;
    let pid = server.id();
    let mut line = String::new();
    BufReader::new(server.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .ok_or("no address in the server's first line")?
        .to_string();
    println!("server {pid} at {addr}: {}", line.trim());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = runtime.block_on(measure(&addr, &mut server, count));
    let _ = server.kill();
    let _ = server.wait();
    result
}

async fn measure(addr: &str, server: &mut Child, count: usize) -> Result<(), Box<dyn Error>> {
    let pid = server.id();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_kib(pid)?;
    let start = Instant::now();
    let config = ClientConfig::default();
    let url = format!("ws://{addr}/");
    let mut sockets = Vec::with_capacity(count);
    // Connect in waves, so the listen queue never overflows.
    for wave in (0..count).collect::<Vec<_>>().chunks(200) {
        let mut tasks = Vec::new();
        for _ in wave {
            let (url, config) = (url.clone(), config.clone());
            tasks.push(tokio::spawn(async move {
                let mut ws = tether_tokio::connect(&url, &config).await?;
                ws.send("hi").await?;
                match ws.recv().await? {
                    Some(echo) if echo.as_text() == Some("hi") => Ok(ws),
                    other => Err(format!("unexpected echo {other:?}").into()),
                }
            }));
        }
        for task in tasks {
            let ws: Result<_, Box<dyn Error + Send + Sync>> = task.await?;
            sockets.push(ws.map_err(|e| e.to_string())?);
        }
    }
    let connected = start.elapsed();
    // Idle for a moment, then measure.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(pid)?;
    let per = (after.saturating_sub(before) as f64) * 1024.0 / count as f64;
    println!(
        "IDLE_RESULT connections={count} connect_secs={:.2} server_rss_before_kib={before} \
         server_rss_after_kib={after} bytes_per_connection={per:.0}",
        connected.as_secs_f64()
    );
    // Stop the server before the clients go, so it does not report 10 000 resets.
    let _ = server.kill();
    drop(sockets);
    Ok(())
}

fn rss_kib(pid: u32) -> Result<u64, Box<dyn Error>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS".into())
}
