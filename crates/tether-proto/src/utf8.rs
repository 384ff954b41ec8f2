//! Incremental UTF-8 validation across fragments (RFC 6455 §5.6, §8.1).
//!
//! A text message may be split into frames, and frames into reads, at any byte — including in
//! the middle of a character. The validator carries the up to three bytes of an unfinished
//! character from one piece to the next and fails at the first byte that can no longer start or
//! continue valid UTF-8, so a connection fails as soon as bad text arrives rather than when the
//! message ends.

/// The incomplete text found where valid UTF-8 was required.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) struct InvalidUtf8;

/// Validates a byte stream piece by piece.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Utf8Validator {
    /// Bytes of a character that began in an earlier piece.
    pending: [u8; 4],
    pending_len: u8,
}

impl Utf8Validator {
    /// Validates the next piece.
    ///
    /// Fails as soon as the bytes so far cannot be the start of valid UTF-8: an invalid byte, an
    /// overlong form, a surrogate, or a code point above U+10FFFF, even when it is cut short by
    /// the end of `input`.
    pub(crate) fn feed(&mut self, mut input: &[u8]) -> Result<(), InvalidUtf8> {
        if self.pending_len > 0 {
            let have = usize::from(self.pending_len);
            let need = char_width(self.pending[0]) - have;
            let take = need.min(input.len());
            self.pending[have..have + take].copy_from_slice(&input[..take]);
            let candidate = &self.pending[..have + take];
            match core::str::from_utf8(candidate) {
                Ok(_) => self.pending_len = 0,
                Err(e) if e.error_len().is_some() => return Err(InvalidUtf8),
                Err(_) => {
                    // Still unfinished, and `input` is used up.
                    self.pending_len = (have + take) as u8;
                    return Ok(());
                }
            }
            input = &input[take..];
        }
        match core::str::from_utf8(input) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(InvalidUtf8),
            Err(e) => {
                let rest = &input[e.valid_up_to()..];
                self.pending[..rest.len()].copy_from_slice(rest);
                self.pending_len = rest.len() as u8;
                Ok(())
            }
        }
    }

    /// Ends the stream: an unfinished character at the end is an error.
    pub(crate) fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let complete = self.pending_len == 0;
        self.pending_len = 0;
        if complete { Ok(()) } else { Err(InvalidUtf8) }
    }

    /// Whether an unfinished character is carried over.
    #[cfg(test)]
    pub(crate) fn is_mid_char(&self) -> bool {
        self.pending_len != 0
    }
}

/// The length of the character that `lead` starts. Only called on a byte that `from_utf8` has
/// accepted as the start of an unfinished character, so it is 2, 3 or 4.
fn char_width(lead: u8) -> usize {
    match lead {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn validate_in_pieces(bytes: &[u8], cuts: &[usize]) -> Result<(), InvalidUtf8> {
        let mut v = Utf8Validator::default();
        let mut start = 0;
        for &cut in cuts.iter().chain(core::iter::once(&bytes.len())) {
            v.feed(&bytes[start..cut])?;
            start = cut;
        }
        v.finish()
    }

    #[test]
    fn rfc6455_8_1_agrees_with_std_for_every_two_way_split() {
        let samples: &[&[u8]] = &[
            "κόσμε".as_bytes(),
            "Hello-µ@ßöäüàá-UTF-8!!".as_bytes(),
            "\u{10FFFF}\u{7FF}\u{FFFF}a".as_bytes(),
            &[
                0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80,
            ],
            &[0xf4, 0x90, 0x80, 0x80],
            &[0xc0, 0xaf],
            &[0xe0, 0x80, 0xaf],
            &[0xf0, 0x9f, 0x98],
            &[0xff],
            &[0xed, 0x9f, 0xbf, 0xee, 0x80, 0x80],
        ];
        for bytes in samples {
            let expected = core::str::from_utf8(bytes).is_ok();
            for cut in 0..=bytes.len() {
                assert_eq!(
                    validate_in_pieces(bytes, &[cut]).is_ok(),
                    expected,
                    "{bytes:x?} cut at {cut}"
                );
            }
            let one_at_a_time: Vec<usize> = (1..bytes.len()).collect();
            assert_eq!(validate_in_pieces(bytes, &one_at_a_time).is_ok(), expected);
        }
    }

    #[test]
    fn rfc6455_8_1_fails_fast_inside_a_truncated_character() {
        // 0xF4 0x90 can never start a valid character (above U+10FFFF): fail without waiting.
        let mut v = Utf8Validator::default();
        assert_eq!(v.feed(&[b'a', 0xf4]), Ok(()));
        assert_eq!(v.feed(&[0x90]), Err(InvalidUtf8));
        // A surrogate lead (ED A0) fails on its second byte.
        let mut v = Utf8Validator::default();
        assert_eq!(v.feed(&[0xed, 0xa0]), Err(InvalidUtf8));
    }

    #[test]
    fn unfinished_character_at_the_end_is_an_error() {
        let mut v = Utf8Validator::default();
        assert_eq!(v.feed(&[0xe2, 0x82]), Ok(()));
        assert!(v.is_mid_char());
        assert_eq!(v.finish(), Err(InvalidUtf8));
    }
}
