//! [`Dial`]: what a client does before the WebSocket handshake, as data — where to open the TCP
//! connection, the proxy tunnel, TLS — so both adapters follow one plan and differ only in how
//! they wait.

use std::time::Duration;

use rustls::pki_types::ServerName;
use tether_proto::handshake::Target;

use crate::proxy::{self, ConnectResponse, Proxy};
use crate::{ClientConfig, Error, HttpMode, ProxySetting};

/// The ALPN protocol id of HTTP/2 over TLS (RFC 9113 §3.2).
pub const ALPN_H2: &[u8] = b"h2";
/// The ALPN protocol id of HTTP/1.1 (RFC 7301 §6).
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// Most resolved addresses a client tries, in the resolver's order.
pub const MAX_ADDRESSES: usize = 5;

/// A client's way to its server: the URL read once, and the proxy (if any).
#[derive(Clone, Debug)]
pub struct Dial {
    /// What the URL names.
    pub target: Target,
    /// The proxy to tunnel through, with the credentials to give it.
    pub proxy: Option<Proxy>,
    /// Which HTTP to open the WebSocket over.
    pub http: HttpMode,
}

impl Dial {
    /// Reads `url` (before any network work, so a bad URL fails at once) and picks the proxy.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`].
    ///
    /// ```
    /// use tether_socket::{ClientConfig, Dial};
    ///
    /// let dial = Dial::new("ws://127.0.0.1:9001/chat", &ClientConfig::default())?;
    /// assert_eq!(dial.first_hop(), ("127.0.0.1".to_string(), 9001));
    /// assert!(Dial::new("http://x/", &ClientConfig::default()).is_err());
    /// # Ok::<(), tether_socket::Error>(())
    /// ```
    pub fn new(url: &str, config: &ClientConfig) -> Result<Self, Error> {
        let target = Target::parse(url).map_err(|source| Error::InvalidUrl {
            url: redact(url),
            source,
        })?;
        let mut proxy = match &config.proxy {
            ProxySetting::Direct => None,
            ProxySetting::Fixed(p) => Some(p.clone()),
            ProxySetting::FromEnv => proxy::from_env(&target),
        };
        if let (Some(p), Some(c)) = (proxy.as_mut(), &config.proxy_credentials) {
            p.credentials = Some(c.clone());
        }
        Ok(Self {
            target,
            proxy,
            http: config.http,
        })
    }

    /// Where the TCP connection goes: the proxy, or the server.
    pub fn first_hop(&self) -> (String, u16) {
        match &self.proxy {
            Some(p) => (p.host.clone(), p.port),
            None => (self.target.host().to_owned(), self.target.port()),
        }
    }

    /// The `CONNECT` request to send first, and the parser for its answer, when tunnelling.
    pub fn tunnel(&self) -> Option<(Vec<u8>, ConnectResponse)> {
        let p = self.proxy.as_ref()?;
        Some((
            proxy::connect_request(&self.target, p.credentials.as_ref()),
            ConnectResponse::new(p.to_string()),
        ))
    }

