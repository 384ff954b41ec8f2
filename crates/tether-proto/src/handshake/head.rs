//! Finding the end of an HTTP head in a growing buffer, in linear time.
