//! Where the time goes, and candidate changes measured against the current code in the same
//! run. Not part of the comparison with peers; see `docs/performance.md` for the findings.
//!
//! - `parts/16B`: the 4 MiB buffer of 16-byte masked frames from the decode benchmark, taken
//!   apart: header decoding alone; header + checks + unmasking (the frame layer with no
//!   connection state), with `apply_mask` called out of line as the decoder does today, or with
//!   an inlined copy; and the whole `Connection` (`tether/in_place`) for reference.
//! - `in_cache/8x64KiB`: decoding 64 KiB frames from a buffer that fits in L2, against word XOR
//!   over the same (unaligned) payloads and over an aligned buffer of the same size.
//! - `unaligned/*`: `apply_mask` and word XOR on a payload 14 bytes past a 64-byte boundary (where
//!   a 1 MiB frame's payload lands behind its header) against one on the boundary, and a variant
//!   of `apply_mask` that first steps to a 16-byte boundary.
//! - `layout/*`: the decode benchmark's 4 MiB buffers unmasked frame by frame with `apply_mask`
//!   and with the aligning variant: the unmasking share of `decode/64KiB` and `decode/1MiB`.
//! - `send_mask/*`: how a client copies a payload into its output buffer and masks it: the
//!   current copy-then-mask (two passes over the payload) against single-pass variants written
//!   in safe Rust.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tether_bench::{
    FrameBuffer, MEASUREMENT_TIME, SAMPLE_SIZE, WARM_UP_TIME, payload, size_name, tether_open,
    word_xor,
};
use tether_proto::ProtocolError;
use tether_proto::frame::{FrameHeader, OpCode, Rsv, apply_mask};
use tether_proto::{Connection, Event, Instant, MessageKind, Role};

/// `tether_proto::frame::apply_mask` called out of line, as `Connection::poll_event` calls it
/// today (it shows as its own symbol in a profile of the decoder).
#[inline(never)]
fn apply_mask_call(buf: &mut [u8], key: [u8; 4], phase: usize) {
    apply_mask(buf, key, phase);
}

/// `tether_proto::frame::apply_mask`'s loop, forced inline, with the block loop skipped for
/// payloads under 32 bytes.
#[inline(always)]
fn apply_mask_short_path(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let key = u32::from_be_bytes(key)
        .rotate_left(((phase & 3) * 8) as u32)
        .to_be_bytes();
    let word = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    if buf.len() >= 32 {
        let (blocks, _) = buf.as_chunks_mut::<32>();
        for block in blocks {
            let (words, _) = block.as_chunks_mut::<8>();
            for w in words {
                *w = (u64::from_ne_bytes(*w) ^ word).to_ne_bytes();
            }
        }
    }
    let tail_start = buf.len() & !31;
    let (words, bytes) = buf[tail_start..].as_chunks_mut::<8>();
    for w in words {
        *w = (u64::from_ne_bytes(*w) ^ word).to_ne_bytes();
    }
    for (b, k) in bytes.iter_mut().zip(key.iter().cycle()) {
        *b ^= k;
    }
}

/// The frame layer alone over the whole buffer: decode each header, check it as a server would,
/// unmask the payload with `mask`. Returns the number of frames.
#[inline(always)]
fn frame_layer(buf: &mut [u8], mask: impl Fn(&mut [u8], [u8; 4], usize)) -> usize {
    let mut at = 0;
    let mut n = 0;
    while let Ok(Some((header, len))) = FrameHeader::decode(&buf[at..]) {
        header.check(Role::Server, Rsv::NONE).expect("valid frame");
        let start = at + len;
        let end = start + header.payload_len as usize;
        let Some(key) = header.mask else { break };
        mask(&mut buf[start..end], key, 0);
        black_box(&buf[start..end]);
        at = end;
        n += 1;
    }
    n
}

type Decode = fn(&[u8]) -> Result<Option<(FrameHeader, usize)>, ProtocolError>;

