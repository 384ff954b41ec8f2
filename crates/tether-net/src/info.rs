//! [`ConnectionInfo`]: what a socket can tell about itself (WinRT `Information`).

use std::net::SocketAddr;

use tether_proto::connection::Stats;
use tether_proto::handshake::ExtensionOffer;

/// Addresses, negotiated protocol and extensions, and traffic counters of a connection.
#[non_exhaustive]
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct ConnectionInfo {
    /// This end's address, when the transport has one.
    pub local_addr: Option<SocketAddr>,
    /// The peer's address (the proxy's, when tunnelling), when the transport has one.
    pub peer_addr: Option<SocketAddr>,
    /// The subprotocol both ends agreed on.
    pub protocol: Option<String>,
    /// The extensions in use.
    pub extensions: Vec<ExtensionOffer>,
    /// Whether the connection runs over TLS.
    pub tls: bool,
    /// Bytes and messages sent and received (WinRT `BandwidthStatistics`), handshake included.
    pub stats: Stats,
}

impl ConnectionInfo {
    /// The permessage-deflate (RFC 7692) agreement among [`extensions`](Self::extensions), with
    /// its parameters as the server answered, if compression is in use.
    pub fn deflate(&self) -> Option<&ExtensionOffer> {
        self.extensions
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case("permessage-deflate"))
    }
}
