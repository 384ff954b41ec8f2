//! Compressors reused from the pool: one given back clean (its message ended with a full
//! flush) is handed out without a reset, and must compress exactly as a new one does.

use alloc::vec;
use alloc::vec::Vec;

use super::*;

/// What a compressor never used before sends for `data` as a whole message (sync flush, the
/// §7.2.1 tail removed); at level 1, a message small enough for `quick` is compressed there.
fn fresh_compression(data: &[u8], level: u8, mem_level: u8, bits: u8) -> Vec<u8> {
    if level == 1 && data.len() <= quick::MAX_INPUT {
        let mut out = Vec::new();
        quick::compress(data, bits, &mut out);
        return out;
    }
    let mut config = zlib_rs::DeflateConfig::new(i32::from(level));
    config.window_bits = -i32::from(bits);
    config.mem_level = i32::from(mem_level);
    let mut c = zlib_rs::Deflate::new_with_config(config);
    let mut out = vec![0; data.len() * 2 + 1024];
    let status = c.compress(data, &mut out, zlib_rs::DeflateFlush::SyncFlush);
    assert_eq!(status, Ok(zlib_rs::Status::Ok));
    out.truncate(usize::try_from(c.total_out()).unwrap());
    match out.strip_suffix(&[0, 0, 0xff, 0xff]) {
        Some(body) => body.to_vec(),
        None => [out, vec![0]].concat(),
    }
}

#[test]
fn without_context_takeover_a_reused_compressor_sends_what_a_new_one_would() {
    // Compressors go back to the pool ended by a full flush and are handed out again without a
    // reset: each message must still compress to the bytes a compressor never used before
    // makes, whatever the state compressed last (a prepared message's shared bytes are what
    // every connection of its key would send).
    let messages: Vec<Vec<u8>> = [
        json(1, 1400),
        Vec::new(),
        b"a".to_vec(),
        json(2, 70_000),
        noise(3000, 5),
        [json(3, 2000), noise(300, 7), json(3, 2000)].concat(),
        json(1, 1400),
    ]
    .into();
    for level in [1, 2, 4, 6, 9] {
        for mem_level in [1, 5, 8, 9] {
            for bits in [9, 12, 15] {
                let config = DeflateConfig::default()
                    .level(u32::from(level))
                    .mem_level(mem_level)
                    .threshold(0);
                let (server, mut client) = ends(params(true, true, bits, bits), &config);
                let mut server = server.always_compress();
                for (i, data) in messages.iter().chain(&messages).enumerate() {
                    let case = (level, mem_level, bits, i);
                    let mut wire = Vec::new();
                    let rsv = server
                        .encode(MessageKind::Binary, data, true, true, &mut wire)
                        .unwrap();
                    assert_eq!(rsv, Rsv::RSV1, "{case:?}");
                    assert!(
                        wire == fresh_compression(data, level, mem_level, bits),
                        "{case:?}"
                    );
                    let mut got = Vec::new();
                    client
                        .decode(rsv, &wire, true, &mut got, usize::MAX)
                        .unwrap();
                    assert!(got == *data, "{case:?}");
                }
            }
        }
    }
}

#[test]
fn a_compressor_left_clean_serves_a_compact_context_connection_of_the_same_key() {
    // Messages alternate between a side without context takeover (which gives its compressor
    // back clean) and one keeping its context as bytes (which takes a compressor for each
    // message and primes it with that context): the clean state is primed as a reset one is,
    // and every message decodes with the context the peer kept.
    let config = DeflateConfig::default()
        .level(5)
        .mem_level(7)
        .compact_context(true);
    let (mut fresh_server, mut fresh_client) = ends(params(true, true, 13, 13), &config);
    let (mut kept_server, mut kept_client) = ends(params(false, false, 13, 13), &config);
    let data = json(1, 3000);
    for n in 0..6 {
        let (got, rsv, _) = through(&mut fresh_server, &mut fresh_client, &data);
        assert!(got == data && rsv == Rsv::RSV1, "{n}");
        let (got, rsv, size) = through(&mut kept_server, &mut kept_client, &data);
        assert!(got == data && rsv == Rsv::RSV1, "{n}");
        if n > 0 {
            // The context kept works: the message refers back to the same one before (about
            // 600 bytes without).
            assert!(size < 100, "{n}: {size}");
        }
    }
}
