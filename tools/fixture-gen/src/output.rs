//! A generated cluster (its files, the truth of every line and job, the simulation's marks)
//! and how it is written to a folder.

use std::collections::BTreeMap;
use std::path::Path;

use crate::truth::{ClusterTruth, EventRow};
use crate::write::SimEvent;

#[allow(dead_code)] // `marks`: the fixtures do not write them; tests and metrics writers read them
pub struct ClusterOutput {
    pub files: BTreeMap<String, Vec<u8>>,
    pub events: Vec<EventRow>,
    pub truth: ClusterTruth,
    /// What happened when, in true time (jobs, phases, workers coming and going): what a
    /// metrics writer needs from the simulation.
    pub marks: Vec<SimEvent>,
}

impl ClusterOutput {
    /// Writes the log files, `events.jsonl` and `truth.json` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, bytes) in &self.files {
            std::fs::write(dir.join(name), bytes)?;
        }
        let mut ev = String::new();
        for e in &self.events {
            ev.push_str(&serde_json::to_string(e).expect("rows serialize"));
            ev.push('\n');
        }
        std::fs::write(dir.join("events.jsonl"), ev)?;
        let mut t = serde_json::to_string_pretty(&self.truth).expect("truth serializes");
        t.push('\n');
        std::fs::write(dir.join("truth.json"), t)
    }

    /// Physical lines over all files.
    pub fn lines(&self) -> usize {
        self.files.values().map(|b| b.iter().filter(|&&c| c == b'\n').count()).sum()
    }
}
