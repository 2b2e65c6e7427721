//! `zisk-logs workers` (not built yet).

use crate::config::Config;

pub fn run(_config: &Config) -> Result<i32, String> {
    Err("`workers` is not available in this build yet".into())
}
