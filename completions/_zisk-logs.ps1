
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'zisk-logs' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'zisk-logs'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'zisk-logs' {
            [CompletionResult]::new('--coordinator', '--coordinator', [CompletionResultType]::ParameterName, 'Where the coordinator''s logs are (replaces the topology file''s coordinator)')
            [CompletionResult]::new('--worker', '--worker', [CompletionResultType]::ParameterName, 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour pretty output (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)')
            [CompletionResult]::new('--max-log-requests', '--max-log-requests', [CompletionResultType]::ParameterName, 'Most log streams followed at once (Kubernetes pods, containers)')
            [CompletionResult]::new('--raw-bytes', '--raw-bytes', [CompletionResultType]::ParameterName, 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Show log events, filtered and merged by time from every source (or the files given)')
            [CompletionResult]::new('job', 'job', [CompletionResultType]::ParameterValue, 'Show one job''s whole trail: coordinator lines, then the workers it named, merged by time, with a summary')
            [CompletionResult]::new('jobs', 'jobs', [CompletionResultType]::ParameterValue, 'List the jobs found in the coordinator''s logs')
            [CompletionResult]::new('workers', 'workers', [CompletionResultType]::ParameterValue, 'List the workers known: where their logs are, when seen, their jobs and errors')
            [CompletionResult]::new('metrics', 'metrics', [CompletionResultType]::ParameterValue, 'Derive the seed''s coordinator_* series from the coordinator''s logs (table, -o json, -o openmetrics for a backfill)')
            [CompletionResult]::new('triage', 'triage', [CompletionResultType]::ParameterValue, 'From an alert to the logs: when each alert rule fired (Prometheus, Alertmanager, or the logs) and what explains it')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zisk-logs;tail' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Only this level and more severe (error, warn, info, debug, trace)')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Only this level and more severe (error, warn, info, debug, trace)')
            [CompletionResult]::new('--phase', '--phase', [CompletionResultType]::ParameterName, 'Only this phase (Contributions, Prove, Aggregate, Execution...; any case)')
            [CompletionResult]::new('--job', '--job', [CompletionResultType]::ParameterName, 'Only lines about this job (full ID or a prefix of at least 4 characters)')
            [CompletionResult]::new('--worker-id', '--worker-id', [CompletionResultType]::ParameterName, 'Only lines of or about this worker (full ID or prefix)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only lines at or after this time (RFC 3339, a date, or an age like 10m, 2h, 3d)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only lines at or before this time (same forms as --since)')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Only lines whose message matches this regular expression')
            [CompletionResult]::new('--grep', '--grep', [CompletionResultType]::ParameterName, 'Only lines whose message matches this regular expression')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show only the last N matching events (with -f: then follow; default with -f: 10)')
            [CompletionResult]::new('--lines', '--lines', [CompletionResultType]::ParameterName, 'Show only the last N matching events (with -f: then follow; default with -f: 10)')
            [CompletionResult]::new('--coordinator', '--coordinator', [CompletionResultType]::ParameterName, 'Where the coordinator''s logs are (replaces the topology file''s coordinator)')
            [CompletionResult]::new('--worker', '--worker', [CompletionResultType]::ParameterName, 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour pretty output (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)')
            [CompletionResult]::new('--max-log-requests', '--max-log-requests', [CompletionResultType]::ParameterName, 'Most log streams followed at once (Kubernetes pods, containers)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep reading as logs grow (files across rotation and truncation, journals, containers, pods)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep reading as logs grow (files across rotation and truncation, journals, containers, pods)')
            [CompletionResult]::new('--raw-bytes', '--raw-bytes', [CompletionResultType]::ParameterName, 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'zisk-logs;job' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Narrow the trail: only this level and more severe')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Narrow the trail: only this level and more severe')
            [CompletionResult]::new('--phase', '--phase', [CompletionResultType]::ParameterName, 'Narrow the trail: only this phase')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Narrow the trail: only lines whose message matches')
            [CompletionResult]::new('--grep', '--grep', [CompletionResultType]::ParameterName, 'Narrow the trail: only lines whose message matches')
            [CompletionResult]::new('--skew-margin', '--skew-margin', [CompletionResultType]::ParameterName, 'Extra time read around the job on the workers, for clock skew between hosts')
            [CompletionResult]::new('--coordinator', '--coordinator', [CompletionResultType]::ParameterName, 'Where the coordinator''s logs are (replaces the topology file''s coordinator)')
            [CompletionResult]::new('--worker', '--worker', [CompletionResultType]::ParameterName, 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour pretty output (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)')
            [CompletionResult]::new('--max-log-requests', '--max-log-requests', [CompletionResultType]::ParameterName, 'Most log streams followed at once (Kubernetes pods, containers)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep following a running job until it ends, then print the summary')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep following a running job until it ends, then print the summary')
            [CompletionResult]::new('--summary-only', '--summary-only', [CompletionResultType]::ParameterName, 'Only the summary, not the trail')
            [CompletionResult]::new('--raw-bytes', '--raw-bytes', [CompletionResultType]::ParameterName, 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'zisk-logs;jobs' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only jobs started at or after this time')
            [CompletionResult]::new('--outcome', '--outcome', [CompletionResultType]::ParameterName, 'Only jobs with this outcome')
            [CompletionResult]::new('--coordinator', '--coordinator', [CompletionResultType]::ParameterName, 'Where the coordinator''s logs are (replaces the topology file''s coordinator)')
            [CompletionResult]::new('--worker', '--worker', [CompletionResultType]::ParameterName, 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour pretty output (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)')
            [CompletionResult]::new('--max-log-requests', '--max-log-requests', [CompletionResultType]::ParameterName, 'Most log streams followed at once (Kubernetes pods, containers)')
            [CompletionResult]::new('--raw-bytes', '--raw-bytes', [CompletionResultType]::ParameterName, 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'zisk-logs;workers' {
            [CompletionResult]::new('--coordinator', '--coordinator', [CompletionResultType]::ParameterName, 'Where the coordinator''s logs are (replaces the topology file''s coordinator)')
            [CompletionResult]::new('--worker', '--worker', [CompletionResultType]::ParameterName, 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour pretty output (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)')
            [CompletionResult]::new('--max-log-requests', '--max-log-requests', [CompletionResultType]::ParameterName, 'Most log streams followed at once (Kubernetes pods, containers)')
            [CompletionResult]::new('--raw-bytes', '--raw-bytes', [CompletionResultType]::ParameterName, 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'zisk-logs;metrics' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Start of the series (default: the coordinator''s first line)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'End of the series (default: the coordinator''s last line)')
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'Time between samples, as a scrape interval (default 5s, the seed''s)')
            [CompletionResult]::new('--labels', '--labels', [CompletionResultType]::ParameterName, 'Label values: the seed''s (completed|failed|cancelled) or the coordinator code''s (success|failure|cancelled)')
            [CompletionResult]::new('--coordinator', '--coordinator', [CompletionResultType]::ParameterName, 'Where the coordinator''s logs are (replaces the topology file''s coordinator)')
            [CompletionResult]::new('--worker', '--worker', [CompletionResultType]::ParameterName, 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour pretty output (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)')
            [CompletionResult]::new('--max-log-requests', '--max-log-requests', [CompletionResultType]::ParameterName, 'Most log streams followed at once (Kubernetes pods, containers)')
            [CompletionResult]::new('--raw-bytes', '--raw-bytes', [CompletionResultType]::ParameterName, 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'zisk-logs;triage' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Start of the window (default: an hour before --until)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'End of the window (default: now)')
            [CompletionResult]::new('--prometheus', '--prometheus', [CompletionResultType]::ParameterName, 'Evaluate the rules with this Prometheus (its HTTP API); without it, on series derived from the logs')
            [CompletionResult]::new('--alertmanager', '--alertmanager', [CompletionResultType]::ParameterName, 'Triage the alerts this Alertmanager has active now (/api/v2/alerts)')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Alerting rules to evaluate (a Prometheus rule file); default: the seed''s five')
            [CompletionResult]::new('--alert', '--alert', [CompletionResultType]::ParameterName, 'Only this alert (repeatable)')
            [CompletionResult]::new('--expected-replicas', '--expected-replicas', [CompletionResultType]::ParameterName, 'Workers the fleet should have, for ZiskWorkerFleetDegraded (default: the topology''s, else the most seen connected)')
            [CompletionResult]::new('--budget-seconds', '--budget-seconds', [CompletionResultType]::ParameterName, 'p99 job duration budget, for ZiskJobP99Slow')
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'Evaluation step (default: Prometheus'' scrape interval for zisk-coordinator, else 5s)')
            [CompletionResult]::new('--metrics-url', '--metrics-url', [CompletionResultType]::ParameterName, 'A coordinator''s /metrics to compare with the logs now (workers connected, failures per worker)')
            [CompletionResult]::new('--bearer-token-file', '--bearer-token-file', [CompletionResultType]::ParameterName, 'Bearer token for Prometheus, Alertmanager and /metrics, read from this file (or $ZISK_LOGS_BEARER_TOKEN)')
            [CompletionResult]::new('--basic-auth', '--basic-auth', [CompletionResultType]::ParameterName, 'Basic auth for Prometheus, Alertmanager and /metrics')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'CA certificates (PEM) to trust for https:// URLs')
            [CompletionResult]::new('--coordinator', '--coordinator', [CompletionResultType]::ParameterName, 'Where the coordinator''s logs are (replaces the topology file''s coordinator)')
            [CompletionResult]::new('--worker', '--worker', [CompletionResultType]::ParameterName, 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour pretty output (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)')
            [CompletionResult]::new('--max-log-requests', '--max-log-requests', [CompletionResultType]::ParameterName, 'Most log streams followed at once (Kubernetes pods, containers)')
            [CompletionResult]::new('--firing', '--firing', [CompletionResultType]::ParameterName, 'Triage the alerts this Prometheus has firing now (/api/v1/alerts) instead of the window''s history')
            [CompletionResult]::new('--insecure-skip-verify', '--insecure-skip-verify', [CompletionResultType]::ParameterName, 'Do not verify TLS certificates (only for a server you trust)')
            [CompletionResult]::new('--raw-bytes', '--raw-bytes', [CompletionResultType]::ParameterName, 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'zisk-logs;completions' {
            [CompletionResult]::new('--coordinator', '--coordinator', [CompletionResultType]::ParameterName, 'Where the coordinator''s logs are (replaces the topology file''s coordinator)')
            [CompletionResult]::new('--worker', '--worker', [CompletionResultType]::ParameterName, 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour pretty output (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)')
            [CompletionResult]::new('--max-log-requests', '--max-log-requests', [CompletionResultType]::ParameterName, 'Most log streams followed at once (Kubernetes pods, containers)')
            [CompletionResult]::new('--raw-bytes', '--raw-bytes', [CompletionResultType]::ParameterName, 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'zisk-logs;help' {
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Show log events, filtered and merged by time from every source (or the files given)')
            [CompletionResult]::new('job', 'job', [CompletionResultType]::ParameterValue, 'Show one job''s whole trail: coordinator lines, then the workers it named, merged by time, with a summary')
            [CompletionResult]::new('jobs', 'jobs', [CompletionResultType]::ParameterValue, 'List the jobs found in the coordinator''s logs')
            [CompletionResult]::new('workers', 'workers', [CompletionResultType]::ParameterValue, 'List the workers known: where their logs are, when seen, their jobs and errors')
            [CompletionResult]::new('metrics', 'metrics', [CompletionResultType]::ParameterValue, 'Derive the seed''s coordinator_* series from the coordinator''s logs (table, -o json, -o openmetrics for a backfill)')
            [CompletionResult]::new('triage', 'triage', [CompletionResultType]::ParameterValue, 'From an alert to the logs: when each alert rule fired (Prometheus, Alertmanager, or the logs) and what explains it')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zisk-logs;help;tail' {
            break
        }
        'zisk-logs;help;job' {
            break
        }
        'zisk-logs;help;jobs' {
            break
        }
        'zisk-logs;help;workers' {
            break
        }
        'zisk-logs;help;metrics' {
            break
        }
        'zisk-logs;help;triage' {
            break
        }
        'zisk-logs;help;completions' {
            break
        }
        'zisk-logs;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
