//! Measuring a test's memory in a process of its own, so other tests' allocations do not count.
//!
//! The measuring test is `#[ignore]`d and does nothing unless an environment variable is set;
//! a normal test runs it with [`run_child`] and reads the `key=value` line it printed.

use std::process::Command;

/// Runs the ignored test `name` of the current test binary in a child process with the
/// environment variable `env` set, and returns the line of its output that starts with `tag`.
///
/// # Panics
///
/// When the child fails or prints no such line.
pub fn run_child(name: &str, env: &str, tag: &str) -> String {
    let exe = std::env::current_exe().expect("the test binary");
    let out = Command::new(exe)
        .args(["--exact", name, "--ignored", "--nocapture"])
        .env(env, "1")
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with(tag))
        .unwrap_or_else(|| panic!("no {tag} line in {stdout}"));
    eprintln!("{line}");
    line.to_string()
}

/// A numeric `key=value` field of a result line (`key` includes the `=`).
///
/// # Panics
///
/// When the field is missing or not a number.
pub fn field(line: &str, key: &str) -> u64 {
    line.split_whitespace()
        .find_map(|f| f.strip_prefix(key))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {line}"))
}

/// A field of `/proc/self/status` in KiB (`"VmRSS:"`, `"VmHWM:"`).
///
/// # Panics
///
/// When the file or the field cannot be read.
pub fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}
