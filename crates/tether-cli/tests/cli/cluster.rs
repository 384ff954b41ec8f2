//! `tether serve --mode broadcast --redis URL`: two servers on one Redis are one set of rooms.
//! Needs `redis-server` (Debian's package; `.ci/run` installs it): skipped without it, except
//! in CI.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::common::{KillOnDrop, expect_line, free_port, in_ci, lines, run, serve, tether};

const T: Duration = Duration::from_secs(20);

/// A throwaway `redis-server` on a free 127.0.0.1 port (no persistence), killed on drop.
struct Redis {
    _child: KillOnDrop,
    url: String,
    dir: std::path::PathBuf,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn redis() -> Option<Redis> {
    let binary = std::env::var("TETHER_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
    for attempt in 0..5 {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("tether-cli-redis-{}-{attempt}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let spawned = std::process::Command::new(&binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let Ok(child) = spawned else {
            let why =
                format!("cannot run {binary} (apt-get install redis-server; .ci/run does this)");
            assert!(!in_ci(), "CI=true, but {why}");
            println!("SKIPPED: {why}");
            return None;
        };
        let mut child = KillOnDrop(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if child.0.try_wait().ok().flatten().is_some() {
                break; // the port was taken meanwhile: another one
            }
            if ping(port) {
                return Some(Redis {
                    _child: child,
                    url: format!("redis://127.0.0.1:{port}/"),
                    dir,
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("redis-server did not start");
}

fn ping(port: u16) -> bool {
    let Ok(mut tcp) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(1)));
    let mut reply = [0u8; 7];
    tcp.write_all(b"PING\r\n").is_ok()
        && std::io::Read::read_exact(&mut tcp, &mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

#[test]
fn two_servers_on_one_redis_are_one_set_of_rooms() {
    let Some(redis) = redis() else {
        return;
    };
    let args = [
        "--mode",
        "broadcast",
        "--rooms",
        "path",
        "--redis",
        &redis.url,
    ];
    let one = serve(&args);
    let two = serve(&args);
    expect_line(&one.log, "connected to Redis", T);
    expect_line(&two.log, "connected to Redis", T);

    // Listeners on the second server: one in the lobby, one in another room.
    let lobby = format!("{}lobby", two.url);
    let mut listener = KillOnDrop::spawn(tether().args(["connect", &lobby]));
    let heard = lines(listener.0.stdout.take().expect("piped"));
    expect_line(
        &lines(listener.0.stderr.take().expect("piped")),
        "connected to",
        T,
    );
    let mut elsewhere = KillOnDrop::spawn(tether().args(["connect", &format!("{}other", two.url)]));
    let heard_elsewhere = lines(elsewhere.0.stdout.take().expect("piped"));
    expect_line(
        &lines(elsewhere.0.stderr.take().expect("piped")),
        "connected to",
        T,
    );
    // Both joined, and the second server subscribed to their rooms' channels: wait until a
    // probe published on the first server crosses.
    let deadline = Instant::now() + T;
    loop {
        let probe = run(&["connect", &format!("{}lobby", one.url)], b"probe\n", T);
        assert_eq!(probe.code(), Some(0), "{probe:?}");
        if heard.recv_timeout(Duration::from_millis(200)).is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "nothing crossed from one server to the other"
        );
    }
    while heard.recv_timeout(Duration::from_millis(300)).is_ok() {}

    // A speaker on the first server: it hears itself once, the lobby on the other server
    // hears it once, the other room nothing.
    let speaker = run(
        &["connect", &format!("{}lobby", one.url)],
        b"hello from one\n",
        T,
    );
    assert_eq!(speaker.code(), Some(0), "{speaker:?}");
    assert_eq!(speaker.stdout, "hello from one\n");
    assert_eq!(expect_line(&heard, "hello", T), "hello from one");
    assert!(
        heard.recv_timeout(Duration::from_millis(300)).is_err(),
        "heard twice"
    );
    assert!(
        heard_elsewhere
            .recv_timeout(Duration::from_millis(300))
            .is_err()
    );

    drop(listener.0.stdin.take());
    drop(elsewhere.0.stdin.take());
    assert!(listener.wait_for(T) && elsewhere.wait_for(T));
}

#[test]
fn a_redis_that_is_not_there_is_a_clear_error() {
    let url = format!("redis://127.0.0.1:{}/", free_port());
    let done = run(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--mode",
            "broadcast",
            "--redis",
            &url,
        ],
        b"",
        T,
    );
    assert_eq!(done.code(), Some(3), "{done:?}");
    assert!(
        done.stderr
            .contains("cannot connect to Redis at redis://127.0.0.1:")
            && done.stderr.contains("is redis-server running there?")
            && done.stderr.contains("--redis-optional"),
        "{}",
        done.stderr
    );
    let done = run(
        &["serve", "--listen", "127.0.0.1:0", "--redis", &url],
        b"",
        T,
    );
    assert_eq!(done.code(), Some(2), "{done:?}");
    assert!(
        done.stderr.contains("add --mode broadcast"),
        "{}",
        done.stderr
    );
}

#[test]
fn redis_optional_starts_local_only() {
    let url = format!("redis://127.0.0.1:{}/", free_port());
    let server = serve(&["--mode", "broadcast", "--redis", &url, "--redis-optional"]);
    expect_line(&server.log, "starting local-only", T);
    let speaker = run(&["connect", &server.url], b"alone\n", T);
    assert_eq!(speaker.code(), Some(0), "{speaker:?}");
    assert_eq!(speaker.stdout, "alone\n");
}
