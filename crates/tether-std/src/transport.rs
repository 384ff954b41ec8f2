//! [`Transport`]: what a socket needs from a byte stream beyond `Read + Write`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

/// A byte stream a socket can run over: `Read + Write`, plus the controls a socket uses.
///
/// [`TcpStream`] (and, on Unix, `UnixStream`) implement it. A socket reads on its own thread
/// (so pings are answered whatever the application does) through a second handle from
/// [`try_clone`](Self::try_clone); a transport without one cannot carry a socket.
pub trait Transport: Read + Write + Send + 'static {
    /// A second handle on the same stream, read by the socket's reader thread.
    ///
    /// # Errors
    ///
    /// The handle cannot be made.
    fn try_clone(&self) -> io::Result<Box<dyn Transport>>;

    /// Bounds the next blocking reads (`None`: wait for ever).
    ///
    /// # Errors
    ///
    /// As the stream's.
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;

    /// Bounds blocking writes.
    ///
    /// # Errors
    ///
    /// As the stream's.
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;

    /// Closes both directions (the connection is over).
    ///
    /// # Errors
    ///
    /// As the stream's.
    fn shutdown(&self) -> io::Result<()>;

    /// Turns Nagle's algorithm off (`true`) or on. Default: ignored.
    ///
    /// # Errors
    ///
    /// As the stream's.
    fn set_nodelay(&self, on: bool) -> io::Result<()> {
        let _ = on;
        Ok(())
    }

    /// This end's address, if it has one.
    fn local_addr(&self) -> Option<SocketAddr> {
        None
    }

    /// The peer's address, if it has one.
    fn peer_addr(&self) -> Option<SocketAddr> {
        None
    }
}

impl Transport for TcpStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        Self::set_read_timeout(self, timeout)
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        Self::set_write_timeout(self, timeout)
    }

    fn set_nodelay(&self, on: bool) -> io::Result<()> {
        Self::set_nodelay(self, on)
    }

    fn shutdown(&self) -> io::Result<()> {
        Self::shutdown(self, Shutdown::Both)
    }

    fn try_clone(&self) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(Self::try_clone(self)?))
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        Self::local_addr(self).ok()
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        Self::peer_addr(self).ok()
    }
}

#[cfg(unix)]
impl Transport for std::os::unix::net::UnixStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        Self::set_read_timeout(self, timeout)
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        Self::set_write_timeout(self, timeout)
    }

    fn shutdown(&self) -> io::Result<()> {
        Self::shutdown(self, Shutdown::Both)
    }

    fn try_clone(&self) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(Self::try_clone(self)?))
    }
}
