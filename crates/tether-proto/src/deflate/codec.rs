//! The permessage-deflate data transform (RFC 7692 §6–7.2): raw DEFLATE per message, RSV1 on
//! the first frame, the `00 00 ff ff` tail removed on send and restored on receive.

use alloc::vec::Vec;

use zlib_rs::{DeflateConfig as ZConfig, DeflateFlush, InflateFlush, Status};

use super::pool::{self, Given, Key};
use super::quick;
use super::sample::looks_incompressible;
use super::window::Window;
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

/// The decompressor's window. zlib-rs allocates a 32 KiB window whatever it is told, and a
/// larger window decodes everything a smaller one does, so every decompressor is the same
/// (and any pooled one fits any connection).
const INFLATE_WINDOW_BITS: u8 = 15;

/// Output space added per step while inflating is at least this, at least 8 times the
/// compressed input (typical of text), and at least what is there already (doubling); it
/// never grows past the caller's limit, so a bomb allocates at most that. Sized to the
/// message, so a small message leaves a small buffer behind in the connection.
const MIN_STEP: usize = 1 << 10;

/// A message's last piece of at most this many bytes is copied, followed by the [`TAIL`], into
/// a buffer on the stack and inflated in one call instead of two (the second for the tail
/// alone): about 1 % of the time of a 1.4 KB JSON echo (`deflate_pair`). A larger piece is
/// inflated where it is, then the tail.
const JOIN_MAX: usize = 1 << 10;

/// permessage-deflate as an [`Extension`]: created by the connection once negotiation agreed
/// on [`DeflateParams`], or by hand for a connection opened with
/// [`Connection::open`](crate::Connection::open).
///
/// The compressor and decompressor are created at first use. A side without context takeover
/// gives its state back to a small process-wide pool at the end of every message, so an idle
/// connection holds none; a side with context takeover keeps it (it is the context) and gives
/// it back when the connection is dropped.
pub struct Deflate {
    /// What decides the bytes our messages compress to.
    send: SendKey,
    /// Whether our compressor is reset after each message.
    send_reset: bool,
    /// Whether the peer's context is reset after each message.
    recv_reset: bool,
    compressor: Option<zlib_rs::Deflate>,
    decompressor: Option<zlib_rs::Inflate>,
    /// Received compressed bytes the decompressor has not taken yet (it stopped at a limit).
    pending: Vec<u8>,
    /// How much of [`TAIL`] the decompressor took for the message being received.
    tail: usize,
    /// One decoded byte found while checking for more output at a limit, handed out next.
    carry: Option<u8>,
    /// With [`DeflateConfig::compact_context`] and context takeover: the context of each
    /// direction kept between messages as its last bytes, the states given back meanwhile.
    send_window: Option<Window>,
    recv_window: Option<Window>,
}

impl Deflate {
    /// The transform for `role`'s end of a connection that agreed on `params`, compressing as
    /// `config` says (level, memory level, threshold).
    pub fn new(params: DeflateParams, role: Role, config: &DeflateConfig) -> Self {
        let server = (
            params.server_max_window_bits,
            params.server_no_context_takeover,
        );
        let client = (
            params.client_max_window_bits,
            params.client_no_context_takeover,
        );
        let ((send_bits, send_reset), (recv_bits, recv_reset)) = match role {
            Role::Client => (client, server),
            Role::Server => (server, client),
        };
        let key = Key {
            level: config.level.min(9) as u8,
            window_bits: send_bits.clamp(ZLIB_MIN_WINDOW_BITS, 15),
            mem_level: config.mem_level_for(role),
        };
        let compact = |reset: bool, bits: u8| {
            (config.compact_context && !reset).then(|| Window::new(bits.clamp(8, 15)))
        };
        Self {
            send: SendKey {
                key,
                threshold: config.threshold,
                skip_incompressible: true,
            },
            send_reset,
            recv_reset,
            compressor: None,
            decompressor: None,
            pending: Vec::new(),
            tail: 0,
            carry: None,
            send_window: compact(send_reset, key.window_bits),
            recv_window: compact(recv_reset, recv_bits),
        }
    }

    /// Compresses every message at or above the threshold, even when it does not shrink (the
    /// RFC's examples compress 5 bytes into 7).
    #[cfg(test)]
    pub(crate) fn always_compress(mut self) -> Self {
        self.send.skip_incompressible = false;
        self
    }

