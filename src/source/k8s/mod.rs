//! The `k8s:NAMESPACE/SELECTOR[?context=NAME&container=NAME&previous=true]` source: the pod
//! logs of every pod the label selector matches, one stream per pod/container, read through
//! the Kubernetes API (kube-rs) with the kubelet's timestamps.
//!
//! - History: one request per container (`timestamps=true`, `sinceTime` rounded down to the
//!   second, `tailLines` when the command allows it). Without `-n`, the whole current log is
//!   read (unlike `kubectl logs -l`, which silently keeps the last 10 lines).
//! - `-f`: after the history, a `follow=true` request picks up from the last second seen
//!   (skipping the lines of that second already read, as stern does); pods that appear and
//!   containers that restart (a new container ID) are found by a watch and become new streams.
//! - At most `--max-log-requests` log requests are open at once. Without `-f`, past that, each
//!   history is read whole into a spool (`spool`: a temp file past 32 KiB) before it is fed.
//! - Each stream is read by a task on the shared runtime (`source::runtime`), not a thread: it
//!   awaits room in its stream after each piece, so a slow merge holds back the log body.

mod errors;
mod spool;
mod stream;
#[cfg(any(test, feature = "fuzz-targets"))]
pub(crate) use stream::{split_kubelet_ts, Position};
mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::{ContainerStatus, Namespace, Pod};
use kube::api::{Api, ListParams};
use kube::config::KubeConfigOptions;
use kube::{Client, Config};
use tokio::sync::Semaphore;

use super::{LineFeeder, ReadRequest, Source, SourceOptions, StreamSet};
use crate::event::Role;
use crate::report;

pub use errors::describe;

/// What a `k8s:` SOURCE names.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub namespace: String,
    pub selector: String,
    pub context: Option<String>,
    pub container: Option<String>,
    pub previous: bool,
}

/// Parses `NAMESPACE/SELECTOR[?opts]`. The selector may itself contain `/`
/// (`app.kubernetes.io/name=zisk-worker`): the namespace ends at the first `/`.
pub fn parse_spec(rest: &str) -> Result<Spec, String> {
    let example = "expected k8s:NAMESPACE/SELECTOR[?context=NAME&container=NAME&previous=true], e.g. k8s:zisk/app.kubernetes.io/name=zisk-worker";
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (namespace, selector) = path.split_once('/').ok_or_else(|| example.to_string())?;
    if namespace.is_empty() || selector.is_empty() {
        return Err(example.to_string());
    }
    let mut spec = Spec {
        namespace: namespace.to_string(),
        selector: selector.to_string(),
        context: None,
        container: None,
        previous: false,
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "context" if !value.is_empty() => spec.context = Some(value.to_string()),
            "container" if !value.is_empty() => spec.container = Some(value.to_string()),
            "previous" => {
                spec.previous = match value {
                    "" | "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    _ => return Err(format!("option previous={value}: expected true or false")),
                }
            }
            "context" | "container" => return Err(format!("option {key}= needs a value")),
            _ => {
                return Err(format!(
                    "unknown option {key:?} (known: context, container, previous)"
                ))
            }
        }
    }
    Ok(spec)
}

pub fn open(spec: &str, rest: &str, options: &SourceOptions) -> Result<Box<dyn Source>, String> {
    let parsed = parse_spec(rest).map_err(|e| format!("source {spec:?}: {e}"))?;
    Ok(Box::new(K8sSource {
        name: spec.to_string(),
        spec: parsed,
        max_streams: options.max_streams.max(1),
    }))
}

pub struct K8sSource {
    name: String,
    spec: Spec,
    max_streams: usize,
}

/// One container of one pod whose log becomes a stream. A restart (new container ID) is a
/// new target, as in stern.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub pod: String,
    pub container: String,
    /// The container ID the kubelet would serve logs of now ("" while waiting to start).
    pub container_id: String,
    pub label: Arc<str>,
}

