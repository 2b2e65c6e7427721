//! With `-f`: watches the pods the selector matches (as stern does) and starts a reader for
//! every container that gets a new container ID: pods that appear, containers that restart.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::{self, watcher, Event};
use kube::runtime::WatchStreamExt;

use super::errors::{describe, Action};
use super::{start_reader, targets_of, Shared};
use crate::report;

pub(super) fn start(shared: Arc<Shared>) {
    let handle = shared.handle.clone();
    handle.spawn(run(shared));
}

async fn run(shared: Arc<Shared>) {
    let config = watcher::Config::default().labels(&shared.spec.selector);
    let mut events = std::pin::pin!(watcher(shared.api.clone(), config).default_backoff());
    let mut last_error: Option<String> = None;
    while let Some(event) = events.next().await {
        match event {
            Ok(Event::Apply(pod) | Event::InitApply(pod)) => {
                last_error = None;
                on_pod(&shared, &pod);
            }
            Ok(Event::Delete(pod)) => forget(&shared, &pod),
            Ok(Event::Init | Event::InitDone) => {}
            Err(e) => {
                let message = watch_error(&shared, &e);
                if last_error.as_deref() != Some(message.as_str()) {
                    report::problem(&shared.name, &format!("{message}; new and restarted pods are not picked up until this clears (retrying)"));
                    last_error = Some(message);
                }
            }
        }
    }
}

fn watch_error(shared: &Shared, e: &watcher::Error) -> String {
    let ns = &shared.spec.namespace;
    match e {
        watcher::Error::InitialListFailed(e) => {
            describe(e, &Action::ListPods { namespace: ns }, &shared.api_url)
        }
        watcher::Error::WatchStartFailed(e) | watcher::Error::WatchFailed(e) => {
            describe(e, &Action::WatchPods { namespace: ns }, &shared.api_url)
        }
        watcher::Error::WatchError(status) => describe(
            &kube::Error::Api(status.clone()),
            &Action::WatchPods { namespace: ns },
            &shared.api_url,
        ),
        watcher::Error::NoResourceVersion => "the pod watch gave no resourceVersion".to_string(),
    }
}

/// Starts readers for the containers of a pod that have a container ID not seen before.
fn on_pod(shared: &Arc<Shared>, pod: &Pod) {
    for target in targets_of(shared, pod, false) {
        let key = (target.pod.clone(), target.container.clone());
        let mut known = shared.known.lock().unwrap_or_else(|e| e.into_inner());
        let before = known.get(&key).cloned();
        if target.container_id.is_empty() {
            if before.is_none() {
                known.insert(key, String::new());
                drop(known);
                report::notice(&format!(
                    "{}: {} has not started yet; following it once it starts",
                    shared.name, target.label
                ));
            }
            continue;
        }
        if before.as_deref() == Some(target.container_id.as_str()) {
            continue;
        }
        known.insert(key, target.container_id.clone());
        drop(known);
        start_reader(shared, target, true, false);
    }
}

/// A deleted pod's containers are forgotten, so that a new pod of the same name is followed.
fn forget(shared: &Shared, pod: &Pod) {
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    shared
        .known
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|(p, _), _| p != name);
}
