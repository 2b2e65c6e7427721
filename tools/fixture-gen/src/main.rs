//! fixture-gen: simulates ZisK proving clusters and writes their logs through the real
//! tracing-subscriber formatters, with exact ground truth (see README.md).

mod clock;
mod corpus;
mod emit;
mod legacy;
mod metrics;
mod output;
mod phases;
mod prng;
mod release;
mod sink;
mod timeline;
mod truth;
mod write;
mod zfmt;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  fixture-gen fixtures [--out DIR]      (default DIR: fixtures; writes DIR/clusters, DIR/releases)
  fixture-gen skew [--out DIR]          (default DIR: fixtures; writes DIR/skew: clocks far off)
  fixture-gen corpus --format json|zisk|full --bytes SIZE --out FILE
  fixture-gen corpus --cluster --workers N [--format F] --bytes SIZE --out DIR
SIZE accepts K/M/G suffixes (powers of 1024).";

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mul) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1u64 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    let v: f64 = num.parse().ok()?;
    Some((v * mul as f64) as u64)
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    let cmd = it.next().ok_or(USAGE)?;
    let mut out: Option<PathBuf> = None;
    let mut format = "json".to_string();
    let mut bytes: Option<u64> = None;
    let mut workers: usize = 0;
    let mut cluster = false;
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().ok_or(format!("{a} needs a value\n{USAGE}"));
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(val()?)),
            "--format" => format = val()?,
            "--bytes" => bytes = Some(parse_size(&val()?).ok_or("bad --bytes")?),
            "--workers" => workers = val()?.parse().map_err(|_| "bad --workers")?,
            "--cluster" => cluster = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(format!("unknown argument {a}\n{USAGE}")),
        }
    }
    match cmd.as_str() {
        "fixtures" => {
            let out = out.unwrap_or_else(|| PathBuf::from("fixtures"));
            let mut all: Vec<(String, output::ClusterOutput)> = Vec::new();
            for spec in legacy::specs() {
                all.push((format!("clusters/{}", spec.name), legacy::run_cluster(&spec)));
            }
            for spec in release::specs() {
                all.push((format!("releases/{}", spec.name), release::run_cluster(&spec)));
            }
            for (dir, o) in &all {
                o.write(&out.join(dir)).map_err(|e| e.to_string())?;
                let om = metrics::openmetrics(o, metrics::Exporter::of(o));
                metrics::write_gz(&out.join(dir).join("metrics.om.gz"), &om).map_err(|e| e.to_string())?;
                eprintln!(
                    "{:<22} {:>5} events {:>5} lines  jobs: {}",
                    dir,
                    o.events.len(),
                    o.lines(),
                    o.truth.jobs.iter().map(|j| format!("{}:{}", j.job_kind, j.outcome)).collect::<Vec<_>>().join(",")
                );
            }
            Ok(())
        }
        "skew" => {
            let out = out.unwrap_or_else(|| PathBuf::from("fixtures"));
            for spec in release::skew_specs() {
                let o = release::run_cluster(&spec);
                o.write(&out.join("skew").join(spec.name)).map_err(|e| e.to_string())?;
                eprintln!("skew/{:<17} {:>5} events {:>5} lines", spec.name, o.events.len(), o.lines());
            }
            Ok(())
        }
        "corpus" => {
            let out = out.ok_or("--out is required")?;
            let bytes = bytes.ok_or("--bytes is required")?;
            let fmt = match format.as_str() {
                "json" => emit::Format::Json,
                "zisk" => emit::Format::Zisk,
                "full" => emit::Format::Full,
                f => return Err(format!("corpus format must be json, zisk or full, not {f}")),
            };
            // `--workers N` (N > 0) implies cluster mode; `--cluster` alone means 64 workers.
            if cluster && workers == 0 {
                workers = 64;
            }
            let cluster = cluster || workers > 0;
            let summary =
                corpus::run(fmt, bytes, &out, if cluster { workers } else { 0 }).map_err(|e| e.to_string())?;
            println!("{summary}");
            Ok(())
        }
        "--help" | "-h" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        c => Err(format!("unknown command {c}\n{USAGE}")),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fixture-gen: {e}");
            ExitCode::from(2)
        }
    }
}