/// What every reader of one source shares.
pub(crate) struct Shared {
    pub name: String,
    pub spec: Spec,
    pub api: Api<Pod>,
    /// The API server, for messages.
    pub api_url: String,
    pub req: Arc<ReadRequest>,
    pub role: Option<Role>,
    pub set: StreamSet,
    pub limit: Arc<Semaphore>,
    pub max_streams: usize,
    /// `pod/container` → the container ID a reader was started for.
    pub known: Mutex<HashMap<(String, String), String>>,
    /// Set once the cap on open streams was reported.
    pub cap_reported: std::sync::atomic::AtomicBool,
    pub handle: tokio::runtime::Handle,
}

impl Source for K8sSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn start(
        &self,
        role: Option<Role>,
        req: &Arc<ReadRequest>,
        set: &StreamSet,
    ) -> Result<(), String> {
        let handle = super::runtime::handle()?;
        let spec = self.spec.clone();
        let (client, api_url, pods) = handle.block_on(async {
            let (client, api_url) = connect(spec.context.as_deref()).await?;
            let api: Api<Pod> = Api::namespaced(client.clone(), &spec.namespace);
            let list = api
                .list(&ListParams::default().labels(&spec.selector))
                .await;
            let pods = match list {
                Ok(list) => list.items,
                Err(e) => {
                    return Err(describe(
                        &e,
                        &errors::Action::ListPods {
                            namespace: &spec.namespace,
                        },
                        &api_url,
                    ))
                }
            };
            if pods.is_empty() {
                // Listing in a namespace that does not exist gives an empty list, not a 404.
                let namespaces: Api<Namespace> = Api::all(client.clone());
                if let Err(kube::Error::Api(s)) = namespaces.get(&spec.namespace).await {
                    if s.code == 404 {
                        return Err(format!("namespace {:?} not found", spec.namespace));
                    }
                }
            }
            Ok((client, api_url, pods))
        })?;
        let shared = Arc::new(Shared {
            name: self.name.clone(),
            api: Api::namespaced(client, &spec.namespace),
            api_url,
            spec,
            req: req.clone(),
            role,
            set: set.clone(),
            limit: Arc::new(Semaphore::new(self.max_streams)),
            max_streams: self.max_streams,
            known: Mutex::new(HashMap::new()),
            cap_reported: Default::default(),
            handle,
        });
        let follow = req.follow && !shared.spec.previous;
        if pods.is_empty() {
            let what = format!(
                "no pod matches {:?} in namespace {:?}",
                shared.spec.selector, shared.spec.namespace
            );
            if !follow {
                return Err(what);
            }
            report::notice(&format!(
                "{}: {what} yet; waiting for one to appear",
                self.name
            ));
        }
        let mut targets = Vec::new();
        for pod in &pods {
            targets.extend(targets_of(&shared, pod, true));
        }
        // Without -f every reader must finish its request before the merge can go on past it;
        // when there are more streams than may be open at once, each is read whole (into a
        // spool: a temp file past a little memory) before it is fed, so that no reader holds
        // a request open while the merge waits.
        let spool = !follow && targets.len() > self.max_streams;
        for target in targets {
            if follow {
                shared
                    .known
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(
                        (target.pod.clone(), target.container.clone()),
                        target.container_id.clone(),
                    );
                if target.container_id.is_empty() {
                    report::notice(&format!(
                        "{}: {} has not started yet; following it once it starts",
                        self.name, target.label
                    ));
                    continue;
                }
            }
            start_reader(&shared, target, false, spool);
        }
        if follow {
            watch::start(shared);
        }
        Ok(())
    }
}

/// Starts the reader of a target: a task on the shared runtime, not a thread, so that 300
/// pods cost 300 small tasks (its feeder never blocks; the task awaits room in its stream).
/// `live`: the target appeared while following (its whole log is new, so `-n` does not apply).
pub(crate) fn start_reader(shared: &Arc<Shared>, target: Target, live: bool, spool: bool) {
    let mut feeder = LineFeeder::new(
        &shared.set,
        &shared.req,
        target.label.clone(),
        shared.role,
        None,
    );
    feeder.sink.never_wait();
    // Taken here, in the order targets are found, so the first ones get the free slots.
    let permit = shared.limit.clone().try_acquire_owned().ok();
    let task_shared = shared.clone();
    shared.handle.spawn(async move {
        stream::read_target(&task_shared, &target, &mut feeder, permit, live, spool).await;
        feeder.sink.sent().await;
    });
}

