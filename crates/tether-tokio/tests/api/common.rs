//! Helpers: a one-connection server task and an echo loop.

use std::future::Future;
use std::net::SocketAddr;

use tether_tokio::{
    Accept, CloseFrame, Error, MessageSocket, Reject, Request, SocketConfig, accept_with,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Serves one connection on a fresh loopback port: accepts with `decide`, then runs `run`.
pub(crate) async fn serve_one<T, D, F, Fut>(
    config: SocketConfig,
    decide: D,
    run: F,
) -> (SocketAddr, JoinHandle<T>)
where
    T: Send + 'static,
    D: FnOnce(&Request) -> Result<Accept, Reject> + Send + 'static,
    F: FnOnce(Result<MessageSocket<TcpStream>, Error>) -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        stream.set_nodelay(true).unwrap();
        run(accept_with(stream, &config, decide).await).await
    });
    (addr, handle)
}

/// Echoes every message until the peer closes (replies batched with `feed_as`); returns the
/// peer's close frame.
pub(crate) async fn echo(ws: &mut MessageSocket<TcpStream>) -> Result<Option<CloseFrame>, Error> {
    let mut buf = Vec::new();
    while let Some(kind) = ws.recv_into(&mut buf).await? {
        ws.feed_as(kind, &buf).await?;
    }
    Ok(ws.close_frame())
}

/// An echo server for one connection.
pub(crate) async fn echo_server(
    config: SocketConfig,
) -> (SocketAddr, JoinHandle<Result<(), Error>>) {
    serve_one(
        config,
        |_| Ok(Accept::default()),
        |ws| async move {
            echo(&mut ws?).await?;
            Ok(())
        },
    )
    .await
}
