
use builtin;
use str;

set edit:completion:arg-completer[zisk-logs] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'zisk-logs'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'zisk-logs'= {
            cand --coordinator 'Where the coordinator''s logs are (replaces the topology file''s coordinator)'
            cand --worker 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)'
            cand --config 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)'
            cand -o 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --output 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --color 'When to colour pretty output (NO_COLOR is honoured by auto)'
            cand --ssh-option 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)'
            cand --max-log-requests 'Most log streams followed at once (Kubernetes pods, containers)'
            cand --raw-bytes 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)'
            cand --no-pager 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
            cand --no-trunc 'Do not fit tables, the summary and the timeline to the terminal''s width'
            cand --local 'Show times in the local zone (also when TZ is set); default UTC'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand tail 'Show log events, filtered and merged by time from every source (or the files given)'
            cand job 'Show one job''s whole trail: coordinator lines, then the workers it named, merged by time, with a summary'
            cand jobs 'List the jobs found in the coordinator''s logs'
            cand workers 'List the workers known: where their logs are, when seen, their jobs and errors'
            cand metrics 'Derive the seed''s coordinator_* series from the coordinator''s logs (table, -o json, -o openmetrics for a backfill)'
            cand triage 'From an alert to the logs: when each alert rule fired (Prometheus, Alertmanager, or the logs) and what explains it'
            cand doctor 'Check every configured source (and a Prometheus): what is reachable, and why not'
            cand man 'Print the manual page (roff): zisk-logs man | man -l -'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zisk-logs;tail'= {
            cand -l 'Only this level and more severe (error, warn, info, debug, trace)'
            cand --level 'Only this level and more severe (error, warn, info, debug, trace)'
            cand --phase 'Only this phase: Execution, Contributions, Prove, Aggregate, ContributionsInputsStream, ContributionsHintsStream (any case; Phase1-3 too)'
            cand --job 'Only lines about this job (full ID or a prefix of at least 4 characters)'
            cand --worker-id 'Only lines of or about this worker: its ID (full or a prefix) or its source label as shown (worker-02)'
            cand --since 'Only lines at or after this time (today, yesterday, -1h, 10 min ago, 1h30m, 2026-11-21 10:00, RFC 3339)'
            cand --until 'Only lines at or before this time (same forms as --since; +10m is ahead of now)'
            cand -g 'Only lines whose message matches this regular expression (repeat: any one matches)'
            cand --grep 'Only lines whose message matches this regular expression (repeat: any one matches)'
            cand --exclude 'Leave out lines whose message matches this regular expression (repeatable)'
            cand -A 'Show N lines after each line -g selects (over the merged stream; marked "around" in JSON)'
            cand --after-context 'Show N lines after each line -g selects (over the merged stream; marked "around" in JSON)'
            cand -B 'Show N lines before each line -g selects'
            cand --before-context 'Show N lines before each line -g selects'
            cand -C 'Show N lines before and after each line -g selects'
            cand --context 'Show N lines before and after each line -g selects'
            cand -n 'Show only the last N matching events (default: all of them; with -f: the last 10, then follow)'
            cand --lines 'Show only the last N matching events (default: all of them; with -f: the last 10, then follow)'
            cand --align 'Merge the coordinator''s and workers'' lines by aligned time (worker clocks corrected by their offset, estimated from lines about the same job step) or by logged time (off)'
            cand --align-hold 'With -f, the most a live line is held back for other hosts'' lines aligned before it (default 2s; held only as long as the largest worker offset); a line later than its place prints at once, marked !'
            cand --coordinator 'Where the coordinator''s logs are (replaces the topology file''s coordinator)'
            cand --worker 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)'
            cand --config 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)'
            cand -o 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --output 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --color 'When to colour pretty output (NO_COLOR is honoured by auto)'
            cand --ssh-option 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)'
            cand --max-log-requests 'Most log streams followed at once (Kubernetes pods, containers)'
            cand -i 'Match -g and --exclude patterns in any case'
            cand --ignore-case 'Match -g and --exclude patterns in any case'
            cand -S 'Match in any case when a pattern has no upper-case letter (ripgrep''s -S)'
            cand --smart-case 'Match in any case when a pattern has no upper-case letter (ripgrep''s -S)'
            cand -v 'Only lines whose message matches none of the -g patterns'
            cand --invert-match 'Only lines whose message matches none of the -g patterns'
            cand -f 'Keep reading as logs grow (files across rotation and truncation, journals, containers, pods)'
            cand --follow 'Keep reading as logs grow (files across rotation and truncation, journals, containers, pods)'
            cand --raw-bytes 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)'
            cand --no-pager 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
            cand --no-trunc 'Do not fit tables, the summary and the timeline to the terminal''s width'
            cand --local 'Show times in the local zone (also when TZ is set); default UTC'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'zisk-logs;job'= {
            cand -l 'Narrow the trail: only this level and more severe'
            cand --level 'Narrow the trail: only this level and more severe'
            cand --phase 'Narrow the trail: only this phase'
            cand -g 'Only lines whose message matches this regular expression (repeat: any one matches)'
            cand --grep 'Only lines whose message matches this regular expression (repeat: any one matches)'
            cand --exclude 'Leave out lines whose message matches this regular expression (repeatable)'
            cand --align 'Order the trail by aligned time (worker clocks corrected by their offset from the coordinator''s, estimated from lines about the same step) or by logged time (off)'
            cand --skew-margin 'Extra time read around the job on the workers (default 30s, and windows moved by each worker''s estimated clock offset); given, it is the fixed margin and nothing is moved'
            cand --coordinator 'Where the coordinator''s logs are (replaces the topology file''s coordinator)'
            cand --worker 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)'
            cand --config 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)'
            cand -o 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --output 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --color 'When to colour pretty output (NO_COLOR is honoured by auto)'
            cand --ssh-option 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)'
            cand --max-log-requests 'Most log streams followed at once (Kubernetes pods, containers)'
            cand -i 'Match -g and --exclude patterns in any case'
            cand --ignore-case 'Match -g and --exclude patterns in any case'
            cand -S 'Match in any case when a pattern has no upper-case letter (ripgrep''s -S)'
            cand --smart-case 'Match in any case when a pattern has no upper-case letter (ripgrep''s -S)'
            cand -v 'Only lines whose message matches none of the -g patterns'
            cand --invert-match 'Only lines whose message matches none of the -g patterns'
            cand -f 'Keep following a running job until it ends, then print the summary'
            cand --follow 'Keep following a running job until it ends, then print the summary'
            cand --summary-only 'Only the summary, not the trail'
            cand --raw-bytes 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)'
            cand --no-pager 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
            cand --no-trunc 'Do not fit tables, the summary and the timeline to the terminal''s width'
            cand --local 'Show times in the local zone (also when TZ is set); default UTC'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'zisk-logs;jobs'= {
            cand --since 'Only jobs started at or after this time (same forms as tail --since)'
            cand --until 'Only jobs started at or before this time'
            cand --outcome 'Only jobs with one of these outcomes (repeat, or a comma-separated list; any case)'
            cand --job-kind 'Only jobs of this kind (proofs, execution-only jobs, program setups, wraps)'
            cand --worker-id 'Only jobs this worker took part in: its ID (full or a prefix) or its source label (worker-02)'
            cand --sort 'Order of the rows (the last rows are the most recent, longest, ...)'
            cand -n 'Only the last N rows (after sorting: the N most recent by default)'
            cand --lines 'Only the last N rows (after sorting: the N most recent by default)'
            cand --coordinator 'Where the coordinator''s logs are (replaces the topology file''s coordinator)'
            cand --worker 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)'
            cand --config 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)'
            cand -o 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --output 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --color 'When to colour pretty output (NO_COLOR is honoured by auto)'
            cand --ssh-option 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)'
            cand --max-log-requests 'Most log streams followed at once (Kubernetes pods, containers)'
            cand --raw-bytes 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)'
            cand --no-pager 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
            cand --no-trunc 'Do not fit tables, the summary and the timeline to the terminal''s width'
            cand --local 'Show times in the local zone (also when TZ is set); default UTC'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'zisk-logs;workers'= {
            cand --coordinator 'Where the coordinator''s logs are (replaces the topology file''s coordinator)'
            cand --worker 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)'
            cand --config 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)'
            cand -o 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --output 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --color 'When to colour pretty output (NO_COLOR is honoured by auto)'
            cand --ssh-option 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)'
            cand --max-log-requests 'Most log streams followed at once (Kubernetes pods, containers)'
            cand --raw-bytes 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)'
            cand --no-pager 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
            cand --no-trunc 'Do not fit tables, the summary and the timeline to the terminal''s width'
            cand --local 'Show times in the local zone (also when TZ is set); default UTC'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'zisk-logs;metrics'= {
            cand --since 'Start of the series (default: the coordinator''s first line)'
            cand --until 'End of the series (default: the coordinator''s last line)'
            cand --step 'Time between samples, as a scrape interval (default 5s, the seed''s)'
            cand --labels 'Label values: the seed''s (completed|failed|cancelled) or the coordinator code''s (success|failure|cancelled)'
            cand --coordinator 'Where the coordinator''s logs are (replaces the topology file''s coordinator)'
            cand --worker 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)'
            cand --config 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)'
            cand -o 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --output 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --color 'When to colour pretty output (NO_COLOR is honoured by auto)'
            cand --ssh-option 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)'
            cand --max-log-requests 'Most log streams followed at once (Kubernetes pods, containers)'
            cand --raw-bytes 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)'
            cand --no-pager 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
            cand --no-trunc 'Do not fit tables, the summary and the timeline to the terminal''s width'
            cand --local 'Show times in the local zone (also when TZ is set); default UTC'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'zisk-logs;triage'= {
            cand --since 'Start of the window (default: an hour before --until)'
            cand --until 'End of the window (default: now)'
            cand --prometheus 'Evaluate the rules with this Prometheus (its HTTP API); without it, on series derived from the logs'
            cand --alertmanager 'Triage the alerts this Alertmanager has active now (/api/v2/alerts)'
            cand --rules 'Alerting rules to evaluate (a Prometheus rule file); default: the seed''s five'
            cand --alert 'Only this alert (repeatable)'
            cand --expected-replicas 'Workers the fleet should have, for ZiskWorkerFleetDegraded (default: the topology''s, else the most seen connected)'
            cand --budget-seconds 'p99 job duration budget, for ZiskJobP99Slow'
            cand --step 'Evaluation step (default: Prometheus'' scrape interval for zisk-coordinator, else 5s)'
            cand --metrics-url 'A coordinator''s /metrics to compare with the logs now (workers connected, failures per worker)'
            cand --bearer-token-file 'Bearer token for Prometheus, Alertmanager and /metrics, read from this file (or $ZISK_LOGS_BEARER_TOKEN)'
            cand --basic-auth 'Basic auth for Prometheus, Alertmanager and /metrics'
            cand --ca-file 'CA certificates (PEM) to trust for https:// URLs'
            cand --coordinator 'Where the coordinator''s logs are (replaces the topology file''s coordinator)'
            cand --worker 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)'
            cand --config 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)'
            cand -o 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --output 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --color 'When to colour pretty output (NO_COLOR is honoured by auto)'
            cand --ssh-option 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)'
            cand --max-log-requests 'Most log streams followed at once (Kubernetes pods, containers)'
            cand --firing 'Triage the alerts this Prometheus has firing now (/api/v1/alerts) instead of the window''s history'
            cand --insecure-skip-verify 'Do not verify TLS certificates (only for a server you trust)'
            cand --raw-bytes 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)'
            cand --no-pager 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
            cand --no-trunc 'Do not fit tables, the summary and the timeline to the terminal''s width'
            cand --local 'Show times in the local zone (also when TZ is set); default UTC'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'zisk-logs;doctor'= {
            cand --prometheus 'Also check this Prometheus (its HTTP API answers, and how many `up` series it holds)'
            cand --coordinator 'Where the coordinator''s logs are (replaces the topology file''s coordinator)'
            cand --worker 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)'
            cand --config 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)'
            cand -o 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --output 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --color 'When to colour pretty output (NO_COLOR is honoured by auto)'
            cand --ssh-option 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)'
            cand --max-log-requests 'Most log streams followed at once (Kubernetes pods, containers)'
            cand --raw-bytes 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)'
            cand --no-pager 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
            cand --no-trunc 'Do not fit tables, the summary and the timeline to the terminal''s width'
            cand --local 'Show times in the local zone (also when TZ is set); default UTC'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'zisk-logs;man'= {
            cand --coordinator 'Where the coordinator''s logs are (replaces the topology file''s coordinator)'
            cand --worker 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)'
            cand --config 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)'
            cand -o 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --output 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --color 'When to colour pretty output (NO_COLOR is honoured by auto)'
            cand --ssh-option 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)'
            cand --max-log-requests 'Most log streams followed at once (Kubernetes pods, containers)'
            cand --raw-bytes 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)'
            cand --no-pager 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
            cand --no-trunc 'Do not fit tables, the summary and the timeline to the terminal''s width'
            cand --local 'Show times in the local zone (also when TZ is set); default UTC'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'zisk-logs;completions'= {
            cand --coordinator 'Where the coordinator''s logs are (replaces the topology file''s coordinator)'
            cand --worker 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)'
            cand --config 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)'
            cand -o 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --output 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --color 'When to colour pretty output (NO_COLOR is honoured by auto)'
            cand --ssh-option 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)'
            cand --max-log-requests 'Most log streams followed at once (Kubernetes pods, containers)'
            cand --raw-bytes 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)'
            cand --no-pager 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
            cand --no-trunc 'Do not fit tables, the summary and the timeline to the terminal''s width'
            cand --local 'Show times in the local zone (also when TZ is set); default UTC'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'zisk-logs;help'= {
            cand tail 'Show log events, filtered and merged by time from every source (or the files given)'
            cand job 'Show one job''s whole trail: coordinator lines, then the workers it named, merged by time, with a summary'
            cand jobs 'List the jobs found in the coordinator''s logs'
            cand workers 'List the workers known: where their logs are, when seen, their jobs and errors'
            cand metrics 'Derive the seed''s coordinator_* series from the coordinator''s logs (table, -o json, -o openmetrics for a backfill)'
            cand triage 'From an alert to the logs: when each alert rule fired (Prometheus, Alertmanager, or the logs) and what explains it'
            cand doctor 'Check every configured source (and a Prometheus): what is reachable, and why not'
            cand man 'Print the manual page (roff): zisk-logs man | man -l -'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zisk-logs;help;tail'= {
        }
        &'zisk-logs;help;job'= {
        }
        &'zisk-logs;help;jobs'= {
        }
        &'zisk-logs;help;workers'= {
        }
        &'zisk-logs;help;metrics'= {
        }
        &'zisk-logs;help;triage'= {
        }
        &'zisk-logs;help;doctor'= {
        }
        &'zisk-logs;help;man'= {
        }
        &'zisk-logs;help;completions'= {
        }
        &'zisk-logs;help;help'= {
        }
    ]
    $completions[$command]
}
