//! Grep habits on `tail`: -i and smart case, repeated -g (any one matches), -v, repeated
//! --exclude, -A/-B/-C over the merged stream (`"around":true` in JSON), match highlighting.

use serde_json::Value;

use crate::util::{fixtures, ndjson, run, zl, Run};

fn tail(args: &[&str]) -> Run {
    run(zl()
        .arg("--config")
        .arg(fixtures().join("zisk-logs.toml"))
        .args(["-o", "json", "tail"])
        .args(args))
}

fn events(args: &[&str]) -> Vec<Value> {
    let r = tail(args);
    assert!(r.code <= 1, "{args:?}: {}", r.stderr);
    ndjson(&r.stdout)
}

fn messages(args: &[&str]) -> Vec<String> {
    events(args)
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn case_and_several_patterns() {
    let oom = messages(&["-g", "out of memory"]);
    assert!(!oom.is_empty());
    assert_eq!(messages(&["-g", "OUT OF MEMORY", "-i"]), oom);
    assert!(messages(&["-g", "OUT OF MEMORY"]).is_empty());
    assert_eq!(
        messages(&["-g", "OUT of memory".to_lowercase().as_str(), "-S"]),
        oom
    );
    assert!(
        messages(&["-g", "Out of memory", "-S"]).is_empty(),
        "an upper-case letter: exact case"
    );
    let gone = messages(&["-g", "disconnected"]);
    let either = messages(&["-g", "out of memory", "-g", "disconnected"]);
    assert_eq!(either.len(), oom.len() + gone.len());
}

#[test]
fn invert_and_exclude() {
    let errors = messages(&["-l", "error"]);
    let cuda = messages(&["-l", "error", "-g", "CUDA"]);
    let grpc = messages(&["-l", "error", "-g", "gRPC"]);
    assert!(!cuda.is_empty() && !grpc.is_empty());
    assert_eq!(
        messages(&["-l", "error", "-v", "-g", "CUDA"]).len(),
        errors.len() - cuda.len()
    );
    let neither = messages(&["-l", "error", "--exclude", "CUDA", "--exclude", "gRPC"]);
    assert_eq!(neither.len(), errors.len() - cuda.len() - grpc.len());
    assert!(neither
        .iter()
        .all(|m| !m.contains("CUDA") && !m.contains("gRPC")));
    let r = tail(&["-v"]);
    assert_eq!(r.code, 2, "-v needs a pattern");
}

#[test]
fn lines_around_over_the_merged_stream() {
    let all = events(&[]);
    let key = |e: &Value| (e["ts"].to_string(), e["message"].to_string());
    let shown = events(&["-g", "out of memory", "-C", "1"]);
    let matched: Vec<&Value> = shown.iter().filter(|e| e["around"] == false).collect();
    let around: Vec<&Value> = shown.iter().filter(|e| e["around"] == true).collect();
    assert_eq!(matched.len(), messages(&["-g", "out of memory"]).len());
    assert!(!around.is_empty());
    for e in &around {
        assert!(!e["message"].as_str().unwrap().contains("out of memory"));
        // Each line around is next to a match in the merged stream.
        let at = all
            .iter()
            .position(|a| key(a) == key(e))
            .expect("from the stream");
        let near = |i: usize| {
            all.get(i)
                .is_some_and(|a| a["message"].as_str().unwrap().contains("out of memory"))
        };
        assert!(near(at + 1) || (at > 0 && near(at - 1)), "{e}");
    }
    // -A only: nothing before the first match.
    let after = events(&["-g", "out of memory", "-A", "2"]);
    assert_eq!(after[0]["around"], false);
    assert!(events(&["-g", "out of memory"])
        .iter()
        .all(|e| e["around"] == false));
    let r = tail(&["-C", "2"]);
    assert_eq!(r.code, 2, "-C needs a pattern: {}", r.stderr);
}

#[test]
fn matches_are_highlighted_in_colour() {
    let r = run(zl()
        .arg("--config")
        .arg(fixtures().join("zisk-logs.toml"))
        .args(["--color", "always", "tail", "-g", "out of memory"]));
    assert!(
        r.stdout.contains("\x1b[7mout of memory\x1b[0m"),
        "{}",
        r.stdout
    );
    let plain = run(zl()
        .arg("--config")
        .arg(fixtures().join("zisk-logs.toml"))
        .args(["tail", "-g", "out of memory"]));
    assert!(!plain.stdout.contains('\x1b'));
}
