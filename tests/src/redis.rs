//! A throwaway `redis-server` on 127.0.0.1 for the tests of the hub's Redis backend: a free
//! port, a temporary directory, no persistence; killed (and its directory removed) on drop.
//! It can be killed and started again on the same port mid-test.
//!
//! The binary is `TETHER_REDIS_SERVER` when set, else `redis-server` on the `PATH` (Debian's
//! package; `.ci/run` installs it). When there is none the test skips, except in CI (`CI=true`)
//! where it fails.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::interop::in_ci;

/// How long a started server has to answer `PING`.
const STARTUP: Duration = Duration::from_secs(10);

/// A `redis-server` child process.
#[derive(Debug)]
pub struct RedisServer {
    binary: PathBuf,
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

/// A reply, as RESP2 gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`.
    Status(String),
    /// `-ERR ...`.
    Error(String),
    /// `:n`.
    Int(i64),
    /// `$n` (`None`: the null bulk string).
    Bulk(Option<Vec<u8>>),
    /// `*n`.
    Array(Vec<Self>),
}

fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TETHER_REDIS_SERVER").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some(PathBuf::from("redis-server"));
    }
    let why = "redis-server is not installed (apt-get install redis-server; .ci/run does this), \
               and TETHER_REDIS_SERVER is not set";
    assert!(!in_ci(), "CI=true, but {why}");
    println!("SKIPPED: {why}");
    eprintln!("SKIPPED: {why}");
    None
}

/// A port nothing listens on now (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

impl RedisServer {
    /// Starts a server on a free port; `None` (skip) when there is no `redis-server` outside
    /// CI. Another process taking the port between the pick and the start is retried.
    pub fn start() -> Option<Self> {
        let binary = binary()?;
        let mut last = String::new();
        for _ in 0..5 {
            match Self::spawn(binary.clone(), free_port()) {
                Ok(server) => return Some(server),
                Err(e) => last = e,
            }
        }
        panic!("redis-server did not start: {last}");
    }

    /// Starts a server on `port` (for a test that has something waiting for it there).
    pub fn start_on(port: u16) -> Option<Self> {
        let binary = binary()?;
        Some(Self::spawn(binary, port).unwrap_or_else(|e| panic!("{e}")))
    }

    fn spawn(binary: PathBuf, port: u16) -> Result<Self, String> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tether-redis-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut server = Self {
            binary,
            port,
            dir,
            child: None,
        };
        server.run()?;
        Ok(server)
    }

    /// Starts the process and waits for `PING`.
    fn run(&mut self) -> Result<(), String> {
        let log = self.dir.join("redis.log");
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.binary.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(Reply::Status(pong)) = self.try_command(&["PING"])
                && pong == "PONG"
            {
                return Ok(());
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                self.kill();
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!(
                    "redis-server on port {} did not answer PING ({exited:?}); its log: {log}",
                    self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (SIGKILL: no goodbye to its clients) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (after [`kill`](Self::kill)); an empty server.
    pub fn restart(&mut self) {
        self.kill();
        let mut last = String::new();
        // The port was ours a moment ago; another process would have to grab it right now.
        for _ in 0..5 {
            match self.run() {
                Ok(()) => return,
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("redis-server did not restart: {last}");
    }

    /// Sends one command and returns the reply; panics if the server cannot be reached.
    pub fn command(&self, args: &[&str]) -> Reply {
        self.try_command(args)
            .unwrap_or_else(|e| panic!("{args:?} to redis on port {}: {e}", self.port))
    }

    /// Sends one command (binary-safe arguments) and returns the reply.
    pub fn command_bytes(&self, args: &[&[u8]]) -> Reply {
        self.try_command_bytes(args)
            .unwrap_or_else(|e| panic!("command to redis on port {}: {e}", self.port))
    }

    fn try_command(&self, args: &[&str]) -> std::io::Result<Reply> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.try_command_bytes(&args)
    }

    fn try_command_bytes(&self, args: &[&[u8]]) -> std::io::Result<Reply> {
        let mut tcp = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))?;
        tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut request = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            request.extend_from_slice(arg);
            request.extend_from_slice(b"\r\n");
        }
        tcp.write_all(&request)?;
        read_reply(&mut BufReader::new(tcp))
    }
}

fn read_reply(r: &mut impl BufRead) -> std::io::Result<Reply> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let mut line = String::new();
    r.read_line(&mut line)?;
    let line = line.trim_end_matches("\r\n");
    let (kind, rest) = line.split_at_checked(1).ok_or_else(|| bad("empty reply"))?;
    let number = || rest.parse::<i64>().map_err(|_| bad(line));
    Ok(match kind {
        "+" => Reply::Status(rest.to_owned()),
        "-" => Reply::Error(rest.to_owned()),
        ":" => Reply::Int(number()?),
        "$" => match usize::try_from(number()?) {
            Err(_) => Reply::Bulk(None),
            Ok(n) => {
                let mut data = vec![0; n + 2];
                r.read_exact(&mut data)?;
                data.truncate(n);
                Reply::Bulk(Some(data))
            }
        },
        "*" => {
            let n = usize::try_from(number()?).unwrap_or(0);
            Reply::Array((0..n).map(|_| read_reply(r)).collect::<Result<_, _>>()?)
        }
        _ => return Err(bad(line)),
    })
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
