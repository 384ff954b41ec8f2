//! The two permessage-deflate codecs on their own, both ends each: tether's `Deflate` and
//! sockudo-ws's `DeflateContext`, echoing a message through compression and decompression
//! both ways. Shared by the deflate bench (`deflate_codec_json_1400`) and the
//! `deflate_pair` example.

use tether_proto::deflate::{Deflate, DeflateConfig, DeflateParams};
use tether_proto::frame::Rsv;
use tether_proto::handshake::ExtensionOffer;
use tether_proto::{Decoded, Extension, MessageKind, Role};

/// A JSON-like message of about `len` bytes, message `n` of a stream.
pub(crate) fn json(n: usize, len: usize) -> String {
    let mut s = String::from("[");
    let mut i = n * 1000;
    while s.len() < len {
        s.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"active\":{},\"score\":{},\"tags\":[\"t{}\",\"t{}\"]}},",
            i % 613,
            i.is_multiple_of(3),
            (i.wrapping_mul(2_654_435_761)) % 100_000,
            i % 17,
            (i * 7) % 23,
        ));
        i += 1;
    }
    s.truncate(len - 1);
    s.push(']');
    s
}

/// tether's codec, both ends.
pub(crate) struct TetherCodec {
    client: Deflate,
    server: Deflate,
    wire: Vec<u8>,
    out: Vec<u8>,
}

impl TetherCodec {
    pub(crate) fn new(agreement: &ExtensionOffer, config: DeflateConfig) -> Self {
        let params = DeflateParams::from_response(agreement).unwrap();
        Self {
            client: Deflate::new(params, Role::Client, &config),
            server: Deflate::new(params, Role::Server, &config),
            wire: Vec::new(),
            out: Vec::new(),
        }
    }

    /// `from` compresses `data` into `wire`, `to` inflates it into `out`. Returns the
    /// compressed size.
    fn pass(
        from: &mut Deflate,
        to: &mut Deflate,
        data: &[u8],
        wire: &mut Vec<u8>,
        out: &mut Vec<u8>,
    ) -> usize {
        wire.clear();
        out.clear();
        let rsv = from
            .encode(MessageKind::Text, data, true, true, wire)
            .unwrap();
        assert_eq!(rsv, Rsv::RSV1);
        let done = to.decode(rsv, wire, true, out, usize::MAX).unwrap();
        assert_eq!((done, out.len()), (Decoded::Done, data.len()));
        wire.len()
    }

    pub(crate) fn echo(&mut self, data: &[u8]) -> usize {
        let Self {
            client,
            server,
            wire,
            out,
        } = self;
        let there = Self::pass(client, server, data, wire, out);
        let back = std::mem::take(out);
        let size = there + Self::pass(server, client, &back, wire, out);
        *out = back;
        size
    }
}

/// sockudo-ws's codec, both ends.
pub(crate) struct SockudoCodec {
    client: sockudo_ws::DeflateContext,
    server: sockudo_ws::DeflateContext,
}

impl SockudoCodec {
    pub(crate) fn new(level: u32, no_context: bool) -> Self {
        let config = sockudo_ws::DeflateConfig {
            compression_level: level,
            server_no_context_takeover: no_context,
            client_no_context_takeover: no_context,
            ..Default::default()
        };
        Self {
            client: sockudo_ws::DeflateContext::client(config.clone()),
            server: sockudo_ws::DeflateContext::server(config),
        }
    }

    pub(crate) fn echo(&mut self, data: &[u8]) -> usize {
        let wire = self.client.compress(data).unwrap().unwrap();
        let got = self.server.decompress(&wire, usize::MAX).unwrap();
        assert_eq!(got.len(), data.len());
        let wire_back = self.server.compress(&got).unwrap().unwrap();
        let back = self.client.decompress(&wire_back, usize::MAX).unwrap();
        assert_eq!(back.len(), data.len());
        wire.len() + wire_back.len()
    }
}
