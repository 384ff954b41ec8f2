//! `Sec-WebSocket-Extensions` values (RFC 6455 §9.1).

use alloc::string::String;
use alloc::vec::Vec;

/// One extension with its parameters, as offered by a client or accepted by a server.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct ExtensionOffer {
    /// The extension's token, e.g. `permessage-deflate`.
    pub name: String,
    /// Its parameters in order: name, and value if one was given (quotes removed).
    pub params: Vec<(String, Option<String>)>,
}
