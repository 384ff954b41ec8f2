//! `wss://` against a rustls server with a test CA made here.

use std::net::TcpListener;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tether_std::{
    Accept, CloseCode, Error, Message, RootCerts, SocketConfig, TlsOptions, accept_tls_with,
    connect_with, tls,
};

use crate::common::echo;

pub(crate) struct TestPki {
    pub(crate) ca_pem: String,
    pub(crate) server: Arc<rustls::ServerConfig>,
}

pub(crate) fn pki() -> TestPki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let server =
        tls::server_config_pem(leaf.pem().as_bytes(), key.serialize_pem().as_bytes()).unwrap();
    TestPki {
        ca_pem: ca.pem(),
        server,
    }
}

pub(crate) fn tls_echo_server(
    server: Arc<rustls::ServerConfig>,
) -> (u16, std::thread::JoinHandle<Result<(), Error>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept()?;
        let mut ws = accept_tls_with(stream, server, &SocketConfig::default(), |_| {
            Ok(Accept::default())
        })?;
        echo(&mut ws)?;
        Ok(())
    });
    (port, handle)
}

#[test]
fn wss_with_a_private_ca_echoes() {
    let pki = pki();
    let (port, server) = tls_echo_server(pki.server.clone());
    let tls = TlsOptions::default()
        .roots(RootCerts::ExtraOnly)
        .add_roots_pem(pki.ca_pem.as_bytes())
        .unwrap();
    let config = SocketConfig::default().tls(tls);
    // "localhost" may resolve to ::1 first, where nobody listens: the next address is tried.
    let mut ws = connect_with(&format!("wss://localhost:{port}/secure"), &config).unwrap();
    assert!(ws.info().tls);
    ws.send_text("over TLS").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::Text("over TLS".into())));
    let big = vec![0x5a; 3 << 20];
    ws.send_binary(&big).unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::Binary(big)));
    assert_eq!(
        ws.close(CloseCode::NORMAL, "").unwrap().code,
        CloseCode::NORMAL
    );
    server.join().unwrap().unwrap();
}

#[test]
fn unknown_ca_is_a_certificate_error() {
    let pki = pki();
    let (port, server) = tls_echo_server(pki.server);
    let e = connect_with(
        &format!("wss://127.0.0.1:{port}/"),
        &SocketConfig::default(),
    )
    .unwrap_err();
    assert!(e.is_certificate_error(), "{e:?}");
    assert!(server.join().unwrap().is_err());
}

#[test]
fn danger_accept_invalid_certs_skips_verification() {
    let pki = pki();
    let (port, server) = tls_echo_server(pki.server);
    let config =
        SocketConfig::default().tls(TlsOptions::default().danger_accept_invalid_certs(true));
    let mut ws = connect_with(&format!("wss://127.0.0.1:{port}/"), &config).unwrap();
    ws.send_text("unverified").unwrap();
    assert!(ws.recv().unwrap().is_some());
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap().unwrap();
}
