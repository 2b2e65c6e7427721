//! The Docker tests' lab: images built `FROM scratch` from busybox-static and fixture logs, a
//! Compose project removed by a guard, a follower reading `tail -f` with deadlines, and event
//! comparisons with the fixture files.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{cluster, ndjson, require, run, zl};

pub const CLUSTER: &str = "mixed";
pub const BUSYBOX: &str = "/bin/busybox";
pub const WAIT: Duration = Duration::from_secs(60);

/// The container's program: prints a log file on its first run, one marker line on later runs
/// (restarts), then waits. Workers claim `worker-0N.log` by the lowest free N, and keep it
/// across restarts (the claim is kept by hostname in a volume shared by the replicas). `long`
/// and `count` print lines of their own (`count`: `line 1` to `line 200`).
pub const RUN_SH: &str = r#"B=/bin/busybox
trap 'exit 0' TERM INT
$B mkdir -p /claim
h=$($B hostname)
n=$(( $($B cat /claim/runs-$h 2>/dev/null || echo 0) + 1 ))
echo $n > /claim/runs-$h
case "$1" in
  coordinator) f=/logs/coordinator.log ;;
  worker)
    if [ -f /claim/w-$h ]; then i=$($B cat /claim/w-$h); else
      i=1; while ! $B mkdir /claim/slot-$i 2>/dev/null; do i=$((i+1)); done; echo $i > /claim/w-$h
    fi
    f=/logs/worker-0$i.log ;;
  long)
    echo "before the long line"
    $B head -c 40000 /dev/zero | $B tr '\0' x; echo
    echo "to stderr" >&2
    printf '\033[32mgreen\033[0m after\n'
    printf 'hostile \033]52;c;cHduZWQ=\007\033[2J JobId(\033]0;x\007) c1 \302\2332J\n'
    f=/dev/null ;;
  count)
    i=1; while [ $i -le 200 ]; do echo "line $i"; i=$((i+1)); done
    f=/dev/null ;;
  *) f=$1 ;;
esac
if [ $n = 1 ]; then $B cat $f; else echo "restarted run $n"; fi
$B sleep 3600 & wait
"#;

pub fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run docker")
}

