//! The frame layer (RFC 6455 §5): opcodes, headers and masking, as pure functions.
//!
//! The [`Connection`](crate::Connection) uses these; they are public for tools, fuzzers and
//! benchmarks that work on frames directly.

mod header;
mod mask;
mod opcode;

pub use header::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, Rsv};
pub use mask::apply_mask;
pub use opcode::OpCode;
