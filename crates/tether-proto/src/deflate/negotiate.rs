//! RFC 7692 §7.1 negotiation: the client's offer and its check of the answer, the server's
//! choice among the offers and its answer.

use alloc::format;

use super::params::{
    CLIENT_MAX_WINDOW_BITS, CLIENT_NO_CONTEXT_TAKEOVER, MAX_WINDOW_BITS, NAME, Params,
    SERVER_MAX_WINDOW_BITS, SERVER_NO_CONTEXT_TAKEOVER, Side,
};
use super::{
    DeflateConfig, DeflateParams, SERVER_DEFAULT_NO_CONTEXT_TAKEOVER, SERVER_DEFAULT_WINDOW_BITS,
    bits, invalid,
};
use crate::handshake::{ExtensionOffer, HandshakeError};

impl DeflateConfig {
    /// Client: the window it asks the server for (15: it does not ask).
    fn ask_server_bits(&self) -> u8 {
        bits(self.server_max_window_bits, MAX_WINDOW_BITS)
    }

    /// Client: whether it asks the server for no context takeover (not unless set).
    fn asks_server_no_context_takeover(&self) -> bool {
        self.server_no_context_takeover == Some(true)
    }

    /// Client: the window it promises (15: any).
    fn own_client_bits(&self) -> u8 {
        bits(self.client_max_window_bits, MAX_WINDOW_BITS)
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
        if self.asks_server_no_context_takeover() {
            offer = offer.with_param(SERVER_NO_CONTEXT_TAKEOVER);
        }
        if self.client_no_context_takeover {
            offer = offer.with_param(CLIENT_NO_CONTEXT_TAKEOVER);
        }
        let (server, client) = (self.ask_server_bits(), self.own_client_bits());
        if server < MAX_WINDOW_BITS {
            offer = offer.with_param_value(SERVER_MAX_WINDOW_BITS, format!("{server}"));
        }
        if client < MAX_WINDOW_BITS {
            offer.with_param_value(CLIENT_MAX_WINDOW_BITS, format!("{client}"))
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
        if self.asks_server_no_context_takeover() && !p.server_no_context_takeover {
            return Err(invalid(
                "server_no_context_takeover was asked for and not confirmed",
            ));
        }
        // §7.1.2.1: "A server accepts an extension negotiation offer with this parameter by
        // including the "server_max_window_bits" extension parameter in the extension
        // negotiation response to send back to the client with the same or smaller value as
        // the offer."
        let server_bits = match p.server_max_window_bits {
            None if self.ask_server_bits() < MAX_WINDOW_BITS => {
                return Err(invalid(
                    "server_max_window_bits was asked for and not confirmed",
                ));
            }
            Some(bits) if bits > self.ask_server_bits() => {
                return Err(invalid("server_max_window_bits is larger than offered"));
            }
            bits => bits.unwrap_or(MAX_WINDOW_BITS),
        };
        // §7.1.2.2: the server may answer client_max_window_bits only because we offered it
        // (always); "... the client MUST use an LZ77 sliding window ... no larger than" it.
        let client_max = self.own_client_bits();
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
    /// assert_eq!(
    ///     response.to_header_value(),
    ///     "permessage-deflate; server_no_context_takeover; server_max_window_bits=10"
    /// );
    /// assert_eq!(params.server_max_window_bits, 10);
    /// assert!(params.server_no_context_takeover); // the server default, stated unasked
    /// ```
    pub fn negotiate(&self, offers: &[ExtensionOffer]) -> Option<(ExtensionOffer, DeflateParams)> {
        offers
            .iter()
            .filter(|o| o.name.eq_ignore_ascii_case(NAME))
            .find_map(|o| self.negotiate_one(o))
    }

    fn negotiate_one(&self, offer: &ExtensionOffer) -> Option<(ExtensionOffer, DeflateParams)> {
        let p = Params::parse(offer, Side::Offer).ok()?;
        // Our own window: at most what we are set to, less when the offer asks (§7.1.2.1).
        let server_max = bits(self.server_max_window_bits, SERVER_DEFAULT_WINDOW_BITS);
        let server_bits = p
            .server_max_window_bits
            .map_or(server_max, |b| b.min(server_max));
        // What we ask of the client, where the offer lets us.
        let client_max = bits(self.client_max_window_bits, SERVER_DEFAULT_WINDOW_BITS);
        let client_bits = match p.client_max_window_bits {
            // §7.1.2.2: "If a received extension negotiation offer doesn't have the
            // "client_max_window_bits" extension parameter, the corresponding extension
            // negotiation response to the offer MUST NOT include" it: the client keeps a
            // window of up to 15 bits, or we decline if we require a smaller one.
            None if self.require_client_max_window_bits && client_max < MAX_WINDOW_BITS => {
                return None;
            }
            None => MAX_WINDOW_BITS,
            Some(offered) => offered.map_or(client_max, |b| b.min(client_max)),
        };
        let params = DeflateParams {
            // §7.1.1.1: "A server MAY include the "server_no_context_takeover" extension
            // parameter in an extension negotiation response even if the extension
            // negotiation offer being accepted by the extension negotiation response didn't
            // include" it.
            server_no_context_takeover: p.server_no_context_takeover
                || self
                    .server_no_context_takeover
                    .unwrap_or(SERVER_DEFAULT_NO_CONTEXT_TAKEOVER),
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
