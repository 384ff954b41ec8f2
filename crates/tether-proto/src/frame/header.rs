//! The frame header: decoding, checking and encoding (RFC 6455 §5.2).

use super::OpCode;
use crate::Role;
use crate::error::ProtocolError;

/// The longest header: 2 bytes, an 8-byte extended length and a 4-byte masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// The largest payload a control frame may carry (§5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// The three reserved bits of a frame header, in their wire positions (`0x40`, `0x20`, `0x10`).
///
/// They must be zero unless a negotiated extension gives them a meaning (§5.2); permessage-deflate
/// uses [`Rsv::RSV1`].
#[derive(Clone, Copy, Debug, Default, Eq, Hash, PartialEq)]
pub struct Rsv(u8);

impl Rsv {
    /// No reserved bit set.
    pub const NONE: Self = Self(0);
    /// RSV1 (`0x40`).
    pub const RSV1: Self = Self(0x40);
    /// RSV2 (`0x20`).
    pub const RSV2: Self = Self(0x20);
    /// RSV3 (`0x10`).
    pub const RSV3: Self = Self(0x10);

    /// The bits of `byte` (a first header byte) that are reserved bits.
    pub const fn from_header_byte(byte: u8) -> Self {
        Self(byte & 0x70)
    }

    /// The bits in wire position.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every bit of `other` is set in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of both sets.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The bits of `self` not in `other`.
    #[must_use]
    pub const fn difference(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }
}

/// A decoded frame header.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct FrameHeader {
    /// FIN: this is the last frame of its message.
    pub fin: bool,
    /// The reserved bits.
    pub rsv: Rsv,
    /// What the frame carries.
    pub opcode: OpCode,
    /// The masking key, present on (and only on) frames sent by a client.
    pub mask: Option<[u8; 4]>,
    /// The payload length as declared by the sender. Never trust it for allocation.
    pub payload_len: u64,
}

impl FrameHeader {
    /// Decodes a header from the front of `buf`.
    ///
    /// Returns `Ok(None)` when `buf` does not yet hold a whole header, and `Ok(Some((header,
    /// header_len)))` otherwise. Only what the bytes alone can tell is checked here (reserved
    /// opcodes, the top bit of a 64-bit length); the rules that depend on the connection are in
    /// [`check`](Self::check).
    ///
    /// ```
    /// use tether_proto::frame::{FrameHeader, OpCode};
    ///
    /// // RFC 6455 §5.7: a single-frame masked text message "Hello".
    /// let bytes = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    /// let (header, len) = FrameHeader::decode(&bytes).unwrap().unwrap();
    /// assert_eq!((header.opcode, header.payload_len, len), (OpCode::Text, 5, 6));
    /// assert_eq!(header.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
    /// ```
    #[inline]
    pub fn decode(buf: &[u8]) -> Result<Option<(Self, usize)>, ProtocolError> {
        let [b0, b1, rest @ ..] = buf else {
            return Ok(None);
        };
        let opcode =
            OpCode::from_bits(b0 & 0x0f).ok_or_else(|| ProtocolError::ReservedOpcode(b0 & 0x0f))?;
        let masked = b1 & 0x80 != 0;
        let (payload_len, len_bytes) = match b1 & 0x7f {
            126 => match rest {
                [a, b, ..] => (u64::from(u16::from_be_bytes([*a, *b])), 2),
                _ => return Ok(None),
            },
            127 => match rest.first_chunk::<8>() {
                Some(bytes) => {
                    let len = u64::from_be_bytes(*bytes);
                    if len >> 63 != 0 {
                        return Err(ProtocolError::LengthOverflow);
                    }
                    (len, 8)
                }
                None => return Ok(None),
            },
            n => (u64::from(n), 0),
        };
        let mut header_len = 2 + len_bytes;
        let mask = if masked {
            let Some(key) = buf.get(header_len..header_len + 4) else {
                return Ok(None);
            };
            header_len += 4;
            Some([key[0], key[1], key[2], key[3]])
        } else {
            None
        };
        let header = Self {
            fin: b0 & 0x80 != 0,
            rsv: Rsv::from_header_byte(*b0),
            opcode,
            mask,
            payload_len,
        };
        Ok(Some((header, header_len)))
    }

