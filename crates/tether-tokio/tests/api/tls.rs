//! `wss://` against a tokio-rustls server with a test CA made here.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tether_tokio::{
    Accept, CloseCode, Error, Message, RootCerts, SocketConfig, TlsOptions, accept_tls_with,
    connect_with, tls,
};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

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

pub(crate) async fn tls_echo_server(
    server: Arc<rustls::ServerConfig>,
) -> (u16, JoinHandle<Result<(), Error>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (stream, _) = listener.accept().await?;
        let mut ws = accept_tls_with(stream, server, &SocketConfig::default(), |_| {
            Ok(Accept::default())
        })
        .await?;
        assert!(ws.info().tls);
        assert_eq!(ws.info().local_addr.map(|a| a.port()), Some(port));
        assert!(ws.info().peer_addr.is_some());
        let mut buf = Vec::new();
        while let Some(kind) = ws.recv_into(&mut buf).await? {
            ws.feed_as(kind, &buf).await?;
        }
        Ok(())
    });
    (port, handle)
}

#[tokio::test]
async fn wss_with_a_private_ca_echoes() {
    let pki = pki();
    let (port, server) = tls_echo_server(pki.server.clone()).await;
    let tls = TlsOptions::default()
        .roots(RootCerts::ExtraOnly)
        .add_roots_pem(pki.ca_pem.as_bytes())
        .unwrap();
    let config = SocketConfig::default().tls(tls);
    // "localhost" may resolve to ::1 first, where nobody listens: the next address is tried.
    let mut ws = connect_with(&format!("wss://localhost:{port}/secure"), &config)
        .await
        .unwrap();
    assert!(ws.info().tls);
    ws.send_text("over TLS").await.unwrap();
    assert_eq!(
        ws.recv().await.unwrap(),
        Some(Message::Text("over TLS".into()))
    );
    let big = vec![0x5a; 3 << 20];
    ws.send_binary(&big).await.unwrap();
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Binary(big)));
    assert_eq!(
        ws.close(CloseCode::NORMAL, "").await.unwrap().code,
        CloseCode::NORMAL
    );
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn unknown_ca_is_a_certificate_error() {
    let pki = pki();
    let (port, server) = tls_echo_server(pki.server).await;
    let e = connect_with(
        &format!("wss://127.0.0.1:{port}/"),
        &SocketConfig::default(),
    )
    .await
    .unwrap_err();
    assert!(e.is_certificate_error(), "{e:?}");
    assert!(server.await.unwrap().is_err());
}

#[tokio::test]
async fn danger_accept_invalid_certs_skips_verification() {
    let pki = pki();
    let (port, server) = tls_echo_server(pki.server).await;
    let config =
        SocketConfig::default().tls(TlsOptions::default().danger_accept_invalid_certs(true));
    let mut ws = connect_with(&format!("wss://127.0.0.1:{port}/"), &config)
        .await
        .unwrap();
    ws.send_text("unverified").await.unwrap();
    assert!(ws.recv().await.unwrap().is_some());
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap().unwrap();
}
