//! serve + connect through pipes: echo, subprotocols, broadcast between two clients, TLS,
//! basic auth, the message size limit.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use super::common::{KillOnDrop, expect_line, http_get, lines, run, serve, tether};

const T: Duration = Duration::from_secs(20);

#[test]
fn echo_round_trip_through_a_pipe() {
    let mut server = serve(&["--protocol", "chat.v2"]);
    let done = run(
        &[
            "connect",
            &server.url,
            "--protocol",
            "chat.v1",
            "--protocol",
            "chat.v2",
        ],
        b"hello\nworld \xce\xba\n\nlast line without newline",
        T,
    );
    assert_eq!(done.code(), Some(0), "{done:?}");
    assert_eq!(done.stdout, "hello\nworld κ\n\nlast line without newline\n");
    assert!(
        done.stderr.contains("(subprotocol chat.v2)"),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr
            .contains("closed with 1000; the server answered 1000"),
        "{}",
        done.stderr
    );
    let open = expect_line(&server.log, " open ", T);
    assert!(open.contains("protocol=\"chat.v2\""), "{open}");
    let closed = expect_line(&server.log, "closed by client", T);
    assert!(closed.contains("code=1000"), "{closed}");
    server.child.0.kill().expect("kill");
}

#[test]
fn binary_lines_are_sent_as_binary() {
    let server = serve(&[]);
    let done = run(
        &["connect", "--binary", &server.url],
        b"\xff\xfe bytes\n",
        T,
    );
    assert_eq!(done.code(), Some(0), "{done:?}");
    assert_eq!(
        done.stdout.as_bytes(),
        "\u{fffd}\u{fffd} bytes\n".as_bytes()
    );
    // Without --binary the same line is refused before anything is sent.
    let done = run(&["connect", &server.url], b"\xff\xfe bytes\n", T);
    assert_eq!(done.code(), Some(2), "{done:?}");
    assert!(done.stderr.contains("use --binary"), "{}", done.stderr);
}

#[test]
fn broadcast_reaches_every_client() {
    let server = serve(&["--mode", "broadcast"]);
    // A listener that stays connected while its stdin is open.
    let mut listener = KillOnDrop::spawn(tether().args(["connect", &server.url]));
    let heard = lines(listener.0.stdout.take().expect("piped"));
    let status = lines(listener.0.stderr.take().expect("piped"));
    expect_line(&status, "connected to", T);
    // Its join must be registered by the server before the speaker talks.
    expect_line(&server.log, " open ", T);

    let speaker = run(&["connect", &server.url], b"hi from a pipe\n", T);
    assert_eq!(speaker.code(), Some(0), "{speaker:?}");
    // The speaker hears itself (everyone in the room does), the listener hears it too.
    assert_eq!(speaker.stdout, "hi from a pipe\n");
    assert_eq!(expect_line(&heard, "hi", T), "hi from a pipe");

    // Closing the listener's stdin closes it cleanly.
    drop(listener.0.stdin.take());
    assert!(listener.wait_for(T), "the listener did not exit cleanly");
    expect_line(&status, "closed with 1000", T);
}

#[test]
fn server_closes_with_1009_past_the_size_limit() {
    let server = serve(&["--max-message-size", "16"]);
    let mut client = KillOnDrop::spawn(tether().args(["connect", &server.url]));
    let out = lines(client.0.stdout.take().expect("piped"));
    let status = lines(client.0.stderr.take().expect("piped"));
    let mut stdin = client.0.stdin.take().expect("piped");
    writeln!(stdin, "short").expect("write");
    assert_eq!(expect_line(&out, "short", T), "short");
    // The long line only once the echo is back: the server decodes what arrives at once, so a
    // message over the limit in the same read would fail the connection (1009) before the
    // echo of the short one was queued.
    writeln!(stdin, "this line is longer than sixteen bytes").expect("write");
    expect_line(
        &status,
        "the server closed the connection: 1009 \"message too big\"",
        T,
    );
    // Its stdin is still open (`wait` would close it; it was taken): the client exits anyway.
    let exit = client.0.wait().expect("client exits");
    assert_eq!(exit.code(), Some(8), "{exit:?}");
    assert!(
        out.try_iter().next().is_none(),
        "nothing but the short line was echoed"
    );
}

#[test]
fn basic_auth_is_required_when_asked() {
    let server = serve(&["--basic-auth", "alice:s3cret"]);
    let wrong = run(
        &["connect", &server.url, "--user", "alice:wrong"],
        b"x\n",
        T,
    );
    assert_eq!(wrong.code(), Some(5), "{wrong:?}");
    assert!(
        wrong.stderr.contains("401 Unauthorized") && wrong.stderr.contains("--user USER:PASS"),
        "{}",
        wrong.stderr
    );
    assert_eq!(
        wrong.stderr.lines().count(),
        1,
        "one line: {}",
        wrong.stderr
    );
    let right = run(
        &["connect", &server.url, "--user", "alice:s3cret"],
        b"in\n",
        T,
    );
    assert_eq!(
        (right.code(), right.stdout.as_str()),
        (Some(0), "in\n"),
        "{right:?}"
    );
    // Credentials in the URL work too.
    let url = server.url.replace("ws://", "ws://alice:s3cret@");
    let in_url = run(&["connect", &url], b"also\n", T);
    assert_eq!(
        (in_url.code(), in_url.stdout.as_str()),
        (Some(0), "also\n"),
        "{in_url:?}"
    );
    // The page asks browsers to log in.
    let page = http_get(&server.addr, "/", "");
    assert!(page.starts_with("HTTP/1.1 401"), "{page}");
    assert!(
        page.contains("WWW-Authenticate: Basic realm=\"tether\""),
        "{page}"
    );
    let page = http_get(
        &server.addr,
        "/",
        "Authorization: Basic YWxpY2U6czNjcmV0\r\n",
    );
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
}

