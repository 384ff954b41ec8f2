//! `tether serve` and `tether connect --http2` over HTTP/2 (RFC 8441): h2c with prior
//! knowledge and TLS with ALPN, on the same port as HTTP/1.1; broadcast across both versions;
//! basic auth over HTTP/2.

use std::time::Duration;

use super::common::{expect_line, run, serve};

const T: Duration = Duration::from_secs(20);

#[test]
fn connect_http2_echoes_over_h2c_on_the_http1_port() {
    let server = serve(&["--protocol", "chat"]);
    let done = run(
        &["connect", "--http2", &server.url, "--protocol", "chat"],
        b"over h2c\n",
        T,
    );
    assert_eq!(
        (done.code(), done.stdout.as_str()),
        (Some(0), "over h2c\n"),
        "{done:?}"
    );
    assert!(
        done.stderr.contains("over HTTP/2 (subprotocol chat)"),
        "{}",
        done.stderr
    );
    let open = expect_line(&server.log, " open ", T);
    assert!(open.contains("http=\"HTTP/2\""), "{open}");
    // HTTP/1.1 on the same port as before.
    let done = run(&["connect", &server.url], b"over 1.1\n", T);
    assert_eq!(done.stdout, "over 1.1\n", "{done:?}");
    let open = expect_line(&server.log, " open ", T);
    assert!(open.contains("http=\"HTTP/1.1\""), "{open}");
}

#[test]
fn connect_http2_over_tls_with_alpn() {
    let dir = std::env::temp_dir().join(format!("tether-cli-h2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).expect("write cert");
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).expect("write key");
    let (cert_arg, key_arg) = (cert_path.to_str().unwrap(), key_path.to_str().unwrap());
    let server = serve(&["--tls-cert", cert_arg, "--tls-key", key_arg]);
    let url = server.url.replace("127.0.0.1", "localhost");
    let done = run(
        &["connect", "--http2", &url, "--ca", cert_arg],
        b"h2 over TLS\n",
        T,
    );
    assert_eq!(
        (done.code(), done.stdout.as_str()),
        (Some(0), "h2 over TLS\n"),
        "{done:?}"
    );
    assert!(done.stderr.contains("over HTTP/2"), "{}", done.stderr);
    let open = expect_line(&server.log, " open ", T);
    assert!(open.contains("http=\"HTTP/2\""), "{open}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn basic_auth_and_broadcast_over_http2() {
    let server = serve(&["--mode", "broadcast", "--basic-auth", "alice:s3cret"]);
    let refused = run(&["connect", "--http2", &server.url], b"", T);
    assert_eq!(refused.code(), Some(5), "{refused:?}");
    assert!(refused.stderr.contains("401"), "{}", refused.stderr);
    let done = run(
        &["connect", "--http2", &server.url, "--user", "alice:s3cret"],
        b"to everyone\n",
        T,
    );
    assert_eq!(done.stdout, "to everyone\n", "{done:?}");
}
