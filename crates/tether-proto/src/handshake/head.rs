//! Finding the end of an HTTP head in a growing buffer, in linear time.
//!
//! The input arrives in pieces and is handed to us as one growing buffer with the same start
//! every time. Parsing it from the start on every call is quadratic in the head's size (a slow
//! peer sending one byte at a time costs n² work: RUSTSEC-2023-0065). So [`HeadScanner`]
//! remembers how far it looked for the blank line that ends the head, resumes there (a
//! terminator split across calls included), and the HTTP parser runs once, on the whole head.
//!
//! Only `\r\n\r\n` ends a head: a head written with bare line feeds never ends (it runs into
//! `max_head_bytes`) or, when httparse sees it end earlier, is refused as malformed.
//!
//! [`BodyReader`] does the same for the body of a refusing response.

use alloc::vec::Vec;

use super::{HandshakeError, Headers, Limits};

/// Scans for `\r\n\r\n`, keeping its place between calls.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeadScanner {
    /// Bytes of the buffer examined so far.
    pos: usize,
    /// How much of `\r\n\r\n` ends at `pos`.
    matched: u8,
    /// Line feeds seen: the request/status line, each header line, the blank line.
    lines: usize,
    /// The head's length once found.
    end: Option<usize>,
    /// Bytes examined over all calls, to test that the work is linear.
    #[cfg(test)]
    pub(crate) examined: usize,
}

impl HeadScanner {
    /// Looks at the bytes of `buf` not yet seen. Returns the head's length (terminator included)
    /// once it is complete, `None` while it is not.
    ///
    /// Fails when the head exceeds `limits.max_head_bytes` or has more than
    /// `limits.max_headers` lines between the first line and the blank line, as soon as that
    /// is certain.
    pub(crate) fn scan(
        &mut self,
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Option<usize>, HandshakeError> {
        if let Some(end) = self.end {
            return Ok(Some(end));
        }
        let stop = buf.len().min(limits.max_head_bytes);
        let fresh = buf.get(self.pos..stop).unwrap_or(&[]);
        for &b in fresh {
            if self.pos == 0 {
                check_first_byte(b)?;
            }
            self.pos += 1;
            #[cfg(test)]
            {
                self.examined += 1;
            }
            self.matched = match (b, self.matched) {
                (b'\r', 2) => 3,
                (b'\r', _) => 1,
                (b'\n', m) => {
                    self.lines += 1;
                    if m == 3 {
                        self.end = Some(self.pos);
                        return Ok(self.end);
                    }
                    // Not the blank line, so one more line will follow this one: the first
                    // line and the headers so far, plus at least one more line.
                    if self.lines > limits.max_headers.saturating_add(1) {
                        return Err(HandshakeError::TooManyHeaders {
                            limit: limits.max_headers,
                        });
                    }
                    if m == 1 { 2 } else { 0 }
                }
                _ => 0,
            };
        }
        if self.pos >= limits.max_head_bytes {
            return Err(HandshakeError::HeadTooLarge {
                limit: limits.max_head_bytes,
            });
        }
        Ok(None)
    }

    /// How many header slots the HTTP parser needs for the complete head: at least the number
    /// of header lines, at most `limits.max_headers`.
    pub(crate) fn header_slots(&self, limits: &Limits) -> usize {
        self.lines.saturating_sub(2).min(limits.max_headers)
    }
}

/// An HTTP head starts with a token (the request's method, or `HTTP` of a status line), after
/// any empty lines (RFC 7230 §3.5). Anything else is no HTTP at all — most often a TLS record
/// (a `wss://` client at a plain server, or the alert of a TLS server that got plain HTTP) — and
/// fails at once instead of waiting for a blank line that never comes.
fn check_first_byte(b: u8) -> Result<(), HandshakeError> {
    if super::headers::is_tchar(b) || b == b'\r' || b == b'\n' {
        return Ok(());
    }
    let what = if (0x14..=0x17).contains(&b) {
        " (a TLS record: the peer speaks TLS)"
    } else {
        ""
    };
    Err(HandshakeError::Malformed(alloc::format!(
        "not HTTP: the first byte is {b:#04x}{what}"
    )))
}

/// Turns `httparse` headers into [`Headers`].
pub(crate) fn collect_headers(parsed: &[httparse::Header<'_>]) -> Headers {
    let (names, values) = parsed
        .iter()
        .fold((0, 0), |(n, v), h| (n + h.name.len(), v + h.value.len()));
    let mut headers = Headers::with_room(parsed.len(), names, values);
    for h in parsed {
        headers.push_field(h.name, h.value);
    }
    headers
}

/// Maps an `httparse` error to ours.
pub(crate) fn parse_error(e: httparse::Error, limits: &Limits) -> HandshakeError {
    use alloc::string::ToString;
    match e {
        httparse::Error::Version => HandshakeError::HttpVersion,
        httparse::Error::TooManyHeaders => HandshakeError::TooManyHeaders {
            limit: limits.max_headers,
        },
        e => HandshakeError::Malformed(e.to_string()),
    }
}

/// How a response body ends (RFC 7230 §3.3.3).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Framing {
    /// 1xx, 204 and 304 responses have no body.
    Empty,
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// `Content-Length`.
    Length(u64),
    /// Neither: the body runs to the end of the connection.
    UntilEof,
}

impl Framing {
    /// The framing of a response with this status and these headers.
    pub(crate) fn of_response(status: u16, headers: &Headers) -> Self {
        if (100..200).contains(&status) || status == 204 || status == 304 {
            return Self::Empty;
        }
        if headers.contains("transfer-encoding") {
            return if headers
                .list("transfer-encoding")
                .last()
                .is_some_and(|t| t.eq_ignore_ascii_case(b"chunked"))
            {
                Self::Chunked
            } else {
                Self::UntilEof
            };
        }
        // Several Content-Length fields (or list elements) must agree; otherwise read to the
        // end, which is always safe for a response that ends the handshake anyway.
        let mut length = None;
        for v in headers.list("content-length") {
            let n = core::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse::<u64>().ok());
            match (n, length) {
                (Some(n), None) => length = Some(n),
                (Some(n), Some(l)) if n == l => {}
                _ => return Self::UntilEof,
            }
        }
        length.map_or(Self::UntilEof, Self::Length)
    }
}