/// A verbatim copy of `FrameHeader::decode` (frame/header.rs), to control for code placement.
#[inline(always)]
fn decode_copy(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
    let [b0, b1, rest @ ..] = buf else {
        return Ok(None);
    };
    let opcode =
        OpCode::from_bits(b0 & 0x0f).ok_or_else(|| ProtocolError::ReservedOpcode(b0 & 0x0f))?;
    decode_rest(buf, *b0, *b1, rest, opcode)
}

/// The opcodes by their four bits, for a branch-free `OpCode::from_bits`.
const OPCODES: [Option<OpCode>; 16] = {
    let mut table = [None; 16];
    let mut bits = 0;
    while bits < 16 {
        table[bits] = OpCode::from_bits(bits as u8);
        bits += 1;
    }
    table
};

/// `FrameHeader::decode` with the opcode looked up in a 16-entry table instead of a `match`
/// (which compiles to a jump table: an indirect branch per frame).
#[inline(always)]
fn decode_table(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
    let [b0, b1, rest @ ..] = buf else {
        return Ok(None);
    };
    let Some(opcode) = OPCODES[usize::from(b0 & 0x0f)] else {
        return Err(ProtocolError::ReservedOpcode(b0 & 0x0f));
    };
    decode_rest(buf, *b0, *b1, rest, opcode)
}

/// The rest of `FrameHeader::decode`, verbatim.
#[inline(always)]
fn decode_rest(
    buf: &[u8],
    b0: u8,
    b1: u8,
    rest: &[u8],
    opcode: OpCode,
) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
    let masked = b1 & 0x80 != 0;
    let (payload_len, len_bytes) = match b1 & 0x7f {
        126 => match rest {
            [a, b, ..] => (u64::from(u16::from_be_bytes([*a, *b])), 2),
            _ => return Ok(None),
        },
        127 => match rest.first_chunk::<8>() {
            Some(bytes) => {
                let len = u64::from_be_bytes(*bytes);
                if len >> 63 != 0 {
                    return Err(ProtocolError::LengthOverflow);
                }
                (len, 8)
            }
            None => return Ok(None),
        },
        n => (u64::from(n), 0),
    };
    let mut header_len = 2 + len_bytes;
    let mask = if masked {
        let Some(key) = buf.get(header_len..header_len + 4) else {
            return Ok(None);
        };
        header_len += 4;
        Some([key[0], key[1], key[2], key[3]])
    } else {
        None
    };
    let header = FrameHeader {
        fin: b0 & 0x80 != 0,
        rsv: Rsv::from_header_byte(b0),
        opcode,
        mask,
        payload_len,
    };
    Ok(Some((header, header_len)))
}

#[inline(always)]
fn headers_only_with(buf: &[u8], decode: Decode) -> usize {
    let mut at = 0;
    let mut n = 0;
    while let Ok(Some((header, len))) = decode(&buf[at..]) {
        black_box(&header);
        at += len + header.payload_len as usize;
        n += 1;
    }
    n
}

fn headers_only(buf: &[u8]) -> usize {
    let mut at = 0;
    let mut n = 0;
    while let Ok(Some((header, len))) = FrameHeader::decode(&buf[at..]) {
        black_box(&header);
        at += len + header.payload_len as usize;
        n += 1;
    }
    n
}

fn tether_fill(conn: &mut Connection, wire: &[u8]) {
    let spare = conn.input_buffer();
    spare[..wire.len()].copy_from_slice(wire);
    conn.commit_input(Instant::ZERO, wire.len());
}

fn tether_drain(conn: &mut Connection) -> usize {
    let mut n = 0;
    while let Some(event) = conn.poll_event() {
        match event {
            Event::Message {
                kind: MessageKind::Binary,
                data,
            } => {
                black_box(data);
            }
            other => panic!("unexpected event {other:?}"),
        }
        n += 1;
    }
    n
}

