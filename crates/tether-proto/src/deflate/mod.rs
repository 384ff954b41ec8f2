//! permessage-deflate (RFC 7692): settings, negotiation, and the [`Extension`](crate::Extension) that compresses.
//!
//! With the `deflate` feature (on by default) and [`Config::deflate`](crate::Config::deflate)
//! set (the default), a [`Connection`](crate::Connection) negotiates compression by itself:
//!
//! * a client adds [`DeflateConfig::offer`] to its upgrade request and, when the server's 101
//!   response accepts it, checks the answer ([`DeflateConfig::accept_response`]; a response it
//!   cannot honour fails the handshake with
//!   [`HandshakeError::InvalidExtensionResponse`]) and installs [`Deflate`];
//! * a server, when the application's [`Accept`](crate::handshake::Accept) chose no extension
//!   itself, answers the first of the client's offers it can honour
//!   ([`DeflateConfig::negotiate`]) and installs [`Deflate`]. Malformed or unsupported offers
//!   are declined, never an error.
//!
//! What was agreed shows in [`Negotiated::extensions`](crate::connection::Negotiated), and
//! [`Negotiated::deflate`](crate::connection::Negotiated::deflate) gives the agreement itself
//! ([`DeflateParams::from_response`] reads its parameters).
//!
//! # Memory
//!
//! Each direction's state is created on first use, so a connection whose messages all stay
//! below [`DeflateConfig::threshold`] (or look incompressible) pays nothing. The zlib-rs
//! compressor holds a 2 × 2<sup>bits</sup> byte window, a 2<sup>bits</sup>-entry chain, a
//! 128 KiB hash table (fixed in zlib-rs, whatever the memory level) and a symbol buffer of
//! 7 × 2<sup>mem_level + 6</sup> bytes; the decompressor about 47 KiB (zlib-rs gives it a
//! 32 KiB window whatever the bits). Measured with a counting allocator, per state:
//!
//! | compressor (window bits, memory level) | live bytes |
//! |---|---|
//! | 15, 8 (zlib's defaults; the client's) | 371 KiB |
//! | 12, 5 (the server's defaults) | 161 KiB |
//! | 9, 1 | 134 KiB |
//! | decompressor, any window | 46 KiB |
//!
//! When a side must not use context takeover (`*_no_context_takeover`), its state is given
//! back at the end of every message to a small process-wide pool (at most 8 compressors and
//! 16 decompressors; [`clear_pool`] frees them) and taken again for the next compressed
//! message (a compressor left clean by the full flush that ended its last message as it is,
//! others reset), so an idle connection without context takeover holds no codec state.
//! With context takeover the state is the context, kept as long as the connection — unless
//! [`DeflateConfig::compact_context`] is set: then only the window (2<sup>bits</sup> bytes per
//! direction) is kept between messages, and pooled states are primed with it.
//!
//! At level 1 (the default), a whole message of up to 16 KiB compressed from an empty history
//! (no context takeover, and every prepared message) takes no zlib-rs state at all: `quick.rs`
//! compresses it with a hash table sized to the message, on the stack, into the bytes zlib's
//! level 1 makes (greedy matches of 4 bytes or more, the fixed Huffman codes, within 1 % of
//! zlib-rs' size). zlib-rs would clear its 128 KiB hash table for each such message.
//!
//! A server uses no context takeover for its own messages unless set otherwise
//! ([`SERVER_DEFAULT_NO_CONTEXT_TAKEOVER`]): its compressor is the largest state and goes back
//! to the pool after each message, so an active connection holds only the decompressor of the
//! client's context.
//!
//! Measured (live heap from a counting allocator, `tests/deflate_memory.rs`: a server end
//! after one 1.4 KB JSON message each way, what it holds over a connection without
//! compression, 4.1 KiB): server defaults 50 KiB (the decompressor; 54 KiB for the whole
//! connection); no context takeover either way 3.6 KiB (no codec state: the connection's
//! buffers); the server's context kept (`server_no_context_takeover(false)`) 211 KiB (with
//! 15-bit windows and memory level 8: 420 KiB), or 11 KiB with `compact_context`. Servers
//! holding many mostly idle connections can ask for `client_no_context_takeover` too, or turn
//! on `compact_context`.
//!
//! # Incompressible messages
//!
//! A whole message that does not shrink is sent uncompressed (RSV1 clear): for binary messages, a
//! byte histogram of up to 256 bytes sampled across the message catches most such data before any
//! compression (see `sample.rs`; text is not sampled, as UTF-8 text practically never looks random
//! to it), and a message that was compressed and did not shrink is sent as it is with the
//! compressor reset (the peer never sees what it took in, so it must not refer back to it; a fresh
//! compressor refers to nothing earlier, valid under any peer window).
//!
//! # Window size 8
//!
//! zlib (and zlib-rs) refuse a raw-deflate compressor with an 8-bit window. When our
//! compressor's window is limited to 8 bits, it runs with 9 bits instead: zlib never emits a
//! match farther back than the window size minus 262 bytes (`MAX_DIST`, room kept for the
//! look-ahead), which is 250 bytes for a 9-bit window, within what an 8-bit (256-byte) window
//! decoder accepts. The decompressor likewise runs with 9 bits for an 8-bit peer window; a
//! larger window decodes anything a smaller one does.

