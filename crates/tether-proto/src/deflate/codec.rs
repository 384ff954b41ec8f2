//! The permessage-deflate data transform (RFC 7692 §6–7.2): raw DEFLATE per message, RSV1 on
//! the first frame, the `00 00 ff ff` tail removed on send and restored on receive.

use alloc::vec::Vec;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::{DeflateConfig, DeflateParams};
use crate::extension::{Decoded, Extension, ExtensionError};
use crate::frame::Rsv;
use crate::{MessageKind, Role};

/// §7.2.1: the 4 octets "0x00 0x00 0xff 0xff" an empty stored block with BFINAL 0 ends with,
/// removed from the tail of each compressed message and appended again before inflating
/// (§7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The smallest window zlib builds a raw deflate stream with (see the module docs on 8 bits).
const ZLIB_MIN_WINDOW_BITS: u8 = 9;

/// Output space added per step while inflating, before the doubling of what is there takes
/// over; output never grows past the caller's limit, so a bomb allocates at most that.
const MIN_STEP: usize = 16 << 10;

/// permessage-deflate as an [`Extension`]: created by the connection once negotiation agreed
/// on [`DeflateParams`], or by hand for a connection opened with
/// [`Connection::open`](crate::Connection::open).
pub struct Deflate {
    level: Compression,
    threshold: usize,
    /// Our compressor's window and whether it is reset after each message.
    send_bits: u8,
    send_reset: bool,
    /// The peer's window and whether its context is reset after each message.
    recv_bits: u8,
    recv_reset: bool,
    /// Created at first use; dropped after each message when context is not taken over.
    compressor: Option<Compress>,
    decompressor: Option<Decompress>,
    /// Received compressed bytes the decompressor has not taken yet (it stopped at a limit).
    pending: Vec<u8>,
    /// How much of [`TAIL`] the decompressor took for the message being received.
    tail: usize,
    /// One decoded byte found while checking for more output at a limit, handed out next.
    carry: Option<u8>,
}

impl Deflate {
    /// The transform for `role`'s end of a connection that agreed on `params`, compressing as
    /// `config` says (level, threshold).
    pub fn new(params: DeflateParams, role: Role, config: &DeflateConfig) -> Self {
        let (server, client) = (
            (
                params.server_max_window_bits,
                params.server_no_context_takeover,
            ),
            (
                params.client_max_window_bits,
                params.client_no_context_takeover,
            ),
        );
        let ((send_bits, send_reset), (recv_bits, recv_reset)) = match role {
            Role::Client => (client, server),
            Role::Server => (server, client),
        };
        Self {
            level: Compression::new(config.level.min(9)),
            threshold: config.threshold,
            send_bits: send_bits.clamp(ZLIB_MIN_WINDOW_BITS, 15),
            send_reset,
            recv_bits: recv_bits.clamp(ZLIB_MIN_WINDOW_BITS, 15),
            recv_reset,
            compressor: None,
            decompressor: None,
            pending: Vec::new(),
            tail: 0,
            carry: None,
        }
    }

    /// Inflates `src` into `out`, at most `budget` bytes. Returns how much of `src` was taken
    /// and whether output is pending (then a byte of it is in `carry`).
    fn inflate(
        d: &mut Decompress,
        src: &[u8],
        out: &mut Vec<u8>,
        budget: &mut usize,
        carry: &mut Option<u8>,
    ) -> Result<(usize, bool), ExtensionError> {
        let mut used = 0;
        loop {
            let len = out.len();
            let mut probe = [0u8; 1];
            // At the limit, one byte of room tells "done" from "more pending".
            let space = if *budget == 0 {
                1
            } else {
                let step = (*budget).min(len.max(MIN_STEP));
                if out.capacity() - len < step {
                    out.reserve_exact(step);
                }
                out.resize(len + step, 0);
                step
            };
            let (before_in, before_out) = (d.total_in(), d.total_out());
            let dst = if *budget == 0 {
                &mut probe[..]
            } else {
                &mut out[len..]
            };
            let status = d
                .decompress(&src[used..], dst, FlushDecompress::None)
                .map_err(|_| ExtensionError::Invalid("invalid DEFLATE data"))?;
            let took = usize::try_from(d.total_in() - before_in).unwrap_or(usize::MAX);
            let made = usize::try_from(d.total_out() - before_out).unwrap_or(usize::MAX);
            used = (used + took).min(src.len());
            if *budget == 0 {
                if made > 0 {
                    *carry = Some(probe[0]);
                    return Ok((used, true));
                }
            } else {
                out.truncate(len + made);
                *budget -= made;
            }
            if status == Status::StreamEnd {
                // A block with BFINAL set ended the stream (§7.2.3.5 allows it): start a fresh
                // one; the restored tail then decodes as an empty stored block.
                d.reset(false);
                if used == src.len() {
                    return Ok((used, false));
                }
                continue;
            }
            if made < space {
                // The decompressor stopped with room left: it took all it could.
                if used == src.len() {
                    return Ok((used, false));
                }
                if took == 0 {
                    return Err(ExtensionError::Invalid("DEFLATE data stalled"));
                }
            }
        }
    }

