//! The `tether` command: a WebSocket server with a web page (`serve`), an interactive client
//! (`connect`) and a load generator (`bench`), on `tether-tokio`.
//!
//! The binary (`src/main.rs`) only calls [`run`]; the modules are public so their pieces
//! (the latency [`histogram`], the error explanations in [`errors`]) are documented and
//! tested like a library.

pub mod bench;
pub mod cli;
pub mod client;
pub mod cluster;
pub mod connect;
pub mod errors;
pub mod histogram;
pub mod http;
pub mod page;
pub mod serve;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command};
use crate::errors::CliError;

/// Parses the command line, runs the subcommand and returns the exit code (failures are
/// printed as one `tether: ...` line on stderr).
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    init_logging(matches!(cli.command, Command::Serve(_)));
    let result = match cli.command {
        Command::Serve(args) => {
            let threads = args.threads;
            runtime(threads).and_then(|rt| {
                let result = rt.block_on(serve::run(args));
                finish(rt, result)
            })
        }
        Command::Connect(args) => runtime(1).and_then(|rt| {
            let result = rt.block_on(connect::run(args));
            finish(rt, result)
        }),
        Command::Bench(args) => bench::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("tether: {e}");
            ExitCode::from(e.code)
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `info` for the server, `warn` else).
fn init_logging(server: bool) {
    let default = if server { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Passes `result` on, once `rt` is stopped without waiting for its blocking threads: a read
/// of stdin in progress (`connect` with a terminal or an open pipe) would keep the process
/// alive until the next line otherwise.
fn finish<T>(rt: tokio::runtime::Runtime, result: T) -> T {
    rt.shutdown_background();
    result
}

/// A current-thread runtime for 1, else a multi-thread one with that many workers.
pub(crate) fn runtime(threads: u32) -> Result<tokio::runtime::Runtime, CliError> {
    if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads as usize)
            .enable_all()
            .build()
    }
    .map_err(|e| CliError::new(errors::FAILED, format!("cannot start the runtime: {e}")))
}
