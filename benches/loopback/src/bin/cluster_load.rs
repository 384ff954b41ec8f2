//! Fan-out load client for `tether serve --mode broadcast`: one server, or several joined
//! through Redis (`--redis`). Raw TCP through `mio`, one thread, like `loadgen`.
//!
//! ```text
//! cluster_load --servers ADDR[,ADDR...] [--subscribers N] [--rate R | --window W] [--size BYTES]
//!        [--duration SECS] [--warmup SECS] [--pids PID,...] [--label NAME]
//! ```
//!
//! Opens `--subscribers` connections to each server (they only read), and one publisher on
//! the first server. Every message carries its sequence number and the time it was sent, so
//! each delivery's latency (publisher's write to a subscriber's read, one clock: this process)
//! is known. `--rate R` publishes R messages a second (open loop: latency at a given load);
//! `--window W` keeps W messages not yet read by every subscriber (closed loop: as many
//! deliveries as the servers manage).
//!
//! After `--warmup` seconds the counters are reset and `--duration` seconds are measured; then
//! publishing stops and the client waits (up to 5 s) for what is in flight. Prints one line of
//! `key=value` pairs: `deliveries_per_s`, `msgs_per_s`, `p50_us`, `p99_us`, `max_us`,
//! `missing` (deliveries of measured messages that never came), the CPU share of this client
//! and (with `--pids`) of the listed processes. Exits with status 1 when something is missing.

use std::error::Error;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream as StdTcpStream};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const MASK: [u8; 4] = [0x5a, 0x17, 0xc3, 0x01];
/// Receipts are counted per message in a ring this long (messages in flight stay far below).
const RING: usize = 1 << 16;
const PUBLISHER: Token = Token(usize::MAX);

struct Options {
    servers: Vec<SocketAddr>,
    subscribers: usize,
    rate: Option<f64>,
    window: usize,
    size: usize,
    duration: Duration,
    warmup: Duration,
    pids: Vec<String>,
    label: String,
}

fn parse_args() -> Result<Options, Box<dyn Error>> {
    let mut o = Options {
        servers: Vec::new(),
        subscribers: 100,
        rate: None,
        window: 4,
        size: 64,
        duration: Duration::from_secs(5),
        warmup: Duration::from_secs(1),
        pids: Vec::new(),
        label: "cluster".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--servers" => {
                o.servers = value()?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?;
            }
            "--subscribers" => o.subscribers = value()?.parse()?,
            "--rate" => o.rate = Some(value()?.parse()?),
            "--window" => o.window = value()?.parse()?,
            "--size" => o.size = value()?.parse()?,
            "--duration" => o.duration = Duration::from_secs_f64(value()?.parse()?),
            "--warmup" => o.warmup = Duration::from_secs_f64(value()?.parse()?),
            "--pids" => o.pids = value()?.split(',').map(String::from).collect(),
            "--label" => o.label = value()?,
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    if o.servers.is_empty() || o.subscribers == 0 || o.window == 0 || o.size < 16 {
        return Err("--servers is required; --subscribers, --window >= 1; --size >= 16".into());
    }
    Ok(o)
}

/// Connects and upgrades (blocking), then hands the socket to mio.
fn open(addr: SocketAddr) -> Result<TcpStream, Box<dyn Error>> {
    let mut tcp = StdTcpStream::connect(addr)?;
    tcp.set_nodelay(true)?;
    write!(
        tcp,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if tcp.read(&mut byte)? == 0 {
            return Err("closed during the handshake".into());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    if !head.starts_with("HTTP/1.1 101") || !head.contains(ACCEPT) {
        return Err(format!("upgrade refused: {head}").into());
    }
    tcp.set_nonblocking(true)?;
    Ok(TcpStream::from_std(tcp))
}

fn masked_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(payload.len() + 8);
    f.push(0x80 | opcode);
    let len = payload.len();
    if len < 126 {
        f.push(0x80 | len as u8);
    } else {
        f.push(0x80 | 126);
        f.extend_from_slice(&(len as u16).to_be_bytes());
    }
    f.extend_from_slice(&MASK);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    f
}

/// One complete server frame at the start of `buf`: (opcode, payload range, frame length).
fn frame(buf: &[u8]) -> Option<(u8, std::ops::Range<usize>, usize)> {
    let (&b0, &b1) = (buf.first()?, buf.get(1)?);
    let (len, at) = match b1 & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?), 10),
        n => (u64::from(n), 2),
    };
    let end = at + usize::try_from(len).ok()?;
    (buf.len() >= end).then_some((b0 & 0x0f, at..end, end))
}

