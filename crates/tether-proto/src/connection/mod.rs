//! The connection state machine.

/// A WebSocket connection, without I/O.
#[derive(Debug)]
pub struct Connection {}
