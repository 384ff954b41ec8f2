//! Loopback helpers: a tether server for one connection on 127.0.0.1 (port 0), an echo loop,
//! and [`Task`], a thread whose end a test waits for within a bound.

use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tether_std::{ClientConfig, CloseFrame, Error, ServerConfig};

use crate::adapter::{Adapter, Socket};

/// How long [`Task::join`] waits before it calls the task stuck.
pub const JOIN_BOUND: Duration = Duration::from_secs(60);

/// A thread running one side of a test.
#[derive(Debug)]
pub struct Task<T> {
    handle: JoinHandle<T>,
}

impl<T: Send + 'static> Task<T> {
    /// Runs `f` on a new thread.
    pub fn spawn(f: impl FnOnce() -> T + Send + 'static) -> Self {
        Self {
            handle: std::thread::spawn(f),
        }
    }
}

impl<T> Task<T> {
    /// Its result, once it ends; `None` if it did not end within `bound` (it is left running).
    /// A panic in the task is raised again here.
    pub fn join_within(self, bound: Duration) -> Option<T> {
        let deadline = Instant::now() + bound;
        while !self.handle.is_finished() {
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        match self.handle.join() {
            Ok(value) => Some(value),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Its result (see [`join_within`](Self::join_within)).
    ///
    /// # Panics
    ///
    /// When it panicked, or did not end within [`JOIN_BOUND`].
    pub fn join(self) -> T {
        self.join_within(JOIN_BOUND)
            .expect("the task did not end within a minute")
    }
}

/// `ws://addr/`.
pub fn url(addr: SocketAddr) -> String {
    format!("ws://{addr}/")
}

/// Serves one connection on a fresh loopback port with adapter `A`: accepts with `config`,
/// then runs `run` with the socket (or the error).
///
/// # Panics
///
/// When the port cannot be bound.
pub fn serve_one<A, T, F>(config: ServerConfig, run: F) -> (SocketAddr, Task<T>)
where
    A: Adapter,
    T: Send + 'static,
    F: FnOnce(Result<A::Socket, Error>) -> T + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    let task = Task::spawn(move || {
        let socket = listener
            .accept()
            .map_err(Error::from)
            .and_then(|(tcp, _)| A::accept(tcp, &config));
        run(socket)
    });
    (addr, task)
}

/// Echoes every message (batched with `feed`) until the connection ends; returns the peer's
/// close frame (whatever its code), or the error when the connection failed.
///
/// Messages that arrived before the peer's close are still received after it was answered;
/// their echo then fails with the end, which counts as the end.
///
/// # Errors
///
/// The connection failed, or ended without a close handshake.
pub fn echo<S: Socket>(ws: &mut S) -> Result<CloseFrame, Error> {
    let end = loop {
        match ws.recv() {
            Ok(Some(message)) => {
                if let Err(e) = ws.feed(message) {
                    break Err(e);
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    match end {
        Ok(()) => Ok(ws.close_frame().expect("a normal end has a close frame")),
        Err(e @ Error::Closed { .. }) => ws.close_frame().ok_or(e),
        Err(e) => Err(e),
    }
}

/// An echo server for one connection ([`echo`]).
pub fn echo_server<A: Adapter>(
    config: ServerConfig,
) -> (SocketAddr, Task<Result<CloseFrame, Error>>) {
    serve_one::<A, _, _>(config, |ws| echo(&mut ws?))
}

/// Connects with the default client config.
///
/// # Panics
///
/// When it fails.
pub fn connect<A: Adapter>(addr: SocketAddr) -> A::Socket {
    connect_with::<A>(addr, &ClientConfig::default())
}

/// Connects to `ws://addr/` with `config`.
///
/// # Panics
///
/// When it fails.
pub fn connect_with<A: Adapter>(addr: SocketAddr, config: &ClientConfig) -> A::Socket {
    A::connect(&url(addr), config)
        .unwrap_or_else(|e| panic!("{} cannot connect to {addr}: {e}", A::NAME))
}