/// Where a chunked body's decoder is.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Chunk {
    Size { n: u64, digits: bool },
    Extension { n: u64 },
    Data(u64),
    DataEnd,
    Trailer { line_empty: bool },
    Done,
}

/// Collects the body of a refusing response, at most `max_body_bytes` of it, resuming where it
/// stopped on each call.
#[derive(Clone, Debug)]
pub(crate) struct BodyReader {
    framing: Framing,
    /// Where the body starts in the buffer.
    start: usize,
    /// Chunked only: where decoding stopped, the decoder's state, and the data so far.
    pos: usize,
    chunk: Chunk,
    body: Vec<u8>,
}

impl BodyReader {
    pub(crate) fn new(framing: Framing, start: usize) -> Self {
        Self {
            framing,
            start,
            pos: start,
            chunk: Chunk::Size {
                n: 0,
                digits: false,
            },
            body: Vec::new(),
        }
    }

    /// The body once it is complete, cut at `max`; `None` while more is expected. The end of
    /// input always completes it.
    pub(crate) fn poll(&mut self, buf: &[u8], eof: bool, max: usize) -> Option<Vec<u8>> {
        let available = buf.get(self.start..).unwrap_or(&[]);
        let take = |n: usize| {
            available
                .get(..n.min(available.len()))
                .unwrap_or(&[])
                .to_vec()
        };
        match self.framing {
            Framing::Empty => Some(Vec::new()),
            Framing::Length(len) => {
                let want = usize::try_from(len).unwrap_or(usize::MAX).min(max);
                (available.len() >= want || eof).then(|| take(want))
            }
            Framing::UntilEof => (available.len() >= max || eof).then(|| take(max)),
            Framing::Chunked => {
                self.decode(buf, max);
                if self.chunk == Chunk::Done || self.body.len() >= max || eof {
                    self.body.truncate(max);
                    Some(core::mem::take(&mut self.body))
                } else {
                    None
                }
            }
        }
    }