    /// The settings every message of ours compresses with from fresh state, when our side has
    /// no context takeover (so each message is compressed from fresh state): connections with
    /// the same key send the same bytes for the same message, and can share them.
    pub(crate) fn share_key(&self) -> Option<SendKey> {
        self.send_reset.then_some(self.send)
    }

    /// Whether a compressor and a decompressor are held now (for tests of the idle cost).
    #[cfg(test)]
    pub(crate) fn holds_state(&self) -> (bool, bool) {
        (self.compressor.is_some(), self.decompressor.is_some())
    }

    fn new_decompressor() -> zlib_rs::Inflate {
        pool::take_inflate().unwrap_or_else(|| zlib_rs::Inflate::new(false, INFLATE_WINDOW_BITS))
    }

    /// Gives the compressor back to the pool (its context is not wanted any more).
    fn release_compressor(&mut self) {
        if let Some(c) = self.compressor.take() {
            pool::put_deflate(self.send.key, c, Given::Used);
        }
    }

    fn release_decompressor(&mut self) {
        if let Some(d) = self.decompressor.take() {
            pool::put_inflate(d);
        }
        // What a message stopped at a limit left; a large one is not kept while idle.
        self.pending = Vec::new();
    }

    /// Inflates `src` into `out`, at most `budget` bytes. Returns how much of `src` was taken
    /// and whether output is pending (then a byte of it is in `carry`).
    fn inflate(
        d: &mut zlib_rs::Inflate,
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
                let step = (*budget).min(len.max(MIN_STEP).max(src.len().saturating_mul(8)));
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
                .decompress(&src[used..], dst, InflateFlush::NoFlush)
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

    /// [`Extension::decode`] but for keeping the window of [`DeflateConfig::compact_context`].
    fn decode_piece(
        &mut self,
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
        let d = match &mut self.decompressor {
            Some(d) => d,
            empty => {
                let mut d = Self::new_decompressor();
                // A new message with the context kept as bytes: the peer may refer to them.
                if let Some(window) = self.recv_window.as_ref().filter(|w| !w.bytes().is_empty()) {
                    d.set_dictionary(window.bytes())
                        .map_err(|_| ExtensionError::Invalid("inflate dictionary refused"))?;
                }
                empty.insert(d)
            }
        };
        if !self.pending.is_empty() {
            let (used, full) = Self::inflate(d, &self.pending, out, &mut budget, &mut self.carry)?;
            self.pending.drain(..used);
            if full || !self.pending.is_empty() {
                self.pending.extend_from_slice(input);
                return Ok(Decoded::Full);
            }
        }
        let joined = fin && self.tail == 0 && input.len() <= JOIN_MAX;
        let (used, full) = if joined {
            // A small last piece goes in with the tail (§7.2.2), in one call.
            let mut both = [0u8; JOIN_MAX + TAIL.len()];
            let n = input.len();
            both[..n].copy_from_slice(input);
            both[n..n + TAIL.len()].copy_from_slice(&TAIL);
            let (used, full) = Self::inflate(
                d,
                &both[..n + TAIL.len()],
                out,
                &mut budget,
                &mut self.carry,
            )?;
            if full && used > n {
                self.tail = used - n;
                return Ok(Decoded::Full);
            }
            (used.min(n), full)
        } else {
            Self::inflate(d, input, out, &mut budget, &mut self.carry)?
        };
        if full {
            self.pending.extend_from_slice(&input[used..]);
            return Ok(Decoded::Full);
        }
        if fin {
            // §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload
            // of the message. Decompress the resulting data using DEFLATE."
            if !joined {
                let (used, full) =
                    Self::inflate(d, &TAIL[self.tail..], out, &mut budget, &mut self.carry)?;
                self.tail += used;
                if full {
                    return Ok(Decoded::Full);
                }
            }
            self.tail = 0;
            // §7.1.1.1/§7.1.1.2: without context takeover the peer starts each message with
            // an empty window; so do we, and give the state back meanwhile.
            if self.recv_reset {
                self.release_decompressor();
            } else if self.pending.capacity() > 0 {
                self.pending = Vec::new();
            }
        }
        Ok(Decoded::Done)
    }
}

impl Drop for Deflate {
    fn drop(&mut self) {
        // Context kept for this connection is no use to another, but the memory is: the pool
        // resets a state before handing it out.
        self.release_compressor();
        self.release_decompressor();
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
        let start = out.len();
        let decoded = self.decode_piece(input, fin, out, limit)?;
        if let Some(window) = &mut self.recv_window {
            window.push(&out[start..]);
            if fin && decoded == Decoded::Done {
                self.release_decompressor();
            }
        }
        Ok(decoded)
    }

