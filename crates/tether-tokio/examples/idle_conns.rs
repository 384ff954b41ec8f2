//! Opens many idle WebSocket connections to the `echo_server` example and reports the
//! server's resident memory per connection.
//!
//! ```text
//! cargo build --release -p tether-tokio --examples
//! cargo run --release -p tether-tokio --example idle_conns -- [COUNT] [--threads N]
//!     [--tls] [--deflate] [--no-context-takeover]
//! ```
//!
//! It starts the sibling `echo_server` binary (built next to this one) on a free loopback
//! port with `--threads N` (default 2: a multi-thread runtime), raises the open-file limit
//! (in this process, which the server inherits), opens COUNT connections (default 10 000),
//! checks each with one echoed message, lets them sit idle, and reads the server's `VmRSS`
//! from `/proc` before and after.
//!
//! The connections are plain (no TLS, no compression) unless asked:
//!
//! - `--tls`: `wss`, with a self-signed certificate made for the run (rcgen) that the clients
//!   trust;
//! - `--deflate`: the clients offer permessage-deflate (the server accepts with its defaults)
//!   and each echoes a 1 KiB JSON message, which is compressed both ways;
//! - `--no-context-takeover`: with `--deflate`, the clients ask for no context takeover both
//!   ways, so an idle connection needs no compressor or decompressor state.

use std::error::Error;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tether_proto::deflate::DeflateConfig;
use tether_tokio::{ClientConfig, Config, Message, TlsOptions};

/// What the connections are.
#[derive(Clone, Copy, Debug, Default)]
struct Mode {
    tls: bool,
    deflate: bool,
    no_context_takeover: bool,
}

impl Mode {
    fn name(self) -> &'static str {
        match (self.tls, self.deflate, self.no_context_takeover) {
            (false, false, _) => "plain",
            (true, false, _) => "tls",
            (false, true, false) => "deflate",
            (false, true, true) => "deflate-no-context-takeover",
            (true, true, false) => "tls+deflate",
            (true, true, true) => "tls+deflate-no-context-takeover",
        }
    }

    /// The clients' config (`roots_pem`: the certificate to trust, with TLS).
    fn client_config(self, roots_pem: Option<&[u8]>) -> Result<ClientConfig, Box<dyn Error>> {
        let deflate = self.deflate.then(|| {
            DeflateConfig::default()
                .server_no_context_takeover(self.no_context_takeover)
                .client_no_context_takeover(self.no_context_takeover)
        });
        let mut config = ClientConfig::default().config(Config::default().deflate(deflate));
        if let Some(pem) = roots_pem {
            config = config.tls(TlsOptions::default().add_roots_pem(pem)?);
        }
        Ok(config)
    }

    /// The message each connection echoes once: compressible JSON with deflate.
    fn message(self) -> Message {
        if !self.deflate {
            return Message::text("hi");
        }
        let mut json = String::from("[");
        while json.len() < 1000 {
            json.push_str(r#"{"user":"alice","text":"hello, idle world","n":42},"#);
        }
        json.push_str("{}]");
        Message::text(json)
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut count = 10_000usize;
    let mut threads = 2usize;
    let mut mode = Mode::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().ok_or("--threads needs a number")?.parse()?,
            "--tls" => mode.tls = true,
            "--deflate" => mode.deflate = true,
            "--no-context-takeover" => mode.no_context_takeover = true,
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
    let mut server_args = vec![
        "127.0.0.1:0".to_string(),
        "--threads".to_string(),
        threads.to_string(),
    ];
    // A self-signed certificate for 127.0.0.1, in files the server reads.
    let mut cert_pem = None;
    let dir = std::env::temp_dir().join(format!("tether-idle-conns-{}", std::process::id()));
    if mode.tls {
        let key = rcgen::KeyPair::generate()?;
        let cert =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])?.self_signed(&key)?;
        std::fs::create_dir_all(&dir)?;
        let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert_path, cert.pem())?;
        std::fs::write(&key_path, key.serialize_pem())?;
        server_args.push("--tls".to_string());
        server_args.push(cert_path.display().to_string());
        server_args.push(key_path.display().to_string());
        cert_pem = Some(cert.pem());
    }
    let mut server = Command::new(&server_path)
        .args(&server_args)
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
    let _ = std::fs::remove_dir_all(&dir);
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .ok_or("no address in the server's first line")?
        .to_string();
    println!("server {pid} at {addr}: {}", line.trim());

    let config = mode.client_config(cert_pem.as_deref().map(str::as_bytes))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = runtime.block_on(measure(&addr, &mut server, count, mode, config));
    let _ = server.kill();
    let _ = server.wait();
    result
}

async fn measure(
    addr: &str,
    server: &mut Child,
    count: usize,
    mode: Mode,
    config: ClientConfig,
) -> Result<(), Box<dyn Error>> {
    let pid = server.id();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_kib(pid)?;
    let start = Instant::now();
    let scheme = if mode.tls { "wss" } else { "ws" };
    let url = format!("{scheme}://{addr}/");
    let message = mode.message();
    let mut sockets = Vec::with_capacity(count);
    // Connect in waves, so the listen queue never overflows.
    for wave in (0..count).collect::<Vec<_>>().chunks(200) {
        let mut tasks = Vec::new();
        for _ in wave {
            let (url, config, message) = (url.clone(), config.clone(), message.clone());
            tasks.push(tokio::spawn(async move {
                let mut ws = tether_tokio::connect(&url, &config).await?;
                if ws.info().negotiated.deflate().is_some() != mode.deflate {
                    return Err("compression was not negotiated as asked".into());
                }
                ws.send(message.clone()).await?;
                match ws.recv().await? {
                    Some(echo) if echo == message => Ok(ws),
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
        "IDLE_RESULT mode={} connections={count} connect_secs={:.2} server_rss_before_kib={before} \
         server_rss_after_kib={after} bytes_per_connection={per:.0}",
        mode.name(),
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