mod codec;
mod negotiate;
mod params;
mod pool;
mod quick;
mod sample;
mod window;

use alloc::format;

pub use self::codec::Deflate;
pub(crate) use self::codec::{Fresh, SendKey};
use self::params::{MAX_WINDOW_BITS, MIN_WINDOW_BITS, NAME, Params, Side};
use crate::Role;
use crate::handshake::{ExtensionOffer, HandshakeError};

/// A server's window, in bits, when [`DeflateConfig::server_max_window_bits`] is not set (and
/// what it asks of the client where the offer allows): 4 KiB, as Python `websockets` does.
pub const SERVER_DEFAULT_WINDOW_BITS: u8 = 12;
/// Whether a server compresses each message on its own (RFC 7692 §7.1.1.1, stated in its
/// response) when [`DeflateConfig::server_no_context_takeover`] is not set: yes, so an
/// active connection holds no compressor between messages (see the module docs on memory)
/// and a prepared message is compressed once for every connection.
pub const SERVER_DEFAULT_NO_CONTEXT_TAKEOVER: bool = true;
/// A server's memory level when [`DeflateConfig::mem_level`] is not set, as Python
/// `websockets` does.
pub const SERVER_DEFAULT_MEM_LEVEL: u8 = 5;
/// A client's memory level when [`DeflateConfig::mem_level`] is not set: zlib's default.
pub const CLIENT_DEFAULT_MEM_LEVEL: u8 = 8;

/// Frees the compressor and decompressor states pooled for reuse (see the module docs on
/// memory), for an application that wants the memory back after a burst. Returns how many
/// compressors and decompressors were freed. Connections go on working: they create or pool
/// states again as they need them.
pub fn clear_pool() -> (usize, usize) {
    pool::clear()
}

