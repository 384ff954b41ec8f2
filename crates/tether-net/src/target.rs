//! [`Target`]: what a WebSocket URL asks to connect to.

use crate::{Credentials, Error};

/// The endpoint named by a `ws://` or `wss://` URL.
///
/// ```
/// use tether_net::Target;
///
/// let t = Target::parse("wss://bob:pw@[::1]:9443/chat?room=1").unwrap();
/// assert_eq!((t.host.as_str(), t.port, t.tls), ("::1", 9443, true));
/// assert_eq!(t.authority(), "[::1]:9443");
/// assert_eq!(t.credentials.unwrap().user, "bob");
/// assert!(Target::parse("http://example.com/").is_err());
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Target {
    /// Domain name or IP address (IPv6 without brackets); the name TLS checks.
    pub host: String,
    /// The URL's port, or 80 (`ws`) / 443 (`wss`).
    pub port: u16,
    /// `wss://`.
    pub tls: bool,
    /// `user:password@` from the URL, percent-decoded.
    pub credentials: Option<Credentials>,
}

impl Target {
    /// Reads a `ws://` or `wss://` URL.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an unparsable URL, another scheme, or no host.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let url = url::Url::parse(url).map_err(|e| Error::InvalidInput(format!("URL: {e}")))?;
        let tls = match url.scheme() {
            "ws" => false,
            "wss" => true,
            other => {
                return Err(Error::InvalidInput(format!(
                    "unsupported URL scheme `{other}`: use ws:// or wss://"
                )));
            }
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            None => return Err(Error::InvalidInput("the URL has no host".into())),
        };
        let port = url.port().unwrap_or(if tls { 443 } else { 80 });
        let credentials = (!url.username().is_empty()).then(|| {
            Credentials::new(decode(url.username()), decode(url.password().unwrap_or("")))
        });
        Ok(Self {
            host,
            port,
            tls,
            credentials,
        })
    }

    /// `host:port`, with IPv6 addresses in brackets (the form of `CONNECT` and `Host`).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Percent-decodes a URL's user or password (invalid escapes are kept as they are).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(value as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
