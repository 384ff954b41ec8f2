//! [`Transport`]: what the driver needs from a byte stream beyond `Read + Write`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

/// A byte stream a socket can run over: `Read + Write`, plus optional controls.
///
/// Every method has a default, so any stream can be used with a one-line impl
/// (`impl Transport for MyStream {}`); it then has no timeouts, no split and no addresses.
/// [`TcpStream`] (and, on Unix, `UnixStream`) implement everything.
///
/// ```
/// use std::io::{self, Read, Write};
/// use tether_std::Transport;
///
/// struct Pipe(std::collections::VecDeque<u8>);
/// impl Read for Pipe {
///     fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> { self.0.read(buf) }
/// }
/// impl Write for Pipe {
///     fn write(&mut self, buf: &[u8]) -> io::Result<usize> { self.0.write(buf) }
///     fn flush(&mut self) -> io::Result<()> { Ok(()) }
/// }
/// impl Transport for Pipe {}
/// ```
pub trait Transport: Read + Write + Send {
    /// Bounds the next blocking reads (`None`: wait for ever). Used to wake for timers and to
    /// apply the read timeout. Default: ignored.
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        let _ = timeout;
        Ok(())
    }

    /// Bounds blocking writes. Default: ignored.
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        let _ = timeout;
        Ok(())
    }

    /// Switches non-blocking mode, so a socket that is only written to can still look for
    /// incoming pings now and then. Default: unsupported (pings are then answered at the next
    /// receive).
    fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        let _ = on;
        Err(io::ErrorKind::Unsupported.into())
    }

    /// Turns Nagle's algorithm off (`true`) or on. Default: ignored.
    fn set_nodelay(&self, on: bool) -> io::Result<()> {
        let _ = on;
        Ok(())
    }

    /// Closes both directions (the connection is over). Default: nothing; dropping closes.
    fn shutdown(&self) -> io::Result<()> {
        Ok(())
    }

    /// A second handle on the same stream, for the reading half of a split socket.
    /// Default: unsupported, so such sockets cannot be split.
    fn try_clone(&self) -> io::Result<Self>
    where
        Self: Sized,
    {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this transport cannot be split: it has no try_clone",
        ))
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

    fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        Self::set_nonblocking(self, on)
    }

    fn set_nodelay(&self, on: bool) -> io::Result<()> {
        Self::set_nodelay(self, on)
    }

    fn shutdown(&self) -> io::Result<()> {
        Self::shutdown(self, Shutdown::Both)
    }

    fn try_clone(&self) -> io::Result<Self> {
        Self::try_clone(self)
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

    fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        Self::set_nonblocking(self, on)
    }

    fn shutdown(&self) -> io::Result<()> {
        Self::shutdown(self, Shutdown::Both)
    }

    fn try_clone(&self) -> io::Result<Self> {
        Self::try_clone(self)
    }
}
