//! Load client of the loopback fan-out benchmark (`benches/loopback/fanout.sh`), built on none
//! of the compared WebSocket libraries: raw TCP through `mio`, one thread.
//!
//! ```text
//! fanout_load --addr 127.0.0.1:PORT [--subscribers N] [--publishers P] [--depth D]
//!             [--size BYTES|NK] [--deflate] [--slow K] [--duration SECS] [--warmup SECS]
//!             [--server-pid PID] [--label NAME]
//! ```
//!
//! It opens N subscribers, which only read, then P publishers, each keeping D messages of
//! `size` bytes in flight: a publisher sends a new message when one of its own comes back
//! (the server sends every message to every connection, the sender too). K of the N
//! subscribers (`--slow`) never read at all.
//!
//! Messages are binary: the time they were sent (ns since the client started), the publisher
//! and a sequence number in the first 16 bytes, then a fixed pattern. Every reader checks each
//! message's length and pattern, counts a delivery, records its latency (from the time in it)
//! and counts the messages it never got from each publisher (`lost`: a sequence number
//! skipped). With `--deflate` every connection offers `permessage-deflate;
//! server_no_context_takeover` and the messages are JSON-like text (a 53-byte header with the
//! same fields, then records): the handshake must accept compression and every delivery must
//! arrive compressed (RSV1); publishers inflate what they receive (each message on its own,
//! as no context takeover allows), check it and record latencies, subscribers only count.
//!
//! After `--warmup` seconds the counters are reset, `--duration` seconds are measured, then
//! the publishers stop and their messages in flight are awaited (10 s at most).
//!
//! Prints one line of `key=value` pairs: `deliveries_per_s` (all readers), `per_subscriber`
//! (deliveries per second to each reading subscriber), `published_per_s`,
//! `p50_us`/`p99_us`/`max_us` (delivery latency), `lost`, `errors`, the CPU share of the client
//! and (with `--server-pid`) of the server, and the server's resident memory at the end of the
//! measured window and at its peak (`VmRSS`, `VmHWM`). Exits with status 1 if any error was
//! seen.

use std::error::Error;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use tether_loopback::load::{
    Histogram, MASK, TICKS_PER_SEC, cpu_ticks, handshake, header, header_len, masked_header,
    memory_kib, parse_size,
};
use zlib_rs::{InflateFlush, Status};

const READ_BUF: usize = 256 * 1024;
/// Bytes of a plain message's header (time, publisher, sequence), and of a text one's.
const BIN_HEAD: usize = 16;
const TEXT_HEAD: usize = 53;
/// §7.2.2: the tail restored before inflating.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

struct Options {
    addr: SocketAddr,
    subscribers: usize,
    publishers: usize,
    depth: usize,
    size: usize,
    deflate: bool,
    slow: usize,
    duration: Duration,
    warmup: Duration,
    server_pid: Option<u32>,
    label: String,
}

