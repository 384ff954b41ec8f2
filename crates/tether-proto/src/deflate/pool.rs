//! A small process-wide pool of idle compressor and decompressor states.
//!
//! A side without context takeover gives its state back at the end of every message (so an
//! idle connection holds none) and takes one again for its next compressed message. Setting
//! up a zlib-rs compressor allocates and clears about 150–400 KiB; taking a pooled one only
//! clears its hash table (about half the time, and no allocation). The pool is bounded
//! ([`MAX_DEFLATES`], [`MAX_INFLATES`]): a state given back to a full pool is freed (for
//! compressors, the oldest in the pool is, so settings in use are the ones kept), so what the
//! pool keeps is at most a few MiB however many connections come and go, and
//! [`clear_pool`](super::clear_pool) frees it all.
//!
//! States given back may hold what the last message left (its window): they are reset when
//! taken, so nothing of one connection's data reaches another's output. A compressor given
//! back [`Clean`](Given::Clean) is handed out as it is: its last message ended with a full
//! flush, which cleared its hash table (so nothing before can be referred to) and ended the
//! block. A reset would clear the 128 KiB table again and zero the symbol buffer besides,
//! about a tenth of the time of compressing a 1.4 KB message for nothing; the bytes it
//! compresses to are the same either way (a test compares them with a new compressor's).

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::vec::Vec;

use zlib_rs::{Deflate, Inflate};

/// At most this many idle compressors are kept (8 × 165 KiB with the server defaults).
pub(crate) const MAX_DEFLATES: usize = 8;
/// At most this many idle decompressors are kept (16 × 47 KiB).
pub(crate) const MAX_INFLATES: usize = 16;

/// What makes compressors interchangeable: level, window bits, memory level.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) struct Key {
    pub(crate) level: u8,
    pub(crate) window_bits: u8,
    pub(crate) mem_level: u8,
}

/// How a compressor is given back.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Given {
    /// It may refer to what it compressed before: reset before it is handed out again.
    Used,
    /// Its last message ended with a full flush: it compresses the next as a reset one would.
    Clean,
}

static DEFLATES: Mutex<Vec<(Key, Deflate, Given)>> = Mutex::new(Vec::new());
static INFLATES: Mutex<Vec<Inflate>> = Mutex::new(Vec::new());

/// A poisoned lock only means another thread panicked while holding it; the list is still
/// a valid list.
fn lock<T>(m: &'static Mutex<T>) -> MutexGuard<'static, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A pooled compressor made with `key` (the one given back last, its memory likely still in
/// cache), reset unless it was given back [`Given::Clean`]; `None` when there is none.
pub(crate) fn take_deflate(key: Key) -> Option<Deflate> {
    let (_, mut found, given) = {
        let mut pool = lock(&DEFLATES);
        let at = pool.iter().rposition(|(k, _, _)| *k == key)?;
        pool.remove(at)
    };
    if given == Given::Used {
        found.reset();
    }
    Some(found)
}

/// Gives a compressor back. When the pool is full the one given back longest ago is freed:
/// states of settings no longer in use (dropped connections of another configuration) make
/// room for those in use.
pub(crate) fn put_deflate(key: Key, state: Deflate, given: Given) {
    let evicted = {
        let mut pool = lock(&DEFLATES);
        let evicted = (pool.len() >= MAX_DEFLATES).then(|| pool.remove(0));
        pool.push((key, state, given));
        evicted
    };
    drop(evicted);
}

/// A pooled raw-deflate decompressor (15-bit window), reset; `None` when there is none.
pub(crate) fn take_inflate() -> Option<Inflate> {
    let mut found = lock(&INFLATES).pop()?;
    found.reset(false);
    Some(found)
}

/// Gives a decompressor back; freed when the pool is full.
pub(crate) fn put_inflate(state: Inflate) {
    let mut pool = lock(&INFLATES);
    if pool.len() < MAX_INFLATES {
        pool.push(state);
    }
}

/// Frees every pooled state. Returns how many compressors and decompressors were freed.
pub(crate) fn clear() -> (usize, usize) {
    let deflates = core::mem::take(&mut *lock(&DEFLATES));
    let inflates = core::mem::take(&mut *lock(&INFLATES));
    (deflates.len(), inflates.len())
}

/// How many compressors and decompressors the pool holds now.
#[cfg(test)]
pub(crate) fn len() -> (usize, usize) {
    (lock(&DEFLATES).len(), lock(&INFLATES).len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Level 3: no other test compresses at it.
    fn key(window_bits: u8) -> Key {
        Key {
            level: 3,
            window_bits,
            mem_level: 5,
        }
    }

    fn state(k: Key) -> Deflate {
        let mut config = zlib_rs::DeflateConfig::new(i32::from(k.level));
        config.window_bits = -i32::from(k.window_bits);
        config.mem_level = i32::from(k.mem_level);
        Deflate::new_with_config(config)
    }

    #[test]
    fn a_full_pool_makes_room_for_the_settings_in_use() {
        // Other tests share the pool: fill it with states of a key no other test uses, then
        // give back one of another such key: it must be found, the pool still bounded.
        let (stale, fresh) = (key(13), key(14));
        for _ in 0..MAX_DEFLATES {
            put_deflate(stale, state(stale), Given::Used);
        }
        put_deflate(fresh, state(fresh), Given::Used);
        assert!(len().0 <= MAX_DEFLATES);
        assert!(take_deflate(fresh).is_some());
        let _ = clear();
    }
}
