//! The built-in page in headless Chromium: one page "types" a message (`?say=`, which fills
//! the input box and submits the form, as a person pressing Enter does), a second page in
//! another browser receives it through the broadcast room and reports it back
//! (`?report=1`: `REPORT <message>` over its WebSocket), and a `tether connect` in the same
//! room sees that report.
//!
//! Chromium comes from `TETHER_CHROMIUM` (else `/usr/bin/chromium`); without it the test
//! prints why and skips, except in CI (`CI=true`), where it fails.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::common::{KillOnDrop, chromium, expect_line, lines, serve, tether};

const T: Duration = Duration::from_secs(60);

/// Headless Chromium on `url`, with its own profile directory (flags as in the workspace's
/// interop test).
fn browser(chromium: &Path, profile: &Path, url: &str) -> KillOnDrop {
    KillOnDrop::spawn(
        Command::new(chromium)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--disable-extensions",
                "--disable-dev-shm-usage",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url),
    )
}

#[test]
fn a_message_typed_in_one_page_appears_in_another() {
    let Some(chromium) = chromium() else { return };
    let mut server = serve(&["--mode", "broadcast"]);
    let web = format!("http://{}/", server.addr);

    // The test's own client in the room.
    let mut observer = KillOnDrop::spawn(tether().args(["connect", &server.url]));
    let heard = lines(observer.0.stdout.take().expect("piped"));
    let status = lines(observer.0.stderr.take().expect("piped"));
    expect_line(&status, "connected to", T);

    let profiles = std::env::temp_dir().join(format!("tether-cli-chromium-{}", std::process::id()));
    let reader = browser(
        &chromium,
        &profiles.join("reader"),
        &format!("{web}?report=1"),
    );
    // The reading page joined the room once its hello arrives.
    expect_line(&heard, "REPORT ready", T);

    let typist = browser(
        &chromium,
        &profiles.join("typist"),
        &format!("{web}?say=hello%20from%20chromium%20%CE%BA"),
    );
    // The typed message reaches everyone (the observer too) ...
    assert_eq!(
        expect_line(&heard, "hello from", T),
        "hello from chromium κ"
    );
    // ... and the other page received it: its report comes back through the room.
    assert_eq!(
        expect_line(&heard, "REPORT hello", T),
        "REPORT hello from chromium κ"
    );
    // Three WebSocket clients were served: the observer and the two pages.
    for _ in 0..3 {
        expect_line(&server.log, " open ", T);
    }

    drop(typist);
    drop(reader);
    drop(observer.0.stdin.take());
    assert!(observer.wait_for(T), "the observer did not close cleanly");
    server.child.0.kill().expect("kill the server");
    let _ = std::fs::remove_dir_all(&profiles);
}
