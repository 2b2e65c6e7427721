//! Kubernetes API errors as one clear line: what was refused and why, from the `Status` body
//! (code, reason, message), or the raw text when a proxy answered with something else.

use kube::Error;

/// What was being attempted, for the message.
pub enum Action<'a> {
    ListPods {
        namespace: &'a str,
    },
    WatchPods {
        namespace: &'a str,
    },
    GetPod {
        namespace: &'a str,
        pod: &'a str,
    },
    Logs {
        namespace: &'a str,
        pod: &'a str,
        container: &'a str,
    },
}

impl Action<'_> {
    /// The RBAC verb and resource the action needs.
    fn needs(&self) -> (&'static str, &'static str) {
        match self {
            Action::ListPods { .. } => ("list", "pods"),
            Action::WatchPods { .. } => ("watch", "pods"),
            Action::GetPod { .. } => ("get", "pods"),
            Action::Logs { .. } => ("get", "pods/log"),
        }
    }

    fn namespace(&self) -> &str {
        match self {
            Action::ListPods { namespace } | Action::WatchPods { namespace } => namespace,
            Action::GetPod { namespace, .. } | Action::Logs { namespace, .. } => namespace,
        }
    }
}

/// One line describing an API error.
pub fn describe(e: &Error, action: &Action, api_url: &str) -> String {
    let Error::Api(status) = e else {
        let why = chain(e);
        let why = why.strip_prefix("ServiceError: ").unwrap_or(&why);
        return format!("cannot reach the Kubernetes API at {api_url}: {why}");
    };
    // kube reconstructs a Status with this reason when the body was not one.
    let raw = status.reason == "Failed to parse error data";
    let message = status.message.trim();
    if raw {
        let text: String = message.chars().take(300).collect();
        return format!(
            "the Kubernetes API answered HTTP {}: {}",
            status.code,
            if text.is_empty() { "(no body)" } else { &text }
        );
    }
    let ns = action.namespace();
    match status.code {
        401 => format!("the Kubernetes API refused the credentials (401 Unauthorized): {message}; check the user in the kubeconfig"),
        403 => {
            let (verb, resource) = rbac_denied(message).unwrap_or_else(|| {
                let (v, r) = action.needs();
                (v.to_string(), r.to_string())
            });
            format!("forbidden by RBAC: cannot {verb} {resource} in namespace {ns:?} ({message})")
        }
        404 => match action {
            Action::GetPod { pod, .. } | Action::Logs { pod, .. } => format!("pod {pod:?} not found in namespace {ns:?} (deleted?)"),
            _ => format!("not found: {message}"),
        },
        400 => match action {
            Action::Logs { container, .. } if message.contains("is waiting to start") => {
                let reason = message.rsplit_once(": ").map_or("", |(_, r)| r);
                format!("container {container:?} is waiting to start ({reason}); it has no log yet")
            }
            Action::Logs { container, .. } if message.starts_with("previous terminated container") => {
                format!("container {container:?} has no previous (terminated) instance, so there is no previous log")
            }
            _ => message.to_string(),
        },
        code => {
            let reason = if status.reason.is_empty() { String::new() } else { format!(" {}", status.reason) };
            format!("the Kubernetes API answered {code}{reason}: {message}")
        }
    }
}

/// `... User "x" cannot list resource "pods" in API group "" ...` → ("list", "pods").
fn rbac_denied(message: &str) -> Option<(String, String)> {
    let after = &message[message.find(" cannot ")? + " cannot ".len()..];
    let (verb, rest) = after.split_once(' ')?;
    let rest = rest.strip_prefix("resource \"")?;
    let (resource, _) = rest.split_once('"')?;
    Some((verb.to_string(), resource.to_string()))
}

/// An error with its causes, `a: b: c`, without repeating a cause the text already holds.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rbac_verb_and_resource() {
        let m = r#"pods "w-1" is forbidden: User "system:serviceaccount:zisk:reader" cannot get resource "pods/log" in API group "" in the namespace "zisk""#;
        assert_eq!(rbac_denied(m), Some(("get".into(), "pods/log".into())));
        assert_eq!(rbac_denied("denied"), None);
    }
}
