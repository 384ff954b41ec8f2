//! The unmasking hot path: tether's `apply_mask` against a copy, a plain word XOR (the
//! ceiling) and a byte loop (the floor), on buffers of 1 KiB, 64 KiB and 1 MiB, plus 4 MiB
//! (out of L2 on most machines) as the reference for the decode benchmark's 4 MiB buffers.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tether_bench::{
    MEASUREMENT_TIME, SAMPLE_SIZE, WARM_UP_TIME, naive_mask, payload, size_name, word_xor,
};
use tether_proto::frame::apply_mask;

const KEY: [u8; 4] = [0x9c, 0x41, 0xe7, 0x0a];

fn mask(c: &mut Criterion) {
    // 4 MiB is past the 1 MiB L2 of the test machine: the size of the decode benchmark's buffers.
    for len in [1 << 10, 64 << 10, 1 << 20, 4 << 20] {
        let mut group = c.benchmark_group(format!("mask/{}", size_name(len)));
        group.throughput(Throughput::Bytes(len as u64));
        let mut buf = payload(0, len);
        let src = payload(1, len);

        // Masking is its own inverse, so the buffer just toggles between two states.
        group.bench_function("tether/phase0", |b| {
            b.iter(|| apply_mask(black_box(&mut buf), black_box(KEY), black_box(0)))
        });
        group.bench_function("tether/phase1", |b| {
            b.iter(|| apply_mask(black_box(&mut buf), black_box(KEY), black_box(1)))
        });
        group.bench_function("memcpy", |b| {
            b.iter(|| black_box(&mut buf).copy_from_slice(black_box(&src)))
        });
        group.bench_function("word_xor", |b| {
            b.iter(|| word_xor(black_box(&mut buf), black_box(KEY)))
        });
        group.bench_function("naive", |b| {
            b.iter(|| naive_mask(black_box(&mut buf), black_box(KEY)))
        });
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(MEASUREMENT_TIME)
        .warm_up_time(WARM_UP_TIME)
        .sample_size(SAMPLE_SIZE)
}

criterion_group! { name = benches; config = config(); targets = mask }
criterion_main!(benches);
