//! An ordered list of HTTP header fields, and the token/value rules (RFC 7230 §3.2) the
//! handshake checks names and values against.

use alloc::string::String;
use alloc::vec::Vec;

/// Header fields in the order they were received or will be sent. Names compare
/// case-insensitively.
///
/// ```
/// use tether_proto::handshake::Headers;
///
/// let mut h = Headers::new();
/// h.push("Connection", "keep-alive");
/// h.push("connection", "Upgrade");
/// assert_eq!(h.get("CONNECTION"), Some("keep-alive"));
/// assert!(h.has_token("Connection", "upgrade"));
/// assert_eq!(format!("{h:?}"), r#"[Connection: "keep-alive", connection: "Upgrade"]"#);
/// ```
#[derive(Clone, Default, Eq, PartialEq)]
pub struct Headers {
    /// Each field's name then its value, back to back: one allocation however many fields (a
    /// server keeps its client's request for the life of the connection).
    bytes: Vec<u8>,
    /// Where each field's name and value end in `bytes` (the name starts where the previous
    /// field's value ended).
    ends: Vec<(usize, usize)>,
}

/// Shows each field as `name: value`, the value as text when it is UTF-8 (else its bytes).
impl core::fmt::Debug for Headers {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut list = f.debug_list();
        for (name, value) in self {
            match core::str::from_utf8(value) {
                Ok(text) => list.entry(&format_args!("{name}: {text:?}")),
                Err(_) => list.entry(&format_args!("{name}: {value:?}")),
            };
        }
        list.finish()
    }
}

impl Headers {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty list with room for `fields` fields whose names and values add up to the
    /// given lengths.
    pub(crate) fn with_room(fields: usize, names: usize, values: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(names + values),
            ends: Vec::with_capacity(fields),
        }
    }

    /// Appends a field. Nothing is checked here; writers check names and values before they
    /// put them on the wire.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) {
        self.push_field(&name.into(), &value.into());
    }

    /// Appends a field from borrowed bytes.
    pub(crate) fn push_field(&mut self, name: &str, value: &[u8]) {
        self.bytes.extend_from_slice(name.as_bytes());
        let name_end = self.bytes.len();
        self.bytes.extend_from_slice(value);
        self.ends.push((name_end, self.bytes.len()));
    }

    /// The value of the first field called `name` (any case), if there is one and it is UTF-8.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_bytes(name)
            .and_then(|v| core::str::from_utf8(v).ok())
    }

    /// The raw value of the first field called `name` (any case).
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        self.get_all(name).next()
    }

    /// The raw values of every field called `name` (any case), in order.
    pub fn get_all<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Whether any field is called `name` (any case).
    pub fn contains(&self, name: &str) -> bool {
        self.get_all(name).next().is_some()
    }

    /// Every field as `(name, value)`, in order.
    pub fn iter(&self) -> HeaderIter<'_> {
        HeaderIter {
            headers: self,
            next: 0,
        }
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Whether the comma-separated lists in the fields called `name` (all of them: a list may be
    /// split over several lines, RFC 7230 §3.2.2) contain `token`, compared ASCII
    /// case-insensitively after trimming spaces and tabs.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.list(name)
            .any(|item| item.eq_ignore_ascii_case(token.as_bytes()))
    }

    /// The first value of the fields called `name`, trimmed, and whether there are more.
    pub(crate) fn first_trimmed(&self, name: &str) -> (Option<&[u8]>, bool) {
        let mut values = self.get_all(name);
        (values.next().map(trim_ows), values.next().is_some())
    }

    /// The non-empty, trimmed elements of the comma-separated lists in every field called
    /// `name`, in order.
    pub(crate) fn list<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
        self.get_all(name)
            .flat_map(|v| v.split(|&b| b == b','))
            .map(trim_ows)
            .filter(|item| !item.is_empty())
    }
}

/// The fields of [`Headers`] as `(name, value)`, in order.
#[derive(Clone, Debug)]
pub struct HeaderIter<'a> {
    headers: &'a Headers,
    next: usize,
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = (&'a str, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let h = self.headers;
        let &(name_end, value_end) = h.ends.get(self.next)?;
        let start = match self.next {
            0 => 0,
            i => h.ends[i - 1].1,
        };
        self.next += 1;
        // Names were pushed as `&str`: always UTF-8.
        let name = core::str::from_utf8(&h.bytes[start..name_end]).unwrap_or_default();
        Some((name, &h.bytes[name_end..value_end]))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.headers.ends.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for HeaderIter<'_> {}

impl<'a> IntoIterator for &'a Headers {
    type Item = (&'a str, &'a [u8]);
    type IntoIter = HeaderIter<'a>;

    fn into_iter(self) -> HeaderIter<'a> {
        self.iter()
    }
}