struct Conn {
    tcp: TcpStream,
    pending: Vec<u8>,
}

fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ').skip(11);
    Some(fields.next()?.parse::<u64>().ok()? + fields.next()?.parse::<u64>().ok()?)
}

struct Run {
    start: Instant,
    /// Receipts per message (by sequence number modulo the ring).
    receipts: Vec<u32>,
    /// The first sequence number not yet read by every subscriber.
    complete: u64,
    sent: u64,
    subscribers: u32,
    /// The messages measured (latency, missing): sent during the measurement.
    measured: std::ops::Range<u64>,
    /// Whether receipts now count as deliveries of the measurement window.
    measuring: bool,
    deliveries: u64,
    latencies: Vec<u64>,
    /// Whether some message reached every subscriber (the probe did).
    reached_all: bool,
}

impl Run {
    fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    fn receipt(&mut self, payload: &[u8]) {
        let seq = u64::from_be_bytes(payload[..8].try_into().expect("8 bytes"));
        let sent_at = u64::from_be_bytes(payload[8..16].try_into().expect("8 bytes"));
        if seq < self.complete {
            return; // a probe given up on, arriving late
        }
        self.receipts[(seq as usize) % RING] += 1;
        while self.complete < self.sent
            && self.receipts[(self.complete as usize) % RING] >= self.subscribers
        {
            self.receipts[(self.complete as usize) % RING] = 0;
            self.complete += 1;
            self.reached_all = true;
        }
        if self.measuring {
            self.deliveries += 1;
        }
        if self.measured.contains(&seq) {
            self.latencies.push(self.now_ns().saturating_sub(sent_at));
        }
    }

