# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_zisk_logs_global_optspecs
    string join \n coordinator= worker= config= o/output= color= raw-bytes ssh-option= max-log-requests= no-pager no-trunc local h/help V/version
end

function __fish_zisk_logs_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_zisk_logs_global_optspecs) -- $cmd 2>/dev/null
    or return 0
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
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -l no-pager -d 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -l no-trunc -d 'Do not fit tables, the summary and the timeline to the terminal\'s width'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -l local -d 'Show times in the local zone (also when TZ is set); default UTC'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -s V -l version -d 'Print version'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "tail" -d 'Show log events, filtered and merged by time from every source (or the files given)'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "job" -d 'Show one job\'s whole trail: coordinator lines, then the workers it named, merged by time, with a summary'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "jobs" -d 'List the jobs found in the coordinator\'s logs'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "workers" -d 'List the workers known: where their logs are, when seen, their jobs and errors'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "metrics" -d 'Derive the seed\'s coordinator_* series from the coordinator\'s logs (table, -o json, -o openmetrics for a backfill)'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "triage" -d 'From an alert to the logs: when each alert rule fired (Prometheus, Alertmanager, or the logs) and what explains it'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "doctor" -d 'Check every configured source (and a Prometheus): what is reachable, and why not'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "man" -d 'Print the manual page (roff): zisk-logs man | man -l -'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c zisk-logs -n "__fish_zisk_logs_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s l -l level -d 'Only this level and more severe (error, warn, info, debug, trace)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l phase -d 'Only this phase: Execution, Contributions, Prove, Aggregate, ContributionsInputsStream, ContributionsHintsStream (any case; Phase1-3 too)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l job -d 'Only lines about this job (full ID or a prefix of at least 4 characters)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l worker-id -d 'Only lines of or about this worker: its ID (full or a prefix) or its source label as shown (worker-02)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l since -d 'Only lines at or after this time (today, yesterday, -1h, 10 min ago, 1h30m, 2026-11-21 10:00, RFC 3339)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l until -d 'Only lines at or before this time (same forms as --since; +10m is ahead of now)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s g -l grep -d 'Only lines whose message matches this regular expression (repeat: any one matches)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l exclude -d 'Leave out lines whose message matches this regular expression (repeatable)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s A -l after-context -d 'Show N lines after each line -g selects (over the merged stream; marked "around" in JSON)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s B -l before-context -d 'Show N lines before each line -g selects' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s C -l context -d 'Show N lines before and after each line -g selects' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s n -l lines -d 'Show only the last N matching events (default: all of them; with -f: the last 10, then follow)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l align -d 'Merge the coordinator\'s and workers\' lines by aligned time (worker clocks corrected by their offset, estimated from lines about the same job step) or by logged time (off)' -r -f -a "auto\t''
off\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l align-hold -d 'With -f, the most a live line is held back for other hosts\' lines aligned before it (default 2s; held only as long as the largest worker offset); a line later than its place prints at once, marked !' -r
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
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s i -l ignore-case -d 'Match -g and --exclude patterns in any case'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s S -l smart-case -d 'Match in any case when a pattern has no upper-case letter (ripgrep\'s -S)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s v -l invert-match -d 'Only lines whose message matches none of the -g patterns'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s f -l follow -d 'Keep reading as logs grow (files across rotation and truncation, journals, containers, pods)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l raw-bytes -d 'With -o raw: write the lines\' bytes even to a terminal (control characters unescaped)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l no-pager -d 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l no-trunc -d 'Do not fit tables, the summary and the timeline to the terminal\'s width'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -l local -d 'Show times in the local zone (also when TZ is set); default UTC'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand tail" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -s l -l level -d 'Narrow the trail: only this level and more severe' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l phase -d 'Narrow the trail: only this phase' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -s g -l grep -d 'Only lines whose message matches this regular expression (repeat: any one matches)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l exclude -d 'Leave out lines whose message matches this regular expression (repeatable)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l align -d 'Order the trail by aligned time (worker clocks corrected by their offset from the coordinator\'s, estimated from lines about the same step) or by logged time (off)' -r -f -a "auto\t''
off\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l skew-margin -d 'Extra time read around the job on the workers (default 30s, and windows moved by each worker\'s estimated clock offset); given, it is the fixed margin and nothing is moved' -r
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
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -s i -l ignore-case -d 'Match -g and --exclude patterns in any case'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -s S -l smart-case -d 'Match in any case when a pattern has no upper-case letter (ripgrep\'s -S)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -s v -l invert-match -d 'Only lines whose message matches none of the -g patterns'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -s f -l follow -d 'Keep following a running job until it ends, then print the summary'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l summary-only -d 'Only the summary, not the trail'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l raw-bytes -d 'With -o raw: write the lines\' bytes even to a terminal (control characters unescaped)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l no-pager -d 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l no-trunc -d 'Do not fit tables, the summary and the timeline to the terminal\'s width'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -l local -d 'Show times in the local zone (also when TZ is set); default UTC'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand job" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l since -d 'Only jobs started at or after this time (same forms as tail --since)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l until -d 'Only jobs started at or before this time' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l outcome -d 'Only jobs with one of these outcomes (repeat, or a comma-separated list; any case)' -r -f -a "completed\t''
failed\t''
cancelled\t''
running\t''
unknown\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l job-kind -d 'Only jobs of this kind (proofs, execution-only jobs, program setups, wraps)' -r -f -a "prove\t''
execute\t''
setup\t''
wrap\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l worker-id -d 'Only jobs this worker took part in: its ID (full or a prefix) or its source label (worker-02)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l sort -d 'Order of the rows (the last rows are the most recent, longest, ...)' -r -f -a "started\t'By start, oldest first'
duration\t'By duration, shortest first (running jobs last)'
outcome\t'By outcome, then start'
id\t'By job ID'
workers\t'By the number of workers, then start'"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -s n -l lines -d 'Only the last N rows (after sorting: the N most recent by default)' -r
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
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l no-pager -d 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l no-trunc -d 'Do not fit tables, the summary and the timeline to the terminal\'s width'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand jobs" -l local -d 'Show times in the local zone (also when TZ is set); default UTC'
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
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand workers" -l no-pager -d 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand workers" -l no-trunc -d 'Do not fit tables, the summary and the timeline to the terminal\'s width'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand workers" -l local -d 'Show times in the local zone (also when TZ is set); default UTC'
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
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l no-pager -d 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l no-trunc -d 'Do not fit tables, the summary and the timeline to the terminal\'s width'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand metrics" -l local -d 'Show times in the local zone (also when TZ is set); default UTC'
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
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l no-pager -d 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l no-trunc -d 'Do not fit tables, the summary and the timeline to the terminal\'s width'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -l local -d 'Show times in the local zone (also when TZ is set); default UTC'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand triage" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand doctor" -l prometheus -d 'Also check this Prometheus (its HTTP API answers, and how many `up` series it holds)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand doctor" -l coordinator -d 'Where the coordinator\'s logs are (replaces the topology file\'s coordinator)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand doctor" -l worker -d 'Where a worker\'s logs are; repeat for more (replaces the topology file\'s workers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand doctor" -l config -d 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)' -r -F
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand doctor" -s o -l output -d 'Output format (default: pretty on a terminal, compact otherwise)' -r -f -a "pretty\t''
compact\t''
raw\t''
json\t''
openmetrics\t'OpenMetrics text (`metrics` only)'"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand doctor" -l color -d 'When to colour pretty output (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand doctor" -l ssh-option -d 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand doctor" -l max-log-requests -d 'Most log streams followed at once (Kubernetes pods, containers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand doctor" -l raw-bytes -d 'With -o raw: write the lines\' bytes even to a terminal (control characters unescaped)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand doctor" -l no-pager -d 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand doctor" -l no-trunc -d 'Do not fit tables, the summary and the timeline to the terminal\'s width'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand doctor" -l local -d 'Show times in the local zone (also when TZ is set); default UTC'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand man" -l coordinator -d 'Where the coordinator\'s logs are (replaces the topology file\'s coordinator)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand man" -l worker -d 'Where a worker\'s logs are; repeat for more (replaces the topology file\'s workers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand man" -l config -d 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)' -r -F
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand man" -s o -l output -d 'Output format (default: pretty on a terminal, compact otherwise)' -r -f -a "pretty\t''
compact\t''
raw\t''
json\t''
openmetrics\t'OpenMetrics text (`metrics` only)'"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand man" -l color -d 'When to colour pretty output (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand man" -l ssh-option -d 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand man" -l max-log-requests -d 'Most log streams followed at once (Kubernetes pods, containers)' -r
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand man" -l raw-bytes -d 'With -o raw: write the lines\' bytes even to a terminal (control characters unescaped)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand man" -l no-pager -d 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand man" -l no-trunc -d 'Do not fit tables, the summary and the timeline to the terminal\'s width'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand man" -l local -d 'Show times in the local zone (also when TZ is set); default UTC'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
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
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand completions" -l no-pager -d 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand completions" -l no-trunc -d 'Do not fit tables, the summary and the timeline to the terminal\'s width'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand completions" -l local -d 'Show times in the local zone (also when TZ is set); default UTC'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage doctor man completions help" -f -a "tail" -d 'Show log events, filtered and merged by time from every source (or the files given)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage doctor man completions help" -f -a "job" -d 'Show one job\'s whole trail: coordinator lines, then the workers it named, merged by time, with a summary'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage doctor man completions help" -f -a "jobs" -d 'List the jobs found in the coordinator\'s logs'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage doctor man completions help" -f -a "workers" -d 'List the workers known: where their logs are, when seen, their jobs and errors'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage doctor man completions help" -f -a "metrics" -d 'Derive the seed\'s coordinator_* series from the coordinator\'s logs (table, -o json, -o openmetrics for a backfill)'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage doctor man completions help" -f -a "triage" -d 'From an alert to the logs: when each alert rule fired (Prometheus, Alertmanager, or the logs) and what explains it'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage doctor man completions help" -f -a "doctor" -d 'Check every configured source (and a Prometheus): what is reachable, and why not'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage doctor man completions help" -f -a "man" -d 'Print the manual page (roff): zisk-logs man | man -l -'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage doctor man completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c zisk-logs -n "__fish_zisk_logs_using_subcommand help; and not __fish_seen_subcommand_from tail job jobs workers metrics triage doctor man completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
