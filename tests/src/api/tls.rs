//! `wss://`: a server with `ServerConfig::tls`, clients trusting a private CA, a self-signed
//! certificate, or nothing at all.

use tether_std::{ClientConfig, CloseCode, Message, RootCerts, ServerConfig, TlsOptions};

use crate::adapter::{Adapter, Socket};
use crate::loopback::echo_server;
use crate::pki::{pki, self_signed_ca};

/// A client trusting only the test CA echoes text and 3 MiB over TLS, by name (`localhost`,
/// which may resolve to `::1` first, where nobody listens: the next address is tried); both
/// ends report TLS.
pub fn wss_with_a_private_ca_echoes<A: Adapter>() {
    let pki = pki();
    let (addr, server) = crate::loopback::serve_one::<A, _, _>(pki.server_config(), |ws| {
        let mut ws = ws?;
        let info = ws.info();
        crate::loopback::echo(&mut ws).map(|_| info)
    });
    let tls = TlsOptions::default()
        .roots(RootCerts::ExtraOnly)
        .add_roots_pem(pki.ca_pem.as_bytes())
        .unwrap();
    let config = ClientConfig::default().tls(tls);
    let mut ws = A::connect(&format!("wss://localhost:{}/secure", addr.port()), &config).unwrap();
    assert!(ws.info().tls);
    ws.send("over TLS").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("over TLS")));
    let big = Message::binary(vec![0x5a; 3 << 20]);
    ws.send(big.clone()).unwrap();
    crate::api::echo::assert_message(ws.recv().unwrap(), &big, "3 MiB over TLS");
    assert_eq!(
        ws.close(CloseCode::NORMAL, "").unwrap().code,
        CloseCode::NORMAL
    );
    let info = server.join().unwrap();
    assert!(info.tls);
    assert_eq!(info.local_addr, Some(addr));
    assert!(info.peer_addr.is_some());
}

/// The default roots do not know the test CA: a certificate error, with a hint.
pub fn an_unknown_ca_is_a_certificate_error<A: Adapter>() {
    let pki = pki();
    let (addr, server) = echo_server::<A>(pki.server_config());
    let e = A::connect(&format!("wss://{addr}/"), &ClientConfig::default()).unwrap_err();
    assert!(e.is_certificate_error(), "{e:?}");
    assert!(e.to_string().contains("not signed by a trusted CA"), "{e}");
    assert!(server.join().is_err());
}

/// `danger_accept_invalid_certs` skips verification.
pub fn danger_accept_invalid_certs_skips_verification<A: Adapter>() {
    let pki = pki();
    let (addr, server) = echo_server::<A>(pki.server_config());
    let config =
        ClientConfig::default().tls(TlsOptions::default().danger_accept_invalid_certs(true));
    let mut ws = A::connect(&format!("wss://{addr}/"), &config).unwrap();
    ws.send("unverified").unwrap();
    assert!(ws.recv().unwrap().is_some());
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap();
}

/// A self-signed certificate that is also marked as a CA (as `openssl req -x509` makes), given
/// as the only extra root, is trusted for its own name; under another name it still fails.
pub fn a_self_signed_ca_certificate_is_trusted_as_the_only_extra_root<A: Adapter>() {
    let (cert, server_tls) = self_signed_ca(&["localhost"]);
    let tls = TlsOptions::default()
        .roots(RootCerts::ExtraOnly)
        .add_root_der(cert.to_vec());
    let config = ClientConfig::default().tls(tls);

    let (addr, server) = echo_server::<A>(ServerConfig::default().tls(server_tls.clone()));
    let mut ws = A::connect(&format!("wss://localhost:{}/", addr.port()), &config)
        .unwrap_or_else(|e| panic!("the pinned self-signed certificate is refused: {e}"));
    ws.send("pinned").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("pinned")));
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap();

    // The same server reached as 127.0.0.1, a name the certificate does not carry.
    let (addr, server) = echo_server::<A>(ServerConfig::default().tls(server_tls));
    let e = A::connect(&format!("wss://{addr}/"), &config).unwrap_err();
    assert!(e.is_certificate_error(), "{e:?}");
    assert!(e.to_string().contains("for another name"), "{e}");
    assert!(server.join().is_err());
}
