
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
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zisk-logs;tail'= {
            cand -l 'Only this level and more severe (error, warn, info, debug, trace)'
            cand --level 'Only this level and more severe (error, warn, info, debug, trace)'
            cand --phase 'Only this phase (Contributions, Prove, Aggregate, Execution...; any case)'
            cand --job 'Only lines about this job (full ID or a prefix of at least 4 characters)'
            cand --worker-id 'Only lines of or about this worker (full ID or prefix)'
            cand --since 'Only lines at or after this time (RFC 3339, a date, or an age like 10m, 2h, 3d)'
            cand --until 'Only lines at or before this time (same forms as --since)'
            cand -g 'Only lines whose message matches this regular expression'
            cand --grep 'Only lines whose message matches this regular expression'
            cand -n 'Show only the last N matching events (with -f: then follow; default with -f: 10)'
            cand --lines 'Show only the last N matching events (with -f: then follow; default with -f: 10)'
            cand --coordinator 'Where the coordinator''s logs are (replaces the topology file''s coordinator)'
            cand --worker 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)'
            cand --config 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)'
            cand -o 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --output 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --color 'When to colour pretty output (NO_COLOR is honoured by auto)'
            cand --ssh-option 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)'
            cand --max-log-requests 'Most log streams followed at once (Kubernetes pods, containers)'
            cand -f 'Keep reading as logs grow (files across rotation and truncation, journals, containers, pods)'
            cand --follow 'Keep reading as logs grow (files across rotation and truncation, journals, containers, pods)'
            cand --raw-bytes 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'zisk-logs;job'= {
            cand -l 'Narrow the trail: only this level and more severe'
            cand --level 'Narrow the trail: only this level and more severe'
            cand --phase 'Narrow the trail: only this phase'
            cand -g 'Narrow the trail: only lines whose message matches'
            cand --grep 'Narrow the trail: only lines whose message matches'
            cand --skew-margin 'Extra time read around the job on the workers, for clock skew between hosts'
            cand --coordinator 'Where the coordinator''s logs are (replaces the topology file''s coordinator)'
            cand --worker 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)'
            cand --config 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)'
            cand -o 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --output 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --color 'When to colour pretty output (NO_COLOR is honoured by auto)'
            cand --ssh-option 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)'
            cand --max-log-requests 'Most log streams followed at once (Kubernetes pods, containers)'
            cand -f 'Keep following a running job until it ends, then print the summary'
            cand --follow 'Keep following a running job until it ends, then print the summary'
            cand --summary-only 'Only the summary, not the trail'
            cand --raw-bytes 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'zisk-logs;jobs'= {
            cand --since 'Only jobs started at or after this time'
            cand --outcome 'Only jobs with this outcome'
            cand --coordinator 'Where the coordinator''s logs are (replaces the topology file''s coordinator)'
            cand --worker 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)'
            cand --config 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)'
            cand -o 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --output 'Output format (default: pretty on a terminal, compact otherwise)'
            cand --color 'When to colour pretty output (NO_COLOR is honoured by auto)'
            cand --ssh-option 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)'
            cand --max-log-requests 'Most log streams followed at once (Kubernetes pods, containers)'
            cand --raw-bytes 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)'
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
        &'zisk-logs;help;completions'= {
        }
        &'zisk-logs;help;help'= {
        }
    ]
    $completions[$command]
}
