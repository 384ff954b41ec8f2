//! tether's permessage-deflate codec against sockudo-ws's, interleaved: batches of 2 000
//! echoes of 1.4 KB JSON messages (compressed and decompressed both ways, no context
//! takeover, level 1), alternating between the two 300 times, each batch timed. Prints the
//! median time per echo of each and the median of the per-pair ratios. Interleaving in one
//! process keeps the two under the same conditions, so the ratio holds steady on a machine
//! whose speed drifts from second to second, where the criterion bench of the same codecs
//! (`deflate_codec_json_1400`) swings by 10 % or more between runs.
//!
//! ```text
//! cargo run --release -p tether-bench --example deflate_pair
//! ```
//!
//! With arguments `tether N` or `sockudo-ws N` it runs only that codec, N echoes, and times
//! nothing: a subject for a profiler (`valgrind --tool=callgrind`, `perf record`).

#[path = "../benches/deflate_codecs.rs"]
mod deflate_codecs;

use std::hint::black_box;
use std::time::Instant;

use deflate_codecs::{SockudoCodec, TetherCodec, json};
use tether_proto::deflate::DeflateConfig;
use tether_proto::handshake::ExtensionOffer;

const BATCH: usize = 2000;
const PAIRS: usize = 300;

fn main() {
    let messages: Vec<String> = (0..64).map(|n| json(n, 1400)).collect();
    let agreement = ExtensionOffer::new("permessage-deflate")
        .with_param("server_no_context_takeover")
        .with_param("client_no_context_takeover");
    let mut tether = TetherCodec::new(&agreement, DeflateConfig::default().level(1));
    let mut sockudo = SockudoCodec::new(1, true);
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [which, count] = &args[..] {
        let count: usize = count.parse().expect("N: a number of echoes");
        for n in 0..count {
            let m = messages[n % messages.len()].as_bytes();
            black_box(match which.as_str() {
                "tether" => tether.echo(m),
                "sockudo-ws" => sockudo.echo(m),
                other => panic!("{other}: expected tether or sockudo-ws"),
            });
        }
        return;
    }
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for pair in 0..PAIRS {
        // Each goes first in every other pair.
        for tether_now in [pair % 2 == 0, pair % 2 == 1] {
            let start = Instant::now();
            for n in 0..BATCH {
                let m = messages[n % messages.len()].as_bytes();
                black_box(if tether_now {
                    tether.echo(m)
                } else {
                    sockudo.echo(m)
                });
            }
            let per_echo = start.elapsed().as_secs_f64() * 1e9 / BATCH as f64;
            if tether_now {
                ours.push(per_echo);
            } else {
                theirs.push(per_echo);
            }
        }
    }
    let mut ratios: Vec<f64> = ours.iter().zip(&theirs).map(|(t, s)| t / s).collect();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("tether     {:>8.0} ns per echo (median)", median(&mut ours));
    println!(
        "sockudo-ws {:>8.0} ns per echo (median)",
        median(&mut theirs)
    );
    println!(
        "tether / sockudo-ws, median of {PAIRS} pairs: {:.3}",
        median(&mut ratios)
    );
}
