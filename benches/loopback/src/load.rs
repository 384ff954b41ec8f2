//! What the load clients (`loadgen`, `fanout_load`) share: the HTTP upgrade done by hand, masked
//! frames, a fixed-size latency histogram, and process CPU and memory read from `/proc`. Only
//! `std`: none of the compared WebSocket libraries.

use std::error::Error;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The fixed `Sec-WebSocket-Key` and its accept value (RFC 6455 §1.3's example).
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
/// The masking key of every frame the load clients send.
pub const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// `16`, `1k`, `64K`, `1m`: bytes.
///
/// # Errors
///
/// Not a number with an optional `k`/`m` suffix.
pub fn parse_size(s: &str) -> Result<usize, Box<dyn Error>> {
    let lower = s.to_ascii_lowercase();
    let (digits, mult) = if let Some(d) = lower.strip_suffix('k') {
        (d, 1024)
    } else if let Some(d) = lower.strip_suffix('m') {
        (d, 1024 * 1024)
    } else {
        (lower.as_str(), 1)
    };
    Ok(digits.parse::<usize>()? * mult)
}

/// Appends a frame header for a client frame (masked with [`MASK`]): FIN, `opcode`, `len`.
pub fn masked_header(out: &mut Vec<u8>, opcode: u8, len: usize) {
    out.push(0x80 | opcode);
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= 0xffff {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&MASK);
}

/// A whole client frame: header and masked payload.
pub fn masked_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(payload.len() + 14);
    masked_header(&mut f, opcode, payload.len());
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    f
}

/// The number of header bytes implied by a frame's first two.
pub fn header_len(b1: u8) -> usize {
    2 + match b1 & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    } + if b1 & 0x80 != 0 { 4 } else { 0 }
}

/// The HTTP upgrade on a new connection to `addr`, with `extra` header lines (each ending in
/// `\r\n`). Returns the blocking stream, the response head, and any bytes read past it.
///
/// # Errors
///
/// The connection failed, the response is not `101` with the right accept value.
pub fn handshake(
    addr: SocketAddr,
    extra: &str,
) -> Result<(TcpStream, String, Vec<u8>), Box<dyn Error>> {
    let mut tcp = TcpStream::connect(addr)?;
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    );
    tcp.write_all(request.as_bytes())?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let end = loop {
        let n = tcp.read(&mut chunk)?;
        if n == 0 {
            return Err("connection closed during the handshake".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        if buf.len() > 16 * 1024 {
            return Err("handshake response too long".into());
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let status = head.lines().next().unwrap_or_default();
    if !status.starts_with("HTTP/1.1 101") {
        return Err(format!("expected 101, got {status:?}").into());
    }
    if header(&head, "sec-websocket-accept") != Some(ACCEPT) {
        return Err("missing or wrong Sec-WebSocket-Accept".into());
    }
    tcp.set_read_timeout(None)?;
    Ok((tcp, head, buf[end..].to_vec()))
}

/// The value of header `name` (lowercase) in a response head.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A log-linear histogram of nanoseconds: 16 sub-buckets per power of two (≤ 6.25 % wide),
/// fixed size whatever the number of samples.
#[derive(Debug)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    /// The largest value recorded.
    pub max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    const SUB: u32 = 4; // 2^4 sub-buckets

    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            counts: vec![0; 64 << Self::SUB],
            total: 0,
            max: 0,
        }
    }

    fn index(v: u64) -> usize {
        if v < (1 << Self::SUB) {
            return v as usize;
        }
        let msb = 63 - v.leading_zeros();
        let shift = msb - Self::SUB;
        let sub = (v >> shift) & ((1 << Self::SUB) - 1);
        (((shift + 1) << Self::SUB) as u64 + sub) as usize
    }

    /// The upper bound of bucket `i` (the value reported for a quantile falling in it).
    fn upper(i: usize) -> u64 {
        let sub_count = 1usize << Self::SUB;
        if i < sub_count {
            return i as u64;
        }
        let shift = (i >> Self::SUB) as u32 - 1;
        let sub = (i & (sub_count - 1)) as u64;
        let upper = ((u128::from(1u64 << Self::SUB) + u128::from(sub) + 1) << shift) - 1;
        u64::try_from(upper).unwrap_or(u64::MAX)
    }

    /// Records one value.
    pub fn record(&mut self, ns: u64) {
        self.counts[Self::index(ns)] += 1;
        self.total += 1;
        self.max = self.max.max(ns);
    }

    /// The value at quantile `q` (0 to 1), to within a bucket.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::upper(i).min(self.max);
            }
        }
        self.max
    }

    /// Forgets every value.
    pub fn clear(&mut self) {
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.total = 0;
        self.max = 0;
    }
}

/// utime + stime of a process, in clock ticks (from `/proc/PID/stat`).
pub fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ').skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Linux's `USER_HZ`, 100 on every mainstream architecture.
pub const TICKS_PER_SEC: f64 = 100.0;

/// A memory figure of a process from `/proc/PID/status` (`VmRSS`, `VmHWM`: the peak), in KiB.
pub fn memory_kib(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for v in (0..1_000_000u64).chain([u64::MAX / 2, u64::MAX]) {
            let i = Histogram::index(v);
            assert!(i >= last, "index not monotonic at {v}");
            assert!(Histogram::upper(i) >= v, "upper bound below {v}");
            if v >= 16 {
                // Within 1/16 of the value.
                assert!(Histogram::upper(i) - v <= v / 16, "bucket too wide at {v}");
            }
            last = i;
        }
    }

    #[test]
    fn histogram_quantiles() {
        let mut h = Histogram::new();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5);
        assert!((500_000..=532_000).contains(&p50), "p50 {p50}");
        assert_eq!(h.quantile(1.0), 1_000_000);
    }

    #[test]
    fn this_process_has_memory_and_cpu_figures() {
        let pid = std::process::id().to_string();
        assert!(memory_kib(&pid, "VmHWM").is_some_and(|k| k > 0));
        assert!(memory_kib(&pid, "VmRSS").is_some_and(|k| k > 0));
        assert!(cpu_ticks(&pid).is_some());
    }
}
