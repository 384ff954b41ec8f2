//! The command line: subcommands and options (`clap` derive), and the small value parsers
//! they use (durations, `user:pass`, `Name: value`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// What `--help` says about exit codes (shared by every subcommand).
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success (connect: the connection closed with 1000)
  1  failure after connecting (I/O error, protocol violation, connection lost; bench: errors seen)
  2  bad arguments or URL, unreadable files
  3  cannot reach the server (name not resolved, connection refused, connect timeout, cannot listen)
  4  TLS failure (certificate refused, not a TLS server)
  5  the server refused the WebSocket upgrade (401, 403, 404, ...) or is not a WebSocket server
  6  the proxy failed (407 proxy authentication required, tunnel refused)
  7  timed out after connecting (handshake, keepalive)
  8  connect: the peer closed with a code other than 1000 (or without a close frame)";

/// `tether`: serve, connect to and measure WebSocket (RFC 6455) endpoints.
#[derive(Debug, Parser)]
#[command(name = "tether", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a WebSocket server (echo or broadcast chat room) with a web page at `/`. Ctrl-C
    /// closes every client with 1001 ("server shutting down"), waits up to 5 s for their
    /// answers, then exits.
    #[command(after_help = EXIT_CODES)]
    Serve(ServeArgs),
    /// Connect to a WebSocket: stdin lines are sent, received messages printed.
    #[command(after_help = EXIT_CODES)]
    Connect(ConnectArgs),
    /// Load-test a WebSocket echo endpoint and print throughput and latency.
    #[command(after_help = EXIT_CODES)]
    Bench(BenchArgs),
}

/// What the server does with a message.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, ValueEnum)]
pub enum Mode {
    /// Send every message back to its sender.
    #[default]
    Echo,
    /// Send every message to every connected client, the sender too (a chat room).
    Broadcast,
}

impl Mode {
    /// The mode's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Echo => "echo",
            Self::Broadcast => "broadcast",
        }
    }
}

/// Which broadcast room a connection joins.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, ValueEnum)]
pub enum Rooms {
    /// Every client is in one room.
    #[default]
    One,
    /// The request path names the room (`ws://host/lobby` and `ws://host/game-7` are two
    /// rooms; the query string is not part of the name).
    Path,
}

/// What `tether serve --mode broadcast` does with a client whose queue is full.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, ValueEnum)]
pub enum Slow {
    /// Drop the client's oldest queued messages (it misses them).
    #[default]
    Drop,
    /// Close the client with 1013 ("try again later") and the reason "too slow".
    Close,
}

/// `tether serve`. It speaks HTTP/1.1 and HTTP/2 on one port: h2 by ALPN with TLS, HTTP/2 with
/// prior knowledge (h2c) without; WebSockets come as HTTP/1.1 upgrades or HTTP/2 extended
/// CONNECTs (RFC 8441).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one; the URL is printed).
    #[arg(long, short, default_value = "127.0.0.1:9001")]
    pub listen: SocketAddr,
    /// echo: back to the sender; broadcast: to every connected client.
    #[arg(long, short, value_enum, default_value_t = Mode::Echo)]
    pub mode: Mode,
    /// A subprotocol to accept when the client offers it (repeatable; first is preferred).
    #[arg(long = "protocol", value_name = "NAME")]
    pub protocols: Vec<String>,
    /// Certificate chain (PEM) to serve wss:// and https:// (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Largest message accepted, in bytes (bigger ones close the connection with 1009).
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub max_message_size: u64,
    /// Require HTTP basic authentication (401 with WWW-Authenticate otherwise).
    #[arg(long, value_name = "USER:PASS", value_parser = parse_credentials)]
    pub basic_auth: Option<Credentials>,
    /// Close connections that send nothing for this long (e.g. 5m, 30s); default: never.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,
    /// Ping a client after this much silence, and drop it if the pong does not come (0: off).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30s")]
    pub ping_interval: Duration,
    /// Runtime threads (1: a current-thread runtime).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: u32,
    /// Broadcast: `one` room for everyone, or rooms by request `path`.
    #[arg(long, value_enum, default_value_t = Rooms::One)]
    pub rooms: Rooms,
    /// Broadcast across every `tether serve` on this Redis (redis://HOST[:PORT][/DB], Redis 6
    /// or newer): a message sent to any of them reaches the room's clients on all of them.
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
    /// With --redis: start even when Redis does not answer (local-only until it does),
    /// instead of failing.
    #[arg(long, requires = "redis")]
    pub redis_optional: bool,
    /// Broadcast: what happens to a client whose queue (see --queue-messages, --queue-bytes)
    /// is full because it reads slower than messages come.
    #[arg(long, value_enum, default_value_t = Slow::Drop)]
    pub slow: Slow,
    /// Broadcast: most messages queued for a client while its connection is backed up
    /// (beyond the 1 MiB of output its connection buffers).
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub queue_messages: u64,
    /// Broadcast: most bytes of messages queued for a client while its connection is backed
    /// up.
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 20)]
    pub queue_bytes: u64,
}