    /// Compresses `input` with a sync flush, appending to `out`.
    fn deflate(c: &mut Compress, input: &[u8], out: &mut Vec<u8>) -> Result<(), ExtensionError> {
        let mut used = 0;
        loop {
            out.reserve((input.len() - used) / 2 + 64);
            let before = c.total_in();
            c.compress_vec(&input[used..], out, FlushCompress::Sync)
                .map_err(|_| ExtensionError::Invalid("compression failed"))?;
            used += usize::try_from(c.total_in() - before).unwrap_or(usize::MAX);
            // zlib: a flush is complete when it returns with output space left.
            if used >= input.len() && out.len() < out.capacity() {
                return Ok(());
            }
        }
    }
}

impl Extension for Deflate {
    /// §6: "the "Per-Message Compressed" bit" is RSV1.
    fn rsv(&self) -> Rsv {
        Rsv::RSV1
    }

    fn decode(
        &mut self,
        _rsv: Rsv,
        input: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<Decoded, ExtensionError> {
        let mut budget = limit;
        if let Some(byte) = self.carry {
            if budget == 0 {
                return Ok(Decoded::Full);
            }
            out.push(byte);
            self.carry = None;
            budget -= 1;
        }
        let bits = self.recv_bits;
        let d = self
            .decompressor
            .get_or_insert_with(|| Decompress::new_with_window_bits(false, bits));
        if !self.pending.is_empty() {
            let (used, full) = Self::inflate(d, &self.pending, out, &mut budget, &mut self.carry)?;
            self.pending.drain(..used);
            if full || !self.pending.is_empty() {
                self.pending.extend_from_slice(input);
                return Ok(Decoded::Full);
            }
        }
        let (used, full) = Self::inflate(d, input, out, &mut budget, &mut self.carry)?;
        if full {
            self.pending.extend_from_slice(&input[used..]);
            return Ok(Decoded::Full);
        }
        if fin {
            // §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload
            // of the message. Decompress the resulting data using DEFLATE."
            let (used, full) =
                Self::inflate(d, &TAIL[self.tail..], out, &mut budget, &mut self.carry)?;
            self.tail += used;
            if full {
                return Ok(Decoded::Full);
            }
            self.tail = 0;
            // §7.1.1.1/§7.1.1.2: without context takeover the peer starts each message with
            // an empty window; so do we, and free the state meanwhile.
            if self.recv_reset {
                self.decompressor = None;
            }
        }
        Ok(Decoded::Done)
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        input: &[u8],
        first: bool,
        fin: bool,
        out: &mut Vec<u8>,
    ) -> Result<Rsv, ExtensionError> {
        if first && fin && input.len() < self.threshold {
            return Ok(Rsv::NONE);
        }
        let (level, bits) = (self.level, self.send_bits);
        let c = self
            .compressor
            .get_or_insert_with(|| Compress::new_with_window_bits(level, false, bits));
        // §7.2.1: "Compress all the octets of the payload of the message using DEFLATE."
        // Each piece is sync-flushed so a streamed message's frames go out as they are given.
        Self::deflate(c, input, out)?;
        if fin {
            // "If the resulting data does not end with an empty DEFLATE block with no
            // compression (the "BTYPE" bits are set to 00), append an empty DEFLATE block with
            // no compression to the tail end. Remove 4 octets (that are 0x00 0x00 0xff 0xff)
            // from the tail end." A sync flush always ends with that block.
            if out.ends_with(&TAIL) {
                out.truncate(out.len() - TAIL.len());
            } else {
                out.push(0x00);
            }
            if self.send_reset {
                self.compressor = None;
            }
        }
        // §6.1: "the "Per-Message Compressed" bit ... set ... on the first frame".
        Ok(if first { Rsv::RSV1 } else { Rsv::NONE })
    }
}

impl core::fmt::Debug for Deflate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Deflate")
            .field("send_bits", &self.send_bits)
            .field("send_reset", &self.send_reset)
            .field("recv_bits", &self.recv_bits)
            .field("recv_reset", &self.recv_reset)
            .field("compressor", &self.compressor.is_some())
            .field("decompressor", &self.decompressor.is_some())
            .finish_non_exhaustive()
    }
}
