//! Tunnelling through a small HTTP CONNECT proxy written here: open, with auth, 407.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;

use tether_std::{
    CloseCode, Credentials, Error, Message, Proxy, ProxySetting, RootCerts, SocketConfig,
    TlsOptions, connect_with,
};

use crate::common::echo_server;

/// A one-connection CONNECT proxy. Returns the request head it saw.
fn connect_proxy(required_auth: Option<String>) -> (SocketAddr, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let (mut client, _) = listener.accept().unwrap();
        let mut head = Vec::new();
        let mut byte = [0];
        while !head.ends_with(b"\r\n\r\n") {
            client.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
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
                    .unwrap();
                return head;
            }
        }
        let upstream = TcpStream::connect(&target).unwrap();
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .unwrap();
        pump(client, upstream);
        head
    });
    (addr, handle)
}

/// Copies both ways until either side ends.
fn pump(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let up = std::thread::spawn(move || {
        let mut a = a;
        let mut b = b;
        let _ = std::io::copy(&mut a, &mut b);
        let _ = b.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut b2, &mut a2);
    let _ = a2.shutdown(std::net::Shutdown::Write);
    up.join().unwrap();
}

fn round_trip(url: &str, config: &SocketConfig) {
    let mut ws = connect_with(url, config).unwrap();
    ws.send_text("through the proxy").unwrap();
    assert_eq!(
        ws.recv().unwrap(),
        Some(Message::Text("through the proxy".into()))
    );
    ws.close(CloseCode::NORMAL, "").unwrap();
}

#[test]
fn tunnels_through_an_open_proxy() {
    let (server_addr, server) = echo_server(SocketConfig::default());
    let (proxy_addr, proxy) = connect_proxy(None);
    let config = SocketConfig::default().proxy(ProxySetting::Fixed(Proxy::new(
        "127.0.0.1",
        proxy_addr.port(),
    )));
    round_trip(&format!("ws://{server_addr}/"), &config);
    server.join().unwrap().unwrap();
    let head = proxy.join().unwrap();
    assert!(head.starts_with(&format!("CONNECT {server_addr} HTTP/1.1\r\n")));
    assert!(!head.contains("Proxy-Authorization"));
}

#[test]
fn proxy_credentials_are_sent_from_the_config_or_the_proxy_url() {
    let basic = Credentials::new("proxyuser", "pw").basic_value();
    // From proxy_credential.
    let (server_addr, server) = echo_server(SocketConfig::default());
    let (proxy_addr, proxy) = connect_proxy(Some(basic.clone()));
    let config = SocketConfig::default()
        .proxy(ProxySetting::Fixed(Proxy::new(
            "127.0.0.1",
            proxy_addr.port(),
        )))
        .proxy_credential(Credentials::new("proxyuser", "pw"));
    round_trip(&format!("ws://{server_addr}/"), &config);
    server.join().unwrap().unwrap();
    assert!(proxy.join().unwrap().contains(&basic));
    // From the proxy's URL.
    let (server_addr, server) = echo_server(SocketConfig::default());
    let (proxy_addr, proxy) = connect_proxy(Some(basic));
    let p = Proxy::parse(&format!("http://proxyuser:pw@{proxy_addr}")).unwrap();
    let config = SocketConfig::default().proxy(ProxySetting::Fixed(p));
    round_trip(&format!("ws://{server_addr}/"), &config);
    server.join().unwrap().unwrap();
    proxy.join().unwrap();
}

#[test]
fn proxy_without_credentials_answers_407() {
    let (proxy_addr, proxy) = connect_proxy(Some("Basic x".into()));
    let config = SocketConfig::default().proxy(ProxySetting::Fixed(Proxy::new(
        "127.0.0.1",
        proxy_addr.port(),
    )));
    // Nothing listens at the target: the proxy refuses before connecting anywhere.
    let e = connect_with("ws://127.0.0.1:9/", &config).unwrap_err();
    assert!(matches!(e, Error::ProxyAuthRequired { .. }), "{e:?}");
    assert!(e.is_proxy_auth_required() && !e.is_unauthorized());
    assert_eq!(e.http_status(), Some(407));
    proxy.join().unwrap();
}

#[test]
fn wss_through_the_proxy() {
    let pki = crate::tls::pki();
    let (port, server) = crate::tls::tls_echo_server(pki.server.clone());
    let (proxy_addr, proxy) = connect_proxy(None);
    let tls = TlsOptions::default()
        .roots(RootCerts::ExtraOnly)
        .add_roots_pem(pki.ca_pem.as_bytes())
        .unwrap();
    let config = SocketConfig::default()
        .tls(tls)
        .proxy(ProxySetting::Fixed(Proxy::new(
            "127.0.0.1",
            proxy_addr.port(),
        )));
    round_trip(&format!("wss://127.0.0.1:{port}/"), &config);
    server.join().unwrap().unwrap();
    assert!(
        proxy
            .join()
            .unwrap()
            .starts_with(&format!("CONNECT 127.0.0.1:{port} "))
    );
}
