//! `Sec-WebSocket-Extensions` values (RFC 6455 §9.1).
//!
//! ```text
//! Sec-WebSocket-Extensions = extension-list
//! extension-list = 1#extension
//! extension = extension-token *( ";" extension-param )
//! extension-token = registered-token
//! registered-token = token
//! extension-param = token [ "=" (token | quoted-string) ]
//!     ;When using the quoted-string syntax variant, the value
//!     ;after quoted-string unescaping MUST conform to the
//!     ;'token' ABNF.
//! ```

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::HandshakeError;
use super::headers::{is_tchar, is_token};

/// One extension with its parameters, as offered by a client or accepted by a server.
///
/// ```
/// use tether_proto::handshake::ExtensionOffer;
///
/// let offers = ExtensionOffer::parse_header(
///     "permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\", foo",
/// )
/// .unwrap();
/// assert_eq!(offers.len(), 2);
/// assert_eq!(offers[0].param("server_max_window_bits"), Some(Some("10")));
/// assert_eq!(
///     ExtensionOffer::format_list(&offers),
///     "permessage-deflate; client_max_window_bits; server_max_window_bits=10, foo"
/// );
/// ```
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct ExtensionOffer {
    /// The extension's token, e.g. `permessage-deflate`.
    pub name: String,
    /// Its parameters in order: name, and value if one was given (quotes removed).
    pub params: Vec<(String, Option<String>)>,
}

impl ExtensionOffer {
    /// An extension without parameters.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter without a value (e.g. `client_max_window_bits`).
    #[must_use]
    pub fn with_param(mut self, name: impl Into<String>) -> Self {
        self.params.push((name.into(), None));
        self
    }

    /// Adds a parameter with a value (e.g. `server_max_window_bits=10`).
    #[must_use]
    pub fn with_param_value(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), Some(value.into())));
        self
    }

    /// The first parameter called `name` (ASCII case-insensitive): `Some(None)` when it has no
    /// value, `None` when it is absent.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }

    /// Parses a `Sec-WebSocket-Extensions` value: comma-separated offers, each a token with
    /// `;`-separated parameters, optionally `=token` or `="quoted"`. Empty list elements are
    /// skipped (RFC 7230 §7), so an empty value gives an empty list.
    pub fn parse_header(value: &str) -> Result<Vec<Self>, HandshakeError> {
        let mut p = Cursor {
            s: value.as_bytes(),
            i: 0,
        };
        let mut out = Vec::new();
        loop {
            p.skip_ows();
            if p.at_end() {
                return Ok(out);
            }
            if p.eat(b',') {
                continue;
            }
            let mut ext = Self::new(p.token("an extension name")?);
            loop {
                p.skip_ows();
                if p.eat(b';') {
                    p.skip_ows();
                    let name = p.token("a parameter name")?;
                    p.skip_ows();
                    let value = if p.eat(b'=') {
                        p.skip_ows();
                        Some(if p.peek() == Some(b'"') {
                            p.quoted()?
                        } else {
                            p.token("a parameter value")?
                        })
                    } else {
                        None
                    };
                    ext.params.push((name, value));
                } else if p.at_end() || p.eat(b',') {
                    break;
                } else {
                    return Err(p.error("`;`, `,` or the end"));
                }
            }
            out.push(ext);
        }
    }

    /// This offer as written in a header: `name; param; param=value`.
    pub fn to_header_value(&self) -> String {
        format!("{self}")
    }

    /// A list of offers as one header value, joined with `, `.
    pub fn format_list(offers: &[Self]) -> String {
        let mut s = String::new();
        for (i, offer) in offers.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(&offer.to_header_value());
        }
        s
    }

    /// Checks that this offer can be written: the name, parameter names and values are tokens.
    pub(crate) fn check(&self) -> Result<(), HandshakeError> {
        let bad = |what: &str, s: &str| {
            HandshakeError::InvalidOption(format!("extension {what} {s:?} is not an HTTP token"))
        };
        if !is_token(&self.name) {
            return Err(bad("name", &self.name));
        }
        for (name, value) in &self.params {
            if !is_token(name) {
                return Err(bad("parameter", name));
            }
            if let Some(v) = value
                && !is_token(v)
            {
                return Err(bad("parameter value", v));
            }
        }
        Ok(())
    }
}

impl fmt::Display for ExtensionOffer {
    /// Writes the offer; values that are not tokens (which [`parse_header`](Self::parse_header)
    /// never produces) are written as quoted strings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (name, value) in &self.params {
            write!(f, "; {name}")?;
            match value {
                Some(v) if is_token(v) => write!(f, "={v}")?,
                Some(v) => {
                    f.write_str("=\"")?;
                    for c in v.chars() {
                        if c == '"' || c == '\\' {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                    f.write_str("\"")?;
                }
                None => {}
            }
        }
        Ok(())
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn error(&self, expected: &str) -> HandshakeError {
        let found = match self.peek() {
            Some(b) => format!("{:?}", char::from(b)),
            None => String::from("the end"),
        };
        HandshakeError::MalformedExtensions(format!(
            "expected {expected} at byte {}, found {found}",
            self.i
        ))
    }

    fn token(&mut self, what: &str) -> Result<String, HandshakeError> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        match self.s.get(start..self.i) {
            Some(t) if !t.is_empty() => Ok(t.iter().map(|&b| char::from(b)).collect()),
            _ => Err(self.error(what)),
        }
    }

