//! Test kit shared by tether's cross-crate tests.