#[test]
fn the_page_is_served_at_the_root() {
    let server = serve(&["--mode", "broadcast"]);
    let page = http_get(&server.addr, "/", "");
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(
        page.contains("Content-Type: text/html; charset=utf-8"),
        "{page}"
    );
    assert!(page.contains("<title>tether · broadcast</title>"), "{page}");
    assert!(page.contains("new WebSocket("), "{page}");
    let missing = http_get(&server.addr, "/nothing", "");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
}

#[test]
fn tls_needs_a_trusted_certificate() {
    let dir = std::env::temp_dir().join(format!("tether-cli-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).expect("write cert");
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).expect("write key");
    let (cert_arg, key_arg) = (cert_path.to_str().unwrap(), key_path.to_str().unwrap());

    let server = serve(&["--tls-cert", cert_arg, "--tls-key", key_arg]);
    assert!(server.url.starts_with("wss://"), "{}", server.url);
    let url = server.url.replace("127.0.0.1", "localhost");
    let untrusted = run(&["connect", &url], b"x\n", T);
    assert_eq!(untrusted.code(), Some(4), "{untrusted:?}");
    assert!(
        untrusted
            .stderr
            .contains("invalid peer certificate: UnknownIssuer")
            && untrusted.stderr.contains("--ca FILE"),
        "{}",
        untrusted.stderr
    );
    let trusted = run(&["connect", &url, "--ca", cert_arg], b"secure\n", T);
    assert_eq!(
        (trusted.code(), trusted.stdout.as_str()),
        (Some(0), "secure\n"),
        "{trusted:?}"
    );
    let insecure = run(&["connect", &server.url, "--insecure"], b"anyway\n", T);
    assert_eq!(
        (insecure.code(), insecure.stdout.as_str()),
        (Some(0), "anyway\n"),
        "{insecure:?}"
    );
    // ws:// to a TLS server: the server wants a TLS handshake, the client an HTTP answer.
    let plain = run(
        &[
            "connect",
            &server.url.replace("wss://", "ws://"),
            "--connect-timeout",
            "2s",
        ],
        b"",
        T,
    );
    assert_ne!(plain.code(), Some(0), "{plain:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A self-signed certificate marked as a CA (as `openssl req -x509` makes it): webpki alone
/// refuses it as a server's own certificate (`CaUsedAsEndEntity`), `--ca` with it must work.
#[test]
fn ca_accepts_a_self_signed_certificate_that_is_its_own_ca() {
    let dir = std::env::temp_dir().join(format!("tether-cli-own-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("cert");
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).expect("write cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    let (cert_arg, key_arg) = (cert_path.to_str().unwrap(), key_path.to_str().unwrap());

    let server = serve(&["--tls-cert", cert_arg, "--tls-key", key_arg]);
    let url = server.url.replace("127.0.0.1", "localhost");
    let trusted = run(&["connect", &url, "--ca", cert_arg], b"own CA\n", T);
    assert_eq!(
        (trusted.code(), trusted.stdout.as_str()),
        (Some(0), "own CA\n"),
        "{trusted:?}"
    );
    // Trusted for the names it carries only.
    let wrong_name = run(&["connect", &server.url, "--ca", cert_arg], b"x\n", T);
    assert_eq!(wrong_name.code(), Some(4), "{wrong_name:?}");
    assert!(
        wrong_name
            .stderr
            .contains("the certificate is for another name"),
        "{}",
        wrong_name.stderr
    );
    // Without --ca it is refused as before.
    let untrusted = run(&["connect", &url], b"x\n", T);
    assert_eq!(untrusted.code(), Some(4), "{untrusted:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn interactive_stdin_keeps_the_connection_open() {
    let server = serve(&[]);
    let mut client = KillOnDrop::spawn(
        tether()
            .args(["connect", &server.url])
            .stdin(Stdio::piped()),
    );
    let out = lines(client.0.stdout.take().expect("piped"));
    let mut stdin = client.0.stdin.take().expect("piped");
    for word in ["one", "two", "three"] {
        writeln!(stdin, "{word}").expect("write");
        assert_eq!(expect_line(&out, word, T), word);
    }
    drop(stdin);
    assert!(client.wait_for(T));
}

#[test]
fn interrupted_server_closes_every_client_with_1001_then_exits_0() {
    for mode in ["echo", "broadcast"] {
        let mut server = serve(&["--mode", mode]);
        // Two clients that stay connected (their stdin stays open).
        let mut clients: Vec<_> = (0..2)
            .map(|_| {
                let mut client = KillOnDrop::spawn(tether().args(["connect", &server.url]));
                let stderr = lines(client.0.stderr.take().expect("piped"));
                expect_line(&stderr, "connected to", T);
                (client, stderr)
            })
            .collect();
        for _ in &clients {
            expect_line(&server.log, " open ", T);
        }
        let pid = server.child.0.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill -INT");
        assert!(sent.success());
        for (client, stderr) in &mut clients {
            let line = expect_line(stderr, "the server closed the connection", T);
            assert!(
                line.contains("1001") && line.contains("server shutting down"),
                "{mode}: {line}"
            );
            let status = client.0.wait().expect("client exits");
            assert_ne!(status.code(), Some(0), "{mode}: 1001 is not a normal end");
        }
        let deadline = std::time::Instant::now() + T;
        let status = loop {
            if let Some(status) = server.child.0.try_wait().expect("server status") {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{mode}: server still running"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(0), "{mode}");
        let shut = expect_line(&server.log, "closed for shutdown", T);
        assert!(shut.contains("answered=true"), "{mode}: {shut}");
    }
}
