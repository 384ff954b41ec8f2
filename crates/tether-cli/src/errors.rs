//! Failures as one line for a person and an exit code.
//!
//! The line is the library's own message — it already says what failed, where (the address,
//! the URL, the status) and, for the common mistakes, what to try. This module only picks the
//! exit code and, where the library cannot know it, adds what to type: the `tether` option
//! that fixes the problem (`--ca`, `--user`, `--proxy http://USER:PASS@...`, after a `:` that
//! follows the library's own hint), or the address a message leaves out.

use std::fmt;

use tether_tokio::{CloseCode, Error, TimeoutKind, rustls};

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

/// Explains a failure to connect to `url` (through `proxy`, given as on the command line).
pub fn connect_error(e: &Error, url: &str, proxy: Option<&str>) -> CliError {
    let text = e.to_string();
    let (code, message) = match e {
        Error::InvalidUrl { .. } | Error::InvalidInput(_) => (USAGE, text),
        Error::HostNotResolved { .. } => (UNREACHABLE, format!("{text}; check the name")),
        Error::CannotConnect { .. } => (UNREACHABLE, text),
        Error::Timeout(TimeoutKind::Connect) => (
            UNREACHABLE,
            format!(
                "{text} to {}; is the host up and the port open? (a firewall may drop the \
                 packets)",
                first_hop(url, proxy)
            ),
        ),
        Error::Tls {
            source: rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            ..
        } => (
            TLS,
            format!("{text}: --ca FILE (or --insecure to skip every check, unsafe)"),
        ),
        e if e.is_certificate_error() => (
            TLS,
            format!("{text} (--insecure skips every check, unsafe)"),
        ),
        Error::Tls { .. } => (TLS, text),
        Error::ProxyAuthRequired { .. } => {
            (PROXY, format!("{text}: --proxy http://USER:PASS@host:port"))
        }
        Error::ProxyRefused { status: 0, .. } => (
            PROXY,
            format!("{text}: it did not answer CONNECT in HTTP; is it an HTTP proxy?"),
        ),
        Error::ProxyRefused { .. } => (
            PROXY,
            format!("{text}; check that it allows CONNECT to that port"),
        ),
        Error::ServerRefused {
            status, headers, ..
        } => {
            let more = match status {
                401 => {
                    let challenge = headers
                        .get("www-authenticate")
                        .map(|c| format!(" (it asks for {c})"))
                        .unwrap_or_default();
                    format!(": --user USER:PASS{challenge}")
                }
                403 => "; check your credentials, --header values (Origin?) and the path".into(),
                200..=299 => "; it is a plain HTTP server: check the URL's port and path".into(),
                300..=399 => format!(
                    "; it redirects to {}: connect to that URL instead (with ws:// or wss://)",
                    headers.get("location").unwrap_or("another URL")
                ),
                _ => String::new(),
            };
            (REFUSED, format!("{text}{more}"))
        }
        Error::Handshake { .. } | Error::Refused { .. } => (REFUSED, text),
        Error::Http2Unsupported { .. } => (REFUSED, format!("{text}: drop --http2")),
        Error::Timeout(TimeoutKind::Handshake) => (
            TIMEOUT,
            format!(
                "{text} with {}; is it a WebSocket server? (a TLS server needs wss://)",
                first_hop(url, proxy)
            ),
        ),
        other => return after_connect(other),
    };
    CliError::new(code, message)
}

/// Explains a failure on an open connection.
pub fn after_connect(e: &Error) -> CliError {
    let text = e.to_string();
    match e {
        Error::Timeout(_) => CliError::new(TIMEOUT, text),
        Error::Closed { .. } => CliError::new(CLOSED_ABNORMALLY, text),
        Error::Failed(_) => match e.close_code() {
            Some(code) => CliError::new(FAILED, format!("{text} (closed with {})", code.as_u16())),
            None => CliError::new(FAILED, text),
        },
        _ => CliError::new(FAILED, text),
    }
}

/// The exit code for a connection the peer closed with `code`: 0 for 1000, else 8.
pub fn for_close(code: CloseCode) -> u8 {
    if code == CloseCode::NORMAL {
        OK
    } else {
        CLOSED_ABNORMALLY
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

/// Where the TCP connection went, for the messages that do not say: the proxy when there is
/// one, else the URL's `host:port`.
fn first_hop(url: &str, proxy: Option<&str>) -> String {
    let (host, port) = match proxy.map(tether_tokio::Proxy::parse) {
        Some(Ok(p)) => (p.host, p.port),
        _ => match tether_socket::Target::parse(url) {
            Ok(t) => (t.host().to_string(), t.port()),
            Err(_) => return crate::client::redact(url),
        },
    };
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tether_socket::tether_proto::handshake::Headers;

    fn refused(status: u16, header: (&str, &str)) -> Error {
        let mut headers = Headers::new();
        headers.push(header.0, header.1);
        Error::ServerRefused {
            url: "ws://h/chat".into(),
            status,
            headers,
            body: Vec::new(),
        }
    }

    #[test]
    fn the_library_message_comes_first_with_the_exit_code() {
        let e = Error::CannotConnect {
            addr: "127.0.0.1:9".into(),
            source: std::io::ErrorKind::ConnectionRefused.into(),
        };
        let c = connect_error(&e, "ws://127.0.0.1:9/x", None);
        assert_eq!(c.code, UNREACHABLE);
        assert_eq!(c.message, e.to_string());
        assert!(c.message.contains("tether serve"), "{c}");
    }

    #[test]
    fn statuses_map_to_codes_and_options() {
        let c = connect_error(
            &refused(401, ("WWW-Authenticate", "Basic realm=\"tether\"")),
            "ws://h/chat",
            None,
        );
        assert_eq!(c.code, REFUSED);
        assert!(c.message.starts_with("ws://h/chat refused"), "{c}");
        assert!(c.message.contains("--user USER:PASS"), "{c}");
        assert!(c.message.contains("Basic realm"), "{c}");
        let c = connect_error(&refused(302, ("Location", "wss://x/")), "ws://h/", None);
        assert!(c.message.contains("redirects to wss://x/"), "{c}");
        let e = Error::ProxyAuthRequired {
            proxy: "p:1".into(),
            headers: Headers::new(),
        };
        let c = connect_error(&e, "ws://h/", Some("p:1"));
        assert_eq!(c.code, PROXY);
        assert!(c.message.contains("--proxy http://USER:PASS@"), "{c}");
    }

    #[test]
    fn timeouts_name_the_address() {
        let e = Error::Timeout(TimeoutKind::Connect);
        let c = connect_error(&e, "ws://10.0.0.1:9/", None);
        assert_eq!(c.code, UNREACHABLE);
        assert!(c.message.contains("to 10.0.0.1:9;"), "{c}");
        let c = connect_error(&e, "ws://h/", Some("http://[::1]:3128"));
        assert!(c.message.contains("to [::1]:3128;"), "{c}");
        let e = Error::Timeout(TimeoutKind::Keepalive);
        assert_eq!(after_connect(&e).code, TIMEOUT);
    }

    #[test]
    fn closes_other_than_normal_are_exit_code_8() {
        let e = Error::Closed {
            code: CloseCode::from(4000),
            reason: "bye".into(),
        };
        assert_eq!(after_connect(&e).code, CLOSED_ABNORMALLY);
        assert_eq!(for_close(CloseCode::NORMAL), OK);
        assert_eq!(for_close(CloseCode::GOING_AWAY), CLOSED_ABNORMALLY);
    }
}