pub fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn engine_available() -> bool {
    Command::new("docker")
        .args(["version", "--format", "{{.Server.APIVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `docker compose` (v2) or `docker-compose` (v1).
pub fn compose_command() -> Option<Vec<String>> {
    for cmd in [&["docker", "compose"][..], &["docker-compose"][..]] {
        let ok = Command::new(cmd[0])
            .args(&cmd[1..])
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(cmd.iter().map(|s| s.to_string()).collect());
        }
    }
    None
}

/// What one test made in the engine; removed on drop, pass or fail, and nothing else.
pub struct Lab {
    pub tag: String,
    pub image: String,
    pub dir: tempfile::TempDir,
    pub compose: Option<(Vec<String>, String)>,
}

impl Lab {
    /// Builds the image (`docker import` of a scratch root file system: no registry needed).
    pub fn new() -> Lab {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let tag = format!("zltest{}x{nanos}", std::process::id());
        let lab = Lab {
            image: format!("zisk-logs-test-{tag}:latest"),
            tag,
            dir: tempfile::tempdir().unwrap(),
            compose: None,
        };
        let root = lab.dir.path().join("rootfs");
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::create_dir_all(root.join("logs/ansi")).unwrap();
        std::fs::copy(BUSYBOX, root.join("bin/busybox")).unwrap();
        std::fs::write(root.join("run.sh"), RUN_SH).unwrap();
        for entry in std::fs::read_dir(cluster(CLUSTER)).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "log") {
                std::fs::copy(&p, root.join("logs").join(p.file_name().unwrap())).unwrap();
            }
        }
        std::fs::copy(
            cluster("zisk-ansi").join("coordinator.log"),
            root.join("logs/ansi/coordinator.log"),
        )
        .unwrap();
        let tar = lab.dir.path().join("rootfs.tar");
        let status = Command::new("tar")
            .arg("-C")
            .arg(&root)
            .arg("-cf")
            .arg(&tar)
            .arg(".")
            .status()
            .unwrap();
        assert!(status.success(), "tar failed");
        docker_ok(&[
            "import",
            "-c",
            r#"ENTRYPOINT ["/bin/busybox", "sh", "/run.sh"]"#,
            tar.to_str().unwrap(),
            &lab.image,
        ]);
        lab
    }

    pub fn compose_file(&self) -> PathBuf {
        self.dir.path().join("compose.yaml")
    }

    /// Brings up the project: a TTY coordinator, workers without TTY scaled to `workers`.
    pub fn up(&mut self, compose: Vec<String>, workers: usize) -> String {
        let project = self.tag.clone();
        let yaml = format!(
            r#"version: "2.4"
services:
  coordinator:
    image: {image}
    command: ["coordinator"]
    tty: true
    network_mode: none
    volumes: ["claim:/claim"]
    labels: {{ zisk-logs-test: "{tag}" }}
  worker:
    image: {image}
    command: ["worker"]
    network_mode: none
    volumes: ["claim:/claim"]
    labels: {{ zisk-logs-test: "{tag}" }}
volumes:
  claim: {{}}
"#,
            image = self.image,
            tag = self.tag
        );
        std::fs::write(self.compose_file(), yaml).unwrap();
        self.compose = Some((compose, project.clone()));
        self.compose_run(&[
            "up",
            "-d",
            "--scale",
            &format!("worker={workers}"),
            "--no-recreate",
        ]);
        project
    }

    pub fn compose_run(&self, args: &[&str]) {
        let (cmd, project) = self.compose.as_ref().expect("project is up");
        let out = Command::new(&cmd[0])
            .args(&cmd[1..])
            .args(["-p", project, "-f"])
            .arg(self.compose_file())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run compose");
        assert!(
            out.status.success(),
            "compose {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A standalone container of the test image.
    pub fn run(&self, name: &str, tty: bool, arg: &str) {
        let mut args = vec!["run", "-d", "--network", "none", "--name", name, "--label"];
        let label = format!("zisk-logs-test={}", self.tag);
        args.push(&label);
        if tty {
            args.push("-t");
        }
        args.extend([self.image.as_str(), arg]);
        docker_ok(&args);
    }

    /// Names of this test's containers of one Compose service, in replica order.
    pub fn service_containers(&self, service: &str) -> Vec<String> {
        let project = &self.compose.as_ref().unwrap().1;
        let out = docker_ok(&[
            "ps",
            "-a",
            "--filter",
            &format!("label=com.docker.compose.project={project}"),
            "--filter",
            &format!("label=com.docker.compose.service={service}"),
            "--format",
            "{{.Names}}",
        ]);
        let mut names: Vec<String> = out.lines().map(str::to_string).collect();
        names.sort();
        names
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some((cmd, project)) = &self.compose {
            let _ = Command::new(&cmd[0])
                .args(&cmd[1..])
                .args(["-p", project, "-f"])
                .arg(self.compose_file())
                .args(["down", "-v", "-t", "0", "--remove-orphans"])
                .stdin(Stdio::null())
                .output();
        }
        let ids = docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=zisk-logs-test={}", self.tag),
        ]);
        let ids: Vec<String> = String::from_utf8_lossy(&ids.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(ids.iter().map(String::as_str));
            let _ = docker(&args);
        }
        let _ = docker(&["rmi", "-f", &self.image]);
    }
}

