//! Running the binary: a server in the background, clients to completion.
//!
//! [`KillOnDrop`] and [`chromium`] are copies of the workspace test kit's (`tether-tests`'
//! `interop` module), so these tests depend on nothing but the binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A child process killed (and reaped) when dropped.
#[derive(Debug)]
pub(crate) struct KillOnDrop(pub(crate) Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl KillOnDrop {
    /// Starts `command` with piped stdin, stdout and stderr.
    pub(crate) fn spawn(command: &mut Command) -> Self {
        let child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        Self(child)
    }

    /// Waits up to `timeout` for the child to exit; kills it past that. Returns whether it
    /// exited successfully by itself.
    pub(crate) fn wait_for(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            match self.0.try_wait() {
                Ok(Some(status)) => return status.success(),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = self.0.kill();
                    let _ = self.0.wait();
                    return false;
                }
            }
        }
    }
}

/// Whether this run is CI (`CI=true`), where a missing tool is a failure, not a skip.
pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The Chromium binary: `TETHER_CHROMIUM` (it must exist when set), else `/usr/bin/chromium`
/// if present. `None` (a skip, with the reason printed) when it is not installed, outside CI
/// or when `.ci/run` reported that it could not install it (`TETHER_CHROMIUM_UNAVAILABLE`);
/// a panic in CI otherwise.
pub(crate) fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TETHER_CHROMIUM").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.exists(),
            "TETHER_CHROMIUM is set to {}, which does not exist",
            path.display()
        );
        return Some(path);
    }
    let default = PathBuf::from("/usr/bin/chromium");
    if default.exists() {
        return Some(default);
    }
    let why = match std::env::var("TETHER_CHROMIUM_UNAVAILABLE") {
        // .ci/run tried and could not install it: a skip with its reason, even in CI.
        Ok(reason) => format!("Chromium could not be installed: {reason}"),
        Err(_) => {
            let why = "Chromium is not installed (apt-get install chromium; .ci/run does this)";
            assert!(!in_ci(), "CI=true, but {why}");
            why.to_string()
        }
    };
    println!("SKIPPED: {why}");
    eprintln!("SKIPPED: {why}");
    None
}

/// The `tether` binary.
pub(crate) fn tether() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tether"));
    command.env_remove("RUST_LOG").env_remove("HTTP_PROXY");
    command
}

/// Lines of a child's output, as they come.
pub(crate) fn lines(reader: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits up to `timeout` for a line containing `needle`; returns it, or panics with the lines
/// seen.
pub(crate) fn expect_line(
    lines: &mpsc::Receiver<String>,
    needle: &str,
    timeout: Duration,
) -> String {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return line,
            Ok(line) => seen.push(line),
            Err(_) => panic!("no line with {needle:?} within {timeout:?}; saw {seen:#?}"),
        }
    }
}

/// A `tether serve` in the background, killed when dropped.
pub(crate) struct Server {
    /// The process.
    pub(crate) child: KillOnDrop,
    /// `ws://127.0.0.1:PORT/` (or `wss://`).
    pub(crate) url: String,
    /// `127.0.0.1:PORT`.
    pub(crate) addr: String,
    /// Its log lines (stderr).
    pub(crate) log: mpsc::Receiver<String>,
}

/// Starts `tether serve --listen 127.0.0.1:0 ARGS` and waits for its URL.
pub(crate) fn serve(args: &[&str]) -> Server {
    let mut child = KillOnDrop::spawn(
        tether()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args),
    );
    let stdout = lines(child.0.stdout.take().expect("piped"));
    let log = lines(child.0.stderr.take().expect("piped"));
    let line = expect_line(&stdout, "listening on", Duration::from_secs(20));
    let url = line
        .split(' ')
        .find(|w| w.starts_with("ws://") || w.starts_with("wss://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    let addr = url
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_string();
    Server {
        child,
        url,
        addr,
        log,
    }
}

/// How a finished client went.
#[derive(Debug)]
pub(crate) struct Finished {
    /// The exit status.
    pub(crate) status: ExitStatus,
    /// Everything it printed to stdout.
    pub(crate) stdout: String,
    /// Everything it printed to stderr.
    pub(crate) stderr: String,
}

impl Finished {
    /// The exit code.
    pub(crate) fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// Runs `tether ARGS` with `stdin` piped in (then closed); panics after `timeout`.
pub(crate) fn run(args: &[&str], stdin: &[u8], timeout: Duration) -> Finished {
    let mut child = tether()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tether");
    let mut input = child.stdin.take().expect("piped");
    let data = stdin.to_vec();
    std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let read_all = |mut r: Box<dyn Read + Send>| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = r.read_to_end(&mut text);
            let _ = tx.send(String::from_utf8_lossy(&text).into_owned());
        });
        rx
    };
    let out = read_all(Box::new(child.stdout.take().expect("piped")));
    let err = read_all(Box::new(child.stderr.take().expect("piped")));
    let mut child = KillOnDrop(child);
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            drop(child);
            let stderr = err.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
            panic!("tether {args:?} did not finish within {timeout:?}; stderr: {stderr}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = out.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    let stderr = err.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    Finished {
        status,
        stdout,
        stderr,
    }
}

/// A port nothing listens on (bound, then released).
pub(crate) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A plain HTTP/1.1 GET on `addr`; the whole response.
pub(crate) fn http_get(addr: &str, target: &str, extra: &str) -> String {
    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        tcp,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    tcp.read_to_string(&mut response).expect("read");
    response
}
