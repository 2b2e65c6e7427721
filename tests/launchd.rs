//! `launchd:` sources: newsyslog-rotated files (stub; filled below).
