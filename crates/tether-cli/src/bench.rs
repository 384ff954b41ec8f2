//! `tether bench`: keeps `--depth` messages in flight on each of `--conns` connections to an
//! echo endpoint for `--duration`, then prints throughput and latency.
//!
//! Kept cheap so that the server is what gets measured: one pre-built message whose payload
//! every send shares (a reference count, no copy to queue it) and a fixed ring of send times
//! per connection, `feed` queues the next message after each reply and the socket writes
//! everything queued in one go when no more input is ready, latencies go into a fixed-size
//! [`Histogram`], shared counters are updated every few hundred messages, and the runtime is
//! current-thread unless `--threads` says otherwise.

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use tether_tokio::{ClientConfig, CloseCode, Error, Message, MessageKind, MessageSocket};

use crate::cli::BenchArgs;
use crate::client;
use crate::errors::{self, CliError};
use crate::histogram::Histogram;

/// Messages between updates of the shared counters.
const PUBLISH_EVERY: u64 = 256;

/// Counters every connection adds to, read by the progress line.
#[derive(Debug, Default)]
struct Counters {
    messages: AtomicU64,
    bytes: AtomicU64,
    errors: AtomicU64,
}

/// What one connection measured.
struct Outcome {
    histogram: Histogram,
    messages: u64,
    bytes: u64,
    errors: u64,
    failure: Option<String>,
}

/// What the final table shows.
#[derive(Debug)]
pub struct Report {
    /// Replies received within the duration.
    pub messages: u64,
    /// Payload bytes of those replies.
    pub bytes: u64,
    /// Failed connections and wrong replies.
    pub errors: u64,
    /// The measured time.
    pub elapsed: Duration,
    /// Round-trip times in nanoseconds.
    pub latency: Histogram,
}

impl Report {
    /// Writes the table.
    ///
    /// # Errors
    ///
    /// When `out` fails.
    pub fn write(&self, out: &mut impl Write, title: &str) -> std::io::Result<()> {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let ms = |ns: u64| format!("{:.3} ms", ns as f64 / 1e6);
        writeln!(out, "{title}")?;
        let rows = [
            (
                "messages/s",
                group((self.messages as f64 / secs).round() as u64),
            ),
            (
                "MiB/s",
                format!("{:.1}", self.bytes as f64 / secs / (1 << 20) as f64),
            ),
            ("latency p50", ms(self.latency.quantile(0.50))),
            ("latency p99", ms(self.latency.quantile(0.99))),
            ("latency max", ms(self.latency.max())),
            ("messages", group(self.messages)),
            ("errors", group(self.errors)),
        ];
        for (name, value) in rows {
            writeln!(out, "  {name:<12} {value:>14}")?;
        }
        Ok(())
    }
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Runs `tether bench` on its own runtime; returns the exit code (1 when errors were seen).
///
/// # Errors
///
/// Bad arguments, or no connection could be made (explained).
pub fn run(args: BenchArgs) -> Result<u8, CliError> {
    // No keepalive pings: replies flow all the time, and pings would be measured too.
    let config = client::config(&args.client, &args.url, Duration::ZERO)?;
    crate::runtime(args.threads)?.block_on(bench(args, config))
}

async fn bench(args: BenchArgs, config: ClientConfig) -> Result<u8, CliError> {
    let kind = if args.text {
        MessageKind::Text
    } else {
        MessageKind::Binary
    };
    // Letters, so the same bytes are valid text.
    let letters: String = (0..args.size)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let payload = match kind {
        MessageKind::Text => Message::text(letters),
        MessageKind::Binary => Message::binary(letters.into_bytes()),
    };
    let depth = args.depth as usize;

    let mut sockets = Vec::with_capacity(args.conns as usize);
    let mut connect_errors = 0;
    for _ in 0..args.conns {
        match client::open(&args.url, &config, &args.client).await {
            Ok(ws) => sockets.push(ws),
            Err(e) if sockets.is_empty() => return Err(e),
            Err(e) => {
                connect_errors += 1;
                eprintln!("tether: {e}");
            }
        }
    }

    let counters = Arc::new(Counters::default());
    counters.errors.store(connect_errors, Relaxed);
    let start = Instant::now();
    let deadline = tokio::time::Instant::from_std(start + args.duration);
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|ws| {
            let payload = payload.clone();
            let counters = Arc::clone(&counters);
            tokio::spawn(drive(ws, payload, depth, deadline, counters))
        })
        .collect();
    let progress = tokio::spawn(progress(Arc::clone(&counters), start, args.duration));

    let mut report = Report {
        messages: 0,
        bytes: 0,
        errors: connect_errors,
        elapsed: Duration::ZERO,
        latency: Histogram::new(),
    };
    let mut failures = Vec::new();
    for task in tasks {
        match task.await {
            Ok(outcome) => {
                report.messages += outcome.messages;
                report.bytes += outcome.bytes;
                report.errors += outcome.errors;
                report.latency.merge(&outcome.histogram);
                failures.extend(outcome.failure);
            }
            Err(e) => {
                report.errors += 1;
                failures.push(format!("a connection's task failed: {e}"));
            }
        }
    }
    report.elapsed = start
        .elapsed()
        .min(args.duration)
        .max(Duration::from_millis(1));
    progress.abort();
    let _ = progress.await;
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[K");
    }
    failures.sort();
    failures.dedup();
    for f in &failures {
        eprintln!("tether: {f}");
    }