/// Times `f` on a fresh copy of `wire` each iteration (the copy is not timed).
fn timed_on_copy(
    wire: &[u8],
    scratch: &mut Vec<u8>,
    iters: u64,
    mut f: impl FnMut(&mut [u8]) -> usize,
    frames: usize,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        scratch.clear();
        scratch.extend_from_slice(wire);
        let start = std::time::Instant::now();
        let n = f(black_box(&mut scratch[..]));
        total += start.elapsed();
        assert_eq!(n, frames);
    }
    total
}

fn parts(c: &mut Criterion) {
    let buf = FrameBuffer::masked(16);
    let frames = buf.frames;
    let wire = &buf.wire[..];
    let mut scratch = Vec::with_capacity(wire.len());

    // The variants unmask correctly.
    for variant in [0, 1] {
        let mut copy = wire.to_vec();
        let n = match variant {
            0 => frame_layer(&mut copy, apply_mask_call),
            _ => frame_layer(&mut copy, apply_mask_short_path),
        };
        assert_eq!(n, frames);
        for (i, (range, _)) in buf.payloads.iter().enumerate() {
            assert!(buf.is_payload(i, &copy[range.clone()]));
        }
    }

    let mut group = c.benchmark_group("parts/16B");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function("headers_only", |b| {
        b.iter(|| assert_eq!(headers_only(black_box(wire)), frames))
    });
    group.bench_function("headers_only/decode_copy", |b| {
        b.iter(|| assert_eq!(headers_only_with(black_box(wire), decode_copy), frames))
    });
    group.bench_function("headers_only/decode_table", |b| {
        b.iter(|| assert_eq!(headers_only_with(black_box(wire), decode_table), frames))
    });
    group.bench_function("frame_layer/apply_mask_call", |b| {
        b.iter_custom(|iters| {
            timed_on_copy(
                wire,
                &mut scratch,
                iters,
                |s| frame_layer(s, apply_mask_call),
                frames,
            )
        })
    });
    group.bench_function("frame_layer/apply_mask_short_path", |b| {
        b.iter_custom(|iters| {
            timed_on_copy(
                wire,
                &mut scratch,
                iters,
                |s| frame_layer(s, apply_mask_short_path),
                frames,
            )
        })
    });
    let mut conn = tether_open(Role::Server, wire.len());
    group.bench_function("tether/in_place", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                tether_fill(&mut conn, wire);
                let start = std::time::Instant::now();
                let n = tether_drain(&mut conn);
                total += start.elapsed();
                assert_eq!(n, frames);
            }
            total
        })
    });
    group.finish();

    // One 16-byte payload at a time, as the decoder calls it.
    let mut group = c.benchmark_group("apply_mask_16B");
    group.throughput(Throughput::Bytes(16));
    let mut p = [7u8; 16];
    group.bench_function("apply_mask_call", |b| {
        b.iter(|| apply_mask_call(black_box(&mut p), black_box([1, 2, 3, 4]), 0))
    });
    group.bench_function("apply_mask_short_path", |b| {
        b.iter(|| apply_mask_short_path(black_box(&mut p), black_box([1, 2, 3, 4]), 0))
    });
    group.finish();
}

/// The decode of 64 KiB frames with the buffer in L2 (8 frames, 512 KiB) rather than the decode
/// benchmark's 4 MiB, against word XOR over the same buffer and over an aligned one: separates
/// what the engine costs from what the memory hierarchy costs.
fn in_cache(c: &mut Criterion) {
    let buf = FrameBuffer::masked_n(64 << 10, 8);
    let frames = buf.frames;
    let wire = &buf.wire[..];
    let mut group = c.benchmark_group("in_cache/8x64KiB");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    let mut conn = tether_open(Role::Server, wire.len());
    tether_fill(&mut conn, wire);
    assert_eq!(tether_drain(&mut conn), frames);
    group.bench_function("tether/in_place", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                tether_fill(&mut conn, wire);
                let start = std::time::Instant::now();
                let n = tether_drain(&mut conn);
                total += start.elapsed();
                assert_eq!(n, frames);
            }
            total
        })
    });
    let mut scratch = wire.to_vec();
    group.bench_function("word_xor/same_buffer", |b| {
        b.iter(|| {
            let scratch = black_box(&mut scratch[..]);
            for (range, key) in &buf.payloads {
                word_xor(&mut scratch[range.clone()], *key);
            }
        })
    });
    let mut aligned = vec![0u8; wire.len()];
    group.bench_function("word_xor/aligned", |b| {
        b.iter(|| word_xor(black_box(&mut aligned[..]), black_box([1, 2, 3, 4])))
    });
    group.bench_function("apply_mask/aligned", |b| {
        b.iter(|| apply_mask(black_box(&mut aligned[..]), black_box([1, 2, 3, 4]), 0))
    });
    group.finish();
}

