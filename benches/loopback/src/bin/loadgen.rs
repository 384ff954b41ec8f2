//! Load client of the loopback echo benchmark, built on none of the compared WebSocket
//! libraries: raw TCP through `mio` (one thread, one poll loop for every connection).
//!
//! ```text
//! loadgen --addr 127.0.0.1:PORT [--conns N] [--depth D] [--size BYTES|NK|NM]
//!         [--duration SECS] [--warmup SECS] [--server-pid PID] [--label NAME]
//! ```
//!
//! Each connection does its own HTTP upgrade (fixed key, `101` and the accept value checked),
//! then keeps `depth` binary messages of `size` bytes in flight: the masked frames are built
//! once, and every batch of replacements goes out in one write. Echoed frames are parsed
//! incrementally (headers split across reads, continuation frames), every echoed payload is
//! compared byte for byte with what was sent, and each message's round trip is timed from
//! the moment it was queued to the moment its echo was read, into a fixed-bucket histogram.
//!
//! After `--warmup` seconds the counters are reset, `--duration` seconds are measured, then
//! the client stops sending, waits for the messages in flight, and closes each connection
//! with a close handshake (code 1000).
//!
//! Prints one line of `key=value` pairs on stdout: `msgs_per_s`, `mib_per_s` (echoed payload,
//! one direction), `p50_us`/`p99_us`/`max_us`, `errors`, and the CPU share of the client and
//! (with `--server-pid`) of the server over the measured window. Exits with status 1 if any
//! error was seen.

use std::collections::VecDeque;
use std::error::Error;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use tether_loopback::load::{
    Histogram, TICKS_PER_SEC, cpu_ticks, handshake, header_len, masked_frame, parse_size,
};

/// Shared read buffer: payloads are checked as they stream through, never buffered whole.
const READ_BUF: usize = 512 * 1024;

struct Options {
    addr: SocketAddr,
    conns: usize,
    depth: usize,
    size: usize,
    duration: Duration,
    warmup: Duration,
    server_pid: Option<u32>,
    label: String,
}

fn parse_args() -> Result<Options, Box<dyn Error>> {
    let mut opts = Options {
        addr: "127.0.0.1:9001".parse()?,
        conns: 1,
        depth: 1,
        size: 16,
        duration: Duration::from_secs(5),
        warmup: Duration::from_secs(1),
        server_pid: None,
        label: "server".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--addr" => opts.addr = value()?.parse()?,
            "--conns" => opts.conns = value()?.parse()?,
            "--depth" => opts.depth = value()?.parse()?,
            "--size" => opts.size = parse_size(&value()?)?,
            "--duration" => opts.duration = Duration::from_secs_f64(value()?.parse()?),
            "--warmup" => opts.warmup = Duration::from_secs_f64(value()?.parse()?),
            "--server-pid" => opts.server_pid = Some(value()?.parse()?),
            "--label" => opts.label = value()?,
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    if opts.conns == 0 || opts.depth == 0 {
        return Err("--conns and --depth must be at least 1".into());
    }
    Ok(opts)
}

/// The payload pattern: position-dependent, so a shifted, truncated or badly unmasked echo
/// never compares equal.
fn pattern(size: usize) -> Vec<u8> {
    (0..size as u64)
        .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8)
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Warmup,
    Measure,
    Drain,
    Closing,
}

struct Conn {
    stream: TcpStream,
    /// Frame bytes still to write, and the offset of the next one within the frame.
    to_send: usize,
    send_off: usize,
    /// When each message in flight was queued, oldest first.
    stamps: VecDeque<Instant>,
    // Receive state.
    hdr: [u8; 14],
    hdr_len: usize,
    remaining: u64,
    cur_data: bool,
    cur_fin: bool,
    in_message: bool,
    msg_off: usize,
    close_received: bool,
    eof: bool,
    dead: bool,
}

