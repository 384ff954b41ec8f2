//! bench against serve.

use std::time::Duration;

use super::common::{run, serve};

/// The value of a table row, without the thousands separators.
fn row(table: &str, name: &str) -> f64 {
    let line = table
        .lines()
        .find(|l| {
            l.trim_start()
                .strip_prefix(name)
                .is_some_and(|r| r.starts_with(' '))
        })
        .unwrap_or_else(|| panic!("no {name} row in\n{table}"));
    let value = line.trim_start()[name.len()..].trim();
    let number: String = value
        .split(' ')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| *c != ',')
        .collect();
    number
        .parse()
        .unwrap_or_else(|_| panic!("{name}: {value:?} is not a number"))
}

#[test]
fn bench_measures_an_echo_server() {
    let server = serve(&[]);
    for kind in ["--binary", "--text"] {
        let done = run(
            &[
                "bench",
                &server.url,
                "--conns",
                "2",
                "--depth",
                "8",
                "--size",
                "100",
                "--duration",
                "1500ms",
                kind,
            ],
            b"",
            Duration::from_secs(30),
        );
        assert_eq!(done.code(), Some(0), "{done:?}");
        let table = &done.stdout;
        println!("{table}");
        assert!(table.starts_with("tether bench: ws://"), "{table}");
        assert!(row(table, "messages/s") > 0.0, "{table}");
        assert!(row(table, "MiB/s") > 0.0, "{table}");
        assert!(row(table, "messages") > 0.0, "{table}");
        assert!(row(table, "latency p50") > 0.0, "{table}");
        assert!(
            row(table, "latency p99") >= row(table, "latency p50"),
            "{table}"
        );
        assert!(
            row(table, "latency max") >= row(table, "latency p99"),
            "{table}"
        );
        assert_eq!(row(table, "errors"), 0.0, "{table}");
        // Not a terminal: plain progress lines, one a second.
        assert!(done.stderr.contains("msg/s"), "{}", done.stderr);
        assert!(!done.stderr.contains('\r'), "{:?}", done.stderr);
    }
}

#[test]
fn bench_counts_errors_when_the_server_refuses_messages() {
    // Messages over the server's limit: it closes every connection with 1009.
    let server = serve(&["--max-message-size", "10"]);
    let done = run(
        &[
            "bench",
            &server.url,
            "--conns",
            "2",
            "--size",
            "100",
            "--duration",
            "1s",
        ],
        b"",
        Duration::from_secs(30),
    );
    assert_eq!(done.code(), Some(1), "{done:?}");
    assert_eq!(row(&done.stdout, "errors"), 2.0, "{}", done.stdout);
    assert!(done.stderr.contains("1009"), "{}", done.stderr);
}