    fn encode(
        &mut self,
        kind: MessageKind,
        input: &[u8],
        first: bool,
        fin: bool,
        out: &mut Vec<u8>,
    ) -> Result<Rsv, ExtensionError> {
        let whole = first && fin;
        if whole && self.send_reset {
            // From fresh state: the one function a prepared message is compressed with too.
            self.release_compressor();
            let fresh = self.send.compress_fresh(kind, input, out)?;
            return Ok(if fresh == Fresh::Compressed {
                Rsv::RSV1
            } else {
                Rsv::NONE
            });
        }
        if first && self.send.skips(kind, input, whole) {
            // Too small to gain, or would not shrink (see `sample`): sent as it is, and the
            // compressor has seen none of it.
            return Ok(Rsv::NONE);
        }
        let start = out.len();
        let c = match &mut self.compressor {
            Some(c) => c,
            empty => {
                let mut c = new_compressor(self.send.key);
                // The context kept as bytes: the peer's window holds them, so we may refer to
                // them.
                if let Some(window) = self.send_window.as_ref().filter(|w| !w.bytes().is_empty()) {
                    c.set_dictionary(window.bytes())
                        .map_err(|_| ExtensionError::Invalid("deflate dictionary refused"))?;
                }
                empty.insert(c)
            }
        };
        if let Err(e) = compress(c, input, DeflateFlush::SyncFlush, fin, out) {
            // A failed compressor's state is unknown: start afresh next time.
            self.compressor = None;
            return Err(e);
        }
        if fin {
            if whole && self.send.grew(out.len() - start, input.len()) {
                // It did not shrink: send it as it is. The compressor took it into its window
                // and the peer will not, so it must not refer back to it: a fresh compressor
                // refers to nothing earlier, which any peer window accepts (with a compact
                // context, one primed with the window before this message, as the peer's is).
                out.truncate(start);
                self.release_compressor();
                return Ok(Rsv::NONE);
            }
            if self.send_reset {
                self.release_compressor();
            }
        }
        // The peer's window now holds this piece (a whole message only once it is known to go
        // out compressed, above).
        if let Some(window) = &mut self.send_window {
            window.push(input);
            if fin {
                self.release_compressor();
            }
        }
        // §6.1: "the "Per-Message Compressed" bit ... set ... on the first frame".
        Ok(if first { Rsv::RSV1 } else { Rsv::NONE })
    }
}

impl core::fmt::Debug for Deflate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Deflate")
            .field("level", &self.send.key.level)
            .field("send_bits", &self.send.key.window_bits)
            .field("mem_level", &self.send.key.mem_level)
            .field("send_reset", &self.send_reset)
            .field("recv_reset", &self.recv_reset)
            .field("compressor", &self.compressor.is_some())
            .field("decompressor", &self.decompressor.is_some())
            .finish_non_exhaustive()
    }
}

/// What decides the bytes a whole message compresses to from fresh state: the compressor's
/// level, window bits and memory level, the threshold, and whether messages that would not
/// shrink go out uncompressed. Connections whose sending side has no context takeover and the
/// same key send the same message as the same bytes, so a
/// [`PreparedMessage`](crate::PreparedMessage) is compressed once per key.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) struct SendKey {
    key: Key,
    threshold: usize,
    /// Whether messages that would not shrink are sent uncompressed (off only in tests that
    /// check exact compressed bytes of tiny messages).
    skip_incompressible: bool,
}

/// How [`SendKey::compress_fresh`] sent a whole message.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Fresh {
    /// Uncompressed without a compressor pass: below the threshold, or it looks incompressible.
    Skipped,
    /// Uncompressed: compressed, it did not shrink.
    Grew,
    /// Compressed (the bytes were appended).
    Compressed,
}

impl SendKey {
    /// Whether a message whose first piece is `input` goes out as it is without a compressor
    /// pass: a whole message below the threshold, or a binary one that looks incompressible.
    /// Text is not sampled: UTF-8 text practically never spreads its bytes as evenly as the
    /// sample asks (random bytes do; JSON, prose, base64 and hex all repeat a few dozen byte
    /// values), and text that does not shrink is still caught by [`grew`](Self::grew).
    fn skips(&self, kind: MessageKind, input: &[u8], whole: bool) -> bool {
        whole && input.len() < self.threshold
            || self.skip_incompressible
                && kind == MessageKind::Binary
                && looks_incompressible(input)
    }

