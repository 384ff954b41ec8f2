//! [`ClientConfig`] and [`ServerConfig`]: everything a socket is set up with, per role. The
//! protocol's own settings (limits, keepalive, compression, receive mode, the outbound bound)
//! are one [`Config`], embedded in both.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tether_proto::Config;
use tether_proto::handshake::{Accept, Answer, ClientOptions, Reject, Request};

use crate::Error;
use crate::proxy::Proxy;

/// A user name and password for HTTP Basic authentication. `Debug` leaves the password out.
#[derive(Clone, Eq, PartialEq)]
pub struct Credentials {
    /// The user name (may not contain `:`).
    pub user: String,
    /// The password.
    pub password: String,
}

impl Credentials {
    /// Credentials from a user name and password.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
        }
    }

    /// The `Basic ...` value of an `Authorization` / `Proxy-Authorization` header (RFC 7617).
    ///
    /// ```
    /// use tether_socket::Credentials;
    /// assert_eq!(Credentials::new("Aladdin", "open sesame").basic_value(),
    ///            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    /// ```
    pub fn basic_value(&self) -> String {
        use base64::Engine as _;
        let pair = format!("{}:{}", self.user, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Which HTTP proxy, if any, a client goes through.
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub enum ProxySetting {
    /// Connect directly (the default: the environment is only read when asked to).
    #[default]
    Direct,
    /// Always tunnel through this proxy with `CONNECT`.
    Fixed(Proxy),
    /// Use `HTTP_PROXY` (for `ws://`) or `HTTPS_PROXY` (for `wss://`), lower-case names too,
    /// minus the hosts listed in `NO_PROXY`. See [`proxy::from_env`](crate::proxy::from_env).
    FromEnv,
}

/// Which HTTP a client opens its WebSocket over.
///
/// Over HTTP/2 (RFC 8441) a WebSocket is one stream of a connection that can carry others
/// (tether-tokio's `Http2Connection` opens several); the frames are the same. Only
/// tether-tokio speaks HTTP/2 (with its `hyper` feature); tether-std refuses
/// [`Http2`](Self::Http2) and treats [`Auto`](Self::Auto) as [`Http1`](Self::Http1).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, Eq, Hash, PartialEq)]
pub enum HttpMode {
    /// An HTTP/1.1 upgrade on a connection of its own. The default: a connection opened for one
    /// WebSocket gains nothing from HTTP/2.
    #[default]
    Http1,
    /// `wss://`: offer `h2` and `http/1.1` by ALPN; over HTTP/2 when the server picks `h2` and
    /// its SETTINGS enable the extended CONNECT, else over HTTP/1.1 (on a new connection when
    /// the server picked `h2` without it). `ws://`: HTTP/1.1.
    Auto,
    /// HTTP/2 only: `h2` by ALPN for `wss://`, HTTP/2 with prior knowledge (h2c) for `ws://`.
    /// Fails ([`Error::Http2Unsupported`]) when the server does not take WebSockets over
    /// HTTP/2.
    Http2,
}

/// Where the trusted root certificates for `wss://` come from.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub enum RootCerts {
    /// Mozilla's root program, compiled in (`webpki-roots`). The default: works the same on
    /// every machine.
    #[default]
    WebPki,
    /// The operating system's store (`rustls-native-certs`).
    Native,
    /// None but [`TlsOptions::extra_roots`].
    ExtraOnly,
}

/// A client's TLS settings for `wss://`.
///
/// ```
/// use tether_socket::{RootCerts, TlsOptions};
///
/// let tls = TlsOptions::default().roots(RootCerts::Native);
/// assert!(!tls.danger_accept_invalid_certs);
/// ```
#[non_exhaustive]
#[derive(Clone, Default)]
pub struct TlsOptions {
    /// The base set of trusted roots. Default: [`RootCerts::WebPki`].
    pub roots: RootCerts,
    /// More trusted certificates, as DER: a private CA, or a server's self-signed certificate
    /// (as `openssl req -x509` makes), which is then trusted for exactly that server.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// A client certificate chain and its key, for servers that ask for one.
    pub client_cert: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    /// **Disables all certificate checks.** Anyone on the path can then read and change the
    /// traffic. For tests against self-signed servers only. Default: off.
    pub danger_accept_invalid_certs: bool,
}

impl TlsOptions {
    /// Sets [`roots`](Self#structfield.roots).
    #[must_use]
    pub fn roots(mut self, roots: RootCerts) -> Self {
        self.roots = roots;
        self
    }

    /// Trusts one more certificate, given as DER.
    #[must_use]
    pub fn add_root_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(CertificateDer::from(der.into()));
        self
    }

    /// Trusts every certificate in a PEM bundle.
    ///
    /// # Errors
    ///
    /// The PEM cannot be parsed or holds no certificate ([`Error::InvalidInput`]).
    pub fn add_roots_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let certs = crate::tls::certs_from_pem(pem)?;
        self.extra_roots.extend(certs);
        Ok(self)
    }

    /// Presents this client certificate chain and key (both PEM) when the server asks.
    ///
    /// # Errors
    ///
    /// The PEM cannot be parsed ([`Error::InvalidInput`]).
    pub fn client_cert_pem(mut self, chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        let chain = crate::tls::certs_from_pem(chain_pem)?;
        let key = crate::tls::key_from_pem(key_pem)?;
        self.client_cert = Some((chain, Arc::new(key)));
        Ok(self)
    }

    /// Sets [`danger_accept_invalid_certs`](Self#structfield.danger_accept_invalid_certs).
    #[must_use]
    pub fn danger_accept_invalid_certs(mut self, on: bool) -> Self {
        self.danger_accept_invalid_certs = on;
        self
    }
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("roots", &self.roots)
            .field("extra_roots", &self.extra_roots.len())
            .field("client_cert", &self.client_cert.is_some())
            .field(
                "danger_accept_invalid_certs",
                &self.danger_accept_invalid_certs,
            )
            .finish()
    }
}

