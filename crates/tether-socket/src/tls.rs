//! `rustls` configs from [`TlsOptions`], with the `ring` provider passed explicitly.
//!
//! Every config is built with `builder_with_provider(ring)`, so `wss://` works on the first
//! call without installing a process-wide `CryptoProvider`.
//!
//! A certificate the user trusts by hand ([`TlsOptions::extra_roots`]) is also trusted when the
//! server presents exactly that certificate as its own, even if it is marked as a CA (as
//! `openssl req -x509` makes it): Python's `ssl` accepts that, and webpki alone refuses it with
//! `CaUsedAsEndEntity`. The server's name is still checked against it.
//!
//! ```
//! use tether_socket::{tls, TlsOptions};
//! let config = tls::client_config(&TlsOptions::default()).unwrap();
//! assert!(config.alpn_protocols.is_empty());
//! ```

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

use crate::{Error, RootCerts, TlsOptions};

/// The crypto provider every config uses: `ring`.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate in a PEM bundle.
///
/// # Errors
///
/// [`Error::InvalidInput`] when the PEM is malformed or holds no certificate.
pub fn certs_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::InvalidInput(format!("certificate PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::InvalidInput("no certificate in the PEM".into()));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file.
///
/// # Errors
///
/// [`Error::InvalidInput`] when there is none.
pub fn key_from_pem(pem: &[u8]) -> Result<PrivateKeyDer<'static>, Error> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| Error::InvalidInput(format!("key PEM: {e}")))
}

/// A client config for `options`: the chosen roots plus the extra ones, an optional client
/// certificate, or (when asked, loudly) no verification at all.
///
/// # Errors
///
/// [`Error::InvalidInput`] when a certificate or key is refused, or no root could be loaded.
pub fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, Error> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(config_error)?;
    let builder = if options.danger_accept_invalid_certs {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(
                provider.signature_verification_algorithms,
            )))
    } else {
        let mut roots = RootCertStore::empty();
        match options.roots {
            RootCerts::WebPki => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            RootCerts::Native => {
                let found = rustls_native_certs::load_native_certs();
                let _ = roots.add_parsable_certificates(found.certs);
            }
            RootCerts::ExtraOnly => {}
        }
        for cert in &options.extra_roots {
            roots.add(cert.clone()).map_err(config_error)?;
        }
        if roots.is_empty() {
            return Err(Error::InvalidInput(
                "no trusted root certificate could be loaded".into(),
            ));
        }
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| Error::InvalidInput(format!("TLS verifier: {e}")))?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verifier {
                webpki,
                pinned: options.extra_roots.clone(),
            }))
    };
    let config = match &options.client_cert {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain.clone(), key.clone_key())
            .map_err(config_error)?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// A server config presenting `chain` (leaf first) with `key`, no client authentication.
///
/// # Errors
///
/// [`Error::InvalidInput`] when the key does not fit the certificate or is not supported.
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, Error> {
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(config_error)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(config_error)?;
    Ok(Arc::new(config))
}

fn config_error(e: rustls::Error) -> Error {
    Error::InvalidInput(format!("TLS setup: {e}"))
}

/// webpki's verification, plus: a server that presents exactly a certificate the user added
/// by hand is trusted for the names that certificate carries (see the module docs).
#[derive(Debug)]
struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match verdict {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Other(_) | rustls::CertificateError::UnknownIssuer,
            )) if self
                .pinned
                .iter()
                .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                let cert = rustls::server::ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&cert, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// [`server_config`] from PEM files.
///
/// # Errors
///
/// As [`server_config`], and [`Error::InvalidInput`] for unreadable PEM.
pub fn server_config_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, Error> {
    server_config(certs_from_pem(chain_pem)?, key_from_pem(key_pem)?)
}

/// The name TLS checks the certificate against.
///
/// # Errors
///
/// [`Error::InvalidInput`] when `host` is neither a DNS name nor an IP address.
pub fn server_name(host: &str) -> Result<ServerName<'static>, Error> {
    ServerName::try_from(host.to_string())
        .map_err(|e| Error::InvalidInput(format!("TLS server name `{host}`: {e}")))
}

/// Accepts any certificate, still checking that the handshake signatures are well formed.
#[derive(Debug)]
struct NoVerification(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