/// Removes leading and trailing optional whitespace (SP / HTAB, RFC 7230 §3.2.3).
pub(crate) fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// `tchar` of RFC 7230 §3.2.6: any VCHAR except delimiters.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A non-empty `token` (RFC 7230 §3.2.6).
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// A `field-value` we are willing to write: no control characters but HTAB, so no CR/LF that
/// could end the field early (RFC 7230 §3.2).
pub(crate) fn is_field_value(v: &[u8]) -> bool {
    v.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// Headers the handshake writes itself, and framing headers that must not appear on it:
/// applications may not add these.
pub(crate) fn is_reserved(name: &str) -> bool {
    const FIXED: [&str; 5] = [
        "host",
        "upgrade",
        "connection",
        "content-length",
        "transfer-encoding",
    ];
    FIXED.iter().any(|f| name.eq_ignore_ascii_case(f))
        || name
            .get(..14)
            .is_some_and(|p| p.eq_ignore_ascii_case("sec-websocket-"))
}

/// Checks an application-supplied header for writing: a token name, a safe value, and not one
/// of the handshake's own fields.
pub(crate) fn check_extra(name: &str, value: &[u8]) -> Result<(), super::HandshakeError> {
    use alloc::format;
    if !is_token(name) {
        return Err(super::HandshakeError::InvalidOption(format!(
            "header name {name:?} is not an HTTP token"
        )));
    }
    if is_reserved(name) {
        return Err(super::HandshakeError::InvalidOption(format!(
            "header `{name}` is written by the handshake itself and cannot be added"
        )));
    }
    if !is_field_value(value) {
        return Err(super::HandshakeError::InvalidOption(format!(
            "value of header `{name}` contains control characters (CR, LF, NUL, ...)"
        )));
    }
    Ok(())
}

/// Appends `name: value\r\n`.
pub(crate) fn write_field(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Headers {
        let mut h = Headers::new();
        h.push("Host", "example.com");
        h.push("Connection", "keep-alive");
        h.push("CONNECTION", " Upgrade ,");
        h.push("X-Bin", &b"\xff\xfe"[..]);
        h
    }

    #[test]
    fn get_is_case_insensitive_and_returns_first() {
        let h = sample();
        assert_eq!(h.get("host"), Some("example.com"));
        assert_eq!(h.get("connection"), Some("keep-alive"));
        assert_eq!(h.get("missing"), None);
        assert_eq!(h.len(), 4);
        assert!(!h.is_empty());
        assert!(Headers::new().is_empty());
    }

    #[test]
    fn non_utf8_value_is_none_as_str_but_available_as_bytes() {
        let h = sample();
        assert_eq!(h.get("x-bin"), None);
        assert_eq!(h.get_bytes("x-bin"), Some(&b"\xff\xfe"[..]));
    }

    #[test]
    fn rfc7230_3_2_2_token_lists_span_repeated_lines() {
        let h = sample();
        assert!(h.has_token("connection", "upgrade"));
        assert!(h.has_token("Connection", "KEEP-ALIVE"));
        assert!(!h.has_token("connection", "close"));
        assert!(!h.has_token("connection", "keep"));
        assert_eq!(h.get_all("connection").count(), 2);
    }

    #[test]
    fn iteration_keeps_order() {
        let h = sample();
        let names: Vec<&str> = h.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["Host", "Connection", "CONNECTION", "X-Bin"]);
        assert_eq!((&h).into_iter().count(), 4);
    }

    #[test]
    fn token_and_value_rules() {
        assert!(is_token("permessage-deflate"));
        assert!(!is_token(""));
        assert!(!is_token("a b"));
        assert!(!is_token("a,b"));
        assert!(is_field_value(b"text/plain; q=1\t"));
        assert!(!is_field_value(b"a\r\nInjected: 1"));
        assert!(is_reserved("Sec-WebSocket-Protocol"));
        assert!(is_reserved("HOST"));
        assert!(!is_reserved("Sec-Fetch-Mode"));
        assert!(check_extra("X-Ok", b"1").is_ok());
        assert!(check_extra("Upgrade", b"h2c").is_err());
        assert!(check_extra("X-Bad", b"1\r\n").is_err());
        assert!(check_extra("Bad Name", b"1").is_err());
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
    }
}
