//! HTTP proxies: the sans-IO `CONNECT` exchange and the environment's proxy rules.
//!
//! A client tunnels through an HTTP proxy by sending `CONNECT host:port HTTP/1.1` and, once the
//! proxy answers 2xx, speaking TLS or WebSocket over the same connection. [`connect_request`]
//! writes the request (with `Proxy-Authorization: Basic` when credentials are given) and
//! [`ConnectResponse`] reads the answer incrementally, within a size bound.
//!
//! ```
//! use tether_socket::proxy::{connect_request, ConnectResponse};
//! use tether_socket::{Credentials, Error, Target};
//!
//! let target = Target::parse("ws://example.com:8080/").unwrap();
//! let request = connect_request(&target, Some(&Credentials::new("u", "p")));
//! assert!(request.starts_with(b"CONNECT example.com:8080 HTTP/1.1\r\n"));
//!
//! let mut response = ConnectResponse::new("proxy:3128");
//! assert_eq!(response.poll(b"HTTP/1.1 200 Connection est").unwrap(), None);
//! assert_eq!(response.poll(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap(), Some(39));
//!
//! let mut response = ConnectResponse::new("proxy:3128");
//! let e = response.poll(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n").unwrap_err();
//! assert!(matches!(e, Error::ProxyAuthRequired { .. }));
//! ```

use std::fmt;

use tether_proto::handshake::{Headers, Target};

use crate::{Credentials, Error};

/// An HTTP proxy reached with `CONNECT`.
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Proxy {
    /// The proxy's host name or IP address.
    pub host: String,
    /// The proxy's port.
    pub port: u16,
    /// Credentials for `Proxy-Authorization: Basic`.
    pub credentials: Option<Credentials>,
}

/// `host:port`, IPv6 in brackets.
impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl Proxy {
    /// The proxy at `host:port`, without credentials.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            credentials: None,
        }
    }

    /// Adds credentials.
    #[must_use]
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Reads a proxy URL as found in `HTTP_PROXY`: `http://[user:pass@]host[:port]`, or just
    /// `host:port`. The port defaults to 80 (`http`) or 443 (`https` — the tunnel is still
    /// plain `CONNECT`; TLS to the proxy itself is not supported).
    ///
    /// ```
    /// use tether_socket::Proxy;
    /// let p = Proxy::parse("http://me:pw@proxy.local:3128").unwrap();
    /// assert_eq!((p.host.as_str(), p.port), ("proxy.local", 3128));
    /// assert_eq!(p.credentials.unwrap().password, "pw");
    /// assert_eq!(Proxy::parse("10.0.0.1:8080").unwrap().port, 8080);
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when it cannot be read.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let with_scheme = if url.contains("://") {
            url.to_string()
        } else {
            format!("http://{url}")
        };
        let as_ws = with_scheme
            .replacen("http://", "ws://", 1)
            .replacen("https://", "wss://", 1);
        let target =
            Target::parse(&as_ws).map_err(|e| Error::InvalidInput(format!("proxy URL: {e}")))?;
        Ok(Self {
            host: target.host().to_owned(),
            port: target.port(),
            credentials: target
                .credentials()
                .map(|(user, password)| Credentials::new(user, password)),
        })
    }
}

/// The proxy for `target` according to `HTTP_PROXY` / `http_proxy` (for `ws://`),
/// `HTTPS_PROXY` / `https_proxy` (for `wss://`) and `NO_PROXY` / `no_proxy`.
pub fn from_env(target: &Target) -> Option<Proxy> {
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
    };
    from_vars(
        target,
        var(&["HTTP_PROXY", "http_proxy"]).as_deref(),
        var(&["HTTPS_PROXY", "https_proxy"]).as_deref(),
        var(&["NO_PROXY", "no_proxy"]).as_deref(),
    )
}

/// [`from_env`] with the variables' values given: the proxy for `target`, if any.
///
/// `no_proxy` is a comma-separated list of host names (matching the host and its
/// subdomains; a leading `.` is allowed), IP addresses, optionally with `:port`, or `*` for
/// every host.
///
/// ```
/// use tether_socket::{proxy::from_vars, Target};
///
/// let t = Target::parse("ws://api.example.com/").unwrap();
/// assert!(from_vars(&t, Some("http://p:3128"), None, None).is_some());
/// assert!(from_vars(&t, Some("http://p:3128"), None, Some("localhost, .example.com")).is_none());
/// assert!(from_vars(&t, None, Some("http://p:3128"), None).is_none()); // ws:// uses HTTP_PROXY
/// ```
pub fn from_vars(
    target: &Target,
    http: Option<&str>,
    https: Option<&str>,
    no_proxy: Option<&str>,
) -> Option<Proxy> {
    let proxy = if target.is_tls() { https } else { http }?;
    if no_proxy.is_some_and(|list| bypasses(target, list)) {
        return None;
    }
    Proxy::parse(proxy).ok()
}

fn bypasses(target: &Target, list: &str) -> bool {
    let host = target.host().to_ascii_lowercase();
    list.split(',').map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry.trim_start_matches("*.").trim_start_matches('.');
        let entry = entry.trim_start_matches('[');
        let (name, port) = match entry.rsplit_once(':') {
            Some((n, p)) if !n.contains(':') || n.ends_with(']') => (n, p.parse::<u16>().ok()),
            _ => (entry, None),
        };
        let name = name.trim_end_matches(']').to_ascii_lowercase();
        if name.is_empty() || port.is_some_and(|p| p != target.port()) {
            return false;
        }
        host == name || host.ends_with(&format!(".{name}"))
    })
}

