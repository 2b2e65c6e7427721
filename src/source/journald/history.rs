//! What a Runner reads: the history (all of it, the last entries for `-n`, or a pushed-down
//! window with the banners before it), then, with `-f`, follows from the last cursor.

use std::collections::{HashMap, HashSet};

use super::command::{job_grep_pattern, Query};
use super::entry::Entry;
use super::hosts::Hosts;
use super::process::Runner;
use super::{BANNER, TIME_MARGIN_SECS};
use crate::report;
use crate::source::ReadRequest;
use crate::time::Timestamp;

impl Runner {
    pub(super) fn run(&self, req: &ReadRequest, hosts: &mut Hosts) {
        let (pushed, last_cursor, history_entries) = match self.history(req, hosts) {
            Ok(v) => v,
            Err(e) => {
                report::source_failed(&self.name, &e);
                hosts.caught_up();
                hosts.close();
                return;
            }
        };
        if history_entries == 0 {
            self.check_not_empty(&pushed);
        }
        hosts.caught_up();
        if !req.follow {
            hosts.close();
            return;
        }
        let q = Query {
            follow: true,
            after_cursor: last_cursor.clone(),
            lines: None,
            since_secs: if last_cursor.is_none() {
                pushed.since_secs
            } else {
                None
            },
            until_secs: pushed.until_secs,
            grep: pushed.grep.clone(),
        };
        let result = self.query(&q, &mut |entry| {
            // --after-cursor may print the cursor's own entry again (BACKENDS A.4).
            if entry.cursor.is_some() && entry.cursor == last_cursor {
                return true;
            }
            hosts.send(entry)
        });
        if let Err(e) = result {
            report::source_failed(&self.name, &format!("following stopped: {e}"));
        }
        hosts.close();
    }

    /// Reads the history into the host streams. Returns the query pushed down (for follow and
    /// for the emptiness check), the last cursor and how many entries the main query gave.
    fn history(
        &self,
        req: &ReadRequest,
        hosts: &mut Hosts,
    ) -> Result<(Query, Option<String>, usize), String> {
        if let Some(n) = req
            .tail_lines
            .filter(|_| req.since.is_none() && req.until.is_none() && req.grep_literal.is_none())
        {
            if let Some(done) = self.history_window(n, hosts)? {
                return Ok(done);
            }
        }
        let grep_ok = (req.since.is_some() || req.grep_literal.is_some()) && self.grep_supported();
        let mut q = Query::default();
        if grep_ok {
            q.grep = req.grep_literal.as_deref().map(job_grep_pattern);
            q.since_secs = req.since.map(|s| s.secs_floor() - TIME_MARGIN_SECS);
        }
        q.until_secs = req.until.map(|u| u.secs_floor() + 1 + TIME_MARGIN_SECS);
        let mut fed = HashSet::new();
        if let Some(since) = q.since_secs {
            fed = self.feed_banners_before(since, hosts)?;
        }
        let out = self.query(&q, &mut |entry| {
            if entry.cursor.as_ref().is_some_and(|c| fed.contains(c)) {
                return true;
            }
            hosts.send(entry)
        })?;
        Ok((q, out.last_cursor, out.entries))
    }

    /// `-n`: reads the last entries only, when they hold N whole events; None means read all.
    fn history_window(
        &self,
        n: usize,
        hosts: &mut Hosts,
    ) -> Result<Option<(Query, Option<String>, usize)>, String> {
        let want = n.saturating_mul(4).saturating_add(64);
        let q = Query {
            lines: Some(want),
            ..Query::default()
        };
        let mut window = Vec::new();
        let out = self.query(&q, &mut |e| {
            window.push(e);
            true
        })?;
        let whole_journal = window.len() < want;
        if !whole_journal {
            // Per host, entries before its first event start belong to a header outside the window.
            let mut started: HashSet<Option<String>> = HashSet::new();
            window.retain(|e| {
                if started.contains(&e.host) {
                    return true;
                }
                if e.starts_event() {
                    started.insert(e.host.clone());
                    return true;
                }
                false
            });
            let events = window.iter().filter(|e| e.starts_event()).count();
            if events < n || !self.grep_supported() {
                return Ok(None);
            }
            let first = window
                .iter()
                .filter_map(|e| e.ts)
                .min()
                .map_or(0, |t| t.secs_floor() + 1);
            let in_window: HashSet<&String> =
                window.iter().filter_map(|e| e.cursor.as_ref()).collect();
            let first_per_host: HashMap<&Option<String>, Timestamp> =
                window.iter().fold(HashMap::new(), |mut m, e| {
                    if let Some(ts) = e.ts {
                        m.entry(&e.host).or_insert(ts);
                    }
                    m
                });
            let mut banners: HashMap<Option<String>, Entry> = HashMap::new();
            self.query(
                &Query {
                    until_secs: Some(first),
                    grep: Some(BANNER.into()),
                    ..Query::default()
                },
                &mut |e| {
                    let before = match (first_per_host.get(&e.host), e.ts) {
                        (Some(first), Some(ts)) => ts <= *first,
                        _ => false,
                    };
                    if before
                        && e.is_banner()
                        && !e.cursor.as_ref().is_some_and(|c| in_window.contains(c))
                    {
                        banners.insert(e.host.clone(), e);
                    }
                    true
                },
            )?;
            for (_, b) in banners {
                hosts.send(b);
            }
        }
        let count = window.len();
        for e in window {
            if !hosts.send(e) {
                break;
            }
        }
        Ok(Some((q, out.last_cursor, count)))
    }

    /// Feeds each host's last banner entry before `until_secs`; returns their cursors.
    fn feed_banners_before(
        &self,
        until_secs: i64,
        hosts: &mut Hosts,
    ) -> Result<HashSet<String>, String> {
        let mut banners: HashMap<Option<String>, Entry> = HashMap::new();
        self.query(
            &Query {
                until_secs: Some(until_secs),
                grep: Some(BANNER.into()),
                ..Query::default()
            },
            &mut |e| {
                if e.is_banner() {
                    banners.insert(e.host.clone(), e);
                }
                true
            },
        )?;
        let mut fed = HashSet::new();
        for (_, b) in banners {
            if let Some(c) = &b.cursor {
                fed.insert(c.clone());
            }
            hosts.send(b);
        }
        Ok(fed)
    }

    /// Nothing came back: say so when the unit has no entries at all (journalctl says nothing).
    fn check_not_empty(&self, pushed: &Query) {
        let any = if *pushed == (Query::default()) {
            false
        } else {
            match self.query(
                &Query {
                    lines: Some(1),
                    ..Query::default()
                },
                &mut |_| true,
            ) {
                Ok(o) => o.entries > 0,
                Err(_) => return,
            }
        };
        if !any {
            report::source_failed(
                &self.name,
                &format!(
                    "no journal entries for {} (check the unit name: systemctl list-units 'zisk*')",
                    self.target.describe()
                ),
            );
        }
    }
}