fn parse_args() -> Result<Options, Box<dyn Error>> {
    let mut o = Options {
        addr: "127.0.0.1:9001".parse()?,
        subscribers: 100,
        publishers: 1,
        depth: 1,
        size: 16,
        deflate: false,
        slow: 0,
        duration: Duration::from_secs(5),
        warmup: Duration::from_secs(1),
        server_pid: None,
        label: "server".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--addr" => o.addr = value()?.parse()?,
            "--subscribers" => o.subscribers = value()?.parse()?,
            "--publishers" => o.publishers = value()?.parse()?,
            "--depth" => o.depth = value()?.parse()?,
            "--size" => o.size = parse_size(&value()?)?,
            "--deflate" => o.deflate = true,
            "--slow" => o.slow = value()?.parse()?,
            "--duration" => o.duration = Duration::from_secs_f64(value()?.parse()?),
            "--warmup" => o.warmup = Duration::from_secs_f64(value()?.parse()?),
            "--server-pid" => o.server_pid = Some(value()?.parse()?),
            "--label" => o.label = value()?,
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let head = if o.deflate { TEXT_HEAD + 2 } else { BIN_HEAD };
    if o.publishers == 0 || o.depth == 0 || o.size < head || o.slow > o.subscribers {
        return Err(format!(
            "need --publishers, --depth ≥ 1, --size ≥ {head}, --slow ≤ --subscribers"
        )
        .into());
    }
    Ok(o)
}

/// The messages: a template payload (header zeroed), masked once; each message copies it and
/// writes its own header.
struct Format {
    deflate: bool,
    /// The payload with a zeroed header, unmasked (what readers compare against) and masked.
    plain: Vec<u8>,
    masked: Vec<u8>,
}

impl Format {
    fn new(size: usize, deflate: bool) -> Self {
        let plain: Vec<u8> = if deflate {
            let mut text = String::with_capacity(size + 100);
            text.push_str(&" ".repeat(TEXT_HEAD));
            let mut i = 0u64;
            while text.len() < size {
                text.push_str(&format!(
                    "{{\"id\":{i},\"user\":\"user{}\",\"score\":{},\"active\":{}}},",
                    i % 613,
                    i.wrapping_mul(2_654_435_761) % 100_000,
                    i.is_multiple_of(3)
                ));
                i += 1;
            }
            text.truncate(size - 2);
            text.push_str("]}");
            text.into_bytes()
        } else {
            (0..size as u64)
                .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8)
                .collect()
        };
        let masked = plain
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ MASK[i % 4])
            .collect();
        Self {
            deflate,
            plain,
            masked,
        }
    }

    fn head_len(&self) -> usize {
        if self.deflate { TEXT_HEAD } else { BIN_HEAD }
    }

    /// The header of a message.
    fn head(&self, t: u64, publisher: u32, seq: u32) -> Vec<u8> {
        if self.deflate {
            format!("{{\"t\":\"{t:016x}\",\"p\":{publisher:04},\"s\":{seq:010},\"d\":[")
                .into_bytes()
        } else {
            let mut h = t.to_le_bytes().to_vec();
            h.extend_from_slice(&publisher.to_le_bytes());
            h.extend_from_slice(&seq.to_le_bytes());
            h
        }
    }

    /// (time, publisher, sequence) of a received message's payload, if it is well formed.
    fn parse(&self, payload: &[u8]) -> Option<(u64, u32, u32)> {
        if payload.len() != self.plain.len()
            || payload[self.head_len()..] != self.plain[self.head_len()..]
        {
            return None;
        }
        if self.deflate {
            let text = std::str::from_utf8(&payload[..TEXT_HEAD]).ok()?;
            let t = u64::from_str_radix(text.get(6..22)?, 16).ok()?;
            let p = text.get(28..32)?.parse().ok()?;
            let s = text.get(37..47)?.parse().ok()?;
            Some((t, p, s))
        } else {
            let t = u64::from_le_bytes(payload[0..8].try_into().ok()?);
            let p = u32::from_le_bytes(payload[8..12].try_into().ok()?);
            let s = u32::from_le_bytes(payload[12..16].try_into().ok()?);
            Some((t, p, s))
        }
    }

    /// Appends a whole masked frame of message (t, publisher, seq) to `out`.
    fn frame(&self, out: &mut Vec<u8>, t: u64, publisher: u32, seq: u32) {
        masked_header(out, if self.deflate { 1 } else { 2 }, self.masked.len());
        let start = out.len();
        out.extend_from_slice(&self.masked);
        for (i, b) in self.head(t, publisher, seq).into_iter().enumerate() {
            out[start + i] = b ^ MASK[i % 4];
        }
    }
}

struct Conn {
    stream: TcpStream,
    /// A publisher's index.
    publisher: Option<u32>,
    // Sending (publishers).
    out: Vec<u8>,
    out_off: usize,
    next_seq: u32,
    /// Sequence numbers below this came back (or were skipped by the server).
    returned: u32,
    // Receiving.
    hdr: [u8; 14],
    hdr_len: usize,
    remaining: u64,
    data: bool,
    fin: bool,
    compressed: bool,
    /// The payload of the message being received (only what the checks need of it).
    msg: Vec<u8>,
    msg_len: usize,
    /// The last sequence number seen from each publisher.
    last_seq: Vec<Option<u32>>,
    dead: bool,
}