/// Options a client needs to reach a server (shared by `connect` and `bench`).
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// A subprotocol to offer (repeatable; most preferred first).
    #[arg(long = "protocol", value_name = "NAME")]
    pub protocols: Vec<String>,
    /// An extra header for the upgrade request (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// Credentials for HTTP basic authentication (also taken from the URL's user:pass@).
    #[arg(long, short, value_name = "USER:PASS", value_parser = parse_credentials)]
    pub user: Option<Credentials>,
    /// Tunnel through this HTTP proxy with CONNECT: http://[user:pass@]host:port.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// DANGER: accept any server certificate (no TLS verification at all; testing only).
    #[arg(long, short = 'k')]
    pub insecure: bool,
    /// Also trust the certificates in this PEM file (for a private or self-signed server).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Give up connecting after this long.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub connect_timeout: Duration,
}

/// `tether connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The server: ws://host[:port]/path or wss://...
    pub url: String,
    /// The client options.
    #[command(flatten)]
    pub client: ClientArgs,
    /// Send stdin lines as binary messages instead of text.
    #[arg(long, short)]
    pub binary: bool,
    /// Open the WebSocket over HTTP/2 (RFC 8441): h2 by ALPN for wss://, HTTP/2 with prior
    /// knowledge for ws://. Fails if the server does not take WebSockets over HTTP/2.
    #[arg(long)]
    pub http2: bool,
    /// Ping the server after this much silence (0: off).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30s")]
    pub ping_interval: Duration,
    /// After stdin ends, wait up to this long for replies before closing (it closes at once
    /// when as many messages came back as were sent).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "2s")]
    pub linger: Duration,
}

/// `tether bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// An echo endpoint: ws://host[:port]/path or wss://...
    pub url: String,
    /// The client options.
    #[command(flatten)]
    pub client: ClientArgs,
    /// Connections to open.
    #[arg(long, short, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub conns: u32,
    /// Messages in flight per connection.
    #[arg(long, short, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub depth: u32,
    /// Payload size of each message, in bytes.
    #[arg(long, short, default_value_t = 64)]
    pub size: usize,
    /// How long to measure (e.g. 10s, 1m, 500ms).
    #[arg(long = "duration", short = 't', value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub duration: Duration,
    /// Send text messages.
    #[arg(long, conflicts_with = "binary")]
    pub text: bool,
    /// Send binary messages (the default).
    #[arg(long)]
    pub binary: bool,
    /// Runtime threads (1: a current-thread runtime, the cheapest).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: u32,
}

/// A `user:pass` pair.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

/// Reads `user:pass` (the password may contain `:`).
///
/// # Errors
///
/// When there is no `:` or the user is empty.
pub fn parse_credentials(s: &str) -> Result<Credentials, String> {
    match s.split_once(':') {
        Some((user, password)) if !user.is_empty() => Ok(Credentials {
            user: user.to_string(),
            password: password.to_string(),
        }),
        _ => Err("expected USER:PASS, e.g. alice:s3cret".into()),
    }
}

/// Reads `Name: value`.
///
/// # Errors
///
/// When there is no `:` or the name is not a valid header name.
pub fn parse_header(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or("expected 'Name: value', e.g. 'Origin: http://example.com'")?;
    let name = name.trim();
    let valid = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(valid) {
        return Err(format!("`{name}` is not a valid header name"));
    }
    let value = value.trim();
    if value.chars().any(|c| c == '\r' || c == '\n') {
        return Err("a header value cannot contain line breaks".into());
    }
    Ok((name.to_string(), value.to_string()))
}

/// Reads a duration: a number with a unit `ms`, `s`, `m` or `h` (`500ms`, `30s`, `5m`), or a
/// plain number of seconds (`1.5`).
///
/// # Errors
///
/// When it is not such a number.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (e.g. 500ms, 30s, 5m)"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown unit `{other}` (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("`{s}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("3 days").is_err());
    }

    #[test]
    fn credentials_and_headers() {
        let c = parse_credentials("alice:pa:ss").unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("alice", "pa:ss"));
        assert!(parse_credentials("alice").is_err());
        assert!(parse_credentials(":x").is_err());
        assert_eq!(
            parse_header("X-Test:  yes "),
            Ok(("X-Test".into(), "yes".into()))
        );
        assert!(parse_header("Bad Name: x").is_err());
        assert!(parse_header("novalue").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
