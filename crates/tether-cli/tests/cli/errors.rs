//! Clear one-line errors and documented exit codes.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use super::common::{free_port, run, serve};

const T: Duration = Duration::from_secs(20);

#[test]
fn bad_urls_are_usage_errors() {
    for (url, says) in [
        ("http://example.com/", "use `ws://` or `wss://`"),
        ("not a url", "cannot use `not a url`"),
        ("ws://", "cannot use `ws://`"),
    ] {
        let done = run(&["connect", url], b"", T);
        assert_eq!(done.code(), Some(2), "{url}: {done:?}");
        assert!(
            done.stderr.starts_with("tether: "),
            "{url}: {}",
            done.stderr
        );
        assert!(done.stderr.contains(says), "{url}: {}", done.stderr);
        assert!(
            done.stderr.contains("expected ws://host[:port]/path"),
            "{}",
            done.stderr
        );
        assert_eq!(done.stderr.lines().count(), 1, "one line: {}", done.stderr);
    }
    let done = run(&["bench", "ftp://x/", "--duration", "1s"], b"", T);
    assert_eq!(done.code(), Some(2), "{done:?}");
}

#[test]
fn refused_connections_say_so() {
    let port = free_port();
    let url = format!("ws://127.0.0.1:{port}/");
    let done = run(&["connect", &url], b"hi\n", T);
    assert_eq!(done.code(), Some(3), "{done:?}");
    assert_eq!(
        done.stderr.trim_end(),
        format!(
            "tether: cannot connect to 127.0.0.1:{port}: Connection refused (os error 111); \
             is a server running there? (start one with `tether serve`)"
        )
    );
    let bench = run(&["bench", &url, "--duration", "1s"], b"", T);
    assert_eq!(bench.code(), Some(3), "{bench:?}");
    assert!(
        bench.stderr.contains("Connection refused"),
        "{}",
        bench.stderr
    );
}

#[test]
fn a_plain_http_server_is_not_a_websocket() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(1) {
            let Ok(mut s) = stream else { return };
            let mut buf = [0; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        }
    });
    let done = run(&["connect", &format!("ws://{addr}/")], b"", T);
    assert_eq!(done.code(), Some(5), "{done:?}");
    assert!(
        done.stderr.contains(&format!(
            "ws://{addr}/ refused the WebSocket upgrade: 200 OK"
        )) && done.stderr.contains("it is a plain HTTP server"),
        "{}",
        done.stderr
    );
}

#[test]
fn a_proxy_that_wants_credentials_is_explained() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(1) {
            let Ok(mut s) = stream else { return };
            let mut buf = [0; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n",
            );
        }
    });
    let done = run(
        &[
            "connect",
            "ws://example.invalid/",
            "--proxy",
            &format!("http://{addr}"),
        ],
        b"",
        T,
    );
    assert_eq!(done.code(), Some(6), "{done:?}");
    assert!(
        done.stderr.contains("requires authentication (407)")
            && done.stderr.contains("--proxy http://USER:PASS@host:port"),
        "{}",
        done.stderr
    );
}

#[test]
fn a_busy_port_cannot_be_listened_on() {
    let server = serve(&[]);
    let done = run(&["serve", "--listen", &server.addr], b"", T);
    assert_eq!(done.code(), Some(3), "{done:?}");
    assert!(
        done.stderr.contains("pick another with --listen"),
        "{}",
        done.stderr
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let done = run(&["connect", "--help"], b"", T);
    assert_eq!(done.code(), Some(0));
    assert!(done.stdout.contains("Exit codes:"), "{}", done.stdout);
    assert!(
        done.stdout
            .contains("5  the server refused the WebSocket upgrade")
    );
    assert!(
        done.stdout
            .contains("DANGER: accept any server certificate")
    );
    let bad = run(&["connect"], b"", T);
    assert_eq!(bad.code(), Some(2), "{bad:?}");
}