impl Conn {
    /// Feeds received bytes; returns how many whole messages completed.
    fn on_bytes(&mut self, mut data: &[u8], expected: &[u8]) -> Result<usize, String> {
        let mut done = 0;
        while !data.is_empty() {
            if self.remaining > 0 {
                let n = self.remaining.min(data.len() as u64) as usize;
                if self.cur_data {
                    let end = self.msg_off + n;
                    if end > expected.len() {
                        return Err(format!(
                            "echoed message longer than the {} bytes sent",
                            expected.len()
                        ));
                    }
                    if data[..n] != expected[self.msg_off..end] {
                        return Err(format!(
                            "payload mismatch within message bytes {}..{end}",
                            self.msg_off
                        ));
                    }
                    self.msg_off = end;
                }
                self.remaining -= n as u64;
                data = &data[n..];
                if self.remaining == 0 {
                    done += self.end_frame(expected.len())?;
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
            self.start_frame()?;
            self.hdr_len = 0;
            if self.remaining == 0 {
                done += self.end_frame(expected.len())?;
            }
        }
        Ok(done)
    }

    fn start_frame(&mut self) -> Result<(), String> {
        let (b0, b1) = (self.hdr[0], self.hdr[1]);
        if b0 & 0x70 != 0 {
            return Err(format!("reserved bits set: {b0:#04x}"));
        }
        if b1 & 0x80 != 0 {
            return Err("server frame is masked".into());
        }
        let len = match b1 & 0x7f {
            126 => u64::from(u16::from_be_bytes([self.hdr[2], self.hdr[3]])),
            127 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&self.hdr[2..10]);
                u64::from_be_bytes(b)
            }
            n => u64::from(n),
        };
        let fin = b0 & 0x80 != 0;
        let opcode = b0 & 0x0f;
        match opcode {
            0 if self.in_message => {}
            0 => return Err("continuation frame outside a message".into()),
            2 if !self.in_message => {
                self.in_message = true;
                self.msg_off = 0;
            }
            2 => return Err("new message inside a fragmented one".into()),
            8..=10 => {
                if !fin || len > 125 {
                    return Err(format!("bad control frame (opcode {opcode}, len {len})"));
                }
                if opcode == 8 {
                    self.close_received = true;
                }
            }
            _ => return Err(format!("unexpected opcode {opcode}")),
        }
        self.cur_data = opcode < 8;
        self.cur_fin = fin;
        self.remaining = len;
        Ok(())
    }

    fn end_frame(&mut self, size: usize) -> Result<usize, String> {
        if !(self.cur_data && self.cur_fin) {
            return Ok(0);
        }
        if self.msg_off != size {
            return Err(format!(
                "echoed message of {} bytes, sent {size}",
                self.msg_off
            ));
        }
        self.in_message = false;
        self.msg_off = 0;
        Ok(1)
    }

