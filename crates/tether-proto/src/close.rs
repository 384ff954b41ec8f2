//! Close codes and close frames (RFC 6455 §5.5.1, §7.4).

use alloc::string::String;
use core::fmt;

/// A close status code (RFC 6455 §7.4).
///
/// Any `u16` can be held, because the codes a connection *reports* include ones that are never
/// sent on the wire (1005 "no status received", 1006 "abnormal closure"). Whether a code may be
/// sent or received is asked with [`is_sendable`](Self::is_sendable).
///
/// ```
/// use tether_proto::CloseCode;
///
/// assert!(CloseCode::NORMAL.is_sendable());
/// assert!(CloseCode::from(4000).is_sendable()); // private use
/// assert!(!CloseCode::ABNORMAL.is_sendable()); // 1006 never goes on the wire
/// assert!(!CloseCode::from(999).is_sendable());
/// ```
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct CloseCode(u16);

impl CloseCode {
    /// 1000: the purpose of the connection has been fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigated away).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: the endpoint is closing because of a protocol error.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: the endpoint received a type of data it cannot accept.
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: no status code was present (reported locally, never sent).
    pub const NO_STATUS: Self = Self(1005);
    /// 1006: the connection ended without a close frame (reported locally, never sent).
    pub const ABNORMAL: Self = Self(1006);
    /// 1007: a message's data was not consistent with its type (invalid UTF-8 in text).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a message violated the endpoint's policy.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message was too big to process.
    pub const TOO_BIG: Self = Self(1009);
    /// 1010: the client expected the server to negotiate an extension it did not.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting.
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: try again later.
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 1014: a gateway or proxy received an invalid response upstream.
    pub const BAD_GATEWAY: Self = Self(1014);
    /// 1015: the TLS handshake failed (reported locally, never sent).
    pub const TLS_HANDSHAKE: Self = Self(1015);

    /// The numeric value.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Whether this code may appear in a close frame on the wire (§7.4.1, §7.4.2).
    ///
    /// Allowed: 1000–1003, 1007–1014 (the IANA registry) and 3000–4999 (libraries, frameworks
    /// and applications). Never: 0–999, 1004–1006, 1015, the unassigned 1016–2999, 5000 and up.
    pub const fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            1000 => "normal closure",
            1001 => "going away",
            1002 => "protocol error",
            1003 => "unsupported data",
            1005 => "no status received",
            1006 => "abnormal closure",
            1007 => "invalid payload data",
            1008 => "policy violation",
            1009 => "message too big",
            1010 => "mandatory extension",
            1011 => "internal error",
            1012 => "service restart",
            1013 => "try again later",
            1014 => "bad gateway",
            1015 => "TLS handshake failure",
            3000..=3999 => "registered",
            4000..=4999 => "private use",
            _ => "unknown",
        };
        write!(f, "{} ({name})", self.0)
    }
}

/// The longest reason that fits in a close frame: 125 bytes of control payload minus the code.
pub const MAX_REASON_LEN: usize = 123;

/// A close code with its reason, as sent or received.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct CloseFrame {
    /// The status code. [`CloseCode::NO_STATUS`] when the peer's close frame had no payload.
    pub code: CloseCode,
    /// The reason, at most [`MAX_REASON_LEN`] bytes of UTF-8. Often empty.
    pub reason: String,
}

impl CloseFrame {
    /// A close frame with `code` and `reason`.
    pub fn new(code: CloseCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    /// Parses the payload of a received close frame (§5.5.1).
    ///
    /// An empty payload means "no status" (1005). A one-byte payload, a code that may not be
    /// sent (§7.4), or a reason that is not UTF-8 (1007) is an error.
    pub(crate) fn parse(payload: &[u8]) -> Result<Self, CloseParseError> {
        match payload {
            [] => Ok(Self::new(CloseCode::NO_STATUS, String::new())),
            [_] => Err(CloseParseError::OneBytePayload),
            [hi, lo, reason @ ..] => {
                let code = CloseCode(u16::from_be_bytes([*hi, *lo]));
                if !code.is_sendable() {
                    return Err(CloseParseError::InvalidCode(code.0));
                }
                let reason =
                    core::str::from_utf8(reason).map_err(|_| CloseParseError::InvalidUtf8)?;
                Ok(Self::new(code, reason))
            }
        }
    }
}

/// Why a received close payload was refused.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum CloseParseError {
    OneBytePayload,
    InvalidCode(u16),
    InvalidUtf8,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_7_4_sendable_ranges() {
        for code in 0..=u16::MAX {
            let expected = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            assert_eq!(CloseCode(code).is_sendable(), expected, "code {code}");
        }
    }

    #[test]
    fn rfc6455_5_5_1_close_payload_parsing() {
        assert_eq!(CloseFrame::parse(&[]).unwrap().code, CloseCode::NO_STATUS);
        assert_eq!(
            CloseFrame::parse(&[0x03]),
            Err(CloseParseError::OneBytePayload)
        );
        let f = CloseFrame::parse(&[0x03, 0xe8, b'b', b'y', b'e']).unwrap();
        assert_eq!(f, CloseFrame::new(CloseCode::NORMAL, "bye"));
        assert_eq!(
            CloseFrame::parse(&[0x03, 0xed]),
            Err(CloseParseError::InvalidCode(1005))
        );
        assert_eq!(
            CloseFrame::parse(&[0x03, 0xe8, 0xff]),
            Err(CloseParseError::InvalidUtf8)
        );
    }
}
