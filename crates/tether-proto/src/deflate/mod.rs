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
//! below [`DeflateConfig::threshold`] pays nothing. With the default 15-bit windows the
//! compressor (zlib-rs at the default memory level) holds about 270 KiB and the decompressor
//! about 40 KiB; each window bit less halves the window part (2 × 2<sup>bits</sup> bytes plus a
//! 2<sup>bits</sup>-entry chain for the compressor, 2<sup>bits</sup> bytes for the decompressor).
//! When a side must not use context takeover (`*_no_context_takeover`), its state is dropped at
//! the end of every message and the memory freed, at the cost of setting it up again for the
//! next compressed message.
//!
//! Measured (live heap from a counting allocator, one end of a connection after one 1.6 KB
//! JSON message each way, default settings): 437 KiB with context takeover, 20 KiB with both
//! `*_no_context_takeover` (the codec state is freed; what remains is the connection's own
//! buffers), 4 KiB for a connection without compression. Servers holding many mostly idle
//! connections should consider `server_no_context_takeover` or smaller windows.
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
mod params;

use alloc::format;

pub use self::codec::Deflate;
use self::params::{
    CLIENT_MAX_WINDOW_BITS, CLIENT_NO_CONTEXT_TAKEOVER, MAX_WINDOW_BITS, MIN_WINDOW_BITS, NAME,
    Params, SERVER_MAX_WINDOW_BITS, SERVER_NO_CONTEXT_TAKEOVER, Side,
};
use crate::handshake::{ExtensionOffer, HandshakeError};

