//! Certificates made for a test run (rcgen): a private CA with a leaf for `localhost` and
//! `127.0.0.1`, and a self-signed certificate marked as a CA, as `openssl req -x509` makes.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tether_std::rustls;
use tether_std::rustls::pki_types::CertificateDer;
use tether_std::{ServerConfig, tls};

/// A private CA and a server config presenting a leaf it signed.
#[derive(Debug)]
pub struct TestPki {
    /// The CA's certificate, PEM.
    pub ca_pem: String,
    /// A TLS server presenting a leaf for `localhost` and `127.0.0.1`.
    pub server: Arc<rustls::ServerConfig>,
}

impl TestPki {
    /// A tether server config with this TLS.
    pub fn server_config(&self) -> ServerConfig {
        ServerConfig::default().tls(self.server.clone())
    }
}

/// A fresh CA and leaf.
///
/// # Panics
///
/// When rcgen or rustls refuse (they do not for these inputs).
pub fn pki() -> TestPki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("a key")).expect("a CA");
    let key = KeyPair::generate().expect("a key");
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("leaf params")
        .signed_by(&key, &ca)
        .expect("a leaf");
    let server = tls::server_config_pem(leaf.pem().as_bytes(), key.serialize_pem().as_bytes())
        .expect("a server config");
    TestPki {
        ca_pem: ca.pem(),
        server,
    }
}

/// A self-signed certificate for `names` that is also marked as a CA (basic constraints
/// `CA:TRUE`, as `openssl req -x509` makes by default), and a TLS server presenting it.
///
/// # Panics
///
/// When rcgen or rustls refuse (they do not for these inputs).
pub fn self_signed_ca(names: &[&str]) -> (CertificateDer<'static>, Arc<rustls::ServerConfig>) {
    let mut params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().expect("a key");
    let cert = params.self_signed(&key).expect("a certificate");
    let server = tls::server_config_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes())
        .expect("a server config");
    (cert.der().clone(), server)
}
