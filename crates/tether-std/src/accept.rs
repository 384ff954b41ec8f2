//! The server side: take a connected transport, TLS if configured, read the upgrade request,
//! decide, answer.

use std::time::Instant as StdInstant;

use tether_proto::Instant;
use tether_socket::{Error, ServerConfig, Session};

use crate::connect::{handshake, server_tls};
use crate::driver::Driver;
use crate::handle::Handle;
use crate::{MessageSocket, Transport};

/// Accepts a WebSocket upgrade on `stream` (a `TcpStream`, a `UnixStream`, ...): TLS first when
/// [`ServerConfig::tls`] is set, then the request is read and decided — by
/// [`ServerConfig::on_request`], or accepted with the first subprotocol both sides speak — all
/// within the handshake timeout.
///
/// ```no_run
/// use std::net::TcpListener;
/// use tether_std::{Reject, ServerConfig};
///
/// let config = ServerConfig::default().on_request(|req| {
///     if req.path() == "/chat" { Ok(Default::default()) } else { Err(Reject::new(404)) }
/// });
/// let listener = TcpListener::bind("127.0.0.1:9001")?;
/// for tcp in listener.incoming() {
///     let config = config.clone();
///     std::thread::spawn(move || -> Result<(), tether_std::Error> {
///         let mut ws = tether_std::accept(tcp?, &config)?;
///         while let Some(message) = ws.recv()? {
///             ws.send(message)?; // echo
///         }
///         Ok(())
///     });
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Refused`] when the decision refused (the answer was sent), [`Error::Handshake`]
/// for a request that is no valid upgrade (answered with 400/426/431), [`Error::Tls`],
/// [`Error::Timeout`], [`Error::Io`].
pub fn accept(stream: impl Transport, config: &ServerConfig) -> Result<MessageSocket, Error> {
    let _ = stream.set_nodelay(config.no_delay);
    let (local, peer) = (stream.local_addr(), stream.peer_addr());
    let tls = config.tls.as_ref().map(server_tls).transpose()?;
    let origin = StdInstant::now();
    let mut session = Session::server(Instant::ZERO, config, peer);
    session.set_addrs(local, peer, tls.is_some());
    let mut driver = Driver::new(session, Box::new(stream), tls, origin, config.write_timeout)?;
    driver.read_timeout = config.read_timeout;
    let deadline = config
        .config
        .handshake_timeout
        .and_then(|t| origin.checked_add(t));
    handshake(&mut driver, deadline)?;
    Ok(MessageSocket::new(Handle::spawn(driver)?))
}