/// What a finished message tells the counters.
struct Received {
    /// (time, publisher, sequence), when the reader could read them.
    fields: Option<(u64, u32, u32)>,
}

impl Conn {
    fn new(stream: TcpStream, publisher: Option<u32>, publishers: usize) -> Self {
        Self {
            stream,
            publisher,
            out: Vec::new(),
            out_off: 0,
            next_seq: 0,
            returned: 0,
            hdr: [0; 14],
            hdr_len: 0,
            remaining: 0,
            data: false,
            fin: false,
            compressed: false,
            msg: Vec::new(),
            msg_len: 0,
            last_seq: vec![None; publishers],
            dead: false,
        }
    }

    /// Whether this reader reads the messages' contents: every reader of plain messages, only
    /// publishers (which inflate) of compressed ones.
    fn reads_content(&self, format: &Format) -> bool {
        !format.deflate || self.publisher.is_some()
    }

    /// Feeds received bytes; calls `done` for each whole message.
    fn on_bytes(
        &mut self,
        mut data: &[u8],
        format: &Format,
        inflater: &mut Inflater,
        done: &mut dyn FnMut(&mut Self, Received),
    ) -> Result<(), String> {
        while !data.is_empty() {
            if self.remaining > 0 {
                let n = self.remaining.min(data.len() as u64) as usize;
                if self.data {
                    let keep = if self.reads_content(format) { n } else { 0 };
                    self.msg.extend_from_slice(&data[..keep]);
                    self.msg_len += n;
                }
                self.remaining -= n as u64;
                data = &data[n..];
                if self.remaining == 0 {
                    self.end_frame(format, inflater, done)?;
                }
                continue;
            }
            let want = if self.hdr_len < 2 {
                2
            } else {
                header_len(self.hdr[1])
            };
            let take = (want - self.hdr_len).min(data.len());
            self.hdr[self.hdr_len..self.hdr_len + take].copy_from_slice(&data[..take]);
            self.hdr_len += take;
            data = &data[take..];
            if self.hdr_len < want || (want == 2 && header_len(self.hdr[1]) > 2) {
                continue;
            }
            self.start_frame(format)?;
            self.hdr_len = 0;
            if self.remaining == 0 {
                self.end_frame(format, inflater, done)?;
            }
        }
        Ok(())
    }

    fn start_frame(&mut self, format: &Format) -> Result<(), String> {
        let (b0, b1) = (self.hdr[0], self.hdr[1]);
        if b1 & 0x80 != 0 {
            return Err("server frame is masked".into());
        }
        self.remaining = match b1 & 0x7f {
            126 => u64::from(u16::from_be_bytes([self.hdr[2], self.hdr[3]])),
            127 => u64::from_be_bytes(self.hdr[2..10].try_into().map_err(|_| "header")?),
            n => u64::from(n),
        };
        let opcode = b0 & 0x0f;
        self.fin = b0 & 0x80 != 0;
        let expected = if format.deflate { 1 } else { 2 };
        match opcode {
            0 if self.data => {}
            op if op == expected && !self.data => {
                self.data = true;
                self.compressed = b0 & 0x40 != 0;
                if format.deflate != self.compressed {
                    return Err(format!(
                        "RSV1 {} with deflate {}",
                        self.compressed, format.deflate
                    ));
                }
                self.msg.clear();
                self.msg_len = 0;
            }
            8 => return Err("the server closed the connection".into()),
            9 | 10 => {
                // A ping (tether's keepalive) or pong: its payload is skipped; a ping is not
                // answered (the runs are shorter than any keepalive timeout).
                self.data = false;
                self.fin = false;
            }
            op => return Err(format!("unexpected opcode {op}")),
        }
        Ok(())
    }