/// How a client connects: the protocol [`Config`], what the upgrade request carries, the proxy,
/// TLS, and the socket's timeouts. Plain data with builder-style setters; each field documents
/// its default.
///
/// ```
/// use std::time::Duration;
/// use tether_socket::{ClientConfig, Config, Credentials};
///
/// let config = ClientConfig::default()
///     .config(Config::default().max_message_size(1 << 20))
///     .protocols(["chat.v2", "chat.v1"])
///     .credentials(Credentials::new("alice", "s3cret"))
///     .connect_timeout(Some(Duration::from_secs(5)));
/// assert_eq!(config.config.max_message_size, 1 << 20);
/// assert!(config.read_timeout.is_none()); // no read timeout unless asked: keepalive is on
/// ```
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The protocol's settings: limits, keepalive, compression, receive mode, outbound bound,
    /// handshake and close timeouts (the handshake timeout also covers the proxy and TLS).
    pub config: Config,
    /// Subprotocols offered, most preferred first. Default: none.
    pub protocols: Vec<String>,
    /// HTTP Basic credentials for the server; without them, any `user:pass@` in the URL is
    /// used. Default: none.
    pub credentials: Option<Credentials>,
    /// `Origin` header. Default: none.
    pub origin: Option<String>,
    /// Extra request headers. Default: none.
    pub headers: Vec<(String, String)>,
    /// The HTTP proxy to tunnel through. Default: [`ProxySetting::Direct`].
    pub proxy: ProxySetting,
    /// Credentials for the proxy (`Proxy-Authorization: Basic`); they override any in the
    /// proxy's URL. Default: none.
    pub proxy_credentials: Option<Credentials>,
    /// TLS for `wss://`. Default: webpki roots, full verification.
    pub tls: TlsOptions,
    /// Time to establish the TCP connection, over all resolved addresses tried (at most 5, in
    /// the resolver's order). Default: 30 s.
    pub connect_timeout: Option<Duration>,
    /// `TCP_NODELAY`: send small frames at once. Default: `true`.
    pub no_delay: bool,
    /// Time each receive may wait; `None` waits for ever (keepalive still finds dead peers).
    /// A read timeout leaves the socket usable. Default: `None`.
    pub read_timeout: Option<Duration>,
    /// Time each send or flush may wait for the transport. Default: `None`.
    pub write_timeout: Option<Duration>,
    /// HTTP/1.1, HTTP/2 (RFC 8441), or HTTP/2 when the server offers it. Default:
    /// [`HttpMode::Http1`].
    pub http: HttpMode,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            config: Config::default(),
            protocols: Vec::new(),
            credentials: None,
            origin: None,
            headers: Vec::new(),
            proxy: ProxySetting::Direct,
            proxy_credentials: None,
            tls: TlsOptions::default(),
            connect_timeout: Some(Duration::from_secs(30)),
            no_delay: true,
            read_timeout: None,
            write_timeout: None,
            http: HttpMode::Http1,
        }
    }
}

