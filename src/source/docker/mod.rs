//! The `compose:[PROJECT/]SERVICE` and `docker:CONTAINER` sources: finds the containers through
//! the Docker Engine API (bollard), reads each one's logs as its own stream, and with `-f`
//! watches the engine's events to follow containers that start later or restart. Each
//! container is read by a task on the shared runtime (`source::runtime`), not a thread.

mod decode;
#[cfg(any(test, feature = "fuzz-targets"))]
pub(crate) use decode::{daemon_error, split_prefix, split_tty_item, LineJoiner, Stream};
mod reader;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::query_parameters::{EventsOptions, InspectContainerOptions, ListContainersOptions};
use bollard::Docker;
use futures::StreamExt;
use tokio::runtime::Handle;

use super::{runtime, LineFeeder, ReadRequest, Source, SourceOptions, StreamSet};
use crate::event::Role;
use crate::report;
use reader::{Reader, Restarts, Target};

// Compose labels (docker/compose `pkg/api/labels.go`).
const LABEL_PROJECT: &str = "com.docker.compose.project";
const LABEL_SERVICE: &str = "com.docker.compose.service";
const LABEL_ONEOFF: &str = "com.docker.compose.oneoff";
const LABEL_NUMBER: &str = "com.docker.compose.container-number";

const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";
/// How long the engine may take to answer a request (not a log stream, which may run forever).
const REQUEST_TIMEOUT_SECS: u64 = 30;
/// Longest wait before the event stream is opened again after it broke off.
const MAX_RETRY: Duration = Duration::from_secs(5);

/// What a SOURCE names.
#[derive(Clone, Debug, PartialEq)]
enum Selection {
    Service { project: String, service: String },
    Container(String),
}

pub struct DockerSource {
    name: String,
    selection: Selection,
}

/// `compose:PROJECT/SERVICE`, or `compose:SERVICE` in the project of `COMPOSE_PROJECT_NAME` or
/// of the current folder (named as Compose names it).
pub fn open_compose(
    spec: &str,
    rest: &str,
    _options: &SourceOptions,
) -> Result<Box<dyn Source>, String> {
    let (project, service) = match rest.split_once('/') {
        Some((p, s)) => (p.to_string(), s.to_string()),
        None => (default_project()?, rest.to_string()),
    };
    if project.is_empty() || service.is_empty() || service.contains('/') {
        return Err(format!(
            "source {spec:?}: expected compose:PROJECT/SERVICE or compose:SERVICE"
        ));
    }
    Ok(Box::new(DockerSource {
        name: spec.to_string(),
        selection: Selection::Service { project, service },
    }))
}

/// `docker:CONTAINER`, by name or ID.
pub fn open_container(
    spec: &str,
    rest: &str,
    _options: &SourceOptions,
) -> Result<Box<dyn Source>, String> {
    Ok(Box::new(DockerSource {
        name: spec.to_string(),
        selection: Selection::Container(rest.trim_start_matches('/').to_string()),
    }))
}

fn default_project() -> Result<String, String> {
    if let Some(p) = std::env::var("COMPOSE_PROJECT_NAME")
        .ok()
        .filter(|p| !p.is_empty())
    {
        return Ok(p);
    }
    let dir = std::env::current_dir()
        .map_err(|e| format!("cannot tell the Compose project: no current folder ({e})"))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let project = normalize_project_name(&name);
    if project.is_empty() {
        return Err(format!("cannot tell the Compose project from the folder name {name:?}: use compose:PROJECT/SERVICE"));
    }
    Ok(project)
}

/// Compose's project name for a folder: lower case, only `a-z0-9_-`, no leading `_` or `-`
/// (compose-go `NormalizeProjectName`; Compose v1 differs only in keeping a leading `_`/`-`).
pub fn normalize_project_name(name: &str) -> String {
    let kept: String = name
        .to_lowercase()
        .chars()
        .filter(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '-'))
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

impl Source for DockerSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn start(
        &self,
        role: Option<Role>,
        req: &Arc<ReadRequest>,
        set: &StreamSet,
    ) -> Result<(), String> {
        let handle = runtime::handle()?;
        let ctx = Ctx {
            docker: handle.block_on(connect())?,
            handle: handle.clone(),
            req: req.clone(),
            set: set.clone(),
            role,
            source: Arc::from(self.name.as_str()),
            selection: self.selection.clone(),
            restarts: Arc::default(),
        };
        let ctx = Arc::new(ctx);
        // Events from a little before the listing, so that no start is missed in between.
        let events_since = chrono::Utc::now().timestamp() - 1;
        let targets = handle.block_on(ctx.discover())?;
        for t in targets {
            ctx.spawn_reader(t, false);
        }
        if req.follow {
            handle.spawn(ctx.clone().watch(events_since));
        }
        Ok(())
    }
}

/// Everything a source's readers and watcher share.
struct Ctx {
    docker: Docker,
    handle: Handle,
    req: Arc<ReadRequest>,
    set: StreamSet,
    role: Option<Role>,
    source: Arc<str>,
    selection: Selection,
    restarts: Arc<Mutex<Restarts>>,
}

