//! The `compose:` and `docker:` sources (not built yet).

use super::{Source, SourceOptions};

pub fn open_compose(
    spec: &str,
    _rest: &str,
    _options: &SourceOptions,
) -> Result<Box<dyn Source>, String> {
    Err(format!(
        "source {spec:?}: the compose backend is not available in this build yet"
    ))
}

pub fn open_container(
    spec: &str,
    _rest: &str,
    _options: &SourceOptions,
) -> Result<Box<dyn Source>, String> {
    Err(format!(
        "source {spec:?}: the docker backend is not available in this build yet"
    ))
}
