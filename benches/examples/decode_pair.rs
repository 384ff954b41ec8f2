//! `decode_copyin` as interleaved pairs: tether and one peer decode the same ~32 MiB of masked
//! client frames, each through a fresh connection reading in the sizes it asks for (the
//! bench's `copyin_run`), alternating 200 times; each run is timed. Prints each one's median
//! time and the median of the per-pair ratios (peer ÷ tether: how many times faster tether
//! is). Interleaving in one process keeps the two under the same conditions, so the ratio
//! holds steady on a machine whose speed drifts, where the criterion groups swing by 20 %
//! between runs.
//!
//! ```text
//! cargo run --release -p tether-bench --example decode_pair -- [PEER] [SIZE...]
//! ```
//!
//! `PEER` is one of the bench's implementations (default `tokio-websockets`); sizes are
//! payload bytes (default `16 1024 65536 1048576`).
//!
//! Each pair also times two floors, with no parsing at all: the same bytes only copied into one
//! buffer (`copy`), and copied and then unmasked there in one pass of tether's unmasking loop
//! (`copy+unmask`), each in 64 KiB and in 1 MiB reads, the faster of the two counting. Every
//! implementation that reads through its own buffer pays the copy, so `PEER / copy` bounds how
//! many times faster than the peer any implementation could be; `PEER / copy+unmask` is about
//! the most for one that unmasks as fast as tether does.

#[allow(dead_code)]
#[path = "../benches/decode_streams.rs"]
mod decode_streams;

use std::hint::black_box;
use std::time::Instant;

use decode_streams::{
    COPYIN_BYTES, COPYIN_IMPLS, copyin_run, masked_header_len, runtime_with_time,
};
use tether_bench::FrameBuffer;

const PAIRS: usize = 200;

fn main() {
    let mut args = std::env::args().skip(1);
    let peer = args.next().unwrap_or_else(|| "tokio-websockets".into());
    assert!(
        COPYIN_IMPLS.contains(&peer.as_str()) && peer != "tether",
        "PEER is one of {:?} but tether",
        &COPYIN_IMPLS[1..]
    );
    let mut sizes: Vec<usize> = args
        .map(|a| a.parse().expect("SIZE is a number of bytes"))
        .collect();
    if sizes.is_empty() {
        sizes = vec![16, 1 << 10, 64 << 10, 1 << 20];
    }
    let rt = runtime_with_time();
    for payload_len in sizes {
        let frames = COPYIN_BYTES.div_ceil(masked_header_len(payload_len) + payload_len);
        let buf = FrameBuffer::masked_n(payload_len, frames);
        for which in ["tether", peer.as_str()] {
            copyin_run(which, &buf.wire, frames, &rt, |n, payload| {
                assert!(buf.is_payload(n, payload), "{which}: message {n} is wrong");
            });
        }
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        let (mut copies, mut floors) = (Vec::new(), Vec::new());
        for pair in 0..PAIRS {
            // Each goes first in every other pair.
            for tether_now in [pair % 2 == 0, pair % 2 == 1] {
                let which = if tether_now { "tether" } else { peer.as_str() };
                let start = Instant::now();
                copyin_run(which, &buf.wire, frames, &rt, |_, p| {
                    black_box(p);
                });
                let ms = start.elapsed().as_secs_f64() * 1e3;
                if tether_now { &mut ours } else { &mut theirs }.push(ms);
            }
            for (unmask, into) in [(false, &mut copies), (true, &mut floors)] {
                let ms = [64 << 10, 1 << 20].map(|read| {
                    let start = Instant::now();
                    copy_in(&buf.wire, read, unmask);
                    start.elapsed().as_secs_f64() * 1e3
                });
                into.push(ms[0].min(ms[1]));
            }
        }
        let mut ratios: Vec<f64> = theirs.iter().zip(&ours).map(|(p, t)| p / t).collect();
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let over =
            |floor: &[f64]| -> Vec<f64> { theirs.iter().zip(floor).map(|(p, f)| p / f).collect() };
        let (mut over_copy, mut over_floor) = (over(&copies), over(&floors));
        println!(
            "{payload_len:>8} B, medians: tether {:.3} ms, {peer} {:.3} ms, copy {:.3} ms, \
             copy+unmask {:.3} ms; of {PAIRS} pairs, {peer} / tether {:.3}, \
             {peer} / copy {:.3}, {peer} / copy+unmask {:.3}",
            median(&mut ours),
            median(&mut theirs),
            median(&mut copies),
            median(&mut floors),
            median(&mut ratios),
            median(&mut over_copy),
            median(&mut over_floor)
        );
    }
}

/// One copy-in of `wire`, in reads of `read` bytes into one buffer, each then unmasked in one
/// pass if `unmask` (with one key for all, and no header parsed).
fn copy_in(wire: &[u8], read: usize, unmask: bool) {
    let mut buf = vec![0; read];
    for chunk in wire.chunks(buf.len()) {
        let read = &mut buf[..chunk.len()];
        read.copy_from_slice(chunk);
        if unmask {
            tether_proto::frame::apply_mask(read, [1, 2, 3, 4], 0);
        }
        black_box(&read[..]);
    }
}