/// The containers of a pod to read, by the `?container=` option (default: all regular ones).
pub(crate) fn targets_of(shared: &Shared, pod: &Pod, report_missing: bool) -> Vec<Target> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let Some(spec) = &pod.spec else {
        return Vec::new();
    };
    let regular: Vec<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
    let chosen: Vec<&str> = match &shared.spec.container {
        None => regular.clone(),
        Some(want) => {
            let init = spec
                .init_containers
                .iter()
                .flatten()
                .map(|c| c.name.as_str());
            if regular.iter().copied().chain(init).any(|c| c == want) {
                vec![want.as_str()]
            } else {
                if report_missing {
                    report::problem(
                        &shared.name,
                        &format!(
                            "pod {name} has no container {want:?} (it has: {})",
                            regular.join(", ")
                        ),
                    );
                }
                return Vec::new();
            }
        }
    };
    let statuses = pod.status.as_ref().map(|s| {
        let all = [&s.container_statuses, &s.init_container_statuses];
        all.into_iter()
            .flatten()
            .flatten()
            .cloned()
            .collect::<Vec<ContainerStatus>>()
    });
    chosen
        .into_iter()
        .map(|c| {
            let status = statuses.iter().flatten().find(|s| s.name == c);
            Target {
                pod: name.clone(),
                container: c.to_string(),
                container_id: status.map(current_container_id).unwrap_or_default(),
                label: Arc::from(
                    if regular.len() > 1 {
                        format!("{name}/{c}")
                    } else {
                        name.clone()
                    }
                    .as_str(),
                ),
            }
        })
        .collect()
}

/// The container whose log the kubelet serves now (its `validateContainerLogStatus`): the
/// running one, else the terminated one, else the last terminated one; "" while none exists.
pub(crate) fn current_container_id(s: &ContainerStatus) -> String {
    let state = s.state.as_ref();
    let id = if state.and_then(|st| st.running.as_ref()).is_some() {
        s.container_id.clone()
    } else if let Some(t) = state.and_then(|st| st.terminated.as_ref()) {
        t.container_id.clone().or_else(|| s.container_id.clone())
    } else {
        s.last_state
            .as_ref()
            .and_then(|l| l.terminated.as_ref())
            .and_then(|t| t.container_id.clone())
    };
    id.unwrap_or_default()
}

/// A client from `?context=` or the usual rules (`KUBECONFIG`, `~/.kube/config`, in-cluster).
async fn connect(context: Option<&str>) -> Result<(Client, String), String> {
    let mut config = match context {
        Some(ctx) => {
            let options = KubeConfigOptions { context: Some(ctx.to_string()), ..Default::default() };
            Config::from_kubeconfig(&options).await.map_err(|e| format!("kubeconfig context {ctx:?}: {}", errors::chain(&e)))?
        }
        None => Config::infer().await.map_err(|e| {
            format!("no Kubernetes configuration: set KUBECONFIG, write ~/.kube/config or run inside a cluster ({})", errors::chain(&e))
        })?,
    };
    config.connect_timeout = Some(std::time::Duration::from_secs(10));
    let url = config.cluster_url.to_string();
    let client = Client::try_from(config)
        .map_err(|e| format!("cannot set up the Kubernetes client: {}", errors::chain(&e)))?;
    Ok((client, url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_may_hold_slashes() {
        let s = parse_spec(
            "zisk/app.kubernetes.io/name=zisk-worker?context=prod&container=worker&previous=true",
        )
        .unwrap();
        assert_eq!(s.namespace, "zisk");
        assert_eq!(s.selector, "app.kubernetes.io/name=zisk-worker");
        assert_eq!(s.context.as_deref(), Some("prod"));
        assert_eq!(s.container.as_deref(), Some("worker"));
        assert!(s.previous);
        assert!(parse_spec("zisk").is_err());
        assert!(parse_spec("/app=x").is_err());
        assert!(parse_spec("zisk/app=x?colour=red").is_err());
        assert!(!parse_spec("zisk/app=x?previous=false").unwrap().previous);
    }
}