/// permessage-deflate settings: what a client offers and a server accepts, and how messages
/// are compressed.
///
/// The `server_*` and `client_*` fields are named as in RFC 7692: for a client, `server_*`
/// is what it asks of the server and `client_*` what it promises; for a server, `server_*`
/// binds itself and `client_*` is what it asks of the client. The window sizes, the memory
/// level and `server_no_context_takeover` are `Option`s: `None` (the default) means the
/// role's default, so one
/// `DeflateConfig::default()` serves both roles — a server keeps its memory small (12-bit
/// windows, memory level 5, no context takeover for its own messages: about 50 KiB of codec
/// state, the decompressor), a client compresses as zlib does by default (15 bits, memory
/// level 8).
///
/// ```
/// use tether_proto::Config;
/// use tether_proto::deflate::DeflateConfig;
///
/// // Less memory per connection: 10-bit windows, no context kept between messages.
/// let deflate = DeflateConfig::default()
///     .server_max_window_bits(10)
///     .client_max_window_bits(10)
///     .mem_level(4)
///     .server_no_context_takeover(true)
///     .client_no_context_takeover(true);
/// let config = Config::default().deflate(Some(deflate));
/// assert_eq!(config.deflate.unwrap().server_max_window_bits, Some(10));
/// // Off: neither offered nor accepted.
/// assert!(Config::default().deflate(None).deflate.is_none());
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct DeflateConfig {
    /// Compression level, 0 (store only) to 9 (smallest output, slowest). Default: 1, the
    /// fastest: on JSON-like messages it takes a 4 KiB echo's size to about a quarter (level 6:
    /// a sixth) at about a sixth of level 6's CPU time (see `benches/benches/deflate.rs`), so
    /// compression on by default costs little. Local: not negotiated.
    pub level: u32,
    /// zlib's `memLevel`, 1 to 9: the compressor's symbol buffer holds 2<sup>mem_level +
    /// 6</sup> symbols at 7 bytes each (14 KiB at 5, 112 KiB at 8). Lower takes less memory
    /// and ends blocks sooner, which costs a little size on large messages (under 1% on the
    /// bench's 64 KiB JSON between 8 and 5). zlib-rs's hash table stays 128 KiB whatever the
    /// level. Default `None`: [`SERVER_DEFAULT_MEM_LEVEL`] (5) for a server,
    /// [`CLIENT_DEFAULT_MEM_LEVEL`] (8) for a client. Local: not negotiated.
    pub mem_level: Option<u8>,
    /// The minimum size of a message to compress: whole messages shorter than this are sent
    /// uncompressed. Default: 128 bytes — below that the saving is at most a few dozen bytes
    /// (often none: a compressed block has a header of its own) while a compressor pass has a
    /// fixed cost; above it, text and JSON shrink to a third or less, more with context
    /// takeover. Messages that would not shrink are sent uncompressed whatever their size
    /// (see the module docs). Local: not negotiated.
    pub threshold: usize,
    /// The server must not keep its compression context between messages (RFC 7692
    /// §7.1.1.1): a client asks for it, a server imposes it on itself (§7.1.1.1 lets a server
    /// include it in its response unasked). Default `None`: the role's default —
    /// a server compresses each message on its own and says so in its response
    /// ([`SERVER_DEFAULT_NO_CONTEXT_TAKEOVER`]), a client does not ask. `Some(on)`: a server
    /// keeps its context unless the client asks (`false`) or never keeps it (`true`); a
    /// client asks for it (`true`) or not (`false`).
    ///
    /// Trade-off: context takeover compresses a stream of similar small messages better (each
    /// refers back to the ones before) and costs less CPU per message, at the cost of keeping
    /// the server's compressor (161 KiB with the server defaults) for as long as the
    /// connection lives. Without it, the compressor goes back to a shared pool after each
    /// message (an active connection holds only its decompressor: 54 KiB of heap in all
    /// instead of 215 KiB), and a [`PreparedMessage`](crate::PreparedMessage) sent to many
    /// connections is compressed once for all of them; each message then starts from a clean
    /// compressor, and zlib-rs clears its 128 KiB hash table for that (at the full flush that
    /// ends each message), about 1 µs.
    /// Measured with `benches/benches/deflate.rs` (a JSON echo through a tether client and
    /// server with the server defaults, the server's context dropped → kept): 256 B 4.8 →
    /// 2.9 µs with the round trip at 0.41 → 0.30 of the payload on the wire; 4 KiB 29.2 →
    /// 25.9 µs at 0.31 both; 64 KiB within 4 %.
    pub server_no_context_takeover: Option<bool>,
    /// The client must not keep its compression context between messages (§7.1.1.2): a
    /// client promises it, a server asks for it (and can then give its decompressor back
    /// between messages). Default: `false`, for the same trade-off the other way.
    pub client_no_context_takeover: bool,
    /// The largest LZ77 window the server may use, in bits, 8 to 15 (§7.1.2.1). Default
    /// `None`: a server compresses with [`SERVER_DEFAULT_WINDOW_BITS`] (12) and says so in its
    /// response (§7.1.2.1 lets it); a client does not ask (the server picks, up to 15).
    /// `Some(bits)`: a server uses at most `bits` (less when the offer asks); a client asks
    /// for `bits` when under 15 and fails the handshake if the server does not confirm.
    /// Trade-off: each bit less halves the compressor's window and chain (32 KiB at 12 bits,
    /// 256 KiB at 15) and loses matches farther back than the window.
    pub server_max_window_bits: Option<u8>,
    /// The largest LZ77 window the client may use, in bits, 8 to 15 (§7.1.2.2). Default
    /// `None`: a server asks for [`SERVER_DEFAULT_WINDOW_BITS`] (12) when the offer allows it
    /// (has `client_max_window_bits`) and otherwise accepts the client's 15; a client offers a
    /// bare `client_max_window_bits` (any size the server picks). `Some(bits)`: a server asks
    /// for at most `bits` where allowed (see
    /// [`require_client_max_window_bits`](Self#structfield.require_client_max_window_bits));
    /// a client promises at most `bits`. Trade-off: as for the server's window, on the
    /// client's compressor.
    pub client_max_window_bits: Option<u8>,
    /// Server: decline an offer without `client_max_window_bits` when the client's window
    /// must be smaller than 15 bits (a client that cannot limit its window). Default: `false`,
    /// accept it with the client's window at 15 bits (the server's decompressor is the same
    /// size either way with zlib-rs). Ignored by a client.
    pub require_client_max_window_bits: bool,
    /// With context takeover, keep only the LZ77 window of each direction between messages
    /// (2<sup>bits</sup> bytes: 4 KiB each at 12 bits) and give the compressor and
    /// decompressor back to the pool, priming pooled ones with the window (a preset
    /// dictionary) at the start of the next message. Messages refer back as far as with the
    /// states kept (the window is the whole context: compression is as good, within a few
    /// bytes); an idle connection holds about 8 KiB instead of about 210 KiB (server defaults
    /// with the server's context kept).
    /// The price is CPU: resetting a zlib-rs compressor clears its 128 KiB hash table and
    /// priming it hashes the whole window, about 7 µs more per message at 12-bit windows (a
    /// 1.4 KB JSON echo through both codecs: 14 µs → 29 µs) and 44 µs at 15 bits, so it suits
    /// small windows and mostly idle connections. Default: `false`.
    /// No effect on a side without context takeover (it holds nothing between messages
    /// anyway). Local: not negotiated.
    pub compact_context: bool,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self {
            level: 1,
            mem_level: None,
            threshold: 128,
            server_no_context_takeover: None,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            client_max_window_bits: None,
            require_client_max_window_bits: false,
            compact_context: false,
        }
    }
}

