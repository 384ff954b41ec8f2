//! The parameters of one permessage-deflate offer or response (RFC 7692 §7.1), checked for
//! syntax: known names, no repeats, valid values.
//!
//! RFC 7692 §7: "A server MUST decline an extension negotiation offer for this extension if any
//! of the following conditions are met: The negotiation offer contains an extension parameter
//! not defined for use in an offer. The negotiation offer contains an extension parameter with
//! an invalid value. The negotiation offer contains multiple extension parameters with the same
//! name. The server doesn't support the offered configuration." The client fails the connection
//! on the same conditions in a response. Both sides use [`Params::parse`] for the first three.

use crate::handshake::ExtensionOffer;

/// The extension's token.
pub(crate) const NAME: &str = "permessage-deflate";
pub(crate) const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
pub(crate) const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
pub(crate) const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
pub(crate) const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// The smallest and largest LZ77 window sizes, as base-2 logarithms (§7.1.2.1).
pub(crate) const MIN_WINDOW_BITS: u8 = 8;
pub(crate) const MAX_WINDOW_BITS: u8 = 15;

/// Whether the parameters come from a client's offer or a server's response: only an offer may
/// carry `client_max_window_bits` without a value (§7.1.2.2).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Side {
    Offer,
    Response,
}

/// One offer's or response's parameters, as written (absent ones are `false` / `None`).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub(crate) struct Params {
    pub(crate) server_no_context_takeover: bool,
    pub(crate) client_no_context_takeover: bool,
    pub(crate) server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (offers only).
    pub(crate) client_max_window_bits: Option<Option<u8>>,
}

impl Params {
    /// Checks and collects the parameters of `ext` (whose name the caller matched). The error
    /// says what is wrong, for a client's handshake error; a server just declines the offer.
    pub(crate) fn parse(ext: &ExtensionOffer, side: Side) -> Result<Self, &'static str> {
        let mut p = Self::default();
        let mut seen = [false; 4];
        for (name, value) in &ext.params {
            let value = value.as_deref();
            let index = [
                SERVER_NO_CONTEXT_TAKEOVER,
                CLIENT_NO_CONTEXT_TAKEOVER,
                SERVER_MAX_WINDOW_BITS,
                CLIENT_MAX_WINDOW_BITS,
            ]
            .iter()
            .position(|known| name.eq_ignore_ascii_case(known))
            .ok_or("unknown parameter")?;
            if core::mem::replace(&mut seen[index], true) {
                return Err("repeated parameter");
            }
            match index {
                // §7.1.1.1 / §7.1.1.2: "This extension parameter has no value."
                0 | 1 if value.is_some() => {
                    return Err("a *_no_context_takeover parameter has a value");
                }
                0 => p.server_no_context_takeover = true,
                1 => p.client_no_context_takeover = true,
                // §7.1.2.1: "This parameter has a decimal integer value without leading zeroes
                // between 8 to 15, inclusive".
                2 => {
                    let bits = value.ok_or("server_max_window_bits has no value")?;
                    p.server_max_window_bits = Some(window_bits(bits)?);
                }
                // §7.1.2.2: "This parameter has no value or a decimal integer value without
                // leading zeroes between 8 to 15 inclusive". In a response it must have one:
                // "... the server MUST include it with a value".
                _ => {
                    p.client_max_window_bits = Some(match value {
                        Some(bits) => Some(window_bits(bits)?),
                        None if side == Side::Offer => None,
                        None => return Err("client_max_window_bits has no value"),
                    });
                }
            }
        }
        Ok(p)
    }
}

/// A window size: a decimal 8..=15 without leading zeroes.
fn window_bits(s: &str) -> Result<u8, &'static str> {
    let valid = !s.starts_with('0') && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    match s.parse::<u8>() {
        Ok(bits) if valid && (MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&bits) => Ok(bits),
        _ => Err("window bits are not a decimal 8 to 15 without leading zeroes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::ExtensionOffer;

    fn parse(header: &str, side: Side) -> Result<Params, &'static str> {
        let offers = ExtensionOffer::parse_header(header).unwrap();
        Params::parse(&offers[0], side)
    }

    #[test]
    fn rfc7692_7_each_parameter_parses() {
        let p = parse(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits",
            Side::Offer,
        )
        .unwrap();
        assert_eq!(
            p,
            Params {
                server_no_context_takeover: true,
                client_no_context_takeover: true,
                server_max_window_bits: Some(10),
                client_max_window_bits: Some(None),
            }
        );
        assert_eq!(
            parse("permessage-deflate", Side::Offer),
            Ok(Params::default())
        );
        // Quoted values are the same values (RFC 6455 §9.1); names are case-insensitive.
        let quoted = parse(
            "permessage-deflate; Client_Max_Window_Bits=\"8\"",
            Side::Response,
        );
        assert_eq!(quoted.unwrap().client_max_window_bits, Some(Some(8)));
    }

    #[test]
    fn rfc7692_7_malformed_parameters_are_refused() {
        for bad in [
            "permessage-deflate; foo",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; client_no_context_takeover=\"x\"",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=010",
            "permessage-deflate; server_max_window_bits=+9",
            "permessage-deflate; server_max_window_bits=ten",
            "permessage-deflate; client_max_window_bits=0",
            "permessage-deflate; client_max_window_bits=\"100\"",
            "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        ] {
            assert!(parse(bad, Side::Offer).is_err(), "{bad}");
            assert!(parse(bad, Side::Response).is_err(), "{bad}");
        }
        // A bare client_max_window_bits is an offer's hint only.
        assert!(parse("permessage-deflate; client_max_window_bits", Side::Offer).is_ok());
        assert!(parse("permessage-deflate; client_max_window_bits", Side::Response).is_err());
    }

    #[test]
    fn every_window_size_from_8_to_15() {
        for bits in 8..=15u8 {
            let p = parse(
                &alloc::format!(
                    "permessage-deflate; server_max_window_bits={bits}; client_max_window_bits={bits}"
                ),
                Side::Response,
            )
            .unwrap();
            assert_eq!(p.server_max_window_bits, Some(bits));
            assert_eq!(p.client_max_window_bits, Some(Some(bits)));
        }
    }
}