    fn publish(&mut self, payload: &mut [u8], out: &mut Vec<u8>) {
        payload[..8].copy_from_slice(&self.sent.to_be_bytes());
        payload[8..16].copy_from_slice(&self.now_ns().to_be_bytes());
        out.extend_from_slice(&masked_frame(0x2, payload));
        self.sent += 1;
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let o = parse_args()?;
    let mut poll = Poll::new()?;
    let mut conns = Vec::new();
    for server in &o.servers {
        for _ in 0..o.subscribers {
            let mut tcp = open(*server)?;
            poll.registry()
                .register(&mut tcp, Token(conns.len()), Interest::READABLE)?;
            conns.push(Conn {
                tcp,
                pending: Vec::new(),
            });
        }
    }
    let mut publisher = open(o.servers[0])?;
    poll.registry()
        .register(&mut publisher, PUBLISHER, Interest::READABLE)?;
    // Let every server join its subscribers (and subscribe to Redis) before measuring: the
    // warm-up starts only once a probe reached everyone.
    let subscribers = (o.subscribers * o.servers.len()) as u32;
    let mut run = Run {
        start: Instant::now(),
        receipts: vec![0; RING],
        complete: 0,
        sent: 0,
        subscribers,
        measured: u64::MAX..u64::MAX,
        measuring: false,
        deliveries: 0,
        latencies: Vec::new(),
        reached_all: false,
    };
    let mut probed_at = Instant::now();
    let mut events = Events::with_capacity(4096);
    let mut buf = vec![0u8; 256 * 1024];
    let mut payload = vec![0u8; o.size];
    let mut pub_pending: Vec<u8> = Vec::new();
    let interval = o.rate.map(|r| Duration::from_secs_f64(1.0 / r));
    let mut next_send = Instant::now();
    // Phases: a probe (one message, until every subscriber has it: every server joined its
    // subscribers and subscribed to Redis), the warm-up, the measurement, the drain.
    let mut phase_end: Option<Instant> = None;
    let mut stopped_at: Option<Instant> = None;
    let mut cpu_before: Vec<Option<u64>> = Vec::new();
    let mut self_before = None;
    let mut measure_start = Instant::now();
    let mut elapsed = Duration::ZERO;
    loop {
        let now = Instant::now();
        if phase_end.is_none() && run.reached_all {
            phase_end = Some(now + o.warmup);
            next_send = now;
        } else if let Some(end) = phase_end
            && now >= end
            && stopped_at.is_none()
        {
            if run.measuring {
                elapsed = now - measure_start;
                run.measured.end = run.sent;
                run.measuring = false;
                stopped_at = Some(now);
            } else {
                run.measuring = true;
                run.measured = run.sent..u64::MAX;
                measure_start = now;
                phase_end = Some(now + o.duration);
                cpu_before = o.pids.iter().map(|p| cpu_ticks(p)).collect();
                self_before = cpu_ticks("self");
            }
        }
        if let Some(stop) = stopped_at
            && (run.complete >= run.sent || now - stop > Duration::from_secs(5))
        {
            break;
        }
        // Publish what is due.
        if stopped_at.is_none() {
            let room = |run: &Run| run.sent - run.complete < (RING / 2) as u64;
            if phase_end.is_none() {
                // A probe that did not reach everyone (a server had not subscribed yet) is
                // given up after a while, and another one sent.
                if run.sent == 0 || now - probed_at > Duration::from_millis(500) {
                    for seq in run.complete..run.sent {
                        run.receipts[(seq as usize) % RING] = 0;
                    }
                    run.complete = run.sent;
                    run.publish(&mut payload, &mut pub_pending);
                    probed_at = now;
                }
            } else if let Some(iv) = interval {
                while Instant::now() >= next_send && room(&run) {
                    run.publish(&mut payload, &mut pub_pending);
                    next_send += iv;
                }
            } else {
                while run.sent - run.complete < o.window as u64 {
                    run.publish(&mut payload, &mut pub_pending);
                }
            }
        }
        while !pub_pending.is_empty() {
            match publisher.write(&pub_pending) {
                Ok(n) => {
                    pub_pending.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e.into()),
            }
        }
        let timeout = match interval {
            Some(_) if stopped_at.is_none() => {
                Some(next_send.saturating_duration_since(Instant::now()))
            }
            _ => Some(Duration::from_millis(10)),
        };
        poll.poll(&mut events, timeout)?;
        for event in &events {
            if event.token() == PUBLISHER {
                // Its own messages come back too (everyone in the room gets them): drained.
                loop {
                    match publisher.read(&mut buf) {
                        Ok(0) => return Err("the server closed the publisher".into()),
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e.into()),
                    }
                }
                continue;
            }
            let conn = &mut conns[event.token().0];
            loop {
                match conn.tcp.read(&mut buf) {
                    Ok(0) => return Err("the server closed a subscriber".into()),
                    Ok(n) => conn.pending.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e.into()),
                }
            }
            let mut at = 0;
            while let Some((opcode, range, len)) = frame(&conn.pending[at..]) {
                let data = &conn.pending[at + range.start..at + range.end];
                match opcode {
                    0x2 if data.len() >= 16 => run.receipt(data),
                    0x9 => {
                        let pong = masked_frame(0xA, data);
                        conn.tcp.write_all(&pong)?;
                    }
                    0x8 => return Err("the server closed a subscriber".into()),
                    _ => {}
                }
                at += len;
            }
            conn.pending.drain(..at);
        }
    }
    let sent_measured = run.measured.end - run.measured.start;
    let expected = sent_measured * u64::from(subscribers);
    let missing = expected.saturating_sub(run.latencies.len() as u64);
    let secs = elapsed.as_secs_f64();
    run.latencies.sort_unstable();
    let q = |q: f64| {
        let l = &run.latencies;
        if l.is_empty() {
            return 0.0;
        }
        l[((q * l.len() as f64).ceil() as usize).clamp(1, l.len()) - 1] as f64 / 1000.0
    };
    let cpu = |before: Option<u64>, pid: &str| match (before, cpu_ticks(pid)) {
        (Some(b), Some(a)) => format!("{:.0}", (a - b) as f64 / 100.0 / secs * 100.0),
        _ => "-".into(),
    };
    let pids_cpu: Vec<String> = o
        .pids
        .iter()
        .zip(&cpu_before)
        .map(|(pid, before)| cpu(*before, pid))
        .collect();
    println!(
        "label={} servers={} subscribers={} size={} mode={} msgs_per_s={:.0} deliveries_per_s={:.0} \
         p50_us={:.0} p99_us={:.0} max_us={:.0} missing={} client_cpu_pct={} cpu_pct={}",
        o.label,
        o.servers.len(),
        subscribers,
        o.size,
        o.rate
            .map_or_else(|| format!("window{}", o.window), |r| format!("rate{r}")),
        sent_measured as f64 / secs,
        run.deliveries as f64 / secs,
        q(0.5),
        q(0.99),
        q(1.0),
        missing,
        cpu(self_before, "self"),
        pids_cpu.join(","),
    );
    if missing > 0 {
        std::process::exit(1);
    }
    Ok(())
}