impl Ctx {
    /// The containers the SOURCE names, stopped ones too (post-mortems come after the crash).
    async fn discover(&self) -> Result<Vec<Target>, String> {
        match &self.selection {
            Selection::Container(name) => Ok(vec![self.inspect(name).await?]),
            Selection::Service { project, service } => {
                let labels = [
                    format!("{LABEL_PROJECT}={project}"),
                    format!("{LABEL_SERVICE}={service}"),
                    format!("{LABEL_ONEOFF}=False"),
                ];
                let found = self.list(&labels).await?;
                if found.is_empty() {
                    return Err(self.explain_no_service(project, service).await);
                }
                let mut targets = Vec::new();
                for (id, _) in found {
                    targets.push(self.inspect(&id).await?);
                }
                Ok(targets)
            }
        }
    }

    /// Container IDs with all these labels, in replica order.
    async fn list(
        &self,
        labels: &[String],
    ) -> Result<Vec<(String, HashMap<String, String>)>, String> {
        let filters = HashMap::from([("label".to_string(), labels.to_vec())]);
        let opts = ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        };
        let list = self
            .docker
            .list_containers(Some(opts))
            .await
            .map_err(|e| describe(&e))?;
        let mut found: Vec<(String, HashMap<String, String>, String)> = list
            .into_iter()
            .filter_map(|c| {
                let name = c
                    .names
                    .as_ref()
                    .and_then(|n| n.first())
                    .map(|n| n.trim_start_matches('/').to_string())
                    .unwrap_or_default();
                Some((c.id?, c.labels.unwrap_or_default(), name))
            })
            .collect();
        let number = |l: &HashMap<String, String>| {
            l.get(LABEL_NUMBER)
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(u64::MAX)
        };
        found.sort_by(|a, b| (number(&a.1), &a.2).cmp(&(number(&b.1), &b.2)));
        Ok(found
            .into_iter()
            .map(|(id, labels, _)| (id, labels))
            .collect())
    }

    async fn explain_no_service(&self, project: &str, service: &str) -> String {
        let in_project = self
            .list(&[format!("{LABEL_PROJECT}={project}")])
            .await
            .unwrap_or_default();
        let mut services: Vec<&str> = in_project
            .iter()
            .filter_map(|(_, l)| l.get(LABEL_SERVICE).map(String::as_str))
            .collect();
        services.sort_unstable();
        services.dedup();
        if services.is_empty() {
            format!("no containers of Compose project {project:?} (none has the label {LABEL_PROJECT}={project})")
        } else {
            format!(
                "Compose project {project:?} has no service {service:?} (its services: {})",
                services.join(", ")
            )
        }
    }

    async fn inspect(&self, name: &str) -> Result<Target, String> {
        let info = self
            .docker
            .inspect_container(name, None::<InspectContainerOptions>)
            .await
            .map_err(|e| match e {
                bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                } => format!("no such container {name:?}"),
                e => describe(&e),
            })?;
        let id = info.id.unwrap_or_else(|| name.to_string());
        let shown = info
            .name
            .map(|n| n.trim_start_matches('/').to_string())
            .unwrap_or_else(|| name.to_string());
        let tty = info.config.and_then(|c| c.tty).unwrap_or(false);
        Ok(Target {
            id,
            name: shown,
            tty,
        })
    }

    /// Starts the task that reads one container into its own stream.
    fn spawn_reader(&self, target: Target, fresh: bool) {
        let mut feeder = LineFeeder::new(
            &self.set,
            &self.req,
            Arc::from(target.name.as_str()),
            self.role,
            None,
        );
        feeder.sink.never_wait();
        let restarts = self.req.follow.then(|| {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            self.restarts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(target.id.clone(), tx);
            rx
        });
        let reader = Reader {
            docker: self.docker.clone(),
            req: self.req.clone(),
            target,
            feeder,
            restarts,
            fresh,
        };
        // A task, not a thread per container: 30 containers cost 30 small tasks.
        self.handle.spawn(reader.run());
    }

    /// With `-f`: attaches to containers of the selection that start later, and tells the
    /// readers of known containers that theirs started again.
    async fn watch(self: Arc<Self>, mut since: i64) {
        let mut retry = Duration::from_millis(200);
        loop {
            let mut filters = HashMap::from([
                ("type".to_string(), vec!["container".to_string()]),
                ("event".to_string(), vec!["start".to_string()]),
            ]);
            match &self.selection {
                Selection::Service { project, service } => {
                    let labels = vec![
                        format!("{LABEL_PROJECT}={project}"),
                        format!("{LABEL_SERVICE}={service}"),
                        format!("{LABEL_ONEOFF}=False"),
                    ];
                    filters.insert("label".into(), labels);
                }
                Selection::Container(name) => {
                    filters.insert("container".into(), vec![name.clone()]);
                }
            }
            let opts = EventsOptions {
                since: Some(since.to_string()),
                until: None,
                filters: Some(filters),
            };
            let mut events = self.docker.events(Some(opts));
            let ended = loop {
                match events.next().await {
                    None => break "the engine closed it".to_string(),
                    Some(Err(e)) => break describe(&e),
                    Some(Ok(ev)) => {
                        retry = Duration::from_millis(200);
                        since = since.max(ev.time.unwrap_or(since));
                        if let Some(id) = ev.actor.and_then(|a| a.id) {
                            self.started(id).await;
                        }
                    }
                }
            };
            if self.set_closed() {
                return;
            }
            report::problem(
                &self.source,
                &format!("lost the Docker event stream ({ended}); opening it again"),
            );
            tokio::time::sleep(retry).await;
            retry = (retry * 2).min(MAX_RETRY);
        }
    }

    async fn started(&self, id: String) {
        let known = self
            .restarts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .map(|tx| tx.send(()).is_ok());
        match known {
            Some(true) => {}
            Some(false) => {} // its reader has ended (the output went away)
            None => match self.inspect(&id).await {
                Ok(target) => {
                    report::notice(&format!(
                        "{}: following new container {}",
                        self.source, target.name
                    ));
                    self.spawn_reader(target, true);
                }
                Err(e) => report::problem(
                    &self.source,
                    &format!("cannot follow new container {id}: {e}"),
                ),
            },
        }
    }

    /// True when every reader has ended because the output went away.
    fn set_closed(&self) -> bool {
        let map = self.restarts.lock().unwrap_or_else(|e| e.into_inner());
        !map.is_empty() && map.values().all(|tx| tx.is_closed())
    }
}

