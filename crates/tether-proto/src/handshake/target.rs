//! [`Target`]: a `ws://` or `wss://` URL, read once (RFC 6455 §3).

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::HandshakeError;

/// What a WebSocket URL names: where to connect, whether over TLS, the resource to ask for,
/// and any `user:password@` in it. Parsed once, before any network work, so a bad URL fails at
/// once; everything after (DNS, proxy, TLS name, the request's `Host` and request line) reads
/// from it.
///
/// ```
/// use tether_proto::handshake::Target;
///
/// let t = Target::parse("wss://bob:p%40ss@[::1]:9443/chat?room=1")?;
/// assert_eq!((t.host(), t.port(), t.is_tls()), ("::1", 9443, true));
/// assert_eq!((t.authority(), t.resource()), ("[::1]:9443", "/chat?room=1"));
/// assert_eq!(t.credentials(), Some(("bob", "p@ss")));
/// // Display leaves the credentials out, so a target can go into logs and errors.
/// assert_eq!(t.to_string(), "wss://[::1]:9443/chat?room=1");
/// assert!(Target::parse("http://example.com/").is_err());
/// # Ok::<(), tether_proto::handshake::HandshakeError>(())
/// ```
#[derive(Clone, Eq, PartialEq)]
pub struct Target {
    host: String,
    port: u16,
    tls: bool,
    /// `host[:port]` as the `Host` header and `CONNECT` want it (IPv6 in brackets, the port
    /// only when not the scheme's default).
    host_header: String,
    /// Path and query.
    resource: String,
    credentials: Option<(String, String)>,
}

impl Target {
    /// Reads a `ws://` or `wss://` URL.
    ///
    /// # Errors
    ///
    /// [`HandshakeError::InvalidUrl`] for an unparsable URL, no host, or a `#fragment`;
    /// [`HandshakeError::UnsupportedScheme`] for anything but `ws` and `wss`.
    pub fn parse(url: &str) -> Result<Self, HandshakeError> {
        // The parse error says what is wrong; the URL itself is not repeated, as it may hold a
        // password.
        let url = url::Url::parse(url).map_err(|e| HandshakeError::InvalidUrl(e.to_string()))?;
        // §3: ws-URI = "ws:" "//" host [ ":" port ] path [ "?" query ]
        //     wss-URI = "wss:" "//" host [ ":" port ] path [ "?" query ]
        let (tls, default_port) = match url.scheme() {
            "ws" => (false, 80),
            "wss" => (true, 443),
            other => return Err(HandshakeError::UnsupportedScheme(other.to_string())),
        };
        // §3: "Fragment identifiers are meaningless in the context of WebSocket URIs and MUST
        // NOT be used on these URIs."
        if url.fragment().is_some() {
            return Err(HandshakeError::InvalidUrl(
                "WebSocket URLs cannot have a #fragment (escape `#` as %23)".into(),
            ));
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            None => return Err(HandshakeError::InvalidUrl("the URL has no host".into())),
        };
        let port = url.port().unwrap_or(default_port);
        let bracketed = url.host_str().unwrap_or_default(); // IPv6 in brackets
        // §4.1 item 4: the Host header holds "/host/ plus optionally ":" followed by /port/
        // (when not using the default port)".
        let host_header = if port == default_port {
            bracketed.to_owned()
        } else {
            format!("{bracketed}:{port}")
        };
        let mut resource = url.path().to_owned();
        if let Some(query) = url.query() {
            resource.push('?');
            resource.push_str(query);
        }
        let credentials = (!url.username().is_empty() || url.password().is_some()).then(|| {
            (
                percent_decode(url.username()),
                percent_decode(url.password().unwrap_or("")),
            )
        });
        Ok(Self {
            host,
            port,
            tls,
            host_header,
            resource,
            credentials,
        })
    }

    /// The host to connect to and to name for TLS: a domain, or an IP address without
    /// brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port: the URL's, or 80 for `ws` and 443 for `wss`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the URL asks for TLS (`wss`).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// `host[:port]` as the `Host` header carries it: IPv6 in brackets, the port only when it
    /// is not the scheme's default.
    pub fn authority(&self) -> &str {
        &self.host_header
    }

    /// The resource to ask for: path and query (`/chat?room=1`).
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The path alone.
    pub fn path(&self) -> &str {
        self.resource
            .split_once('?')
            .map_or(&self.resource, |(path, _)| path)
    }

    /// `user` and `password` from the URL, percent-decoded.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials
            .as_ref()
            .map(|(user, password)| (user.as_str(), password.as_str()))
    }
}

/// The URL without its credentials.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "wss" } else { "ws" };
        write!(f, "{scheme}://{}{}", self.host_header, self.resource)
    }
}

/// As `Display`, with the user name but not the password.
impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("url", &format_args!("{self}"))
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

/// Decodes `%XX` escapes (as the `url` crate leaves them in the userinfo); anything else is
/// kept as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |j: usize| bytes.get(j).and_then(|&h| char::from(h).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