    /// Checks the rules that depend on who receives the frame (§5.1, §5.2, §5.5):
    /// masking by role, reserved bits not claimed by an extension, control frames unfragmented
    /// and at most 125 bytes.
    ///
    /// `receiver` is the role of the endpoint that received the frame; `allowed_rsv` the bits
    /// negotiated extensions may set.
    #[inline]
    pub fn check(&self, receiver: Role, allowed_rsv: Rsv) -> Result<(), ProtocolError> {
        // §5.1: "a client MUST mask all frames that it sends to the server ... A server MUST
        // NOT mask any frames that it sends to the client."
        match (receiver, self.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        // §5.2: "If a nonzero value is received and none of the negotiated extensions defines
        // the meaning of such a nonzero value, the receiving endpoint MUST _Fail the WebSocket
        // Connection_."
        let unknown = self.rsv.difference(allowed_rsv);
        if !unknown.is_empty() {
            return Err(ProtocolError::ReservedBits(unknown.bits()));
        }
        if self.opcode.is_control() {
            // §5.5: "All control frames MUST have a payload length of 125 bytes or less and
            // MUST NOT be fragmented."
            if self.payload_len > MAX_CONTROL_PAYLOAD as u64 {
                return Err(ProtocolError::ControlFrameTooLong(self.payload_len));
            }
            if !self.fin {
                return Err(ProtocolError::FragmentedControlFrame);
            }
            if !self.rsv.is_empty() {
                return Err(ProtocolError::ReservedBits(self.rsv.bits()));
            }
        }
        Ok(())
    }

    /// The number of bytes [`encode`](Self::encode) writes.
    #[inline]
    pub const fn encoded_len(&self) -> usize {
        let len = match self.payload_len {
            0..=125 => 2,
            126..=0xffff => 4,
            _ => 10,
        };
        if self.mask.is_some() { len + 4 } else { len }
    }

    /// Encodes the header into `out`, with the shortest length form (§5.2: "the minimal number
    /// of bytes MUST be used to encode the length"), and returns how many bytes it wrote.
    #[inline]
    pub fn encode(&self, out: &mut [u8; MAX_HEADER_LEN]) -> usize {
        out[0] = (u8::from(self.fin) << 7) | self.rsv.bits() | self.opcode.bits();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut len = match self.payload_len {
            n @ 0..=125 => {
                out[1] = mask_bit | n as u8;
                2
            }
            n @ 126..=0xffff => {
                out[1] = mask_bit | 126;
                out[2..4].copy_from_slice(&(n as u16).to_be_bytes());
                4
            }
            n => {
                out[1] = mask_bit | 127;
                out[2..10].copy_from_slice(&n.to_be_bytes());
                10
            }
        };
        if let Some(key) = self.mask {
            out[len..len + 4].copy_from_slice(&key);
            len += 4;
        }
        len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> FrameHeader {
        let (h, len) = FrameHeader::decode(bytes).unwrap().unwrap();
        assert_eq!(len, h.encoded_len());
        let mut out = [0; MAX_HEADER_LEN];
        assert_eq!(h.encode(&mut out), len);
        assert_eq!(
            &out[..len],
            &bytes[..len],
            "re-encoding gives the same bytes"
        );
        h
    }

    #[test]
    fn rfc6455_5_2_length_forms() {
        assert_eq!(decode(&[0x82, 0x7d]).payload_len, 125);
        assert_eq!(decode(&[0x82, 0x7e, 0x00, 0x7e]).payload_len, 126);
        assert_eq!(decode(&[0x82, 0x7e, 0xff, 0xff]).payload_len, 65535);
        assert_eq!(
            decode(&[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]).payload_len,
            65536
        );
    }

    #[test]
    fn rfc6455_5_2_length_top_bit_is_rejected() {
        let bytes = [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            FrameHeader::decode(&bytes),
            Err(ProtocolError::LengthOverflow)
        );
    }

    #[test]
    fn rfc6455_5_2_reserved_opcodes_are_rejected() {
        for op in [3u8, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf] {
            assert_eq!(
                FrameHeader::decode(&[0x80 | op, 0]),
                Err(ProtocolError::ReservedOpcode(op))
            );
        }
    }

    #[test]
    fn partial_headers_need_more_bytes() {
        let full = [0x82, 0xfe, 0x01, 0x00, 1, 2, 3, 4];
        for n in 0..full.len() {
            assert_eq!(
                FrameHeader::decode(&full[..n]),
                Ok(None),
                "prefix of {n} bytes"
            );
        }
        assert!(FrameHeader::decode(&full).unwrap().is_some());
    }

    #[test]
    fn rfc6455_5_1_masking_by_role() {
        let masked = decode(&[0x81, 0x80, 1, 2, 3, 4]);
        let unmasked = decode(&[0x81, 0x00]);
        assert_eq!(masked.check(Role::Server, Rsv::NONE), Ok(()));
        assert_eq!(
            unmasked.check(Role::Server, Rsv::NONE),
            Err(ProtocolError::UnmaskedFrame)
        );
        assert_eq!(unmasked.check(Role::Client, Rsv::NONE), Ok(()));
        assert_eq!(
            masked.check(Role::Client, Rsv::NONE),
            Err(ProtocolError::MaskedFrame)
        );
    }

    #[test]
    fn rfc6455_5_2_reserved_bits_need_an_extension() {
        let h = decode(&[0xc1, 0x00]);
        assert_eq!(
            h.check(Role::Client, Rsv::NONE),
            Err(ProtocolError::ReservedBits(0x40))
        );
        assert_eq!(h.check(Role::Client, Rsv::RSV1), Ok(()));
        let h = decode(&[0xb1, 0x00]);
        assert_eq!(
            h.check(Role::Client, Rsv::RSV1),
            Err(ProtocolError::ReservedBits(0x30))
        );
    }

    #[test]
    fn rfc6455_5_5_control_frames_are_short_and_whole() {
        let long_ping = decode(&[0x89, 0x7e, 0x00, 0x7e]);
        assert_eq!(
            long_ping.check(Role::Client, Rsv::NONE),
            Err(ProtocolError::ControlFrameTooLong(126))
        );
        let fragmented_ping = decode(&[0x09, 0x00]);
        assert_eq!(
            fragmented_ping.check(Role::Client, Rsv::NONE),
            Err(ProtocolError::FragmentedControlFrame)
        );
        let ok = decode(&[0x8a, 0x7d]);
        assert_eq!(ok.check(Role::Client, Rsv::NONE), Ok(()));
        let compressed_ping = decode(&[0xc9, 0x00]);
        assert_eq!(
            compressed_ping.check(Role::Client, Rsv::RSV1),
            Err(ProtocolError::ReservedBits(0x40))
        );
    }
}
