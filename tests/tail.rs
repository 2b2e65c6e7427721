//! `zisk-logs tail` over fixture files and stdin.
