//! What `connect` and `bench` share: turning [`ClientArgs`] into a [`ClientConfig`] and
//! connecting with clear errors.

use std::time::Duration;

use tether_socket::Dial;
use tether_tokio::{
    ClientConfig, Config, Credentials, MessageSocket, Proxy, ProxySetting, TlsOptions,
};

use crate::cli::ClientArgs;
use crate::errors::{self, CliError};

/// The settings for a client of `url`: checks the URL (before any file is read), reads the
/// `--ca` file, the proxy URL. Keepalive pings every `ping_interval` (zero: off); receives wait
/// for ever. `--connect-timeout` bounds the TCP connect and, separately, the proxy tunnel, TLS
/// and the upgrade.
///
/// # Errors
///
/// A usage error (exit code 2) for a bad URL, proxy URL or CA file.
pub fn config(
    args: &ClientArgs,
    url: &str,
    ping_interval: Duration,
) -> Result<ClientConfig, CliError> {
    // A bad URL is a usage error before any file is read or any connection made.
    Dial::new(url, &ClientConfig::default())
        .map_err(|e| errors::connect_error(&e, url, args.proxy.as_deref()))?;
    let protocol = Config::default()
        .handshake_timeout(Some(args.connect_timeout))
        .ping_interval((!ping_interval.is_zero()).then_some(ping_interval));
    let mut config = ClientConfig::default()
        .config(protocol)
        .protocols(args.protocols.iter().cloned())
        .connect_timeout(Some(args.connect_timeout))
        .read_timeout(None);
    for (name, value) in &args.headers {
        config = config.header(name.clone(), value.clone());
    }
    // Without --user, the library takes any `user:pass@` of the URL.
    if let Some(c) = &args.user {
        config = config.credentials(Credentials::new(c.user.clone(), c.password.clone()));
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
    config: &ClientConfig,
    args: &ClientArgs,
) -> Result<MessageSocket, CliError> {
    tether_tokio::connect(url, config)
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
