//! The JSON output of events whose fields are copied from their line ([`Keep::Json`]) must be
//! the bytes the general path prints (every line parsed into a field map, [`Keep::Everything`]):
//! checked on every fixture file and on lines made to trip the copy.

use std::path::Path;
use std::sync::Arc;

use super::{Format, Renderer};
use crate::event::{Level, Phase, Role};
use crate::filter::{Filter, IdQuery};
use crate::parse::equivalence_tests::{feed, fixture_files, FIXTURES};
use crate::parse::{Keep, StreamParser};

/// The NDJSON `tail -o json` prints for `input` (one stream) under `filter`, and how many of
/// its events had their fields copied from the line. `cut`: fed in blocks of whole lines cut
/// every `cut` bytes (as files are read), else line by line.
fn ndjson(input: &[u8], filter: &Filter, keep: Keep, cut: Option<usize>) -> (Vec<u8>, usize) {
    let mut parser = StreamParser::new(
        Arc::from("worker \"01\" é"),
        Some(Role::Worker),
        Some(Arc::from("/var/log/zisk/worker.log")),
        filter.prefilter(),
    )
    .keeping(keep);
    let mut out = Vec::new();
    let mut copied = 0;
    {
        let mut renderer = Renderer::new(&mut out, Format::Json, false);
        feed(&mut parser, input, cut, &mut |e: crate::event::Event| {
            if filter.matches(&e) {
                copied += usize::from(e.fields_in_raw);
                renderer.event(&e).unwrap();
            }
        });
        renderer.flush().unwrap();
    }
    (out, copied)
}

fn filters() -> Vec<Filter> {
    let mut all = vec![Filter::default()];
    all.push(Filter {
        level: Some(Level::Warn),
        ..Filter::default()
    });
    all.push(Filter {
        phase: Some(Phase::new("Prove")),
        ..Filter::default()
    });
    all.push(Filter {
        job: Some(IdQuery::parse("abc").unwrap()),
        ..Filter::default()
    });
    all
}

/// Compares the copy with the general path on `input`; returns how many events were copied.
fn check(input: &[u8], what: &str) -> usize {
    let mut copied = 0;
    for filter in filters() {
        let (want, none) = ndjson(input, &filter, Keep::Everything, None);
        assert_eq!(none, 0, "{what}: the general path copies nothing");
        for cut in [None, Some(4096), Some(usize::MAX / 2)] {
            let (got, n) = ndjson(input, &filter, Keep::Json, cut);
            if got != want {
                let got = String::from_utf8_lossy(&got);
                let want = String::from_utf8_lossy(&want);
                let first = got.lines().zip(want.lines()).find(|(a, b)| a != b);
                panic!(
                    "{what}: {filter:?}, cut {cut:?}: the copied JSON differs ({} lines, want {}); first difference:\n{first:#?}",
                    got.lines().count(),
                    want.lines().count()
                );
            }
            copied = copied.max(n);
        }
    }
    copied
}

#[test]
fn copied_fields_print_what_the_general_path_prints_on_every_fixture() {
    let root = Path::new(FIXTURES);
    let files = fixture_files();
    let mut copied = 0;
    let mut json_files = 0;
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let n = check(&bytes, &file.display().to_string());
        json_files += usize::from(n > 0);
        copied += n;
    }
    // Every kind of fixture was compared (text formats print through the general path).
    for folder in ["clusters", "releases", "skew"] {
        assert!(
            files.iter().any(|f| f.starts_with(root.join(folder))),
            "no fixtures under fixtures/{folder}"
        );
    }
    assert!(json_files >= 10, "copied in only {json_files} files");
    assert!(copied > 2000, "only {copied} events copied");
}