impl ClientConfig {
    /// Sets [`config`](Self#structfield.config).
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets [`protocols`](Self#structfield.protocols), most preferred first.
    #[must_use]
    pub fn protocols<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`credentials`](Self#structfield.credentials).
    #[must_use]
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Sets [`origin`](Self#structfield.origin).
    #[must_use]
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Adds one header to [`headers`](Self#structfield.headers).
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets [`proxy`](Self#structfield.proxy).
    #[must_use]
    pub fn proxy(mut self, proxy: ProxySetting) -> Self {
        self.proxy = proxy;
        self
    }

    /// Sets [`proxy_credentials`](Self#structfield.proxy_credentials).
    #[must_use]
    pub fn proxy_credentials(mut self, credentials: Credentials) -> Self {
        self.proxy_credentials = Some(credentials);
        self
    }

    /// Sets [`tls`](Self#structfield.tls).
    #[must_use]
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = tls;
        self
    }

    /// Sets [`connect_timeout`](Self#structfield.connect_timeout).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`no_delay`](Self#structfield.no_delay).
    #[must_use]
    pub fn no_delay(mut self, on: bool) -> Self {
        self.no_delay = on;
        self
    }

    /// Sets [`read_timeout`](Self#structfield.read_timeout).
    #[must_use]
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Sets [`write_timeout`](Self#structfield.write_timeout).
    #[must_use]
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Sets [`http`](Self#structfield.http).
    #[must_use]
    pub fn http(mut self, mode: HttpMode) -> Self {
        self.http = mode;
        self
    }

    /// What the upgrade request carries: subprotocols, credentials, origin, headers.
    pub(crate) fn client_options(&self) -> ClientOptions {
        let mut options = ClientOptions::default().protocols(self.protocols.iter().cloned());
        if let Some(origin) = &self.origin {
            options = options.origin(origin.clone());
        }
        if let Some(c) = &self.credentials {
            options = options.basic_auth(c.user.clone(), c.password.clone());
        }
        for (name, value) in &self.headers {
            options = options.header(name.clone(), value.clone().into_bytes());
        }
        options
    }
}

/// What a server decides about an upgrade request: accept it (choosing a subprotocol and
/// headers) or reject it with any HTTP status.
pub type OnRequest = Arc<dyn Fn(&Request) -> Result<Accept, Reject> + Send + Sync>;

/// How a server accepts: the protocol [`Config`], TLS, which subprotocols it speaks, an
/// optional decision per request, and the socket's timeouts.
///
/// ```
/// use tether_socket::{Reject, ServerConfig};
///
/// let config = ServerConfig::default()
///     .protocols(["chat.v2"])
///     .on_request(|req| if req.path() == "/chat" { Ok(Default::default()) } else {
///         Err(Reject::new(404))
///     });
/// assert_eq!(config.protocols, ["chat.v2"]);
/// ```
#[non_exhaustive]
#[derive(Clone)]
pub struct ServerConfig {
    /// The protocol's settings (see [`ClientConfig::config`]).
    pub config: Config,
    /// TLS: when set, each accepted transport is a TLS server with this config (`wss://`).
    /// Default: none (plain).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Subprotocols this server speaks, most preferred first: the first of these the client
    /// offered is chosen, unless [`on_request`](Self#structfield.on_request) chooses.
    /// Default: none.
    pub protocols: Vec<String>,
    /// Decides each request (path, headers, credentials, offered subprotocols). Default: accept
    /// every valid upgrade.
    pub on_request: Option<OnRequest>,
    /// `TCP_NODELAY` on accepted TCP streams. Default: `true`.
    pub no_delay: bool,
    /// Time each receive may wait; `None` waits for ever (keepalive still finds dead peers).
    /// Default: `None`.
    pub read_timeout: Option<Duration>,
    /// Time each send or flush may wait for the transport. Default: `None`.
    pub write_timeout: Option<Duration>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            config: Config::default(),
            tls: None,
            protocols: Vec::new(),
            on_request: None,
            no_delay: true,
            read_timeout: None,
            write_timeout: None,
        }
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("config", &self.config)
            .field("tls", &self.tls.is_some())
            .field("protocols", &self.protocols)
            .field("on_request", &self.on_request.is_some())
            .field("no_delay", &self.no_delay)
            .field("read_timeout", &self.read_timeout)
            .field("write_timeout", &self.write_timeout)
            .finish()
    }
}

impl ServerConfig {
    /// Sets [`config`](Self#structfield.config).
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets [`tls`](Self#structfield.tls) (see [`tls::server_config_pem`](crate::tls)).
    #[must_use]
    pub fn tls(mut self, tls: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Sets [`protocols`](Self#structfield.protocols), most preferred first.
    #[must_use]
    pub fn protocols<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`on_request`](Self#structfield.on_request).
    #[must_use]
    pub fn on_request(
        mut self,
        decide: impl Fn(&Request) -> Result<Accept, Reject> + Send + Sync + 'static,
    ) -> Self {
        self.on_request = Some(Arc::new(decide));
        self
    }

    /// Sets [`no_delay`](Self#structfield.no_delay).
    #[must_use]
    pub fn no_delay(mut self, on: bool) -> Self {
        self.no_delay = on;
        self
    }

    /// Sets [`read_timeout`](Self#structfield.read_timeout).
    #[must_use]
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Sets [`write_timeout`](Self#structfield.write_timeout).
    #[must_use]
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// The answer to `request`, for an HTTP server that parsed it (hyper, axum; HTTP/1.1 or
    /// HTTP/2): this config's decision ([`on_request`](Self#structfield.on_request), or the
    /// first common subprotocol), then permessage-deflate negotiated from
    /// [`config`](Self#structfield.config) — the same answer [`Session::server`] gives a
    /// request it read itself. An accept that chooses what the client did not offer becomes a
    /// 500.
    ///
    /// [`Session::server`]: crate::Session::server
    ///
    /// # Errors
    ///
    /// The refusal to send.
    pub fn answer(&self, request: &Request) -> Result<Answer, Reject> {
        let accept = self.decide(request)?;
        request
            .answer(accept, &self.config)
            .map_err(|e| e.rejection().unwrap_or_else(|| Reject::new(500)))
    }

    /// The decision for `request`: `on_request`'s, else accept, choosing the first subprotocol
    /// in this server's list that the client offered.
    pub(crate) fn decide(&self, request: &Request) -> Result<Accept, Reject> {
        if let Some(decide) = &self.on_request {
            return decide(request);
        }
        let chosen = self
            .protocols
            .iter()
            .find(|mine| request.protocols().iter().any(|p| p == *mine));
        Ok(match chosen {
            Some(protocol) => Accept::default().protocol(protocol.clone()),
            None => Accept::default(),
        })
    }
}