    /// Decodes the chunked bytes not yet seen (RFC 7230 §4.1). Malformed framing ends the body.
    fn decode(&mut self, buf: &[u8], max: usize) {
        while let Some(&b) = buf.get(self.pos) {
            if self.chunk == Chunk::Done || self.body.len() >= max {
                return;
            }
            if let Chunk::Data(n) = self.chunk {
                let rest = buf.get(self.pos..).unwrap_or(&[]);
                let k = usize::try_from(n).unwrap_or(usize::MAX).min(rest.len());
                let keep = k.min(max - self.body.len());
                self.body.extend_from_slice(rest.get(..keep).unwrap_or(&[]));
                self.pos += k;
                let left = n - k as u64;
                self.chunk = if left == 0 {
                    Chunk::DataEnd
                } else {
                    Chunk::Data(left)
                };
                continue;
            }
            self.pos += 1;
            let size_line_end = |n: u64, digits: bool| match (digits, n) {
                (false, _) => Chunk::Done,
                (true, 0) => Chunk::Trailer { line_empty: true },
                (true, n) => Chunk::Data(n),
            };
            self.chunk = match (self.chunk, b) {
                (Chunk::Size { n, .. }, b) if b.is_ascii_hexdigit() => {
                    let d = u64::from(char::from(b).to_digit(16).unwrap_or(0));
                    match n.checked_mul(16).and_then(|n| n.checked_add(d)) {
                        Some(n) => Chunk::Size { n, digits: true },
                        None => Chunk::Done,
                    }
                }
                (Chunk::Size { n, .. }, b';' | b' ' | b'\t') => Chunk::Extension { n },
                (Chunk::Size { .. } | Chunk::Extension { .. } | Chunk::DataEnd, b'\r') => {
                    self.chunk
                }
                (Chunk::Size { n, digits }, b'\n') => size_line_end(n, digits),
                (Chunk::Extension { n }, b'\n') => size_line_end(n, true),
                (Chunk::Extension { .. }, _) => self.chunk,
                (Chunk::DataEnd, b'\n') => Chunk::Size {
                    n: 0,
                    digits: false,
                },
                (Chunk::Trailer { line_empty }, b'\n') => {
                    if line_empty {
                        Chunk::Done
                    } else {
                        Chunk::Trailer { line_empty: true }
                    }
                }
                (Chunk::Trailer { line_empty }, b'\r') => Chunk::Trailer { line_empty },
                (Chunk::Trailer { .. }, _) => Chunk::Trailer { line_empty: false },
                _ => Chunk::Done,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn limits(max_head_bytes: usize, max_headers: usize) -> Limits {
        Limits {
            max_head_bytes,
            max_headers,
            max_body_bytes: 64,
        }
    }

    #[test]
    fn finds_terminator_split_across_every_call_boundary() {
        let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nFRAMES";
        let l = Limits::default();
        for split in 0..head.len() {
            let mut s = HeadScanner::default();
            let first = s.scan(&head[..split], &l).unwrap();
            let end = first.or_else(|| s.scan(head, &l).unwrap());
            assert_eq!(end, Some(head.len() - 6), "split at {split}");
        }
    }

    #[test]
    fn a_head_that_cannot_be_http_fails_at_its_first_byte() {
        // A TLS ClientHello record (a `wss://` client at a plain server): no blank line will
        // ever come, so the first byte decides.
        let mut s = HeadScanner::default();
        let e = s
            .scan(&[0x16, 0x03, 0x01, 0x02, 0x00], &Limits::default())
            .unwrap_err();
        assert_eq!(e.rejection().map(|r| r.status()), Some(400));
        assert!(
            alloc::string::ToString::to_string(&e).contains("TLS"),
            "{e}"
        );
        // Empty lines before the request line are allowed (RFC 7230 §3.5).
        let mut s = HeadScanner::default();
        let head = b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(s.scan(head, &Limits::default()).unwrap(), Some(head.len()));
    }

    #[test]
    fn lone_line_feeds_and_carriage_returns_do_not_end_the_head() {
        let mut s = HeadScanner::default();
        assert_eq!(
            s.scan(b"GET / HTTP/1.1\n\n\r\r\n\n\r\n\r", &Limits::default())
                .unwrap(),
            None
        );
        let complete = b"GET / HTTP/1.1\n\n\r\r\n\n\r\n\r\n";
        assert_eq!(
            s.scan(complete, &Limits::default()).unwrap(),
            Some(complete.len())
        );
    }

    #[test]
    fn head_exactly_at_the_limit_is_accepted_one_more_byte_is_not() {
        let head = b"GET / HTTP/1.1\r\n\r\n";
        let mut s = HeadScanner::default();
        assert_eq!(
            s.scan(head, &limits(head.len(), 8)).unwrap(),
            Some(head.len())
        );
        let mut s = HeadScanner::default();
        let e = s.scan(head, &limits(head.len() - 1, 8));
        assert_eq!(
            e,
            Err(HandshakeError::HeadTooLarge {
                limit: head.len() - 1
            })
        );
    }

    #[test]
    fn header_count_limit_is_exact() {
        let two = b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n";
        assert!(
            HeadScanner::default()
                .scan(two, &limits(1024, 2))
                .unwrap()
                .is_some()
        );
        let e = HeadScanner::default().scan(two, &limits(1024, 1));
        assert_eq!(e, Err(HandshakeError::TooManyHeaders { limit: 1 }));
    }

    #[test]
    fn scanning_one_byte_at_a_time_is_linear() {
        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        while head.len() < (16 << 10) - 64 {
            head.extend_from_slice(
                b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
            );
        }
        head.extend_from_slice(b"\r\n");
        let l = limits(64 << 10, 1 << 10);
        let mut s = HeadScanner::default();
        let mut calls = 0;
        let mut end = None;
        for n in 1..=head.len() {
            calls += 1;
            end = s.scan(&head[..n], &l).unwrap();
            if end.is_some() {
                break;
            }
        }
        assert_eq!(end, Some(head.len()));
        assert_eq!(calls, head.len());
        assert_eq!(s.examined, head.len(), "each byte examined exactly once");
    }

    #[test]
    fn a_shrinking_buffer_does_not_panic() {
        let mut s = HeadScanner::default();
        assert_eq!(
            s.scan(b"GET / HTTP/1.1\r\n", &Limits::default()).unwrap(),
            None
        );
        assert_eq!(s.scan(b"GET", &Limits::default()).unwrap(), None);
    }

    fn framing(status: u16, fields: &[(&str, &str)]) -> Framing {
        let mut h = Headers::new();
        for (n, v) in fields {
            h.push(*n, *v);
        }
        Framing::of_response(status, &h)
    }

    #[test]
    fn rfc7230_3_3_3_body_framing() {
        assert_eq!(framing(204, &[("Content-Length", "5")]), Framing::Empty);
        assert_eq!(framing(100, &[]), Framing::Empty);
        assert_eq!(framing(401, &[("Content-Length", "5")]), Framing::Length(5));
        assert_eq!(
            framing(401, &[("Content-Length", "5"), ("content-length", "5")]),
            Framing::Length(5)
        );
        assert_eq!(
            framing(401, &[("Content-Length", "5"), ("content-length", "6")]),
            Framing::UntilEof
        );
        assert_eq!(framing(401, &[("Content-Length", "x")]), Framing::UntilEof);
        assert_eq!(
            framing(
                401,
                &[
                    ("Transfer-Encoding", "gzip, Chunked"),
                    ("Content-Length", "1")
                ]
            ),
            Framing::Chunked
        );
        assert_eq!(
            framing(401, &[("Transfer-Encoding", "chunked, gzip")]),
            Framing::UntilEof
        );
        assert_eq!(framing(500, &[]), Framing::UntilEof);
    }

    #[test]
    fn chunked_body_decodes_for_every_split() {
        let wire = b"HEAD4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        for split in 0..wire.len() {
            let mut r = BodyReader::new(Framing::Chunked, 4);
            let body = r
                .poll(&wire[..split], false, 1024)
                .or_else(|| r.poll(wire, false, 1024));
            assert_eq!(
                body.as_deref(),
                Some(&b"Wikipedia in\r\n\r\nchunks."[..]),
                "split at {split}"
            );
        }
    }

    #[test]
    fn chunked_body_is_capped_and_ends_on_eof_or_garbage() {
        let wire = b"10\r\n0123456789abcdef\r\n0\r\n\r\n";
        assert_eq!(
            BodyReader::new(Framing::Chunked, 0).poll(&wire[..8], false, 4),
            Some(b"0123".to_vec())
        );
        assert_eq!(
            BodyReader::new(Framing::Chunked, 0).poll(&wire[..8], false, 100),
            None
        );
        assert_eq!(
            BodyReader::new(Framing::Chunked, 0).poll(&wire[..8], true, 100),
            Some(b"0123".to_vec())
        );
        assert_eq!(
            BodyReader::new(Framing::Chunked, 0).poll(b"zz\r\n", false, 100),
            Some(vec![])
        );
        let huge = b"ffffffffffffffffff\r\n";
        assert_eq!(
            BodyReader::new(Framing::Chunked, 0).poll(huge, false, 100),
            Some(vec![])
        );
    }

    #[test]
    fn length_and_eof_bodies() {
        let buf = b"HEADhello world";
        assert_eq!(
            BodyReader::new(Framing::Length(5), 4).poll(buf, false, 100),
            Some(b"hello".to_vec())
        );
        assert_eq!(
            BodyReader::new(Framing::Length(50), 4).poll(buf, false, 100),
            None
        );
        assert_eq!(
            BodyReader::new(Framing::Length(50), 4).poll(buf, false, 3),
            Some(b"hel".to_vec())
        );
        assert_eq!(
            BodyReader::new(Framing::Length(50), 4).poll(buf, true, 100),
            Some(b"hello world".to_vec())
        );
        assert_eq!(
            BodyReader::new(Framing::UntilEof, 4).poll(buf, false, 100),
            None
        );
        assert_eq!(
            BodyReader::new(Framing::UntilEof, 4).poll(buf, true, 100),
            Some(b"hello world".to_vec())
        );
        assert_eq!(
            BodyReader::new(Framing::UntilEof, 4).poll(buf, false, 5),
            Some(b"hello".to_vec())
        );
        assert_eq!(
            BodyReader::new(Framing::Empty, 4).poll(buf, false, 5),
            Some(vec![])
        );
    }
}