/// What a negotiation agreed (RFC 7692 §7.1), with absent parameters filled in: the windows
/// default to 15 bits and context takeover is allowed unless turned off.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct DeflateParams {
    /// The server resets its compression context after every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after every message.
    pub client_no_context_takeover: bool,
    /// The server's LZ77 window, in bits.
    pub server_max_window_bits: u8,
    /// The client's LZ77 window, in bits.
    pub client_max_window_bits: u8,
}

impl DeflateParams {
    /// The agreement a server's response states. Used by
    /// [`Connection::open`](crate::Connection::open) when the handshake happened elsewhere.
    ///
    /// # Errors
    ///
    /// `response` is not a well-formed permessage-deflate response.
    pub fn from_response(response: &ExtensionOffer) -> Result<Self, HandshakeError> {
        if !response.name.eq_ignore_ascii_case(NAME) {
            return Err(invalid("not a permessage-deflate response"));
        }
        let p = Params::parse(response, Side::Response).map_err(invalid)?;
        Ok(Self {
            server_no_context_takeover: p.server_no_context_takeover,
            client_no_context_takeover: p.client_no_context_takeover,
            server_max_window_bits: p.server_max_window_bits.unwrap_or(MAX_WINDOW_BITS),
            client_max_window_bits: p
                .client_max_window_bits
                .flatten()
                .unwrap_or(MAX_WINDOW_BITS),
        })
    }
}

fn invalid(reason: &str) -> HandshakeError {
    HandshakeError::InvalidExtensionResponse(format!("{NAME}: {reason}"))
}

impl DeflateConfig {
    /// Sets [`level`](Self#structfield.level) (at most 9).
    #[must_use]
    pub fn level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// Sets [`threshold`](Self#structfield.threshold).
    #[must_use]
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// Sets [`server_no_context_takeover`](Self#structfield.server_no_context_takeover).
    #[must_use]
    pub fn server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = Some(on);
        self
    }

    /// Sets [`client_no_context_takeover`](Self#structfield.client_no_context_takeover).
    #[must_use]
    pub fn client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// Sets [`mem_level`](Self#structfield.mem_level) (clamped to 1..=9).
    #[must_use]
    pub fn mem_level(mut self, level: u8) -> Self {
        self.mem_level = Some(level.clamp(1, 9));
        self
    }

    /// Sets [`server_max_window_bits`](Self#structfield.server_max_window_bits) (clamped to
    /// 8..=15).
    #[must_use]
    pub fn server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = Some(bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS));
        self
    }

    /// Sets [`client_max_window_bits`](Self#structfield.client_max_window_bits) (clamped to
    /// 8..=15).
    #[must_use]
    pub fn client_max_window_bits(mut self, bits: u8) -> Self {
        self.client_max_window_bits = Some(bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS));
        self
    }

    /// Sets [`require_client_max_window_bits`](Self#structfield.require_client_max_window_bits).
    #[must_use]
    pub fn require_client_max_window_bits(mut self, on: bool) -> Self {
        self.require_client_max_window_bits = on;
        self
    }

    /// Sets [`compact_context`](Self#structfield.compact_context).
    #[must_use]
    pub fn compact_context(mut self, on: bool) -> Self {
        self.compact_context = on;
        self
    }

    /// The memory level `role`'s compressor uses.
    pub(crate) fn mem_level_for(&self, role: Role) -> u8 {
        let default = match role {
            Role::Server => SERVER_DEFAULT_MEM_LEVEL,
            Role::Client => CLIENT_DEFAULT_MEM_LEVEL,
        };
        self.mem_level.unwrap_or(default).clamp(1, 9)
    }
}

fn bits(set: Option<u8>, default: u8) -> u8 {
    set.unwrap_or(default)
        .clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
}

#[cfg(test)]
mod knob_tests;
#[cfg(test)]
mod tests;
