//! `tether`: serve, connect to and measure WebSocket endpoints. See `tether --help`.

fn main() -> std::process::ExitCode {
    tether_cli::run()
}
