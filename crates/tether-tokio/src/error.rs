//! Conversions between [`Error`] and `std::io::Error` for the async transport.

use std::io;

use tether_net::{Error, TimeoutKind};

/// A transport error as an [`Error`]: a rustls failure that tokio-rustls wrapped in an
/// `io::Error` comes back out as [`Error::Tls`] (so
/// [`is_certificate_error`](Error::is_certificate_error) works).
pub(crate) fn from_io(e: io::Error) -> Error {
    if !e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
        return Error::Io(e);
    }
    let kind = e.kind();
    match e
        .into_inner()
        .map(|inner| inner.downcast::<rustls::Error>())
    {
        Some(Ok(tls)) => Error::Tls(*tls),
        Some(Err(other)) => Error::Io(io::Error::new(kind, other)),
        None => Error::Io(kind.into()),
    }
}

/// An [`Error`] as an `io::Error` for `AsyncRead` / `AsyncWrite`. Unlike the blocking
/// conversion (`WouldBlock`, as a socket with a timeout reports), a read or write timeout is
/// `TimedOut` here: `WouldBlock` means "poll again" to async code.
pub(crate) fn to_io(e: Error) -> io::Error {
    match e {
        Error::Timeout(TimeoutKind::Read | TimeoutKind::Write) => {
            io::Error::new(io::ErrorKind::TimedOut, e)
        }
        e => e.into(),
    }
}
