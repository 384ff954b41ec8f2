//! Tunnelling through a small HTTP CONNECT proxy written here with tokio: open, with auth, 407.

use std::net::SocketAddr;

use tether_tokio::{
    CloseCode, Credentials, Error, Message, Proxy, ProxySetting, RootCerts, SocketConfig,
    TlsOptions, connect_with,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::common::echo_server;

/// A one-connection CONNECT proxy. Returns the request head it saw.
async fn connect_proxy(required_auth: Option<String>) -> (SocketAddr, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        let (mut client, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(client.read_u8().await.unwrap());
        }
        let head = String::from_utf8(head).unwrap();
        let target = head
            .strip_prefix("CONNECT ")
            .and_then(|rest| rest.split(' ').next())
            .unwrap()
            .to_string();
        if let Some(expected) = required_auth {
            let given = head
                .lines()
                .find_map(|l| l.strip_prefix("Proxy-Authorization: "));
            if given != Some(expected.as_str()) {
                client
                    .write_all(
                        b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                          Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
                    )
                    .await
                    .unwrap();
                return head;
            }
        }
        let mut upstream = TcpStream::connect(&target).await.unwrap();
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .unwrap();
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        head
    });
    (addr, handle)
}

async fn round_trip(url: &str, config: &SocketConfig) {
    let mut ws = connect_with(url, config).await.unwrap();
    ws.send_text("through the proxy").await.unwrap();
    assert_eq!(
        ws.recv().await.unwrap(),
        Some(Message::Text("through the proxy".into()))
    );
    ws.close(CloseCode::NORMAL, "").await.unwrap();
}

fn via(proxy_addr: SocketAddr) -> ProxySetting {
    ProxySetting::Fixed(Proxy::new("127.0.0.1", proxy_addr.port()))
}

#[tokio::test]
async fn tunnels_through_an_open_proxy() {
    let (server_addr, server) = echo_server(SocketConfig::default()).await;
    let (proxy_addr, proxy) = connect_proxy(None).await;
    let config = SocketConfig::default().proxy(via(proxy_addr));
    round_trip(&format!("ws://{server_addr}/"), &config).await;
    server.await.unwrap().unwrap();
    let head = proxy.await.unwrap();
    assert!(head.starts_with(&format!("CONNECT {server_addr} HTTP/1.1\r\n")));
    assert!(!head.contains("Proxy-Authorization"));
}

#[tokio::test]
async fn proxy_credentials_are_sent_from_the_config_or_the_proxy_url() {
    let basic = Credentials::new("proxyuser", "pw").basic_value();
    let (server_addr, server) = echo_server(SocketConfig::default()).await;
    let (proxy_addr, proxy) = connect_proxy(Some(basic.clone())).await;
    let config = SocketConfig::default()
        .proxy(via(proxy_addr))
        .proxy_credential(Credentials::new("proxyuser", "pw"));
    round_trip(&format!("ws://{server_addr}/"), &config).await;
    server.await.unwrap().unwrap();
    assert!(proxy.await.unwrap().contains(&basic));

    let (server_addr, server) = echo_server(SocketConfig::default()).await;
    let (proxy_addr, proxy) = connect_proxy(Some(basic)).await;
    let p = Proxy::parse(&format!("http://proxyuser:pw@{proxy_addr}")).unwrap();
    let config = SocketConfig::default().proxy(ProxySetting::Fixed(p));
    round_trip(&format!("ws://{server_addr}/"), &config).await;
    server.await.unwrap().unwrap();
    proxy.await.unwrap();
}

#[tokio::test]
async fn proxy_without_credentials_answers_407() {
    let (proxy_addr, proxy) = connect_proxy(Some("Basic x".into())).await;
    let config = SocketConfig::default().proxy(via(proxy_addr));
    // Nothing listens at the target: the proxy refuses before connecting anywhere.
    let e = connect_with("ws://127.0.0.1:9/", &config)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::ProxyAuthRequired { .. }), "{e:?}");
    assert!(e.is_proxy_auth_required() && !e.is_unauthorized());
    assert_eq!(e.http_status(), Some(407));
    proxy.await.unwrap();
}

#[tokio::test]
async fn wss_through_the_proxy() {
    let pki = crate::tls::pki();
    let (port, server) = crate::tls::tls_echo_server(pki.server.clone()).await;
    let (proxy_addr, proxy) = connect_proxy(None).await;
    let tls = TlsOptions::default()
        .roots(RootCerts::ExtraOnly)
        .add_roots_pem(pki.ca_pem.as_bytes())
        .unwrap();
    let config = SocketConfig::default().tls(tls).proxy(via(proxy_addr));
    round_trip(&format!("wss://127.0.0.1:{port}/"), &config).await;
    server.await.unwrap().unwrap();
    assert!(
        proxy
            .await
            .unwrap()
            .starts_with(&format!("CONNECT 127.0.0.1:{port} "))
    );
}
