//! `tether connect`: stdin lines out as messages, messages in to stdout, like websocat.
//!
//! One task, one loop: `select!` over a stdin line, the next message and (once stdin ended)
//! the linger deadline. Every branch is cancel safe (`read_until` keeps a partial line in its
//! buffer, `recv` loses nothing), so nothing is lost when another branch wins.

use std::io::IsTerminal;

use tether_tokio::{CloseCode, Error, HttpMode, HttpVersion, Message, MessageKind};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::time::{Instant, sleep_until};

use crate::cli::ConnectArgs;
use crate::client;
use crate::errors::{self, CliError, quoted_reason};

/// What woke the loop.
enum Event {
    Stdin(std::io::Result<usize>),
    Received(Result<Option<Message>, Error>),
    LingerOver,
    Interrupted,
}

/// Runs `tether connect`; returns the exit code.
///
/// # Errors
///
/// Connecting failed, or the connection failed (explained, with the exit code).
pub async fn run(args: ConnectArgs) -> Result<u8, CliError> {
    let mut config = client::config(&args.client, &args.url, args.ping_interval)?;
    if args.http2 {
        config = config.http(HttpMode::Http2);
    }
    let mut ws = client::open(&args.url, &config, &args.client).await?;
    let info = ws.info();
    let protocol = info
        .negotiated
        .protocol
        .map(|p| format!(" (subprotocol {p})"))
        .unwrap_or_default();
    let over = match info.http_version {
        HttpVersion::Http2 => " over HTTP/2",
        _ => "",
    };
    eprintln!(
        "tether: connected to {}{over}{protocol}",
        client::redact(&args.url)
    );
    if std::io::stdin().is_terminal() {
        eprintln!("tether: type lines to send them; Ctrl-D closes, Ctrl-C interrupts");
    }

    let kind = if args.binary {
        MessageKind::Binary
    } else {
        MessageKind::Text
    };
    let mut stdin = BufReader::new(tokio::io::stdin());
    let mut stdout = tokio::io::stdout();
    let mut line = Vec::new();
    let (mut sent, mut received) = (0u64, 0u64);
    let mut linger_until: Option<Instant> = None;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);

    loop {
        if linger_until.is_some() && received >= sent {
            break;
        }
        let event = tokio::select! {
            r = stdin.read_until(b'\n', &mut line), if linger_until.is_none() => Event::Stdin(r),
            r = ws.recv() => Event::Received(r),
            () = sleep_until(linger_until.unwrap_or_else(Instant::now)), if linger_until.is_some() => {
                Event::LingerOver
            }
            _ = &mut ctrl_c => Event::Interrupted,
        };
        match event {
            Event::Stdin(Ok(n)) => {
                // A read cancelled by another branch keeps its bytes in `line`, and the call
                // that finishes it counts only what it read itself (0 at the end of input).
                if !line.is_empty() {
                    let payload = strip_newline(&line).to_vec();
                    let message = match kind {
                        MessageKind::Binary => Message::binary(payload),
                        MessageKind::Text => match String::from_utf8(payload) {
                            Ok(text) => Message::text(text),
                            Err(_) => {
                                return Err(CliError::usage(
                                    "a line on stdin is not UTF-8 text; use --binary to send bytes",
                                ));
                            }
                        },
                    };
                    ws.send(message)
                        .await
                        .map_err(|e| errors::after_connect(&e))?;
                    sent += 1;
                    line.clear();
                }
                if n == 0 {
                    linger_until = Some(Instant::now() + args.linger);
                }
            }
            Event::Stdin(Err(e)) => {
                return Err(CliError::new(
                    errors::FAILED,
                    format!("cannot read stdin: {e}"),
                ));
            }
            Event::Received(Ok(Some(message))) => {
                received += 1;
                let written = async {
                    stdout.write_all(message.as_bytes()).await?;
                    stdout.write_all(b"\n").await?;
                    stdout.flush().await
                };
                if let Err(e) = written.await {
                    // A closed pipe (`| head -1`) ends the session normally.
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        break;
                    }
                    return Err(CliError::new(
                        errors::FAILED,
                        format!("cannot write stdout: {e}"),
                    ));
                }
            }
            // A normal close (1000, 1001 or no code) ...
            Event::Received(Ok(None)) => {
                let (code, reason) = ws
                    .close_frame()
                    .map_or((CloseCode::NO_STATUS, String::new()), |f| {
                        (f.code, f.reason)
                    });
                return Ok(server_closed(code, &reason));
            }
            // ... or any other code the server sent (1009, 4000, ...; 1006 is no close frame).
            Event::Received(Err(Error::Closed { code, reason })) if code != CloseCode::ABNORMAL => {
                return Ok(server_closed(code, &reason));
            }
            Event::Received(Err(e)) => return Err(errors::after_connect(&e)),
            Event::LingerOver => break,
            Event::Interrupted => {
                return close(&mut ws, CloseCode::GOING_AWAY, "interrupted").await;
            }
        }
    }
    close(&mut ws, CloseCode::NORMAL, "").await
}

/// Closes with `code` and reports the server's answer.
async fn close(
    ws: &mut tether_tokio::MessageSocket,
    code: CloseCode,
    reason: &str,
) -> Result<u8, CliError> {
    let answer = ws
        .close(code, reason)
        .await
        .map_err(|e| errors::after_connect(&e))?;
    eprintln!(
        "tether: closed with {}{}; the server answered {}{}",
        code.as_u16(),
        quoted_reason(reason),
        answer.code.as_u16(),
        quoted_reason(&answer.reason)
    );
    Ok(errors::for_close(code))
}

/// Reports the server's close; the exit code: 0 for 1000, else 8.
fn server_closed(code: CloseCode, reason: &str) -> u8 {
    eprintln!(
        "tether: the server closed the connection: {}{}",
        code.as_u16(),
        quoted_reason(reason)
    );
    errors::for_close(code)
}

/// A line without its `\n` or `\r\n`.
fn strip_newline(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}
