//! The fuzz driver: runs one target of `zisk_logs::fuzz` on seeded mutations of its saved corpus
//! for a given time, and prints executions and crashes. A crashing input is saved under
//! `fuzz/crashes/<target>/`. Usage: `fuzz TARGET SECONDS [SEED]` (see scripts/fuzz.sh).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use zisk_logs::fuzz::{corpus, mutate, Rng, TARGETS};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    let (Some(name), Some(seconds)) = (args.get(1), args.get(2).and_then(|s| s.parse().ok()))
    else {
        eprintln!(
            "usage: fuzz TARGET SECONDS [SEED]; targets: {}",
            names.join(" ")
        );
        std::process::exit(2);
    };
    let Some(&(_, target)) = TARGETS.iter().find(|(n, _)| n == name) else {
        eprintln!("unknown target {name:?}; targets: {}", names.join(" "));
        std::process::exit(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let inputs: Vec<Vec<u8>> = corpus(name).into_iter().map(|(_, b)| b).collect();
    if inputs.is_empty() {
        eprintln!("fuzz/corpus/{name} is empty");
        std::process::exit(2);
    }
    // A panic is counted and its input saved; the default message would flood the terminal.
    std::panic::set_hook(Box::new(|_| {}));
    let crash_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/crashes")
        .join(name);
    let mut rng = Rng::new(seed);
    let (start, limit) = (Instant::now(), Duration::from_secs(seconds));
    let (mut execs, mut crashes) = (0u64, 0u64);
    while start.elapsed() < limit {
        for _ in 0..64 {
            let a = &inputs[rng.below(inputs.len())];
            let b = &inputs[rng.below(inputs.len())];
            let input = mutate(&mut rng, a, b);
            execs += 1;
            if catch_unwind(AssertUnwindSafe(|| target(&input))).is_err() {
                crashes += 1;
                let _ = std::fs::create_dir_all(&crash_dir);
                let _ = std::fs::write(crash_dir.join(format!("crash-{seed}-{execs}")), &input);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{name}: {execs} executions in {secs:.0} s ({:.0}/s), {crashes} crashes, seed {seed}",
        execs as f64 / secs
    );
    if crashes > 0 {
        std::process::exit(1);
    }
}