    /// The name the server's certificate must carry (`wss://`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the host is neither a DNS name nor an IP address.
    pub fn server_name(&self) -> Result<ServerName<'static>, Error> {
        crate::tls::server_name(self.target.host())
    }

    /// The ALPN protocols to offer in the TLS handshake (`wss://`): none for HTTP/1.1 (as
    /// before ALPN), `h2` for HTTP/2 only, both (HTTP/2 preferred) for
    /// [`HttpMode::Auto`].
    pub fn alpn(&self) -> Vec<Vec<u8>> {
        match self.http {
            HttpMode::Http1 => Vec::new(),
            HttpMode::Auto => vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()],
            HttpMode::Http2 => vec![ALPN_H2.to_vec()],
        }
    }

    /// Whether to speak HTTP/2 on the connection once it is set up: `alpn` is the protocol
    /// TLS agreed (`None` over plain TCP or when the server chose none). Over TLS, HTTP/2 when
    /// the server picked `h2`; over plain TCP, HTTP/2 with prior knowledge only when asked
    /// ([`HttpMode::Http2`]).
    ///
    /// # Errors
    ///
    /// [`Error::Http2Unsupported`]: HTTP/2 only was asked for and the server's TLS did not pick
    /// `h2`.
    pub fn over_http2(&self, alpn: Option<&[u8]>) -> Result<bool, Error> {
        match (self.http, self.target.is_tls(), alpn) {
            (HttpMode::Http1, _, _) => Ok(false),
            (_, true, Some(ALPN_H2)) => Ok(true),
            (HttpMode::Http2, true, other) => Err(Error::Http2Unsupported {
                url: self.target.to_string(),
                why: match other {
                    Some(p) => format!(
                        "its TLS picked ALPN protocol {:?}, not h2",
                        String::from_utf8_lossy(p)
                    ),
                    None => "its TLS picked no ALPN protocol (h2 was offered)".into(),
                },
            }),
            (HttpMode::Http2, false, _) => Ok(true),
            (_, _, _) => Ok(false),
        }
    }

    /// How long each address may take when `addresses` were resolved, within `total`: an even
    /// share, so one silent address cannot use up the whole connect timeout.
    pub fn attempt_timeout(total: Option<Duration>, addresses: usize) -> Option<Duration> {
        let n = u32::try_from(addresses.clamp(1, MAX_ADDRESSES)).unwrap_or(1);
        total.map(|t| t / n)
    }
}

/// The URL without anything between `//` and `@` (it may hold a password).
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_url_fails_before_any_network_work_and_hides_the_password() {
        let e = Dial::new("htp://bob:secret@host/", &ClientConfig::default()).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("htp://…@host/"), "{text}");
        assert!(!text.contains("secret"));
    }

    #[test]
    fn a_fixed_proxy_is_the_first_hop_with_the_configured_credentials() {
        let config = ClientConfig::default()
            .proxy(ProxySetting::Fixed(Proxy::new("127.0.0.1", 3128)))
            .proxy_credentials(crate::Credentials::new("u", "p"));
        let dial = Dial::new("wss://example.com/", &config).unwrap();
        assert_eq!(dial.first_hop(), ("127.0.0.1".to_owned(), 3128));
        let (request, _) = dial.tunnel().unwrap();
        assert!(request.starts_with(b"CONNECT example.com:443 HTTP/1.1\r\n"));
        assert!(
            String::from_utf8(request)
                .unwrap()
                .contains("Proxy-Authorization: Basic dTpw")
        );
    }

    #[test]
    fn http_mode_decides_alpn_and_http2() {
        let dial = |url: &str, http| Dial::new(url, &ClientConfig::default().http(http)).unwrap();
        let d = dial("wss://h/", HttpMode::Http1);
        assert!(d.alpn().is_empty());
        assert!(!d.over_http2(Some(ALPN_H2)).unwrap());
        let d = dial("wss://h/", HttpMode::Auto);
        assert_eq!(d.alpn(), [b"h2".to_vec(), b"http/1.1".to_vec()]);
        assert!(d.over_http2(Some(ALPN_H2)).unwrap());
        assert!(!d.over_http2(Some(ALPN_HTTP11)).unwrap());
        assert!(!d.over_http2(None).unwrap());
        assert!(!dial("ws://h/", HttpMode::Auto).over_http2(None).unwrap());
        let d = dial("wss://h/", HttpMode::Http2);
        assert_eq!(d.alpn(), [b"h2".to_vec()]);
        let e = d.over_http2(None).unwrap_err();
        assert!(e.to_string().contains("picked no ALPN protocol"), "{e}");
        assert!(dial("ws://h/", HttpMode::Http2).over_http2(None).unwrap());
    }

    #[test]
    fn attempts_share_the_connect_timeout() {
        let t = Some(Duration::from_secs(30));
        assert_eq!(Dial::attempt_timeout(t, 3), Some(Duration::from_secs(10)));
        assert_eq!(Dial::attempt_timeout(t, 0), t);
        assert_eq!(Dial::attempt_timeout(None, 2), None);
    }
}
