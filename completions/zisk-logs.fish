# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_zisk_logs_global_optspecs
    string join \n coordinator= worker= config= o/output= color= raw-bytes ssh-option= max-log-requests= h/help V/version
end

function __fish_zisk_logs_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_zisk_logs_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_zisk_logs_using_subcommand
    set -l cmd (__fish_zisk_logs_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -l coordinator -d 'Where the coordinator\'s logs are (replaces the topology file\'s coordinator)' -r
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -l worker -d 'Where a worker\'s logs are; repeat for more (replaces the topology file\'s workers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -l config -d 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)' -r -F
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -s o -l output -d 'Output format (default: pretty on a terminal, compact otherwise)' -r -f -a "pretty\t''
compact\t''
raw\t''
json\t''
openmetrics\t'OpenMetrics text (`metrics` only)'"
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -l color -d 'When to colour pretty output (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -l ssh-option -d 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)' -r
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -l max-log-requests -d 'Most log streams followed at once (Kubernetes pods, containers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -l raw-bytes -d 'With -o raw: write the lines\' bytes even to a terminal (control characters unescaped)'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -s V -l version -d 'Print version'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "tail" -d 'Show log events, filtered and merged by time from every source (or the files given)'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "job" -d 'Show one job\'s whole trail: coordinator lines, then the workers it named, merged by time, with a summary'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "jobs" -d 'List the jobs found in the coordinator\'s logs'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "workers" -d 'List the workers known: where their logs are, when seen, their jobs and errors'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "metrics" -d 'Derive the seed\'s coordinator_* series from the coordinator\'s logs (table, -o json, -o openmetrics for a backfill)'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "triage" -d 'From an alert to the logs: when each alert rule fired (Prometheus, Alertmanager, or the logs) and what explains it'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s l -l level -d 'Only this level and more severe (error, warn, info, debug, trace)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l phase -d 'Only this phase (Contributions, Prove, Aggregate, Execution...; any case)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l job -d 'Only lines about this job (full ID or a prefix of at least 4 characters)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l worker-id -d 'Only lines of or about this worker (full ID or prefix)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l since -d 'Only lines at or after this time (RFC 3339, a date, or an age like 10m, 2h, 3d)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l until -d 'Only lines at or before this time (same forms as --since)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s g -l grep -d 'Only lines whose message matches this regular expression' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s n -l lines -d 'Show only the last N matching events (with -f: then follow; default with -f: 10)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l coordinator -d 'Where the coordinator\'s logs are (replaces the topology file\'s coordinator)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l worker -d 'Where a worker\'s logs are; repeat for more (replaces the topology file\'s workers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l config -d 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)' -r -F
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s o -l output -d 'Output format (default: pretty on a terminal, compact otherwise)' -r -f -a "pretty\t''
compact\t''
raw\t''
json\t''
openmetrics\t'OpenMetrics text (`metrics` only)'"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l color -d 'When to colour pretty output (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l ssh-option -d 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l max-log-requests -d 'Most log streams followed at once (Kubernetes pods, containers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s f -l follow -d 'Keep reading as logs grow (files across rotation and truncation, journals, containers, pods)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l raw-bytes -d 'With -o raw: write the lines\' bytes even to a terminal (control characters unescaped)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -s l -l level -d 'Narrow the trail: only this level and more severe' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l phase -d 'Narrow the trail: only this phase' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -s g -l grep -d 'Narrow the trail: only lines whose message matches' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l skew-margin -d 'Extra time read around the job on the workers, for clock skew between hosts' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l coordinator -d 'Where the coordinator\'s logs are (replaces the topology file\'s coordinator)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l worker -d 'Where a worker\'s logs are; repeat for more (replaces the topology file\'s workers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l config -d 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)' -r -F
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -s o -l output -d 'Output format (default: pretty on a terminal, compact otherwise)' -r -f -a "pretty\t''
compact\t''
raw\t''
json\t''
openmetrics\t'OpenMetrics text (`metrics` only)'"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l color -d 'When to colour pretty output (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l ssh-option -d 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l max-log-requests -d 'Most log streams followed at once (Kubernetes pods, containers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -s f -l follow -d 'Keep following a running job until it ends, then print the summary'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l summary-only -d 'Only the summary, not the trail'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l raw-bytes -d 'With -o raw: write the lines\' bytes even to a terminal (control characters unescaped)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l since -d 'Only jobs started at or after this time' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l outcome -d 'Only jobs with this outcome' -r -f -a "completed\t''
failed\t''
cancelled\t''
running\t''
unknown\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l coordinator -d 'Where the coordinator\'s logs are (replaces the topology file\'s coordinator)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l worker -d 'Where a worker\'s logs are; repeat for more (replaces the topology file\'s workers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l config -d 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)' -r -F
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -s o -l output -d 'Output format (default: pretty on a terminal, compact otherwise)' -r -f -a "pretty\t''
compact\t''
raw\t''
json\t''
openmetrics\t'OpenMetrics text (`metrics` only)'"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l color -d 'When to colour pretty output (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l ssh-option -d 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l max-log-requests -d 'Most log streams followed at once (Kubernetes pods, containers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l raw-bytes -d 'With -o raw: write the lines\' bytes even to a terminal (control characters unescaped)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand workers" -l coordinator -d 'Where the coordinator\'s logs are (replaces the topology file\'s coordinator)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand workers" -l worker -d 'Where a worker\'s logs are; repeat for more (replaces the topology file\'s workers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand workers" -l config -d 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)' -r -F
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand workers" -s o -l output -d 'Output format (default: pretty on a terminal, compact otherwise)' -r -f -a "pretty\t''
compact\t''
raw\t''
json\t''
openmetrics\t'OpenMetrics text (`metrics` only)'"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand workers" -l color -d 'When to colour pretty output (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand workers" -l ssh-option -d 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand workers" -l max-log-requests -d 'Most log streams followed at once (Kubernetes pods, containers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand workers" -l raw-bytes -d 'With -o raw: write the lines\' bytes even to a terminal (control characters unescaped)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand workers" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l since -d 'Start of the series (default: the coordinator\'s first line)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l until -d 'End of the series (default: the coordinator\'s last line)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l step -d 'Time between samples, as a scrape interval (default 5s, the seed\'s)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l labels -d 'Label values: the seed\'s (completed|failed|cancelled) or the coordinator code\'s (success|failure|cancelled)' -r -f -a "seed\t'The seed\'s documentation: completed, failed, cancelled (its rules and dashboard use it)'
code\t'The coordinator\'s exporter since v0.13: success, failure, cancelled'"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l coordinator -d 'Where the coordinator\'s logs are (replaces the topology file\'s coordinator)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l worker -d 'Where a worker\'s logs are; repeat for more (replaces the topology file\'s workers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l config -d 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)' -r -F
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -s o -l output -d 'Output format (default: pretty on a terminal, compact otherwise)' -r -f -a "pretty\t''
compact\t''
raw\t''
json\t''
openmetrics\t'OpenMetrics text (`metrics` only)'"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l color -d 'When to colour pretty output (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l ssh-option -d 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l max-log-requests -d 'Most log streams followed at once (Kubernetes pods, containers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l raw-bytes -d 'With -o raw: write the lines\' bytes even to a terminal (control characters unescaped)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l since -d 'Start of the window (default: an hour before --until)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l until -d 'End of the window (default: now)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l prometheus -d 'Evaluate the rules with this Prometheus (its HTTP API); without it, on series derived from the logs' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l alertmanager -d 'Triage the alerts this Alertmanager has active now (/api/v2/alerts)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l rules -d 'Alerting rules to evaluate (a Prometheus rule file); default: the seed\'s five' -r -F
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l alert -d 'Only this alert (repeatable)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l expected-replicas -d 'Workers the fleet should have, for ZiskWorkerFleetDegraded (default: the topology\'s, else the most seen connected)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l budget-seconds -d 'p99 job duration budget, for ZiskJobP99Slow' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l step -d 'Evaluation step (default: Prometheus\' scrape interval for zisk-coordinator, else 5s)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l metrics-url -d 'A coordinator\'s /metrics to compare with the logs now (workers connected, failures per worker)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l bearer-token-file -d 'Bearer token for Prometheus, Alertmanager and /metrics, read from this file (or $ZISK_LOGS_BEARER_TOKEN)' -r -F
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l basic-auth -d 'Basic auth for Prometheus, Alertmanager and /metrics' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l ca-file -d 'CA certificates (PEM) to trust for https:// URLs' -r -F
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l coordinator -d 'Where the coordinator\'s logs are (replaces the topology file\'s coordinator)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l worker -d 'Where a worker\'s logs are; repeat for more (replaces the topology file\'s workers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l config -d 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)' -r -F
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -s o -l output -d 'Output format (default: pretty on a terminal, compact otherwise)' -r -f -a "pretty\t''
compact\t''
raw\t''
json\t''
openmetrics\t'OpenMetrics text (`metrics` only)'"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l color -d 'When to colour pretty output (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l ssh-option -d 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l max-log-requests -d 'Most log streams followed at once (Kubernetes pods, containers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l firing -d 'Triage the alerts this Prometheus has firing now (/api/v1/alerts) instead of the window\'s history'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l insecure-skip-verify -d 'Do not verify TLS certificates (only for a server you trust)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l raw-bytes -d 'With -o raw: write the lines\' bytes even to a terminal (control characters unescaped)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand completions" -l coordinator -d 'Where the coordinator\'s logs are (replaces the topology file\'s coordinator)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand completions" -l worker -d 'Where a worker\'s logs are; repeat for more (replaces the topology file\'s workers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand completions" -l config -d 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)' -r -F
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand completions" -s o -l output -d 'Output format (default: pretty on a terminal, compact otherwise)' -r -f -a "pretty\t''
compact\t''
raw\t''
json\t''
openmetrics\t'OpenMetrics text (`metrics` only)'"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand completions" -l color -d 'When to colour pretty output (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand completions" -l ssh-option -d 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand completions" -l max-log-requests -d 'Most log streams followed at once (Kubernetes pods, containers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand completions" -l raw-bytes -d 'With -o raw: write the lines\' bytes even to a terminal (control characters unescaped)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage completions help" -f -a "tail" -d 'Show log events, filtered and merged by time from every source (or the files given)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage completions help" -f -a "job" -d 'Show one job\'s whole trail: coordinator lines, then the workers it named, merged by time, with a summary'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage completions help" -f -a "jobs" -d 'List the jobs found in the coordinator\'s logs'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage completions help" -f -a "workers" -d 'List the workers known: where their logs are, when seen, their jobs and errors'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage completions help" -f -a "metrics" -d 'Derive the seed\'s coordinator_* series from the coordinator\'s logs (table, -o json, -o openmetrics for a backfill)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage completions help" -f -a "triage" -d 'From an alert to the logs: when each alert rule fired (Prometheus, Alertmanager, or the logs) and what explains it'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
