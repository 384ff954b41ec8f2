//! [`SocketConfig`]: every control of a socket, set before connecting.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tether_proto::handshake::ClientOptions;
use tether_proto::{Config, ReceiveMode};

use crate::proxy::{self, Proxy};
use crate::{Error, Target};

/// The type of the messages a message socket's plain `send` writes (WinRT `MessageType`).
#[derive(Clone, Copy, Debug, Default, Eq, Hash, PartialEq)]
pub enum MessageType {
    /// UTF-8 text frames (the default, as in WinRT).
    #[default]
    Utf8,
    /// Binary frames.
    Binary,
}

/// A user name and password for HTTP Basic authentication (WinRT `ServerCredential` /
/// `ProxyCredential`). `Debug` leaves the password out.
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
    /// use tether_net::Credentials;
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

/// Which HTTP proxy, if any, connections go through.
#[derive(Clone, Debug, Default)]
pub enum ProxySetting {
    /// Connect directly (the default: the environment is only read when asked to).
    #[default]
    Direct,
    /// Always tunnel through this proxy with `CONNECT`.
    Fixed(Proxy),
    /// Use `HTTP_PROXY` (for `ws://`) or `HTTPS_PROXY` (for `wss://`), lower-case names too,
    /// minus the hosts listed in `NO_PROXY`. See [`proxy::from_env`].
    FromEnv,
}

/// Where the trusted root certificates for `wss://` come from.
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

/// TLS settings for `wss://` (WinRT `IgnorableServerCertificateErrors`, `ClientCertificate`).
///
/// ```
/// use tether_net::{RootCerts, TlsOptions};
///
/// let tls = TlsOptions::default().roots(RootCerts::Native);
/// assert!(!tls.danger_accept_invalid_certs);
/// ```
#[derive(Clone, Default)]
pub struct TlsOptions {
    /// The base set of trusted roots. Default: [`RootCerts::WebPki`].
    pub roots: RootCerts,
    /// More trusted roots (for example a private CA), as DER.
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

