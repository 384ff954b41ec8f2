//! Tunnelling through an HTTP `CONNECT` proxy (a small one written here): open, with
//! credentials from the config or the proxy's URL, 407, and `wss://` through it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use tether_std::{
    ClientConfig, CloseCode, Credentials, Error, Message, Proxy, ProxySetting, RootCerts,
    ServerConfig, TlsOptions,
};

use crate::adapter::{Adapter, Socket};
use crate::loopback::{Task, echo_server, serve_one};
use crate::pki::pki;

/// A one-connection `CONNECT` proxy that wants `required_auth` (a `Proxy-Authorization`
/// value) if given. Returns the request head it saw.
fn connect_proxy(required_auth: Option<String>) -> (SocketAddr, Task<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let task = Task::spawn(move || {
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
    (addr, task)
}

/// Copies both ways until either side ends.
fn pump(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let up = std::thread::spawn(move || {
        let (mut a, mut b) = (a, b);
        let _ = std::io::copy(&mut a, &mut b);
        let _ = b.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut b2, &mut a2);
    let _ = a2.shutdown(std::net::Shutdown::Write);
    up.join().unwrap();
}

fn via(proxy: SocketAddr) -> ProxySetting {
    ProxySetting::Fixed(Proxy::new("127.0.0.1", proxy.port()))
}

fn round_trip<A: Adapter>(url: &str, config: &ClientConfig) {
    let mut ws = A::connect(url, config).unwrap();
    ws.send("through the proxy").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("through the proxy")));
    ws.close(CloseCode::NORMAL, "").unwrap();
}

/// The tunnel is asked for the server's address, without credentials.
pub fn tunnels_through_an_open_proxy<A: Adapter>() {
    let (server_addr, server) = echo_server::<A>(ServerConfig::default());
    let (proxy_addr, proxy) = connect_proxy(None);
    let config = ClientConfig::default().proxy(via(proxy_addr));
    round_trip::<A>(&format!("ws://{server_addr}/"), &config);
    server.join().unwrap();
    let head = proxy.join();
    assert!(
        head.starts_with(&format!("CONNECT {server_addr} HTTP/1.1\r\n")),
        "{head}"
    );
    assert!(!head.contains("Proxy-Authorization"), "{head}");
}

/// Proxy credentials come from the config or from the proxy's URL.
pub fn proxy_credentials_come_from_the_config_or_the_proxy_url<A: Adapter>() {
    let basic = Credentials::new("proxyuser", "pw").basic_value();
    let (server_addr, server) = echo_server::<A>(ServerConfig::default());
    let (proxy_addr, proxy) = connect_proxy(Some(basic.clone()));
    let config = ClientConfig::default()
        .proxy(via(proxy_addr))
        .proxy_credentials(Credentials::new("proxyuser", "pw"));
    round_trip::<A>(&format!("ws://{server_addr}/"), &config);
    server.join().unwrap();
    assert!(proxy.join().contains(&basic));

    let (server_addr, server) = echo_server::<A>(ServerConfig::default());
    let (proxy_addr, proxy) = connect_proxy(Some(basic.clone()));
    let p = Proxy::parse(&format!("http://proxyuser:pw@{proxy_addr}")).unwrap();
    let config = ClientConfig::default().proxy(ProxySetting::Fixed(p));
    round_trip::<A>(&format!("ws://{server_addr}/"), &config);
    server.join().unwrap();
    assert!(proxy.join().contains(&basic));
}

/// A proxy that wants credentials answers 407: its own error, naming the proxy.
pub fn a_proxy_without_credentials_answers_407<A: Adapter>() {
    let (proxy_addr, proxy) = connect_proxy(Some("Basic x".into()));
    let config = ClientConfig::default().proxy(via(proxy_addr));
    // Nothing listens at the target: the proxy refuses before connecting anywhere.
    let e = A::connect("ws://127.0.0.1:9/", &config).unwrap_err();
    let Error::ProxyAuthRequired {
        proxy: name,
        headers,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(name, &format!("127.0.0.1:{}", proxy_addr.port()));
    assert!(headers.get("proxy-authenticate").is_some());
    assert_eq!(e.http_status(), Some(407));
    proxy.join();
}

/// `wss://` through the tunnel: TLS runs end to end, the proxy sees only `CONNECT`.
pub fn wss_through_the_proxy<A: Adapter>() {
    let pki = pki();
    let (addr, server) =
        serve_one::<A, _, _>(pki.server_config(), |ws| crate::loopback::echo(&mut ws?));
    let (proxy_addr, proxy) = connect_proxy(None);
    let tls = TlsOptions::default()
        .roots(RootCerts::ExtraOnly)
        .add_roots_pem(pki.ca_pem.as_bytes())
        .unwrap();
    let config = ClientConfig::default().tls(tls).proxy(via(proxy_addr));
    round_trip::<A>(&format!("wss://127.0.0.1:{}/", addr.port()), &config);
    server.join().unwrap();
    assert!(
        proxy
            .join()
            .starts_with(&format!("CONNECT 127.0.0.1:{} ", addr.port()))
    );
}