    let title = format!(
        "tether bench: {} · {} connection{} × {} in flight · {}-byte {} messages · {:.1} s",
        client::redact(&args.url),
        args.conns,
        if args.conns == 1 { "" } else { "s" },
        depth,
        args.size,
        if kind == MessageKind::Text {
            "text"
        } else {
            "binary"
        },
        report.elapsed.as_secs_f64()
    );
    let mut out = std::io::stdout().lock();
    report
        .write(&mut out, &title)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::new(errors::FAILED, format!("cannot write stdout: {e}")))?;
    Ok(if report.errors == 0 {
        errors::OK
    } else {
        errors::FAILED
    })
}

/// One connection: `depth` messages out, then one more for every reply until the deadline.
async fn drive(
    mut ws: MessageSocket,
    payload: Message,
    depth: usize,
    deadline: tokio::time::Instant,
    counters: Arc<Counters>,
) -> Outcome {
    let mut out = Outcome {
        histogram: Histogram::new(),
        messages: 0,
        bytes: 0,
        errors: 0,
        failure: None,
    };
    // Send times of the messages in flight: replies come back in order.
    let mut in_flight: VecDeque<Instant> = VecDeque::with_capacity(depth);
    let (mut published_messages, mut published_bytes) = (0, 0);

    let started = async {
        for _ in 0..depth {
            ws.feed(payload.clone()).await?;
            in_flight.push_back(Instant::now());
        }
        ws.flush().await
    };
    if let Err(e) = started.await {
        out.errors += 1;
        out.failure = Some(errors::after_connect(&e).message);
        counters.errors.fetch_add(1, Relaxed);
        return out;
    }
    loop {
        let Ok(received) = tokio::time::timeout_at(deadline, ws.recv()).await else {
            break; // the duration is over
        };
        match received {
            Ok(Some(reply)) => {
                let now = Instant::now();
                match in_flight.pop_front() {
                    Some(sent) => out
                        .histogram
                        .record(now.duration_since(sent).as_nanos() as u64),
                    None => out.errors += 1, // a message we did not ask for
                }
                if reply.len() != payload.len() {
                    out.errors += 1;
                }
                out.messages += 1;
                out.bytes += reply.len() as u64;
                if out.messages - published_messages >= PUBLISH_EVERY {
                    counters
                        .messages
                        .fetch_add(out.messages - published_messages, Relaxed);
                    counters
                        .bytes
                        .fetch_add(out.bytes - published_bytes, Relaxed);
                    (published_messages, published_bytes) = (out.messages, out.bytes);
                }
                if let Err(e) = ws.feed(payload.clone()).await {
                    out.errors += 1;
                    out.failure = Some(errors::after_connect(&e).message);
                    break;
                }
                in_flight.push_back(now);
            }
            Ok(None) => {
                out.errors += 1;
                let close = ws.close_frame().map_or_else(
                    || "1005".to_string(),
                    |f| format!("{}{}", f.code.as_u16(), errors::quoted_reason(&f.reason)),
                );
                out.failure = Some(format!(
                    "the server closed a connection during the run: {close}"
                ));
                break;
            }
            Err(Error::Closed { code, reason }) if code != CloseCode::ABNORMAL => {
                out.errors += 1;
                out.failure = Some(format!(
                    "the server closed a connection during the run: {}{}",
                    code.as_u16(),
                    errors::quoted_reason(&reason)
                ));
                break;
            }
            Err(e) => {
                out.errors += 1;
                out.failure = Some(errors::after_connect(&e).message);
                break;
            }
        }
    }
    if out.failure.is_none() {
        // Replies still in flight are dropped by the close handshake.
        let _ = tokio::time::timeout(Duration::from_secs(5), ws.close(CloseCode::NORMAL, "")).await;
    }
    counters
        .messages
        .fetch_add(out.messages - published_messages, Relaxed);
    counters
        .bytes
        .fetch_add(out.bytes - published_bytes, Relaxed);
    counters.errors.fetch_add(out.errors, Relaxed);
    out
}

/// Prints the rate every second: one line rewritten in place on a terminal, plain lines
/// otherwise (to stderr; the table goes to stdout).
async fn progress(counters: Arc<Counters>, start: Instant, duration: Duration) {
    let tty = std::io::stderr().is_terminal();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let (mut last_messages, mut last_bytes, mut last_at) = (0, 0, start);
    loop {
        tick.tick().await;
        let now = Instant::now();
        let messages = counters.messages.load(Relaxed);
        let bytes = counters.bytes.load(Relaxed);
        let errors = counters.errors.load(Relaxed);
        let secs = now.duration_since(last_at).as_secs_f64().max(1e-9);
        let line = format!(
            "{:>4.0}/{:.0} s  {:>12} msg/s  {:>8.1} MiB/s  {} errors",
            now.duration_since(start).as_secs_f64(),
            duration.as_secs_f64(),
            group(((messages - last_messages) as f64 / secs).round() as u64),
            (bytes - last_bytes) as f64 / secs / (1 << 20) as f64,
            errors
        );
        if tty {
            eprint!("\r\x1b[K{line}");
        } else {
            eprintln!("{line}");
        }
        (last_messages, last_bytes, last_at) = (messages, bytes, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
    }

    #[test]
    fn the_table_has_every_row() {
        let mut latency = Histogram::new();
        latency.record(150_000);
        let report = Report {
            messages: 2_000_000,
            bytes: 128 << 20,
            errors: 0,
            elapsed: Duration::from_secs(2),
            latency,
        };
        let mut out = Vec::new();
        report.write(&mut out, "title").unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<Vec<&str>> = text
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(rows[1], ["messages/s", "1,000,000"], "{text}");
        assert_eq!(rows[2], ["MiB/s", "64.0"], "{text}");
        assert_eq!(rows[4], ["latency", "p99", "0.150", "ms"], "{text}");
        assert_eq!(rows[7], ["errors", "0"], "{text}");
    }
}