    /// Trusts one more root certificate, given as DER.
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

/// Every control of a socket, set before connecting (or accepting).
///
/// The fields mirror the WinRT `MessageWebSocketControl` / `StreamWebSocketControl`; each
/// documents its default. Fields are public to read back; the by-value setters chain.
///
/// | WinRT control | field |
/// |---|---|
/// | MessageType | [`message_type`](Self#structfield.message_type) |
/// | MaxMessageSize | [`max_message_size`](Self#structfield.max_message_size) |
/// | ReceiveMode | [`receive_mode`](Self#structfield.receive_mode) |
/// | OutboundBufferSizeInBytes | [`outbound_buffer_size`](Self#structfield.outbound_buffer_size) |
/// | SupportedProtocols | [`protocols`](Self#structfield.protocols) |
/// | ServerCredential | [`server_credential`](Self#structfield.server_credential) |
/// | ProxyCredential + proxy | [`proxy`](Self#structfield.proxy), [`proxy_credential`](Self#structfield.proxy_credential) |
/// | NoDelay | [`no_delay`](Self#structfield.no_delay) |
/// | DesiredUnsolicitedPongInterval | [`keepalive_interval`](Self#structfield.keepalive_interval) |
/// | IgnorableServerCertificateErrors, ClientCertificate | [`tls`](Self#structfield.tls) |
///
/// ```
/// use std::time::Duration;
/// use tether_net::{Credentials, Proxy, ProxySetting, SocketConfig};
///
/// let config = SocketConfig::default()
///     .max_message_size(1 << 20)
///     .server_credential(Credentials::new("alice", "s3cret"))
///     .proxy(ProxySetting::Fixed(Proxy::new("127.0.0.1", 3128)))
///     .keepalive_interval(Some(Duration::from_secs(15)));
/// assert_eq!(config.proto_config().output_high_water, 1 << 20);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct SocketConfig {
    /// The type of message the message socket's `send` writes. Default: [`MessageType::Utf8`].
    pub message_type: MessageType,
    /// Largest message received whole; a bigger one fails the connection with 1009.
    /// Default: 64 MiB. (Stream sockets receive in pieces and ignore it.)
    pub max_message_size: u64,
    /// Whole messages, or their pieces as they arrive. Default: [`ReceiveMode::Message`].
    pub receive_mode: ReceiveMode,
    /// Bytes of unsent output past which writers block (flushing) or fail with a write timeout.
    /// Default: 1 MiB.
    pub outbound_buffer_size: usize,
    /// Subprotocols offered (client) or supported (server), most preferred first. Default: none.
    pub protocols: Vec<String>,
    /// Credentials for HTTP Basic authentication to the server; without them, any
    /// `user:pass@` in the URL is used. Default: none.
    pub server_credential: Option<Credentials>,
    /// The HTTP proxy to tunnel through. Default: [`ProxySetting::Direct`].
    pub proxy: ProxySetting,
    /// Credentials for the proxy (`Proxy-Authorization: Basic`); they override any in the
    /// proxy's URL. Default: none.
    pub proxy_credential: Option<Credentials>,
    /// `TCP_NODELAY`: send small frames at once instead of waiting to coalesce them.
    /// Default: `true`.
    pub no_delay: bool,
    /// Send a ping after this long without receiving anything; `None` turns keepalive off.
    /// Default: 30 s.
    pub keepalive_interval: Option<Duration>,
    /// Fail the connection (timeout) when nothing arrives this long after a keepalive ping.
    /// Default: 30 s.
    pub keepalive_timeout: Duration,
    /// TLS settings for `wss://`. Default: webpki roots, full verification.
    pub tls: TlsOptions,
    /// Overall time to establish the TCP connection, over all addresses tried. Default: 60 s.
    pub connect_timeout: Option<Duration>,
    /// Time for each connection attempt to one address. Default: 60 s (the overall timeout
    /// still applies).
    pub connect_attempt_timeout: Option<Duration>,
    /// Most resolved addresses tried, in order. Default: 5 (as WinRT).
    pub max_connect_addresses: usize,
    /// Time for the proxy `CONNECT`, the TLS handshake and the WebSocket upgrade. Default: 30 s.
    pub handshake_timeout: Option<Duration>,
    /// Time each receive may wait for data; `None` waits for ever. A read timeout leaves the
    /// connection usable. Default: 30 s.
    pub read_timeout: Option<Duration>,
    /// Time each send may wait for the transport to take bytes; `None` waits for ever.
    /// Default: 30 s.
    pub write_timeout: Option<Duration>,
    /// Time allowed for the close handshake. Default: 10 s.
    pub close_timeout: Duration,
    /// `Origin` header sent by a client. Default: none.
    pub origin: Option<String>,
    /// Extra headers sent with a client's upgrade request. Default: none.
    pub headers: Vec<(String, String)>,
    /// Offer (client) or accept (server) permessage-deflate compression (RFC 7692), with the
    /// core's default settings (`tether_proto::deflate::DeflateConfig`). Needs the `deflate`
    /// feature (on by default); without it this does nothing. Default: `true`.
    pub deflate: bool,
}

impl Default for SocketConfig {
    fn default() -> Self {
        Self {
            message_type: MessageType::Utf8,
            max_message_size: 64 << 20,
            receive_mode: ReceiveMode::Message,
            outbound_buffer_size: 1 << 20,
            protocols: Vec::new(),
            server_credential: None,
            proxy: ProxySetting::Direct,
            proxy_credential: None,
            no_delay: true,
            keepalive_interval: Some(Duration::from_secs(30)),
            keepalive_timeout: Duration::from_secs(30),
            tls: TlsOptions::default(),
            connect_timeout: Some(Duration::from_secs(60)),
            connect_attempt_timeout: Some(Duration::from_secs(60)),
            max_connect_addresses: 5,
            handshake_timeout: Some(Duration::from_secs(30)),
            read_timeout: Some(Duration::from_secs(30)),
            write_timeout: Some(Duration::from_secs(30)),
            close_timeout: Duration::from_secs(10),
            origin: None,
            headers: Vec::new(),
            deflate: true,
        }
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $name(mut self, value: $ty) -> Self {
                self.$name = value;
                self
            }
        )*
    };
}