/// Connects to the engine `DOCKER_HOST` names (default: the local socket) and agrees on an API
/// version (bollard speaks 1.53; older engines reject requests made with a newer version).
async fn connect() -> Result<Docker, String> {
    let host = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DEFAULT_HOST.to_string());
    let docker = if let Some(path) = host.strip_prefix("unix://") {
        check_socket(path)?;
        Docker::connect_with_unix(&host, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
    } else if host.starts_with("tcp://") || host.starts_with("http://") {
        Docker::connect_with_http(&host, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
    } else {
        Docker::connect_with_host(&host)
    }
    .map_err(|e| format!("cannot use the Docker engine at {host}: {}", describe(&e)))?;
    let negotiated = tokio::time::timeout(
        Duration::from_secs(REQUEST_TIMEOUT_SECS),
        docker.negotiate_version(),
    )
    .await;
    match negotiated {
        Ok(Ok(docker)) => Ok(docker),
        Ok(Err(e)) => Err(format!(
            "the Docker engine at {host} does not answer: {}",
            describe(&e)
        )),
        Err(_) => Err(format!(
            "the Docker engine at {host} does not answer within {REQUEST_TIMEOUT_SECS} s"
        )),
    }
}

/// Says plainly why a local socket cannot be used: missing, not allowed, nobody listening.
fn check_socket(path: &str) -> Result<(), String> {
    #[cfg(unix)]
    if let Err(e) = std::os::unix::net::UnixStream::connect(path) {
        return Err(socket_error(path, e.kind(), &e.to_string()));
    }
    Ok(())
}

fn socket_error(path: &str, kind: std::io::ErrorKind, detail: &str) -> String {
    use std::io::ErrorKind::*;
    match kind {
        NotFound => format!("no Docker engine: the socket {path} does not exist (is the daemon running? is DOCKER_HOST right?)"),
        PermissionDenied => {
            format!("permission denied on the Docker socket {path} (run as a member of the `docker` group, or with sudo)")
        }
        ConnectionRefused => format!("no Docker engine listens on {path} (is the daemon running?)"),
        _ => format!("cannot connect to the Docker socket {path}: {detail}"),
    }
}

/// One line for a bollard error: the engine's own message when it sent one.
fn describe(e: &bollard::errors::Error) -> String {
    match e {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        } => format!("{message} (HTTP {status_code})"),
        e => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_are_normalised_like_compose() {
        assert_eq!(normalize_project_name("My Cluster.v2"), "myclusterv2");
        assert_eq!(normalize_project_name("_zisk-prod_1"), "zisk-prod_1");
        assert_eq!(normalize_project_name("ÄÖ"), "");
    }

    #[test]
    fn sources_parse() {
        let o = SourceOptions::default();
        let s = open_compose("compose:zisk/worker", "zisk/worker", &o).unwrap();
        assert_eq!(s.name(), "compose:zisk/worker");
        assert!(open_compose("compose:/worker", "/worker", &o).is_err());
        assert!(open_compose("compose:a/b/c", "a/b/c", &o).is_err());
        assert!(open_container("docker:x", "x", &o).is_ok());
    }

    #[test]
    fn socket_errors_say_what_to_do() {
        use std::io::ErrorKind;
        assert!(socket_error("/s", ErrorKind::NotFound, "").contains("does not exist"));
        assert!(socket_error("/s", ErrorKind::PermissionDenied, "").contains("docker` group"));
        assert!(socket_error("/s", ErrorKind::ConnectionRefused, "").contains("daemon running"));
    }
}