/// `apply_mask`, after first masking the bytes up to the next 16-byte boundary one at a time,
/// so the word loop's loads and stores never straddle a cache line. (`align_offset` is safe.)
#[inline]
fn apply_mask_peel16(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let head = buf.as_ptr().align_offset(16).min(buf.len());
    let (a, b) = buf.split_at_mut(head);
    for (i, x) in a.iter_mut().enumerate() {
        *x ^= key[(phase + i) & 3];
    }
    apply_mask(b, key, phase + head);
}

/// Unmasking a payload that starts 14 bytes into an allocation, as a 1 MiB frame's payload does
/// behind its 14-byte header in a read buffer, against the same at offset 0.
fn unaligned(c: &mut Criterion) {
    const KEY: [u8; 4] = [0x9c, 0x41, 0xe7, 0x0a];
    for len in [64 << 10, 1 << 20] {
        let mut backing = vec![0u8; len + 64];
        let base = backing.as_ptr().align_offset(64);
        {
            let mut a = payload(0, len);
            let mut b = a.clone();
            let mut cpy = backing.clone();
            cpy[base + 14..base + 14 + len].copy_from_slice(&a);
            apply_mask_peel16(&mut cpy[base + 14..base + 14 + len], KEY, 1);
            apply_mask(&mut a, KEY, 1);
            b.copy_from_slice(&cpy[base + 14..base + 14 + len]);
            assert_eq!(a, b);
        }
        let mut group = c.benchmark_group(format!("unaligned/{}", size_name(len)));
        group.throughput(Throughput::Bytes(len as u64));
        for offset in [0, 14] {
            let range = base + offset..base + offset + len;
            group.bench_function(format!("apply_mask/offset{offset}"), |b| {
                b.iter(|| apply_mask(black_box(&mut backing[range.clone()]), black_box(KEY), 0))
            });
            group.bench_function(format!("word_xor/offset{offset}"), |b| {
                b.iter(|| word_xor(black_box(&mut backing[range.clone()]), black_box(KEY)))
            });
        }
        let range = base + 14..base + 14 + len;
        group.bench_function("apply_mask_peel16/offset14", |b| {
            b.iter(|| apply_mask_peel16(black_box(&mut backing[range.clone()]), black_box(KEY), 0))
        });
        group.finish();
    }
}

/// The decode benchmark's buffers (4 MiB of 64 KiB or 1 MiB frames, payloads wherever the
/// headers leave them), unmasked frame by frame in place with `apply_mask` as the decoder does,
/// and with the 16-byte-aligning variant. Parsing is left out: this is the unmasking share.
fn layout(c: &mut Criterion) {
    for len in [64 << 10, 1 << 20] {
        let buf = FrameBuffer::masked(len);
        let mut group = c.benchmark_group(format!("layout/{}x{}", buf.frames, size_name(len)));
        group.throughput(Throughput::Bytes(buf.wire.len() as u64));
        // Same alignment as the decoder's input buffer would give is not guaranteed; report it.
        let mut scratch = buf.wire.clone();
        eprintln!(
            "layout/{}: buffer starts at {} mod 64",
            size_name(len),
            scratch.as_ptr() as usize % 64
        );
        group.bench_function("apply_mask", |b| {
            b.iter(|| {
                let scratch = black_box(&mut scratch[..]);
                for (range, key) in &buf.payloads {
                    apply_mask(&mut scratch[range.clone()], *key, 0);
                }
            })
        });
        group.bench_function("apply_mask_peel16", |b| {
            b.iter(|| {
                let scratch = black_box(&mut scratch[..]);
                for (range, key) in &buf.payloads {
                    apply_mask_peel16(&mut scratch[range.clone()], *key, 0);
                }
            })
        });
        group.finish();
    }
}

