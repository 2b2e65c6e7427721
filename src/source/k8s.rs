//! The `k8s:` source (not built yet).

use super::{Source, SourceOptions};

pub fn open(spec: &str, _rest: &str, _options: &SourceOptions) -> Result<Box<dyn Source>, String> {
    Err(format!(
        "source {spec:?}: the k8s backend is not available in this build yet"
    ))
}