    /// A quoted-string (RFC 7230 §3.2.6) whose unescaped content must be a token (§9.1).
    fn quoted(&mut self) -> Result<String, HandshakeError> {
        let start = self.i;
        self.i += 1; // the opening quote, checked by the caller
        let mut v = String::new();
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b) if b == b'\t' || (0x20..0x7f).contains(&b) => v.push(char::from(b)),
                        _ => return Err(self.error("an escaped character")),
                    }
                    self.i += 1;
                }
                Some(b) if b == b'\t' || (0x20..0x7f).contains(&b) => {
                    v.push(char::from(b));
                    self.i += 1;
                }
                _ => return Err(self.error("a closing `\"`")),
            }
        }
        if !is_token(&v) {
            return Err(HandshakeError::MalformedExtensions(format!(
                "quoted value at byte {start} is not a token once unquoted (RFC 6455 §9.1)"
            )));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn pmd() -> ExtensionOffer {
        ExtensionOffer::new("permessage-deflate")
    }

    #[test]
    fn rfc7692_examples_parse() {
        // RFC 7692 §5.1 / §7.1.2.1 examples.
        let got = ExtensionOffer::parse_header(
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10",
        )
        .unwrap();
        let want = pmd()
            .with_param("client_max_window_bits")
            .with_param_value("server_max_window_bits", "10");
        assert_eq!(got, vec![want]);
    }

    #[test]
    fn rfc7692_quoted_value_equals_token_value() {
        let quoted =
            ExtensionOffer::parse_header("permessage-deflate; server_max_window_bits=\"10\"")
                .unwrap();
        let bare =
            ExtensionOffer::parse_header("permessage-deflate;server_max_window_bits=10").unwrap();
        assert_eq!(quoted, bare);
        assert_eq!(quoted[0].param("SERVER_MAX_WINDOW_BITS"), Some(Some("10")));
        assert_eq!(quoted[0].param("client_max_window_bits"), None);
    }

    #[test]
    fn rfc7692_several_offers_in_preference_order() {
        let got = ExtensionOffer::parse_header(
            "permessage-deflate; client_max_window_bits=10 ,\t permessage-deflate, x-webkit-deflate-frame",
        )
        .unwrap();
        let want = vec![
            pmd().with_param_value("client_max_window_bits", "10"),
            pmd(),
            ExtensionOffer::new("x-webkit-deflate-frame"),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn empty_elements_and_values_are_tolerated() {
        assert_eq!(ExtensionOffer::parse_header("").unwrap(), vec![]);
        assert_eq!(ExtensionOffer::parse_header(" , ,").unwrap(), vec![]);
        assert_eq!(
            ExtensionOffer::parse_header("a,,b,").unwrap(),
            vec![ExtensionOffer::new("a"), ExtensionOffer::new("b")]
        );
        let escaped = ExtensionOffer::parse_header("a; p=\"1\\0\"").unwrap();
        assert_eq!(escaped[0].param("p"), Some(Some("10")));
    }

    #[test]
    fn malformed_offers_are_errors() {
        for bad in [
            ";p",
            "a; ",
            "a;=1",
            "a; p=",
            "a; p=\"10",
            "a; p=\"1 0\"",
            "a; p=\"\"",
            "a b",
            "a; p=1 2",
            "a; p=\"1\\",
            "a=1",
            "a; p=\"\u{e9}\"",
            "\u{e9}",
        ] {
            let e = ExtensionOffer::parse_header(bad);
            assert!(
                matches!(e, Err(HandshakeError::MalformedExtensions(_))),
                "{bad:?} gave {e:?}"
            );
        }
    }

    #[test]
    fn writing_round_trips_and_checks_tokens() {
        let offers = vec![
            pmd().with_param("client_max_window_bits"),
            ExtensionOffer::new("x").with_param_value("p", "1"),
        ];
        let s = ExtensionOffer::format_list(&offers);
        assert_eq!(s, "permessage-deflate; client_max_window_bits, x; p=1");
        assert_eq!(ExtensionOffer::parse_header(&s).unwrap(), offers);
        assert!(offers[0].check().is_ok());
        let bad = ExtensionOffer::new("x").with_param_value("p", "a \"b\"");
        assert_eq!(bad.to_header_value(), "x; p=\"a \\\"b\\\"\"");
        assert!(bad.check().is_err());
        assert!(ExtensionOffer::new("a\r\nb").check().is_err());
    }
}