    /// Whether a whole message of `len` bytes that compressed to `compressed` goes out as it
    /// is instead.
    fn grew(&self, compressed: usize, len: usize) -> bool {
        self.skip_incompressible && compressed >= len
    }

    /// Sends a whole message from fresh state, as every connection with this key does
    /// ([`Deflate::encode`] calls it for each whole message when its side has no context
    /// takeover): returns whether it goes out compressed, the compressed payload then appended
    /// to `out` (without the §7.2.1 tail). One function for both, so a shared compressed frame
    /// is byte for byte what each connection would send.
    pub(crate) fn compress_fresh(
        &self,
        kind: MessageKind,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Fresh, ExtensionError> {
        if self.skips(kind, input, true) {
            return Ok(Fresh::Skipped);
        }
        let start = out.len();
        if self.key.level == 1 && input.len() <= quick::MAX_INPUT {
            // Level 1 without zlib-rs's 128 KiB hash table to clear (see `quick`).
            quick::compress(input, self.key.window_bits, out);
        } else {
            // A pooled compressor is reset when taken, or was left clean by the full flush
            // that ended its last message: the same as a new one either way.
            let mut c = new_compressor(self.key);
            // A full flush ends the message with the same empty stored block a sync flush
            // does, and forgets the history, so the state goes back clean (no reset when next
            // taken).
            compress(&mut c, input, DeflateFlush::FullFlush, true, out)?;
            pool::put_deflate(self.key, c, Given::Clean);
        }
        if self.grew(out.len() - start, input.len()) {
            out.truncate(start);
            return Ok(Fresh::Grew);
        }
        Ok(Fresh::Compressed)
    }
}

/// A compressor with `key`: from the pool (reset), or new.
fn new_compressor(key: Key) -> zlib_rs::Deflate {
    pool::take_deflate(key).unwrap_or_else(|| {
        let mut config = ZConfig::new(i32::from(key.level));
        // Negative: a raw deflate stream, no zlib header.
        config.window_bits = -i32::from(key.window_bits);
        config.mem_level = i32::from(key.mem_level);
        zlib_rs::Deflate::new_with_config(config)
    })
}

/// Compresses the next piece of a message (§7.2.1: "Compress all the octets of the payload of
/// the message using DEFLATE"), appending to `out`; `fin` ends the message. Each piece is
/// flushed (`flush`: sync, or full to forget the history too) so a streamed message's frames go
/// out as they are given.
fn compress(
    c: &mut zlib_rs::Deflate,
    input: &[u8],
    flush: DeflateFlush,
    fin: bool,
    out: &mut Vec<u8>,
) -> Result<(), ExtensionError> {
    deflate(c, input, flush, out)?;
    if fin {
        // "If the resulting data does not end with an empty DEFLATE block with no compression
        // (the "BTYPE" bits are set to 00), append an empty DEFLATE block with no compression
        // to the tail end. Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
        // A sync flush always ends with that block.
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        } else {
            out.push(0x00);
        }
    }
    Ok(())
}

/// Compresses `input` with `flush`, appending to `out`.
fn deflate(
    c: &mut zlib_rs::Deflate,
    input: &[u8],
    flush: DeflateFlush,
    out: &mut Vec<u8>,
) -> Result<(), ExtensionError> {
    let mut used = 0;
    loop {
        let len = out.len();
        // Compressible data takes less than half; the loop goes on for the rest.
        let room = (input.len() - used) / 2 + 64;
        out.resize(len + room, 0);
        let (before_in, before_out) = (c.total_in(), c.total_out());
        let result = c.compress(&input[used..], &mut out[len..], flush);
        let made = usize::try_from(c.total_out() - before_out).unwrap_or(usize::MAX);
        out.truncate(len + made.min(room));
        result.map_err(|_| ExtensionError::Invalid("compression failed"))?;
        used += usize::try_from(c.total_in() - before_in).unwrap_or(usize::MAX);
        // zlib: a flush is complete when it returns with output space left.
        if used >= input.len() && made < room {
            return Ok(());
        }
    }
}
