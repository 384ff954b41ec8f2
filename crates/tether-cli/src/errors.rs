//! Failures as one line for a person (what happened, what to try) and an exit code.

use std::fmt;
use std::io;

use tether_net::{Error, TimeoutKind};

/// Exit code: success.
pub const OK: u8 = 0;
/// Exit code: failure after connecting (I/O, protocol, connection lost, bench errors).
pub const FAILED: u8 = 1;
/// Exit code: bad arguments, URL or files.
pub const USAGE: u8 = 2;
/// Exit code: the server could not be reached (or a server could not listen).
pub const UNREACHABLE: u8 = 3;
/// Exit code: TLS failed.
pub const TLS: u8 = 4;
/// Exit code: the server refused the upgrade or is not a WebSocket server.
pub const REFUSED: u8 = 5;
/// Exit code: the proxy failed.
pub const PROXY: u8 = 6;
/// Exit code: a timeout after connecting.
pub const TIMEOUT: u8 = 7;
/// Exit code: the peer closed with a code other than 1000.
pub const CLOSED_ABNORMALLY: u8 = 8;

/// A failure of a subcommand: the line printed (after `tether: `) and the exit code.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct CliError {
    /// What happened and what to try, on one line.
    pub message: String,
    /// The process's exit code (one of the constants of this module).
    pub code: u8,
}

impl CliError {
    /// A failure with this message and exit code.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code,
        }
    }

    /// A usage error (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(USAGE, message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Explains a failure to connect to `url` (through `proxy`, if any).
pub fn connect_error(e: &Error, url: &str, proxy: Option<&str>) -> CliError {
    let via = proxy.map(|p| format!(" via proxy {p}")).unwrap_or_default();
    match e {
        Error::InvalidInput(detail) => CliError::usage(format!(
            "cannot use `{}`: {detail} (expected ws://host[:port]/path or wss://...)",
            crate::client::redact(url)
        )),
        Error::HostNotResolved { host, source } => CliError::new(
            UNREACHABLE,
            format!("cannot resolve host `{host}` ({source}); check the name and your DNS"),
        ),
        Error::CannotConnect(io) if io.kind() == io::ErrorKind::ConnectionRefused => CliError::new(
            UNREACHABLE,
            format!(
                "connection refused by {}{via}; is a server running there? \
                     (start one with `tether serve`)",
                authority(url, proxy)
            ),
        ),
        Error::CannotConnect(io) => CliError::new(
            UNREACHABLE,
            format!(
                "cannot connect to {}{via}: {io}; check the address and your network",
                authority(url, proxy)
            ),
        ),
        Error::Timeout(TimeoutKind::Connect) => CliError::new(
            UNREACHABLE,
            format!(
                "timed out connecting to {}{via}; is the host up and the port open? \
                 (a firewall may drop the packets)",
                authority(url, proxy)
            ),
        ),
        e if e.is_certificate_error() => CliError::new(
            TLS,
            format!(
                "TLS: the server's certificate was refused ({}); trust its issuer with \
                 --ca FILE, or skip verification with --insecure (unsafe)",
                tls_detail(e)
            ),
        ),
        Error::Tls(tls) => CliError::new(
            TLS,
            format!(
                "TLS handshake with {} failed: {tls}; is it really a wss:// server? \
                 (for a plain server use ws://)",
                authority(url, None)
            ),
        ),
        e if e.is_proxy_auth_required() => CliError::new(
            PROXY,
            format!(
                "the proxy{via} requires authentication (407); put credentials in the proxy URL: \
                 --proxy http://USER:PASS@host:port"
            ),
        ),
        Error::ProxyRefused { status: 0, .. } => CliError::new(
            PROXY,
            format!("the proxy{via} did not answer CONNECT in HTTP; is it an HTTP proxy?"),
        ),
        Error::ProxyRefused { status, .. } => CliError::new(
            PROXY,
            format!(
                "the proxy{via} refused the tunnel to {} with HTTP {status}; \
                 check that it allows CONNECT to that port",
                authority(url, None)
            ),
        ),
        Error::ServerRefused {
            status: 401,
            headers,
            ..
        } => {
            let challenge = headers
                .get("www-authenticate")
                .map(|c| format!(" (it asks for: {c})"))
                .unwrap_or_default();
            CliError::new(
                REFUSED,
                format!(
                    "the server refused the upgrade: 401 Unauthorized{challenge}; \
                     pass --user USER:PASS (or check them)"
                ),
            )
        }
        Error::ServerRefused { status: 403, .. } => CliError::new(
            REFUSED,
            "the server refused the upgrade: 403 Forbidden; check your credentials, \
             --header values (Origin?) and the path",
        ),
        Error::ServerRefused { status: 404, .. } => CliError::new(
            REFUSED,
            format!(
                "the server refused the upgrade: 404 Not Found; no WebSocket endpoint at `{}`, \
                 check the URL's path",
                path(url)
            ),
        ),
        Error::ServerRefused {
            status: status @ 200..=299,
            ..
        } => CliError::new(
            REFUSED,
            format!(
                "{} answered HTTP {status} instead of switching to WebSocket: it is a plain \
                 HTTP server; check the URL's port and path",
                authority(url, None)
            ),
        ),
        Error::ServerRefused {
            status: status @ 300..=399,
            headers,
            ..
        } => CliError::new(
            REFUSED,
            format!(
                "the server redirects (HTTP {status}) to {}; connect to that URL instead \
                 (with ws:// or wss://)",
                headers.get("location").unwrap_or("another URL")
            ),
        ),
        Error::ServerRefused { status, .. } => CliError::new(
            REFUSED,
            format!(
                "the server refused the upgrade with HTTP {status}; check the URL and the \
                 server's logs"
            ),
        ),
        Error::Handshake(h) => CliError::new(
            REFUSED,
            format!(
                "the WebSocket handshake failed: {h}; is {} a WebSocket endpoint? \
                 (check the port, and ws:// vs wss://)",
                authority(url, None)
            ),
        ),
        Error::Timeout(TimeoutKind::Handshake) => CliError::new(
            TIMEOUT,
            format!(
                "no answer to the WebSocket upgrade from {}{via}; is it a WebSocket server? \
                 (a TLS server needs wss://)",
                authority(url, None)
            ),
        ),
        other => after_connect(other),
    }
}