/// Lines of every shape the copy must get right or leave to the general path.
fn hostile_lines() -> Vec<Vec<u8>> {
    let t = r#""timestamp":"2026-11-21T10:00:00.000001Z""#;
    let mut lines: Vec<Vec<u8>> = [
        // tracing's usual shape, spans and all.
        format!(r#"{{{t},"level":"INFO","fields":{{"message":"m","job_id":"abc","phase":"Prove","n":5}},"target":"zisk_worker::x","span":{{"job_id":"abc","name":"job"}},"spans":[{{"job_id":"abc","name":"job"}},{{"phase":"Prove","name":"phase"}}]}}"#),
        // Odd orders: spans, target and fields anywhere; a key in several places.
        format!(r#"{{"spans":[{{"a":1,"name":"x"}},{{"b":"2","a":3}}],"target":"tt","fields":{{"z":1,"message":"m","a":"f"}},"level":"WARN","span":{{"b":"s","name":"n"}},{t}}}"#),
        format!(r#"{{"z":0,"span":{{"job_id":"abc","q":1}},"y":1,"fields":{{"message":"Prove","job_id":"def"}},"x":2,"spans":[{{"job_id":"ghi"}}],"w":3,"job_id":"abc",{t},"level":"ERROR"}}"#),
        format!(r#"{{"fields":{{"message":"last"}},"a":1,"b":2,"c":3,"spans":[],"d":4,"span":{{}},"e":5,{t},"level":"WARN"}}"#),
        // Flattened, with and without a message in `fields`, `msg` and `message`.
        format!(r#"{{{t},"level":"INFO","message":"flat","job_id":"abc","k":[1,2,{{"a":null}}],"target":"t","threadId":"ThreadId(1)","threadName":"main","filename":"a.rs","z":true}}"#),
        format!(r#"{{{t},"level":"INFO","message":"flat message, a field","fields":{{"message":"fm"}},"q":1}}"#),
        r#"{"time":"2026-11-21T10:00:00Z","lvl":"warn","msg":"m","fields":{"msg":"x","message":"y"}}"#.to_string(),
        r#"{"ts":"2026-11-21T10:00:00+01:00","severity":"error","msg":"only msg","name":"a field","level":7}"#.to_string(),
        // Numbers serde writes back otherwise.
        format!(r#"{{{t},"level":"WARN","fields":{{"message":"numbers","a":-0,"b":0,"c":-0.0,"d":1.50,"e":123456789012345678,"f":1234567890123456789,"g":18446744073709551615,"h":18446744073709551616,"i":-9223372036854775808,"j":-9223372036854775809,"k":0.1,"l":123456789012345678901234567890,"m":-12}}}}"#),
        format!(r#"{{{t},"level":"WARN","fields":{{"message":"exponents","l":1e5,"m":2E-3,"n":1e400}}}}"#),
        format!(r#"{{{t},"level":"INFO","spans":[{{"a":{{"b":[1,{{"c":"d","e":[[],{{}}]}}],"f":-0.5}},"name":"x"}},5,"s",[1],null,{{"phase":"Prove","name":"n"}}],"span":{{"nested":{{"x":{{"y":{{"z":[1.25,true,false,null]}}}}}}}}}}"#),
        // Repeated keys, escapes, controls: the general path's.
        format!(r#"{{{t},"level":"INFO","a":1,"a":2}}"#),
        format!(r#"{{{t},"level":"INFO","fields":{{"message":"m","a":{{"x":1,"x":2}}}}}}"#),
        format!(r#"{{{t},"level":"INFO","fields":{{"message":"esc \"q\" \\ \u00e9 \n \u001b[31mred","k\u0061":"v"}}}}"#),
        format!(r#"{{{t},"level":"INFO","fields":{{"message":{{"m":1}}}}}}"#),
        format!(r#"{{{t},"level":"INFO","fields":{{"message":5}}}}"#),
        format!(r#"{{{t},"level":"INFO","message":["m"]}}"#),
        format!(r#"{{{t},"level":"INFO","fields":[1,2],"spans":{{"a":1}},"span":"x","message":"m"}}"#),
        format!(r#"{{{t},"level":"INFO","target":5,"fields":{{"message":"target not a string"}}}}"#),
        format!(r#"{{ {t} , "level" : "INFO" , "fields" : {{ "message" : "spaced" , "k" : [ 1 , 2 ] }} , "spans" : [ {{ "a" : 1 }} ] }}"#),
        format!("{{{t},\"level\":\"INFO\",\"fields\":{{\"message\":\"non-ASCII é … ✔ \u{7f} \u{9b} \u{202e}\",\"é\":\"ü\"}}}}"),
        r#"{"level":"INFO","fields":{"message":"no time"}}"#.to_string(),
        r#"{"a":1}"#.to_string(),
        r#"{}"#.to_string(),
        format!(r#"{{{t},"level":"INFO"}}"#),
        format!(r#"{{{t},"level":"INFO","a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15}}"#),
        format!(r#"{{{t},"level":"INFO","n":{}}}"#, "9".repeat(301)),
        format!(r#"{{{t},"level":"INFO","deep":{}1{}}}"#, "[".repeat(40), "]".repeat(40)),
        format!(r#"{{{t},"level":"INFO"}} trailing"#),
        format!(r#"{{{t},"level":"INFO","cut":"#),
        // Plain text lines among them.
        "2026-11-21T10:00:01.000000Z  WARN zisk_worker: [Phase2] Prove started job_id=abc".to_string(),
        "untimed continuation".to_string(),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect();
    // More fields than the copy keeps: left to the general path.
    let spans: Vec<String> = (0..5)
        .map(|s| {
            let keys: Vec<String> = (0..14).map(|k| format!(r#""k{s}_{k}":{k}"#)).collect();
            format!("{{{}}}", keys.join(","))
        })
        .collect();
    lines.push(format!(r#"{{{t},"level":"INFO","spans":[{}]}}"#, spans.join(",")).into_bytes());
    // Invalid UTF-8, ANSI around a JSON line, CRLF endings.
    lines.push(format!(r#"{{{t},"level":"INFO","fields":{{"message":"bad ""#).into_bytes());
    lines.last_mut().unwrap().extend_from_slice(b"\xff\"}}");
    lines.push(
        format!("\x1b[2m{{{t},\"level\":\"INFO\",\"fields\":{{\"message\":\"ansi\"}}}}\x1b[0m")
            .into_bytes(),
    );
    lines.push(
        format!(
            "{{{t},\"level\":\"WARN\",\"fields\":{{\"message\":\"crlf\",\"job_id\":\"abc\"}}}}\r"
        )
        .into_bytes(),
    );
    lines
}

#[test]
fn copied_fields_print_what_the_general_path_prints_on_hostile_lines() {
    let lines = hostile_lines();
    let mut all = Vec::new();
    for line in &lines {
        all.extend_from_slice(line);
        all.push(b'\n');
        // Each line alone too, so a line the general path fails cannot hide another.
        check(
            &[line.as_slice(), b"\n"].concat(),
            &String::from_utf8_lossy(line),
        );
    }
    let copied = check(&all, "all hostile lines");
    assert!(copied >= 12, "only {copied} hostile lines copied");
}
