//! The little HTTP the server speaks itself: reading a request head (to tell a page request
//! from a WebSocket upgrade), basic authentication, plain responses, and a transport that
//! replays the bytes already read so `tether-tokio` sees the whole upgrade request.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

/// Largest request head read (as the core's default limit).
pub const MAX_HEAD: usize = 16 * 1024;

/// What the server needs to know of a request.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct Head {
    /// `GET`, ...
    pub method: String,
    /// The request target (`/`, `/?say=hi`, ...).
    pub target: String,
    /// Whether it asks for a WebSocket upgrade (`Upgrade: websocket`).
    pub upgrade: bool,
    /// The `Authorization` header.
    pub authorization: Option<String>,
}

/// Why a request head could not be read.
#[derive(Debug)]
pub enum HeadError {
    /// The connection ended first (nothing to answer).
    Closed,
    /// The head is larger than [`MAX_HEAD`] (answer 431).
    TooLarge,
    /// Not HTTP/1.x (answer 400).
    Malformed,
    /// The transport failed.
    Io(io::Error),
}

/// Reads until the end of the request head into `buf` (which may then hold more: the
/// client's first frames) and parses it.
///
/// # Errors
///
/// See [`HeadError`].
pub async fn read_head<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut Vec<u8>,
) -> Result<Head, HeadError> {
    let mut chunk = [0u8; 2048];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(buf) {
            Ok(httparse::Status::Complete(_)) => return Ok(head(&request)),
            Ok(httparse::Status::Partial) => {}
            Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
            Err(_) => return Err(HeadError::Malformed),
        }
        if buf.len() >= MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
        let want = chunk.len().min(MAX_HEAD - buf.len());
        let n = io.read(&mut chunk[..want]).await.map_err(HeadError::Io)?;
        if n == 0 {
            return Err(HeadError::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn head(request: &httparse::Request<'_, '_>) -> Head {
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    Head {
        method: request.method.unwrap_or("").to_string(),
        target: request.path.unwrap_or("/").to_string(),
        upgrade: header("upgrade").is_some_and(|u| {
            u.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("websocket"))
        }),
        authorization: header("authorization"),
    }
}

/// The `Authorization` value that `user:password` sends.
pub fn basic_value(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// Whether `authorization` carries exactly these basic credentials.
pub fn authorized(authorization: Option<&str>, expected: &str) -> bool {
    let Some(given) = authorization else {
        return false;
    };
    let Some((scheme, token)) = given.trim().split_once(' ') else {
        return false;
    };
    let Some((_, expected_token)) = expected.split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("basic")
        && constant_time_eq(token.trim().as_bytes(), expected_token.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Writes a complete response (`Connection: close`) and shuts the write side down.
///
/// # Errors
///
/// When the transport fails.
pub async fn respond<S: AsyncWrite + Unpin>(
    io: &mut S,
    status: &str,
    extra_headers: &[(&str, &str)],
    content_type: &str,
    body: &[u8],
) -> io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in extra_headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    io.write_all(&bytes).await?;
    io.flush().await?;
    io.shutdown().await
}

/// A transport that first hands out bytes already read from `inner`.
#[derive(Debug)]
pub struct Replay<S> {
    read: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S> Replay<S> {
    /// `inner`, with `read` to be read again first.
    pub fn new(read: Vec<u8>, inner: S) -> Self {
        Self {
            read,
            pos: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let left = this.read.get(this.pos..).unwrap_or_default();
        if left.is_empty() {
            if !this.read.is_empty() {
                this.read = Vec::new();
                this.pos = 0;
            }
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let n = left.len().min(buf.remaining());
        buf.put_slice(&left[..n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replay<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn heads_are_read_and_replayed() {
        let request = b"GET /?say=hi HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\n\
                        Authorization: Basic YTpi\r\n\r\nFRAMES";
        let mut input = &request[..];
        let mut buf = Vec::new();
        let head = read_head(&mut input, &mut buf).await.unwrap();
        assert_eq!(head.target, "/?say=hi");
        assert!(head.upgrade);
        assert!(authorized(
            head.authorization.as_deref(),
            &basic_value("a", "b")
        ));
        assert!(!authorized(
            head.authorization.as_deref(),
            &basic_value("a", "c")
        ));
        let mut replay = Replay::new(buf, tokio::io::empty());
        let mut all = Vec::new();
        replay.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, request);
    }

    #[tokio::test]
    async fn bad_heads_are_refused() {
        let mut input = &b"\x16\x03\x01 not http\r\n\r\n"[..];
        let r = read_head(&mut input, &mut Vec::new()).await;
        assert!(matches!(r, Err(HeadError::Malformed)), "{r:?}");
        let mut input = &b"GET / HTTP/1.1\r\nHost: x\r\n"[..];
        let r = read_head(&mut input, &mut Vec::new()).await;
        assert!(matches!(r, Err(HeadError::Closed)), "{r:?}");
        let long = [b'a'; MAX_HEAD + 10];
        let mut input = &b"GET /"[..];
        let mut with_long = input.to_vec();
        with_long.extend_from_slice(&long);
        input = &with_long;
        let r = read_head(&mut input, &mut Vec::new()).await;
        assert!(matches!(r, Err(HeadError::TooLarge)), "{r:?}");
    }
}