/// permessage-deflate settings: what a client offers and a server accepts, and how messages
/// are compressed.
///
/// The `server_*` and `client_*` fields are named as in RFC 7692: for a client, `server_*`
/// is what it asks of the server and `client_*` what it promises; for a server, `server_*`
/// binds itself and `client_*` is what it requires of the client.
///
/// ```
/// use tether_proto::Config;
/// use tether_proto::deflate::DeflateConfig;
///
/// // Less memory per connection: 12-bit windows, no context kept between messages.
/// let deflate = DeflateConfig::default()
///     .server_max_window_bits(12)
///     .client_max_window_bits(12)
///     .server_no_context_takeover(true)
///     .client_no_context_takeover(true);
/// let config = Config::default().deflate(Some(deflate));
/// assert_eq!(config.deflate.unwrap().server_max_window_bits, 12);
/// // Off: neither offered nor accepted.
/// assert!(Config::default().deflate(None).deflate.is_none());
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct DeflateConfig {
    /// Compression level, 0 (store only) to 9 (smallest output, slowest). Default: 1, the
    /// fastest: on JSON-like messages it takes a 4 KiB echo's size to about a quarter (level 6:
    /// a sixth) at about a sixth of level 6's CPU time (see `benches/benches/deflate.rs`), so
    /// compression on by default costs little.
    pub level: u32,
    /// Messages shorter than this many bytes are sent uncompressed. Default: 128 — below that
    /// the saving is at most a few dozen bytes (often none: a compressed block has a header of
    /// its own) while the cost of a compressor pass is fixed; above it, text and JSON shrink
    /// to a third or less, more with context takeover.
    pub threshold: usize,
    /// The server must not keep its compression context between messages (RFC 7692
    /// §7.1.1.1). Default: `false`.
    pub server_no_context_takeover: bool,
    /// The client must not keep its compression context between messages (§7.1.1.2).
    /// Default: `false`.
    pub client_no_context_takeover: bool,
    /// The largest LZ77 window the server may use, in bits, 8 to 15 (§7.1.2.1). Default: 15.
    pub server_max_window_bits: u8,
    /// The largest LZ77 window the client may use, in bits, 8 to 15 (§7.1.2.2). Default: 15.
    pub client_max_window_bits: u8,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self {
            level: 1,
            threshold: 128,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
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
        self.server_no_context_takeover = on;
        self
    }

    /// Sets [`client_no_context_takeover`](Self#structfield.client_no_context_takeover).
    #[must_use]
    pub fn client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// Sets [`server_max_window_bits`](Self#structfield.server_max_window_bits) (clamped to
    /// 8..=15).
    #[must_use]
    pub fn server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        self
    }

    /// Sets [`client_max_window_bits`](Self#structfield.client_max_window_bits) (clamped to
    /// 8..=15).
    #[must_use]
    pub fn client_max_window_bits(mut self, bits: u8) -> Self {
        self.client_max_window_bits = bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        self
    }

    fn server_bits(&self) -> u8 {
        self.server_max_window_bits
            .clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
    }

    fn client_bits(&self) -> u8 {
        self.client_max_window_bits
            .clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
    }

    /// Client: the offer to send. `client_max_window_bits` is always offered (bare when the
    /// window is not limited: §7.1.2.2 "the client supports this parameter" and will use any
    /// size the server picks); the others when set.
    ///
    /// ```
    /// use tether_proto::deflate::DeflateConfig;
    ///
    /// assert_eq!(DeflateConfig::default().offer().to_header_value(),
    ///            "permessage-deflate; client_max_window_bits");
    /// ```
    pub fn offer(&self) -> ExtensionOffer {
        let mut offer = ExtensionOffer::new(NAME);
        if self.server_no_context_takeover {
            offer = offer.with_param(SERVER_NO_CONTEXT_TAKEOVER);
        }
        if self.client_no_context_takeover {
            offer = offer.with_param(CLIENT_NO_CONTEXT_TAKEOVER);
        }
        if self.server_bits() < MAX_WINDOW_BITS {
            offer =
                offer.with_param_value(SERVER_MAX_WINDOW_BITS, format!("{}", self.server_bits()));
        }
        if self.client_bits() < MAX_WINDOW_BITS {
            offer.with_param_value(CLIENT_MAX_WINDOW_BITS, format!("{}", self.client_bits()))
        } else {
            offer.with_param(CLIENT_MAX_WINDOW_BITS)
        }
    }

    /// Client: checks the server's answer to [`offer`](Self::offer) (RFC 7692 §7.1) and returns
    /// what it agrees.
    ///
    /// # Errors
    ///
    /// [`HandshakeError::InvalidExtensionResponse`]: an unknown, repeated or invalid parameter,
    /// a window larger than offered, a `client_max_window_bits` without a value, or a parameter
    /// the offer asked for missing from the answer.
    pub fn accept_response(
        &self,
        response: &ExtensionOffer,
    ) -> Result<DeflateParams, HandshakeError> {
        let p = Params::parse(response, Side::Response).map_err(invalid)?;
        // §7.1.1.1: a server accepts an offer with server_no_context_takeover "by including
        // the "server_no_context_takeover" extension parameter in the extension negotiation
        // response".
        if self.server_no_context_takeover && !p.server_no_context_takeover {
            return Err(invalid(
                "server_no_context_takeover was asked for and not confirmed",
            ));
        }
        // §7.1.2.1: "A server accepts an extension negotiation offer with this parameter by
        // including the "server_max_window_bits" extension parameter in the extension
        // negotiation response to send back to the client with the same or smaller value as
        // the offer."
        let server_bits = match p.server_max_window_bits {
            None if self.server_bits() < MAX_WINDOW_BITS => {
                return Err(invalid(
                    "server_max_window_bits was asked for and not confirmed",
                ));
            }
            Some(bits) if bits > self.server_bits() => {
                return Err(invalid("server_max_window_bits is larger than offered"));
            }
            bits => bits.unwrap_or(MAX_WINDOW_BITS),
        };
        // §7.1.2.2: the server may answer client_max_window_bits only because we offered it
        // (always); "... the client MUST use an LZ77 sliding window ... no larger than" it.
        let client_max = self.client_bits();
        let client_bits = match p.client_max_window_bits.flatten() {
            Some(bits) if bits > client_max => {
                return Err(invalid("client_max_window_bits is larger than offered"));
            }
            bits => bits.unwrap_or(client_max),
        };
        Ok(DeflateParams {
            server_no_context_takeover: p.server_no_context_takeover,
            // §7.1.1.2: the response may ask it of us; our own setting holds either way.
            client_no_context_takeover: p.client_no_context_takeover
                || self.client_no_context_takeover,
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
        })
    }

    /// Server: picks the first permessage-deflate offer among `offers` that this configuration
    /// can honour and returns the response to send with what it agrees, or `None` to decline
    /// them all (offers that are malformed or ask for what this side cannot do are skipped,
    /// RFC 7692 §5: "the server ... MAY decline").
    ///
    /// ```
    /// use tether_proto::deflate::DeflateConfig;
    /// use tether_proto::handshake::ExtensionOffer;
    ///
    /// let offers = ExtensionOffer::parse_header(
    ///     "permessage-deflate; foo, permessage-deflate; server_max_window_bits=10",
    /// ).unwrap();
    /// let (response, params) = DeflateConfig::default().negotiate(&offers).unwrap();
    /// assert_eq!(response.to_header_value(), "permessage-deflate; server_max_window_bits=10");
    /// assert_eq!(params.server_max_window_bits, 10);
    /// ```
    pub fn negotiate(&self, offers: &[ExtensionOffer]) -> Option<(ExtensionOffer, DeflateParams)> {
        offers
            .iter()
            .filter(|o| o.name.eq_ignore_ascii_case(NAME))
            .find_map(|o| self.negotiate_one(o))
    }

    fn negotiate_one(&self, offer: &ExtensionOffer) -> Option<(ExtensionOffer, DeflateParams)> {
        let p = Params::parse(offer, Side::Offer).ok()?;
        let (server_max, client_max) = (self.server_bits(), self.client_bits());
        let server_bits = p
            .server_max_window_bits
            .map_or(server_max, |b| b.min(server_max));
        let client_bits = match p.client_max_window_bits {
            // §7.1.2.2: "If a received extension negotiation offer doesn't have the
            // "client_max_window_bits" extension parameter, the corresponding extension
            // negotiation response to the offer MUST NOT include" it: a client that cannot
            // limit its window does not fit a server that requires it.
            None if client_max < MAX_WINDOW_BITS => return None,
            None => MAX_WINDOW_BITS,
            Some(offered) => offered.map_or(client_max, |b| b.min(client_max)),
        };
        let params = DeflateParams {
            server_no_context_takeover: p.server_no_context_takeover
                || self.server_no_context_takeover,
            // A client's hint is confirmed: knowing it, the server may free its decompressor
            // between messages.
            client_no_context_takeover: p.client_no_context_takeover
                || self.client_no_context_takeover,
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
        };
        let mut response = ExtensionOffer::new(NAME);
        if params.server_no_context_takeover {
            response = response.with_param(SERVER_NO_CONTEXT_TAKEOVER);
        }
        if params.client_no_context_takeover {
            response = response.with_param(CLIENT_NO_CONTEXT_TAKEOVER);
        }
        if p.server_max_window_bits.is_some() || server_bits < MAX_WINDOW_BITS {
            response = response.with_param_value(SERVER_MAX_WINDOW_BITS, format!("{server_bits}"));
        }
        if client_bits < MAX_WINDOW_BITS || p.client_max_window_bits.flatten().is_some() {
            response = response.with_param_value(CLIENT_MAX_WINDOW_BITS, format!("{client_bits}"));
        }
        Some((response, params))
    }

    /// Whether `offers` include permessage-deflate (so an application's own choice stands).
    pub(crate) fn is_offered(offers: &[ExtensionOffer]) -> bool {
        offers.iter().any(|o| o.name.eq_ignore_ascii_case(NAME))
    }

    /// The permessage-deflate entry of a negotiated extension list.
    pub(crate) fn find(extensions: &[ExtensionOffer]) -> Option<&ExtensionOffer> {
        extensions
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(NAME))
    }
}

#[cfg(test)]
mod tests;