    fn end_frame(
        &mut self,
        format: &Format,
        inflater: &mut Inflater,
        done: &mut dyn FnMut(&mut Self, Received),
    ) -> Result<(), String> {
        if !(self.data && self.fin) {
            return Ok(());
        }
        self.data = false;
        let fields = if !self.reads_content(format) {
            None
        } else {
            let payload = if format.deflate {
                inflater.inflate(&self.msg, format.plain.len())?
            } else {
                &self.msg
            };
            Some(format.parse(payload).ok_or_else(|| {
                format!("a message of {} bytes that is not one sent", payload.len())
            })?)
        };
        let msg = std::mem::take(&mut self.msg);
        done(self, Received { fields });
        self.msg = msg;
        Ok(())
    }

    /// Writes as much of `out` as the socket takes.
    fn flush(&mut self) -> io::Result<()> {
        while self.out_off < self.out.len() {
            match self.stream.write(&self.out[self.out_off..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.out_off += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        self.out_off = 0;
        Ok(())
    }
}

/// Raw-deflate decoding of one message at a time (no context takeover: each on its own).
struct Inflater {
    state: zlib_rs::Inflate,
    input: Vec<u8>,
    out: Vec<u8>,
}

impl Inflater {
    fn new() -> Self {
        Self {
            state: zlib_rs::Inflate::new(false, 15),
            input: Vec::new(),
            out: Vec::new(),
        }
    }

    /// §7.2.2: the payload with the tail restored, inflated; at most `max + 1` bytes.
    fn inflate(&mut self, payload: &[u8], max: usize) -> Result<&[u8], String> {
        self.input.clear();
        self.input.extend_from_slice(payload);
        self.input.extend_from_slice(&TAIL);
        self.out.resize(max + 1, 0);
        self.state.reset(false);
        let before = self.state.total_out();
        let status = self
            .state
            .decompress(&self.input, &mut self.out, InflateFlush::SyncFlush)
            .map_err(|e| format!("inflate: {e:?}"))?;
        if !matches!(status, Status::Ok | Status::BufError | Status::StreamEnd) {
            return Err(format!("inflate: {status:?}"));
        }
        let made = usize::try_from(self.state.total_out() - before).unwrap_or(usize::MAX);
        Ok(&self.out[..made.min(self.out.len())])
    }
}

#[derive(Default)]
struct Stats {
    hist: Histogram,
    deliveries: u64,
    to_subscribers: u64,
    published: u64,
    lost: u64,
    errors: u64,
    first_error: Option<String>,
}

impl Stats {
    fn error(&mut self, conn: usize, msg: impl Into<String>) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(format!("connection {conn}: {}", msg.into()));
        }
    }
}

fn main() {
    match run() {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("fanout_load: {e}");
            std::process::exit(2);
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Warmup,
    Measure,
    Drain,
}

fn run() -> Result<bool, Box<dyn Error>> {
    let opts = parse_args()?;
    // One descriptor per connection, and some to spare.
    let want = (opts.subscribers + opts.publishers + 256) as u64;
    let (_, hard) = rlimit::Resource::NOFILE.get()?;
    rlimit::Resource::NOFILE.set(want.min(hard), hard)?;
    let format = Format::new(opts.size, opts.deflate);
    let offer = if opts.deflate {
        "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"
    } else {
        ""
    };

    let start = Instant::now();
    let poll = Poll::new()?;
    let mut conns: Vec<Conn> = Vec::with_capacity(opts.subscribers + opts.publishers);
    // The slow ones: connected, never read.
    let mut slow = Vec::with_capacity(opts.slow);
    for i in 0..opts.subscribers + opts.publishers {
        let (tcp, head, leftover) =
            handshake(opts.addr, offer).map_err(|e| format!("connection {i}: handshake: {e}"))?;
        if opts.deflate
            && !header(&head, "sec-websocket-extensions")
                .is_some_and(|e| e.starts_with("permessage-deflate"))
        {
            return Err(
                format!("connection {i}: the server did not accept permessage-deflate").into(),
            );
        }
        if !leftover.is_empty() {
            return Err(format!("connection {i}: bytes before any message was sent").into());
        }
        tcp.set_nonblocking(true)?;
        let stream = TcpStream::from_std(tcp);
        if i < opts.slow {
            slow.push(stream);
            continue;
        }
        let publisher = i
            .checked_sub(opts.subscribers)
            .map(|p| u32::try_from(p).unwrap_or(u32::MAX));
        let mut conn = Conn::new(stream, publisher, opts.publishers);
        let interest = if publisher.is_some() {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        poll.registry()
            .register(&mut conn.stream, Token(conns.len()), interest)?;
        conns.push(conn);
    }
    let reading_subscribers = (opts.subscribers - opts.slow) as u64;

    let mut stats = Stats::default();
    let self_pid = std::process::id().to_string();
    let server_pid = opts.server_pid.map(|p| p.to_string());
    let ns = |at: Instant| u64::try_from((at - start).as_nanos()).unwrap_or(u64::MAX);

    // Fill every publisher's pipeline.
    let first = conns.len() - opts.publishers;
    for (i, conn) in conns.iter_mut().enumerate().skip(first) {
        let p = conn.publisher.unwrap_or_default();
        for _ in 0..opts.depth {
            format.frame(&mut conn.out, ns(Instant::now()), p, conn.next_seq);
            conn.next_seq += 1;
        }
        if let Err(e) = conn.flush() {
            conn.dead = true;
            stats.error(i, format!("write: {e}"));
        }
    }

    let measure_start = Instant::now() + opts.warmup;
    let measure_end = measure_start + opts.duration;
    let mut phase = Phase::Warmup;
    let mut deadline = measure_start;
    let mut measured_secs = opts.duration.as_secs_f64();
    let (mut cpu_start, mut cpu_end) = ((None, None), (None, None));
    let mut rss_kib = None;
    let mut poll = poll;
    let mut events = Events::with_capacity(4096);
    let mut rbuf = vec![0u8; READ_BUF];
    let mut inflater = Inflater::new();
    loop {
        let now = Instant::now();
        if phase == Phase::Warmup && now >= measure_start {
            phase = Phase::Measure;
            stats = Stats {
                errors: stats.errors,
                first_error: stats.first_error.take(),
                ..Stats::default()
            };
            cpu_start = (
                cpu_ticks(&self_pid),
                server_pid.as_deref().and_then(cpu_ticks),
            );
            deadline = measure_end;
        }
        if phase == Phase::Measure && now >= measure_end {
            phase = Phase::Drain;
            measured_secs = (now - measure_start).as_secs_f64();
            cpu_end = (
                cpu_ticks(&self_pid),
                server_pid.as_deref().and_then(cpu_ticks),
            );
            rss_kib = server_pid.as_deref().and_then(|p| memory_kib(p, "VmRSS"));
            deadline = now + Duration::from_secs(10);
        }
        if phase == Phase::Drain {
            let in_flight: u32 = conns
                .iter()
                .filter(|c| c.publisher.is_some() && !c.dead)
                .map(|c| c.next_seq - c.returned)
                .sum();
            if in_flight == 0 {
                break;
            }
            if now >= deadline {
                stats.error(0, format!("{in_flight} published messages never came back"));
                break;
            }
        }
        let timeout = deadline.saturating_duration_since(now);
        match poll.poll(&mut events, Some(timeout)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
        let sending = phase != Phase::Drain;
        let measuring = phase == Phase::Measure;
        for event in &events {
            let i = event.token().0;
            let conn = &mut conns[i];
            if conn.dead {
                continue;
            }
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                loop {
                    match conn.stream.read(&mut rbuf) {
                        Ok(0) => {
                            conn.dead = true;
                            stats.error(i, "the server closed the connection");
                            break;
                        }
                        Ok(n) => {
                            let at = Instant::now();
                            let mut done = |c: &mut Conn, r: Received| {
                                if measuring {
                                    stats.deliveries += 1;
                                    if c.publisher.is_none() {
                                        stats.to_subscribers += 1;
                                    }
                                }
                                let Some((t, p, s)) = r.fields else { return };
                                if measuring {
                                    stats.hist.record(ns(at).saturating_sub(t));
                                }
                                let Some(last) = c.last_seq.get_mut(p as usize) else {
                                    stats.error(i, format!("publisher {p} does not exist"));
                                    return;
                                };
                                match *last {
                                    Some(l) if s <= l => {
                                        stats.error(i, format!("sequence {s} after {l}"))
                                    }
                                    Some(l) if measuring => stats.lost += u64::from(s - l - 1),
                                    _ => {}
                                }
                                *last = Some(s);
                                if c.publisher == Some(p) {
                                    // Its own: this and any skipped before it are done.
                                    let back = s + 1 - c.returned.min(s + 1);
                                    c.returned = c.returned.max(s + 1);
                                    if sending {
                                        for _ in 0..back {
                                            format.frame(
                                                &mut c.out,
                                                ns(Instant::now()),
                                                p,
                                                c.next_seq,
                                            );
                                            c.next_seq += 1;
                                            if measuring {
                                                stats.published += 1;
                                            }
                                        }
                                    }
                                }
                            };
                            if let Err(e) =
                                conn.on_bytes(&rbuf[..n], &format, &mut inflater, &mut done)
                            {
                                conn.dead = true;
                                stats.error(i, e);
                                break;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            conn.dead = true;
                            stats.error(i, format!("read: {e}"));
                            break;
                        }
                    }
                }
            }
            if !conn.dead
                && !conn.out.is_empty()
                && let Err(e) = conn.flush()
            {
                conn.dead = true;
                stats.error(i, format!("write: {e}"));
            }
        }
    }

    let hwm_kib = server_pid.as_deref().and_then(|p| memory_kib(p, "VmHWM"));
    let cpu_share = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}", (b - a) as f64 / TICKS_PER_SEC / measured_secs),
        _ => "na".into(),
    };
    let mib =
        |k: Option<u64>| k.map_or_else(|| "na".into(), |k| format!("{:.1}", k as f64 / 1024.0));
    let us = |ns: u64| ns as f64 / 1000.0;
    println!(
        "label={} subscribers={} publishers={} depth={} size={} deflate={} slow={} \
         duration_s={:.3} deliveries={} deliveries_per_s={:.0} per_subscriber={:.0} \
         published_per_s={:.0} p50_us={:.1} p99_us={:.1} max_us={:.1} lost={} errors={} \
         client_cpu={} server_cpu={} server_rss_mib={} server_peak_rss_mib={}",
        opts.label,
        opts.subscribers,
        opts.publishers,
        opts.depth,
        opts.size,
        u8::from(opts.deflate),
        opts.slow,
        measured_secs,
        stats.deliveries,
        stats.deliveries as f64 / measured_secs,
        stats.to_subscribers as f64 / measured_secs / reading_subscribers.max(1) as f64,
        stats.published as f64 / measured_secs,
        us(stats.hist.quantile(0.50)),
        us(stats.hist.quantile(0.99)),
        us(stats.hist.max),
        stats.lost,
        stats.errors,
        cpu_share(cpu_start.0, cpu_end.0),
        cpu_share(cpu_start.1, cpu_end.1),
        mib(rss_kib),
        mib(hwm_kib),
    );
    if let Some(e) = &stats.first_error {
        eprintln!("fanout_load: first error: {e}");
    }
    drop(slow);
    Ok(stats.errors == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_parse_back_in_both_formats() {
        for (size, deflate) in [(16, false), (1024, false), (1024, true), (60, true)] {
            let format = Format::new(size, deflate);
            let mut frame = Vec::new();
            format.frame(&mut frame, 0x1234_5678_9abc, 7, 42);
            let hl = header_len(frame[1]);
            let payload: Vec<u8> = frame[hl..]
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ MASK[i % 4])
                .collect();
            assert_eq!(payload.len(), size);
            assert_eq!(format.parse(&payload), Some((0x1234_5678_9abc, 7, 42)));
            if size > format.head_len() {
                let mut bad = payload.clone();
                bad[size - 1] ^= 1;
                assert_eq!(format.parse(&bad), None);
            }
            assert_eq!(format.parse(&payload[..size - 1]), None);
        }
    }
}