/// Explains a failure on an open connection.
pub fn after_connect(e: &Error) -> CliError {
    match e {
        Error::Timeout(TimeoutKind::Keepalive) => CliError::new(
            TIMEOUT,
            "the server stopped answering pings (keepalive timeout); the connection is dead",
        ),
        Error::Timeout(kind) => CliError::new(
            TIMEOUT,
            format!("timed out ({kind:?}); the peer is too slow"),
        ),
        Error::ConnectionClosed { code, reason } => CliError::new(
            CLOSED_ABNORMALLY,
            format!(
                "the connection ended: {}{}",
                code.as_u16(),
                quoted_reason(reason)
            ),
        ),
        Error::Protocol(p) => CliError::new(
            FAILED,
            format!(
                "the peer broke the WebSocket protocol ({p}); closed with {}",
                e.close_code().map_or(1002, |c| c.as_u16())
            ),
        ),
        Error::MessageTooBig(p) => CliError::new(
            FAILED,
            format!("a message was too big ({p}); closed with 1009"),
        ),
        Error::Io(io) => CliError::new(FAILED, format!("connection lost: {io}")),
        other => CliError::new(FAILED, other.to_string()),
    }
}

/// ` "reason"` when there is one.
pub fn quoted_reason(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(" {reason:?}")
    }
}

/// The certificate problem in a TLS error, without the `TLS: ` prefix.
fn tls_detail(e: &Error) -> String {
    match e {
        Error::Tls(tls) => tls.to_string(),
        other => other.to_string(),
    }
}

/// `host:port` of a URL (or of the proxy when there is one), for messages.
fn authority(url: &str, proxy: Option<&str>) -> String {
    if let Some(p) = proxy.and_then(|p| tether_net::Proxy::parse(p).ok()) {
        return if p.host.contains(':') {
            format!("[{}]:{}", p.host, p.port)
        } else {
            format!("{}:{}", p.host, p.port)
        };
    }
    tether_net::Target::parse(url).map_or_else(|_| url.to_string(), |t| t.authority())
}

/// The path of a URL, for messages.
fn path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or("/", |i| &rest[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_connections_say_what_to_try() {
        let e = Error::CannotConnect(io::ErrorKind::ConnectionRefused.into());
        let c = connect_error(&e, "ws://127.0.0.1:9/x", None);
        assert_eq!(c.code, UNREACHABLE);
        assert!(
            c.message.contains("connection refused by 127.0.0.1:9"),
            "{c}"
        );
        assert!(c.message.contains("tether serve"));
    }

    #[test]
    fn statuses_map_to_codes() {
        let refused = |status| Error::ServerRefused {
            status,
            headers: tether_proto_headers(),
            body: Vec::new(),
        };
        let c = connect_error(&refused(401), "ws://h/", None);
        assert_eq!(c.code, REFUSED);
        assert!(c.message.contains("--user"), "{c}");
        assert!(c.message.contains("Basic realm"), "{c}");
        let c = connect_error(&refused(404), "ws://h/chat?x", None);
        assert!(c.message.contains("`/chat?x`"), "{c}");
        let e = Error::ProxyAuthRequired {
            headers: tether_proto_headers(),
        };
        assert_eq!(connect_error(&e, "ws://h/", Some("p:1")).code, PROXY);
    }

    fn tether_proto_headers() -> tether_net::tether_proto::handshake::Headers {
        let mut h = tether_net::tether_proto::handshake::Headers::new();
        h.push("WWW-Authenticate", "Basic realm=\"tether\"");
        h
    }
}
