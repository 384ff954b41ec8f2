//! Helpers for the interop tests with real peers (Python `websockets`, headless Chromium):
//! finding the tools, skipping or failing when they are missing, and child processes that are
//! killed when the test ends.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Whether this run is CI (`CI=true`), where a missing tool is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips (returns `None` after printing why) outside CI; panics in CI.
fn missing<T>(why: &str) -> Option<T> {
    assert!(!in_ci(), "CI=true, but {why}");
    println!("SKIPPED: {why}");
    eprintln!("SKIPPED: {why}");
    None
}

/// The directory of the Python scripts (`tests/interop`).
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop")
}

fn imports_websockets(python: &Path) -> Result<String, String> {
    let out = Command::new(python)
        .args(["-c", "import websockets; print(websockets.__version__)"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "{} cannot import websockets: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .trim()
        ))
    }
}

/// The Python interpreter with `websockets`: `TETHER_PYTHON` (set by `.ci/run` to its venv;
/// it must work when set), else `python3` if it can import `websockets`. `None` (skip, with
/// the reason printed) when neither works outside CI; a panic in CI.
pub fn python() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TETHER_PYTHON") {
        let path = PathBuf::from(path);
        match imports_websockets(&path) {
            Ok(version) => {
                println!("using {} with websockets {version}", path.display());
                return Some(path);
            }
            Err(e) => panic!("TETHER_PYTHON is set, but {e}"),
        }
    }
    let path = PathBuf::from("python3");
    match imports_websockets(&path) {
        Ok(version) => {
            println!("using python3 with websockets {version}");
            Some(path)
        }
        Err(e) => missing(&format!(
            "TETHER_PYTHON is not set and {e} (run `.ci/run`, or create target/interop-venv \
             with websockets and set TETHER_PYTHON)"
        )),
    }
}

/// The Chromium binary: `TETHER_CHROMIUM` (set by `.ci/run` when the install succeeded; it
/// must work when set), else `/usr/bin/chromium` if present. `None` (skip, with the reason
/// printed) when Chromium is not installed, outside CI or when `.ci/run` reported that it could
/// not install it (`TETHER_CHROMIUM_UNAVAILABLE`).
pub fn chromium() -> Option<PathBuf> {
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
        Ok(reason) => {
            // .ci/run tried and could not install it: a skip with its reason, even in CI.
            let why = format!("Chromium could not be installed: {reason}");
            println!("SKIPPED: {why}");
            eprintln!("SKIPPED: {why}");
            return None;
        }
        Err(_) => "Chromium is not installed (apt-get install chromium; .ci/run does this)",
    };
    missing(why)
}

/// A headless Chromium command with a profile directory of its own and the flags every
/// interop test uses (no sandbox, GPU, first-run page, background traffic, QUIC or
/// extensions); add the test's own flags and the URL.
pub fn headless_chromium(chromium: &Path, profile: &Path) -> Command {
    let mut command = Command::new(chromium);
    command
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
        .arg(format!("--user-data-dir={}", profile.display()));
    command
}

/// A child process killed (and reaped) when dropped.
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl KillOnDrop {
    /// Starts `command` with piped stdout and stderr (and stdin, so a script can watch for its
    /// end).
    ///
    /// # Panics
    ///
    /// When the command cannot start.
    pub fn spawn(command: &mut Command) -> Self {
        let child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        Self(child)
    }

    /// The child's stdout lines, as they come, through a channel (read on a thread).
    ///
    /// # Panics
    ///
    /// When stdout was already taken.
    pub fn stdout_lines(&mut self) -> mpsc::Receiver<String> {
        let stdout = self.0.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        rx
    }

    /// The child's stderr, read to the end on a thread.
    ///
    /// # Panics
    ///
    /// When stderr was already taken.
    pub fn stderr_text(&mut self) -> mpsc::Receiver<String> {
        let mut stderr = self.0.stderr.take().expect("stderr is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            let _ = tx.send(text);
        });
        rx
    }

    /// Waits up to `timeout` for the child to exit; kills it past that. Returns whether it
    /// exited successfully by itself.
    pub fn wait_for(&mut self, timeout: Duration) -> bool {
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

/// Waits up to `timeout` for a line starting with `prefix`; returns it (lines before it are
/// passed over).
pub fn wait_line(
    lines: &mpsc::Receiver<String>,
    prefix: &str,
    timeout: Duration,
) -> Option<String> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match lines.recv_timeout(left) {
            Ok(line) if line.starts_with(prefix) => return Some(line),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}