/// The `CONNECT` request for a tunnel to `target`, with `Proxy-Authorization: Basic` when
/// credentials are given.
pub fn connect_request(target: &Target, credentials: Option<&Credentials>) -> Vec<u8> {
    let authority = if target.host().contains(':') {
        format!("[{}]:{}", target.host(), target.port())
    } else {
        format!("{}:{}", target.host(), target.port())
    };
    let mut out = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(c) = credentials {
        out.push_str("Proxy-Authorization: ");
        out.push_str(&c.basic_value());
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Reads a proxy's answer to `CONNECT`, incrementally and within a bound.
#[derive(Clone, Debug)]
pub struct ConnectResponse {
    proxy: String,
    max_head: usize,
    scanned: usize,
}

impl ConnectResponse {
    /// Most bytes of response head accepted: 16 KiB.
    pub const MAX_HEAD: usize = 16 << 10;
    /// Most header fields accepted.
    pub const MAX_HEADERS: usize = 64;

    /// A parser waiting for the status line of `proxy` (`host:port`, for errors).
    pub fn new(proxy: impl Into<String>) -> Self {
        Self {
            proxy: proxy.into(),
            max_head: Self::MAX_HEAD,
            scanned: 0,
        }
    }

    /// Parses `buf`, all bytes received since the request was sent (the same start on every
    /// call, growing). Returns `Ok(None)` until the head is complete, then `Ok(Some(len))` for a
    /// 2xx answer: the tunnel is open and `buf[len..]` already belongs to it.
    ///
    /// # Errors
    ///
    /// [`Error::ProxyAuthRequired`] for 407, [`Error::ProxyRefused`] for any other status or a
    /// head that is not HTTP or exceeds 16 KiB.
    pub fn poll(&mut self, buf: &[u8]) -> Result<Option<usize>, Error> {
        let not_http = || Error::ProxyRefused {
            proxy: self.proxy.clone(),
            status: 0,
            headers: Headers::new(),
        };
        // Only look for the end of the head from where the previous call stopped.
        let from = self.scanned.saturating_sub(3);
        let end = buf
            .get(from..)
            .and_then(|tail| tail.windows(4).position(|w| w == b"\r\n\r\n"))
            .map(|i| from + i + 4);
        let Some(end) = end else {
            self.scanned = buf.len();
            if buf.len() > self.max_head {
                return Err(not_http());
            }
            return Ok(None);
        };
        if end > self.max_head {
            return Err(not_http());
        }
        let mut fields = [httparse::EMPTY_HEADER; Self::MAX_HEADERS];
        let mut response = httparse::Response::new(&mut fields);
        match response.parse(&buf[..end]) {
            Ok(httparse::Status::Complete(_)) => {}
            _ => return Err(not_http()),
        }
        let status = response.code.unwrap_or(0);
        let mut headers = Headers::new();
        for h in response.headers.iter() {
            headers.push(h.name.to_string(), h.value.to_vec());
        }
        match status {
            200..=299 => Ok(Some(end)),
            407 => Err(Error::ProxyAuthRequired {
                proxy: self.proxy.clone(),
                headers,
            }),
            status => Err(Error::ProxyRefused {
                proxy: self.proxy.clone(),
                status,
                headers,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_carries_basic_credentials_and_brackets_ipv6() {
        let t = Target::parse("wss://[::1]:9000/").unwrap();
        let req =
            String::from_utf8(connect_request(&t, Some(&Credentials::new("a", "b")))).unwrap();
        assert!(req.starts_with("CONNECT [::1]:9000 HTTP/1.1\r\nHost: [::1]:9000\r\n"));
        assert!(req.contains("Proxy-Authorization: Basic YTpi\r\n"));
        assert!(req.ends_with("\r\n\r\n"));
    }

    #[test]
    fn response_parser_is_incremental_and_bounded() {
        let answer = b"HTTP/1.1 200 OK\r\nVia: x\r\n\r\nEXTRA";
        let mut p = ConnectResponse::new("proxy:1");
        for i in 0..answer.len() - 5 {
            assert_eq!(p.poll(&answer[..i]).unwrap(), None, "prefix {i}");
        }
        assert_eq!(p.poll(answer).unwrap(), Some(answer.len() - 5));

        let mut p = ConnectResponse::new("proxy:1");
        let e = p.poll(b"HTTP/1.1 403 Forbidden\r\n\r\n").unwrap_err();
        assert_eq!(e.http_status(), Some(403));
        assert!(matches!(
            ConnectResponse::new("proxy:1").poll(b"SSH-2.0-OpenSSH\r\n\r\n"),
            Err(Error::ProxyRefused { status: 0, .. })
        ));
        let flood = vec![b'a'; ConnectResponse::MAX_HEAD + 1];
        assert!(ConnectResponse::new("proxy:1").poll(&flood).is_err());
    }

    #[test]
    fn no_proxy_rules() {
        let t = Target::parse("ws://127.0.0.1:9000/").unwrap();
        let p = Some("http://proxy:1");
        assert!(from_vars(&t, p, None, Some("127.0.0.1")).is_none());
        assert!(from_vars(&t, p, None, Some("127.0.0.1:9000")).is_none());
        assert!(from_vars(&t, p, None, Some("127.0.0.1:9001")).is_some());
        assert!(from_vars(&t, p, None, Some("*")).is_none());
        assert!(from_vars(&t, p, None, Some("example.com")).is_some());
        let t = Target::parse("wss://notexample.com/").unwrap();
        assert!(from_vars(&t, None, p, Some("example.com")).is_some());
    }
}