    /// Writes as much of the queued frames as the socket takes.
    fn flush(&mut self, batch: &[u8], frame_len: usize) -> io::Result<()> {
        while self.to_send > 0 {
            let n = self.to_send.min(batch.len() - self.send_off);
            match self.stream.write(&batch[self.send_off..self.send_off + n]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(w) => {
                    self.to_send -= w;
                    self.send_off = (self.send_off + w) % frame_len;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

struct Stats {
    hist: Histogram,
    msgs: u64,
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
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    }
}

fn run() -> Result<bool, Box<dyn Error>> {
    let opts = parse_args()?;
    let expected = pattern(opts.size);
    let frame = masked_frame(2, &expected);
    let frame_len = frame.len();
    // depth + 1 frames back to back: a write of up to `depth` frames from any offset.
    let batch: Vec<u8> = frame.repeat(opts.depth + 1);
    let close_frame = masked_frame(8, &1000u16.to_be_bytes());

    let mut poll = Poll::new()?;
    let mut conns = Vec::with_capacity(opts.conns);
    let mut leftovers = Vec::with_capacity(opts.conns);
    for i in 0..opts.conns {
        let (tcp, _, leftover) =
            handshake(opts.addr, "").map_err(|e| format!("connection {i}: handshake: {e}"))?;
        tcp.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(tcp);
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        conns.push(Conn {
            stream,
            to_send: 0,
            send_off: 0,
            stamps: VecDeque::with_capacity(opts.depth),
            hdr: [0; 14],
            hdr_len: 0,
            remaining: 0,
            cur_data: false,
            cur_fin: false,
            in_message: false,
            msg_off: 0,
            close_received: false,
            eof: false,
            dead: false,
        });
        leftovers.push(leftover);
    }

    let mut stats = Stats {
        hist: Histogram::new(),
        msgs: 0,
        errors: 0,
        first_error: None,
    };
    let self_pid = std::process::id().to_string();
    let server_pid = opts.server_pid.map(|p| p.to_string());

    let start = Instant::now();
    let measure_start = start + opts.warmup;
    let measure_end = measure_start + opts.duration;
    let mut phase = Phase::Warmup;
    let mut drain_deadline = measure_end;
    let mut measured_secs = opts.duration.as_secs_f64();
    let mut cpu_start = (None, None);
    let mut cpu_end = (None, None);

    // Fill every pipeline.
    for (i, conn) in conns.iter_mut().enumerate() {
        for _ in 0..opts.depth {
            conn.stamps.push_back(start);
        }
        conn.to_send = opts.depth * frame_len;
        if let Err(e) = conn.flush(&batch, frame_len) {
            conn.dead = true;
            stats.error(i, format!("write: {e}"));
        }
        if !leftovers[i].is_empty() {
            // The server spoke first (bytes right after its 101): unexpected but parse them.
            match conn.on_bytes(&leftovers[i], &expected) {
                Ok(0) => {}
                Ok(_) => stats.error(i, "echo before any message was sent"),
                Err(e) => stats.error(i, e),
            }
        }
    }

    let mut events = Events::with_capacity(1024);
    let mut rbuf = vec![0u8; READ_BUF];
    loop {
        let now = Instant::now();
        // Phase transitions.
        if phase == Phase::Warmup && now >= measure_start {
            phase = Phase::Measure;
            stats.hist.clear();
            stats.msgs = 0;
            cpu_start = (
                cpu_ticks(&self_pid),
                server_pid.as_deref().and_then(cpu_ticks),
            );
        }
        if phase == Phase::Measure && now >= measure_end {
            phase = Phase::Drain;
            measured_secs = (now - measure_start).as_secs_f64();
            cpu_end = (
                cpu_ticks(&self_pid),
                server_pid.as_deref().and_then(cpu_ticks),
            );
            drain_deadline = now + Duration::from_secs(10);
        }
        if phase == Phase::Drain {
            let in_flight: usize = conns
                .iter()
                .filter(|c| !c.dead)
                .map(|c| c.stamps.len())
                .sum();
            if in_flight == 0 || now >= drain_deadline {
                if in_flight > 0 {
                    stats.error(0, format!("{in_flight} messages never echoed"));
                }
                for conn in conns.iter_mut().filter(|c| !c.dead) {
                    // Nothing else is queued now, so this small write goes out whole.
                    let _ = conn.stream.write_all(&close_frame);
                }
                phase = Phase::Closing;
                drain_deadline = now + Duration::from_secs(5);
            }
        }
        if phase == Phase::Closing
            && (now >= drain_deadline || conns.iter().all(|c| c.dead || c.close_received || c.eof))
        {
            break;
        }

        let deadline = match phase {
            Phase::Warmup => measure_start,
            Phase::Measure => measure_end,
            Phase::Drain | Phase::Closing => drain_deadline,
        };
        let timeout = deadline.saturating_duration_since(now);
        match poll.poll(&mut events, Some(timeout)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
        let sending = matches!(phase, Phase::Warmup | Phase::Measure);
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
                            conn.eof = true;
                            if phase != Phase::Closing {
                                conn.dead = true;
                                stats.error(i, "server closed the connection");
                            }
                            break;
                        }
                        Ok(n) => {
                            let at = Instant::now();
                            let done = match conn.on_bytes(&rbuf[..n], &expected) {
                                Ok(d) => d,
                                Err(e) => {
                                    conn.dead = true;
                                    stats.error(i, e);
                                    break;
                                }
                            };
                            for _ in 0..done {
                                let Some(sent) = conn.stamps.pop_front() else {
                                    conn.dead = true;
                                    stats.error(i, "more echoes than messages sent");
                                    break;
                                };
                                if measuring {
                                    stats.hist.record((at - sent).as_nanos() as u64);
                                    stats.msgs += 1;
                                }
                                if sending {
                                    conn.stamps.push_back(at);
                                    conn.to_send += frame_len;
                                }
                            }
                            if conn.close_received && phase != Phase::Closing {
                                conn.dead = true;
                                stats.error(i, "server sent a close frame");
                            }
                            if conn.dead {
                                break;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            conn.dead = true;
                            if phase != Phase::Closing {
                                stats.error(i, format!("read: {e}"));
                            }
                            break;
                        }
                    }
                }
            }
            if !conn.dead
                && conn.to_send > 0
                && let Err(e) = conn.flush(&batch, frame_len)
            {
                conn.dead = true;
                stats.error(i, format!("write: {e}"));
            }
        }
    }

    let closed_ok = conns.iter().filter(|c| c.close_received).count();
    let close_missing = conns.len() - closed_ok;
    let cpu_share = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}", (b - a) as f64 / TICKS_PER_SEC / measured_secs),
        _ => "na".into(),
    };
    let msgs_per_s = stats.msgs as f64 / measured_secs;
    let mib_per_s = msgs_per_s * opts.size as f64 / (1024.0 * 1024.0);
    let us = |ns: u64| ns as f64 / 1000.0;
    println!(
        "label={} conns={} depth={} size={} duration_s={:.3} msgs={} msgs_per_s={:.0} \
         mib_per_s={:.1} p50_us={:.1} p99_us={:.1} max_us={:.1} errors={} close_missing={} \
         client_cpu={} server_cpu={}",
        opts.label,
        opts.conns,
        opts.depth,
        opts.size,
        measured_secs,
        stats.msgs,
        msgs_per_s,
        mib_per_s,
        us(stats.hist.quantile(0.50)),
        us(stats.hist.quantile(0.99)),
        us(stats.hist.max),
        stats.errors,
        close_missing,
        cpu_share(cpu_start.0, cpu_end.0),
        cpu_share(cpu_start.1, cpu_end.1),
    );
    if let Some(e) = &stats.first_error {
        eprintln!("loadgen: first error: {e}");
    }
    Ok(stats.errors == 0)
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream as StdTcpStream;

    use super::*;

    fn conn_pair() -> Conn {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let tcp = StdTcpStream::connect(listener.local_addr().unwrap()).unwrap();
        Conn {
            stream: TcpStream::from_std(tcp),
            to_send: 0,
            send_off: 0,
            stamps: VecDeque::new(),
            hdr: [0; 14],
            hdr_len: 0,
            remaining: 0,
            cur_data: false,
            cur_fin: false,
            in_message: false,
            msg_off: 0,
            close_received: false,
            eof: false,
            dead: false,
        }
    }

    fn unmasked(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut f = masked_frame(opcode, payload);
        // Strip the mask: rebuild the header without it.
        let hl = header_len(f[1]);
        f[1] &= 0x7f;
        if !fin {
            f[0] &= 0x7f;
        }
        let mut out = f[..hl - 4].to_vec();
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn parses_every_split_and_length_encoding() {
        for size in [0usize, 1, 125, 126, 65535, 65536, 70_000] {
            let expected = pattern(size);
            let mut stream = Vec::new();
            for _ in 0..3 {
                stream.extend(unmasked(2, true, &expected));
            }
            for step in [1usize, 2, 3, 7, 13, 4096] {
                let mut c = conn_pair();
                let done: usize = stream
                    .chunks(step)
                    .map(|ch| c.on_bytes(ch, &expected).unwrap())
                    .sum();
                assert_eq!(done, 3, "size {size} step {step}");
            }
        }
    }

    #[test]
    fn fragments_pings_and_mismatches() {
        let expected = pattern(300);
        let mut stream = unmasked(2, false, &expected[..100]);
        stream.extend(unmasked(9, true, b"hi"));
        stream.extend(unmasked(0, true, &expected[100..]));
        let mut c = conn_pair();
        assert_eq!(c.on_bytes(&stream, &expected).unwrap(), 1);

        let mut bad = expected.clone();
        bad[200] ^= 1;
        let mut c = conn_pair();
        assert!(c.on_bytes(&unmasked(2, true, &bad), &expected).is_err());
        let mut c = conn_pair();
        assert!(
            c.on_bytes(&unmasked(2, true, &expected[..299]), &expected)
                .is_err()
        );
        let mut c = conn_pair();
        assert!(
            c.on_bytes(&unmasked(1, true, &expected), &expected)
                .is_err()
        );
    }
}
