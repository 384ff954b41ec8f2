//! Helpers: a one-connection server thread and an echo loop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;

use tether_std::{Accept, Error, MessageSocket, Reject, Request, SocketConfig, accept_with};

/// Serves one connection on a fresh loopback port: accepts with `decide`, then runs `run`.
pub(crate) fn serve_one<T, D, F>(
    config: SocketConfig,
    decide: D,
    run: F,
) -> (SocketAddr, JoinHandle<T>)
where
    T: Send + 'static,
    D: FnOnce(&Request) -> Result<Accept, Reject> + Send + 'static,
    F: FnOnce(Result<MessageSocket<TcpStream>, Error>) -> T + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        run(accept_with(stream, &config, decide))
    });
    (addr, handle)
}

/// Echoes every message until the peer closes; returns the peer's close frame.
pub(crate) fn echo(
    ws: &mut MessageSocket<TcpStream>,
) -> Result<Option<tether_std::CloseFrame>, Error> {
    let mut buf = Vec::new();
    while let Some(kind) = ws.recv_into(&mut buf)? {
        match kind {
            tether_std::MessageKind::Text => ws.send_text(std::str::from_utf8(&buf).unwrap())?,
            tether_std::MessageKind::Binary => ws.send_binary(&buf)?,
        }
    }
    Ok(ws.close_frame())
}

/// An echo server for one connection.
pub(crate) fn echo_server(config: SocketConfig) -> (SocketAddr, JoinHandle<Result<(), Error>>) {
    serve_one(
        config,
        |_| Ok(Accept::default()),
        |ws| {
            echo(&mut ws?)?;
            Ok(())
        },
    )
}
