//! Input buffers shared by the connections of a thread.
//!
//! An idle connection gives its input buffer back
//! ([`Connection::release_buffers`](tether_proto::Connection::release_buffers)) and the next read
//! of any connection on the same thread takes it
//! ([`Connection::reuse_input_buffer`](tether_proto::Connection::reuse_input_buffer)): thousands
//! of idle connections hold no read buffer, and a busy one, whose reads come one burst at a
//! time, neither allocates nor zeroes one per burst. A buffer is only memory: which thread
//! keeps it does not matter.

use std::cell::RefCell;

/// Most buffers a thread keeps.
const MAX_KEPT: usize = 8;

/// Larger buffers are freed instead of kept (a connection reading that much at once allocates
/// rarely next to what it reads).
const MAX_LEN: usize = 64 << 10;

thread_local! {
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer kept by this thread, if there is one.
pub(crate) fn take() -> Option<Vec<u8>> {
    SPARE.with(|spare| spare.borrow_mut().pop())
}

/// Keeps `buf` for the next read on this thread (or frees it, when enough are kept or it is
/// large).
pub(crate) fn put(buf: Vec<u8>) {
    if buf.len() > MAX_LEN || buf.is_empty() {
        return;
    }
    // During thread teardown the list may be gone already: the buffer is then freed.
    let _ = SPARE.try_with(|spare| {
        let mut spare = spare.borrow_mut();
        if spare.len() < MAX_KEPT {
            spare.push(buf);
        }
    });
}
