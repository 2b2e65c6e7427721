//! Who a worker is in triage output: its fullest ID (from any line, the topology, a metric
//! label), the name of the stream holding its logs (host, pod, container) and its SOURCE.

use crate::config::Config;
use crate::event::IdRef;
use crate::metrics::LogFacts;
use crate::trail::streams::same_worker;

#[derive(Clone, Debug)]
pub struct Entry {
    pub id: IdRef,
    pub name: String,
    pub source_index: usize,
    pub source: String,
}

#[derive(Default)]
pub struct Directory {
    entries: Vec<Entry>,
}

impl Directory {
    pub fn new(config: &Config, facts: &LogFacts) -> Directory {
        let mut entries = Vec::new();
        for s in &facts.streams.streams {
            let Some(spec) = config.sources.get(s.source) else {
                continue;
            };
            for id in &s.ids {
                entries.push(Entry {
                    id: facts.ids.resolve(id),
                    name: s.label.to_string(),
                    source_index: s.source,
                    source: spec.spec.clone(),
                });
            }
        }
        Directory { entries }
    }

    pub fn find(&self, id: &IdRef) -> Option<&Entry> {
        self.entries.iter().find(|e| same_worker(&e.id, id))
    }

    /// The fullest form known of a worker ID.
    pub fn full(&self, id: &IdRef) -> IdRef {
        match self.find(id) {
            Some(e) if id.truncated => e.id.clone(),
            _ => id.clone(),
        }
    }

    /// `worker-02 (f38b6922)`, or the short ID alone when no source holds its logs.
    pub fn shown(&self, id: &IdRef) -> String {
        let shown =
            crate::trail::streams::display_name(self.find(id).map(|e| e.name.as_str()), &id.text);
        // Both come from logs: shown as every log-derived field is (see crate::escape).
        crate::escape::sanitize_line(&shown).into_owned()
    }

    /// Every worker whose logs were found, and the stream that holds them.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

/// An ID as JSON gives it: the full ID, or the prefix as logged without the ellipsis.
pub fn json_id(id: &IdRef) -> String {
    id.text.to_string()
}
