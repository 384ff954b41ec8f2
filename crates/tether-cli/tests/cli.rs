//! The `tether` binary run as subprocesses against itself on 127.0.0.1: serve + connect round
//! trips through pipes, broadcast between clients, errors and exit codes, bench, TLS, HTTP/2,
//! and the web page in headless Chromium.

mod cli {
    mod browser;
    mod cluster;
    mod common;
    mod errors;
    mod http2;
    mod load;
    mod roundtrip;
    mod slow;
}
