//! An ordered list of HTTP header fields.

use alloc::string::String;
use alloc::vec::Vec;

/// Header fields in the order they were received or will be sent. Names compare
/// case-insensitively.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct Headers {
    entries: Vec<(String, Vec<u8>)>,
}