impl SocketConfig {
    setters! {
        /// Sets [`message_type`](Self#structfield.message_type).
        message_type: MessageType;
        /// Sets [`max_message_size`](Self#structfield.max_message_size).
        max_message_size: u64;
        /// Sets [`receive_mode`](Self#structfield.receive_mode).
        receive_mode: ReceiveMode;
        /// Sets [`outbound_buffer_size`](Self#structfield.outbound_buffer_size).
        outbound_buffer_size: usize;
        /// Sets [`proxy`](Self#structfield.proxy).
        proxy: ProxySetting;
        /// Sets [`no_delay`](Self#structfield.no_delay).
        no_delay: bool;
        /// Sets [`keepalive_interval`](Self#structfield.keepalive_interval).
        keepalive_interval: Option<Duration>;
        /// Sets [`keepalive_timeout`](Self#structfield.keepalive_timeout).
        keepalive_timeout: Duration;
        /// Sets [`tls`](Self#structfield.tls).
        tls: TlsOptions;
        /// Sets [`connect_timeout`](Self#structfield.connect_timeout).
        connect_timeout: Option<Duration>;
        /// Sets [`connect_attempt_timeout`](Self#structfield.connect_attempt_timeout).
        connect_attempt_timeout: Option<Duration>;
        /// Sets [`max_connect_addresses`](Self#structfield.max_connect_addresses).
        max_connect_addresses: usize;
        /// Sets [`handshake_timeout`](Self#structfield.handshake_timeout).
        handshake_timeout: Option<Duration>;
        /// Sets [`read_timeout`](Self#structfield.read_timeout).
        read_timeout: Option<Duration>;
        /// Sets [`write_timeout`](Self#structfield.write_timeout).
        write_timeout: Option<Duration>;
        /// Sets [`close_timeout`](Self#structfield.close_timeout).
        close_timeout: Duration;
        /// Sets [`deflate`](Self#structfield.deflate).
        deflate: bool;
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

    /// Sets [`server_credential`](Self#structfield.server_credential).
    #[must_use]
    pub fn server_credential(mut self, credentials: Credentials) -> Self {
        self.server_credential = Some(credentials);
        self
    }

    /// Sets [`proxy_credential`](Self#structfield.proxy_credential).
    #[must_use]
    pub fn proxy_credential(mut self, credentials: Credentials) -> Self {
        self.proxy_credential = Some(credentials);
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

    /// The core's settings for a message socket: limits, receive mode, outbound bound,
    /// keepalive, handshake and close timeouts, compression.
    pub fn proto_config(&self) -> Config {
        let config = Config::default()
            .max_message_size(self.max_message_size)
            .receive_mode(self.receive_mode)
            .output_high_water(self.outbound_buffer_size.max(1))
            .ping_interval(self.keepalive_interval)
            .ping_timeout(self.keepalive_timeout)
            .handshake_timeout(self.handshake_timeout)
            .close_timeout(self.close_timeout);
        #[cfg(feature = "deflate")]
        let config = if self.deflate {
            config
        } else {
            config.deflate(None)
        };
        config
    }

    /// The core's settings for a stream socket: as [`proto_config`](Self::proto_config), but
    /// in pieces ([`ReceiveMode::Partial`]) and without a message size limit, since pieces are
    /// never assembled.
    pub fn stream_proto_config(&self) -> Config {
        self.proto_config()
            .receive_mode(ReceiveMode::Partial)
            .max_message_size(u64::MAX)
    }

    /// What a client's upgrade request carries: subprotocols, credentials, origin, headers.
    pub fn client_options(&self) -> ClientOptions {
        let mut options = ClientOptions::default().protocols(self.protocols.iter().cloned());
        if let Some(origin) = &self.origin {
            options = options.origin(origin.clone());
        }
        if let Some(c) = &self.server_credential {
            options = options.basic_auth(c.user.clone(), c.password.clone());
        }
        for (name, value) in &self.headers {
            options = options.header(name.clone(), value.clone().into_bytes());
        }
        options
    }

    /// The proxy a connection to `target` goes through, if any, with the credentials to give
    /// it ([`proxy_credential`](Self#structfield.proxy_credential) over those in its URL).
    pub fn proxy_for(&self, target: &Target) -> Option<Proxy> {
        let mut proxy = match &self.proxy {
            ProxySetting::Direct => return None,
            ProxySetting::Fixed(p) => p.clone(),
            ProxySetting::FromEnv => proxy::from_env(target)?,
        };
        if let Some(c) = &self.proxy_credential {
            proxy.credentials = Some(c.clone());
        }
        Some(proxy)
    }
}
