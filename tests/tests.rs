//! Integration tests: run the real binary.
