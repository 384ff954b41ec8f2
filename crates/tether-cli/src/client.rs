//! What `connect` and `bench` share: turning [`ClientArgs`] into a [`SocketConfig`] and
//! connecting with clear errors.

use std::time::Duration;

use tether_net::{Credentials, Proxy, ProxySetting, Target, TlsOptions};
use tether_tokio::{MessageSocket, SocketConfig, connect_with};

use crate::cli::ClientArgs;
use crate::errors::{self, CliError};

/// The settings for a client of `url`: checks the URL, reads the `--ca` file, the proxy URL.
/// Keepalive pings every `ping_interval` (zero: off); receives wait for ever.
///
/// # Errors
///
/// A usage error (exit code 2) for a bad URL, proxy URL or CA file.
pub fn config(
    args: &ClientArgs,
    url: &str,
    ping_interval: Duration,
) -> Result<SocketConfig, CliError> {
    let target =
        Target::parse(url).map_err(|e| errors::connect_error(&e, url, args.proxy.as_deref()))?;
    let mut config = SocketConfig::default()
        .protocols(args.protocols.iter().cloned())
        .connect_timeout(Some(args.connect_timeout))
        .connect_attempt_timeout(Some(args.connect_timeout))
        .handshake_timeout(Some(args.connect_timeout))
        .keepalive_interval((!ping_interval.is_zero()).then_some(ping_interval))
        .read_timeout(None);
    for (name, value) in &args.headers {
        config = config.header(name.clone(), value.clone());
    }
    match (&args.user, target.credentials) {
        (Some(c), _) => {
            config = config.server_credential(Credentials::new(c.user.clone(), c.password.clone()));
        }
        (None, Some(from_url)) => config = config.server_credential(from_url),
        (None, None) => {}
    }
    if let Some(proxy) = &args.proxy {
        let proxy = Proxy::parse(proxy)
            .map_err(|e| CliError::usage(format!("bad --proxy `{proxy}`: {e}")))?;
        config = config.proxy(ProxySetting::Fixed(proxy));
    }
    let mut tls = TlsOptions::default().danger_accept_invalid_certs(args.insecure);
    if let Some(path) = &args.ca {
        let pem = std::fs::read(path).map_err(|e| {
            CliError::usage(format!("cannot read --ca file {}: {e}", path.display()))
        })?;
        tls = tls.add_roots_pem(&pem).map_err(|e| {
            CliError::usage(format!("--ca file {} is not usable: {e}", path.display()))
        })?;
    }
    Ok(config.tls(tls))
}

/// Connects to `url`, explaining a failure.
///
/// # Errors
///
/// Every way connecting can fail, as a [`CliError`] with its exit code.
pub async fn open(
    url: &str,
    config: &SocketConfig,
    args: &ClientArgs,
) -> Result<MessageSocket, CliError> {
    connect_with(url, config)
        .await
        .map_err(|e| errors::connect_error(&e, url, args.proxy.as_deref()))
}

/// `url` without the password of a `user:pass@` part, for printing.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{}", &rest[at + 1..])
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_not_printed() {
        assert_eq!(redact("ws://a:pw@h:1/x@y"), "ws://a:***@h:1/x@y");
        assert_eq!(redact("ws://h/p?u=a@b"), "ws://h/p?u=a@b");
        assert_eq!(redact("nonsense"), "nonsense");
    }
}