/// What `Output::frame` does today for a client: copy, then mask the copy in place.
#[inline(never)]
fn send_copy_then_mask(out: &mut Vec<u8>, payload: &[u8], key: [u8; 4]) {
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], key, 0);
}

/// One pass: zero-fill the space (a write-only pass, no read), then write `payload ^ key` into it.
#[inline(never)]
fn send_resize_then_xor_into(out: &mut Vec<u8>, payload: &[u8], key: [u8; 4]) {
    let start = out.len();
    out.resize(start + payload.len(), 0);
    xor_into(&mut out[start..], payload, key);
}

/// One pass: `Vec::extend` from a `TrustedLen` iterator of masked words (no zero-fill).
#[inline(never)]
fn send_extend_masked_words(out: &mut Vec<u8>, payload: &[u8], key: [u8; 4]) {
    let word = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let (words, tail) = payload.as_chunks::<8>();
    out.reserve(payload.len());
    out.extend(
        words
            .iter()
            .flat_map(|w| (u64::from_ne_bytes(*w) ^ word).to_ne_bytes()),
    );
    out.extend(tail.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
}

/// `dst = src ^ key`, eight bytes at a time.
#[inline]
fn xor_into(dst: &mut [u8], src: &[u8], key: [u8; 4]) {
    let word = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let (dw, dt) = dst.as_chunks_mut::<8>();
    let (sw, st) = src.as_chunks::<8>();
    for (d, s) in dw.iter_mut().zip(sw) {
        *d = (u64::from_ne_bytes(*s) ^ word).to_ne_bytes();
    }
    for ((d, s), k) in dt.iter_mut().zip(st).zip(key.iter().cycle()) {
        *d = s ^ k;
    }
}

fn send_mask(c: &mut Criterion) {
    type Variant = fn(&mut Vec<u8>, &[u8], [u8; 4]);
    let variants: [(&str, Variant); 3] = [
        ("copy_then_mask", send_copy_then_mask),
        ("resize_then_xor_into", send_resize_then_xor_into),
        ("extend_masked_words", send_extend_masked_words),
    ];
    for len in [16, 1 << 10, 64 << 10] {
        let data = payload(0, len);
        let key = [0x9c, 0x41, 0xe7, 0x0a];
        let mut expected = data.clone();
        apply_mask(&mut expected, key, 0);
        for (name, f) in variants {
            let mut out = vec![0xaa];
            f(&mut out, &data, key);
            assert_eq!(&out[1..], &expected[..], "{name}");
        }
        // About 1 MiB of payload per iteration into a reused buffer, like the encode benchmark.
        let count = (1 << 20) / len;
        let mut group = c.benchmark_group(format!("send_mask/{}", size_name(len)));
        group.throughput(Throughput::Bytes((count * len) as u64));
        let mut out = Vec::with_capacity(2 << 20);
        for (name, f) in variants {
            group.bench_function(name, |b| {
                b.iter(|| {
                    out.clear();
                    for _ in 0..count {
                        f(&mut out, black_box(&data), key);
                    }
                    black_box(&out);
                })
            });
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(MEASUREMENT_TIME)
        .warm_up_time(WARM_UP_TIME)
        .sample_size(SAMPLE_SIZE)
}

criterion_group! { name = benches; config = config(); targets = parts, in_cache, unaligned, layout, send_mask }
criterion_main!(benches);