/// Waits until `docker logs` of a container holds at least `lines` lines.
pub fn wait_logged(container: &str, lines: usize) {
    let start = Instant::now();
    loop {
        let out = docker(&["logs", container]);
        let n = out
            .stdout
            .iter()
            .chain(&out.stderr)
            .filter(|&&b| b == b'\n')
            .count();
        if n >= lines {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "container {container} logged {n} of {lines} lines within {WAIT:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn line_count(path: &Path) -> usize {
    std::fs::read(path)
        .unwrap()
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// An event as compared across backends. The event's time is compared only where the line has
/// one of its own: untimed lines (start-up banners) carry the engine's time from a container,
/// which is a day after the fixtures' times, so streams interleave differently in the merge and
/// the output may show an ID shortened where the file run had learnt the full one earlier: IDs
/// are compared by their first 8 characters.
#[derive(Debug, PartialEq)]
pub struct Key {
    pub ts: Option<Value>,
    pub level: Value,
    pub message: Value,
    pub job_id: Value,
    pub phase: Value,
    pub worker_id: Value,
    pub raw: Value,
}

pub fn key(e: &Value, with_ts: bool) -> Key {
    Key {
        ts: with_ts.then(|| e["ts"].clone()),
        level: e["level"].clone(),
        message: e["message"].clone(),
        job_id: id_prefix(&e["job_id"]),
        phase: e["phase"].clone(),
        worker_id: id_prefix(&e["worker_id"]),
        raw: e["raw"].clone(),
    }
}

pub fn id_prefix(v: &Value) -> Value {
    match v.as_str() {
        Some(s) => Value::String(s.chars().take(8).collect()),
        None => v.clone(),
    }
}

pub fn by_source(events: &[Value]) -> BTreeMap<String, Vec<Value>> {
    let mut map: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for e in events {
        map.entry(e["source"].as_str().unwrap().to_string())
            .or_default()
            .push(e.clone());
    }
    map
}

/// Asserts that a container's events are the file's events.
pub fn assert_same_events(container: &str, got: &[Value], file: &[Value]) {
    assert_eq!(
        got.len(),
        file.len(),
        "{container}: {} events, the file gives {}",
        got.len(),
        file.len()
    );
    for (i, (g, f)) in got.iter().zip(file).enumerate() {
        let timed = !f["ts"].is_null();
        assert_eq!(
            key(g, timed),
            key(f, timed),
            "{container}: event {i} differs"
        );
        assert!(
            !g["ts"].is_null(),
            "{container}: event {i} has no time (the engine's time was not used)"
        );
    }
}

/// Reads the fixture files directly: `name -> events`.
pub fn file_events(files: &[&str]) -> BTreeMap<String, Vec<Value>> {
    let dir = cluster(CLUSTER);
    let mut cmd = zl();
    cmd.args(["-o", "json", "tail"]);
    for f in files {
        cmd.arg(dir.join(f));
    }
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    by_source(&ndjson(&r.stdout))
}

/// Pairs each container with the file it printed (workers claim files in any order).
pub fn match_files<'a>(
    got: &BTreeMap<String, Vec<Value>>,
    files: &'a BTreeMap<String, Vec<Value>>,
) -> HashMap<String, &'a str> {
    let mut pairs = HashMap::new();
    for (container, events) in got {
        let raw = |v: &[Value]| v.iter().map(|e| e["raw"].clone()).collect::<Vec<_>>();
        let file = files
            .iter()
            .find(|(_, f)| raw(f) == raw(events))
            .map(|(name, _)| name.as_str());
        let file = file.unwrap_or_else(|| panic!("{container}: its events match no fixture file"));
        pairs.insert(container.clone(), file);
    }
    pairs
}

/// A running `zisk-logs ... -f` whose output lines arrive on a channel.
pub struct Follower {
    pub child: Child,
    pub lines: mpsc::Receiver<Value>,
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
    pub seen: Vec<Value>,
}

impl Follower {
    pub fn start(args: &[&str]) -> Follower {
        let mut cmd = zl();
        cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start zisk-logs");
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(serde_json::from_str(&line).unwrap()).is_err() {
                    return;
                }
            }
        });
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (err, sink) = (child.stderr.take().unwrap(), stderr.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        Follower {
            child,
            lines: rx,
            stderr,
            seen: Vec::new(),
        }
    }

    /// Collects output until `done` holds for what was seen, or fails after [`WAIT`].
    pub fn wait_for(&mut self, what: &str, done: impl Fn(&[Value]) -> bool) {
        let start = Instant::now();
        while !done(&self.seen) {
            let left = WAIT.checked_sub(start.elapsed()).unwrap_or_default();
            match self
                .lines
                .recv_timeout(left.min(Duration::from_millis(200)))
            {
                Ok(v) => self.seen.push(v),
                Err(mpsc::RecvTimeoutError::Timeout) if !left.is_zero() => {}
                Err(_) => panic!(
                    "waiting for {what}: gave up after {WAIT:?}; stderr:\n{}",
                    self.stderr.lock().unwrap()
                ),
            }
        }
    }

    /// Ctrl-C, then the rest of the output; the program must end promptly.
    pub fn interrupt(mut self) -> (Vec<Value>, String) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let start = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "zisk-logs did not end within 10 s of Ctrl-C"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        while let Ok(v) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(v);
        }
        let stderr = self.stderr.lock().unwrap().clone();
        (std::mem::take(&mut self.seen), stderr)
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn count_from(seen: &[Value], source: &str) -> usize {
    seen.iter().filter(|e| e["source"] == source).count()
}

pub fn is_restart_line(e: &Value) -> bool {
    e["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("restarted run"))
}

pub fn prerequisites() -> Option<Vec<String>> {
    if !require("a Docker engine (docker.io)", engine_available())
        || !require("busybox-static (/bin/busybox)", Path::new(BUSYBOX).exists())
        || !require("fixture clusters", cluster(CLUSTER).exists())
    {
        return None;
    }
    let compose = compose_command();
    if !require("docker compose or docker-compose", compose.is_some()) {
        return None;
    }
    compose
}
