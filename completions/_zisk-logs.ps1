
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
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not fit tables, the summary and the timeline to the terminal''s width')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local zone (also when TZ is set); default UTC')
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
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check every configured source (and a Prometheus): what is reachable, and why not')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (roff): zisk-logs man | man -l -')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zisk-logs;tail' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Only this level and more severe (error, warn, info, debug, trace)')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Only this level and more severe (error, warn, info, debug, trace)')
            [CompletionResult]::new('--phase', '--phase', [CompletionResultType]::ParameterName, 'Only this phase: Execution, Contributions, Prove, Aggregate, ContributionsInputsStream, ContributionsHintsStream (any case; Phase1-3 too)')
            [CompletionResult]::new('--job', '--job', [CompletionResultType]::ParameterName, 'Only lines about this job (full ID or a prefix of at least 4 characters)')
            [CompletionResult]::new('--worker-id', '--worker-id', [CompletionResultType]::ParameterName, 'Only lines of or about this worker: its ID (full or a prefix) or its source label as shown (worker-02)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only lines at or after this time (today, yesterday, -1h, 10 min ago, 1h30m, 2026-11-21 10:00, RFC 3339)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only lines at or before this time (same forms as --since; +10m is ahead of now)')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Only lines whose message matches this regular expression (repeat: any one matches)')
            [CompletionResult]::new('--grep', '--grep', [CompletionResultType]::ParameterName, 'Only lines whose message matches this regular expression (repeat: any one matches)')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave out lines whose message matches this regular expression (repeatable)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Show N lines after each line -g selects (over the merged stream; marked "around" in JSON)')
            [CompletionResult]::new('--after-context', '--after-context', [CompletionResultType]::ParameterName, 'Show N lines after each line -g selects (over the merged stream; marked "around" in JSON)')
            [CompletionResult]::new('-B', '-B ', [CompletionResultType]::ParameterName, 'Show N lines before each line -g selects')
            [CompletionResult]::new('--before-context', '--before-context', [CompletionResultType]::ParameterName, 'Show N lines before each line -g selects')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Show N lines before and after each line -g selects')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Show N lines before and after each line -g selects')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show only the last N matching events (default: all of them; with -f: the last 10, then follow)')
            [CompletionResult]::new('--lines', '--lines', [CompletionResultType]::ParameterName, 'Show only the last N matching events (default: all of them; with -f: the last 10, then follow)')
            [CompletionResult]::new('--align', '--align', [CompletionResultType]::ParameterName, 'Merge the coordinator''s and workers'' lines by aligned time (worker clocks corrected by their offset, estimated from lines about the same job step) or by logged time (off)')
            [CompletionResult]::new('--align-hold', '--align-hold', [CompletionResultType]::ParameterName, 'With -f, the most a live line is held back for other hosts'' lines aligned before it (default 2s; held only as long as the largest worker offset); a line later than its place prints at once, marked !')
            [CompletionResult]::new('--coordinator', '--coordinator', [CompletionResultType]::ParameterName, 'Where the coordinator''s logs are (replaces the topology file''s coordinator)')
            [CompletionResult]::new('--worker', '--worker', [CompletionResultType]::ParameterName, 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour pretty output (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)')
            [CompletionResult]::new('--max-log-requests', '--max-log-requests', [CompletionResultType]::ParameterName, 'Most log streams followed at once (Kubernetes pods, containers)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Match -g and --exclude patterns in any case')
            [CompletionResult]::new('--ignore-case', '--ignore-case', [CompletionResultType]::ParameterName, 'Match -g and --exclude patterns in any case')
            [CompletionResult]::new('-S', '-S ', [CompletionResultType]::ParameterName, 'Match in any case when a pattern has no upper-case letter (ripgrep''s -S)')
            [CompletionResult]::new('--smart-case', '--smart-case', [CompletionResultType]::ParameterName, 'Match in any case when a pattern has no upper-case letter (ripgrep''s -S)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Only lines whose message matches none of the -g patterns')
            [CompletionResult]::new('--invert-match', '--invert-match', [CompletionResultType]::ParameterName, 'Only lines whose message matches none of the -g patterns')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep reading as logs grow (files across rotation and truncation, journals, containers, pods)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep reading as logs grow (files across rotation and truncation, journals, containers, pods)')
            [CompletionResult]::new('--raw-bytes', '--raw-bytes', [CompletionResultType]::ParameterName, 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not fit tables, the summary and the timeline to the terminal''s width')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local zone (also when TZ is set); default UTC')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'zisk-logs;job' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Narrow the trail: only this level and more severe')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Narrow the trail: only this level and more severe')
            [CompletionResult]::new('--phase', '--phase', [CompletionResultType]::ParameterName, 'Narrow the trail: only this phase')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Only lines whose message matches this regular expression (repeat: any one matches)')
            [CompletionResult]::new('--grep', '--grep', [CompletionResultType]::ParameterName, 'Only lines whose message matches this regular expression (repeat: any one matches)')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave out lines whose message matches this regular expression (repeatable)')
            [CompletionResult]::new('--align', '--align', [CompletionResultType]::ParameterName, 'Order the trail by aligned time (worker clocks corrected by their offset from the coordinator''s, estimated from lines about the same step) or by logged time (off)')
            [CompletionResult]::new('--skew-margin', '--skew-margin', [CompletionResultType]::ParameterName, 'Extra time read around the job on the workers (default 30s, and windows moved by each worker''s estimated clock offset); given, it is the fixed margin and nothing is moved')
            [CompletionResult]::new('--coordinator', '--coordinator', [CompletionResultType]::ParameterName, 'Where the coordinator''s logs are (replaces the topology file''s coordinator)')
            [CompletionResult]::new('--worker', '--worker', [CompletionResultType]::ParameterName, 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour pretty output (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)')
            [CompletionResult]::new('--max-log-requests', '--max-log-requests', [CompletionResultType]::ParameterName, 'Most log streams followed at once (Kubernetes pods, containers)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Match -g and --exclude patterns in any case')
            [CompletionResult]::new('--ignore-case', '--ignore-case', [CompletionResultType]::ParameterName, 'Match -g and --exclude patterns in any case')
            [CompletionResult]::new('-S', '-S ', [CompletionResultType]::ParameterName, 'Match in any case when a pattern has no upper-case letter (ripgrep''s -S)')
            [CompletionResult]::new('--smart-case', '--smart-case', [CompletionResultType]::ParameterName, 'Match in any case when a pattern has no upper-case letter (ripgrep''s -S)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Only lines whose message matches none of the -g patterns')
            [CompletionResult]::new('--invert-match', '--invert-match', [CompletionResultType]::ParameterName, 'Only lines whose message matches none of the -g patterns')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep following a running job until it ends, then print the summary')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep following a running job until it ends, then print the summary')
            [CompletionResult]::new('--summary-only', '--summary-only', [CompletionResultType]::ParameterName, 'Only the summary, not the trail')
            [CompletionResult]::new('--raw-bytes', '--raw-bytes', [CompletionResultType]::ParameterName, 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not fit tables, the summary and the timeline to the terminal''s width')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local zone (also when TZ is set); default UTC')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'zisk-logs;jobs' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only jobs started at or after this time (same forms as tail --since)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only jobs started at or before this time')
            [CompletionResult]::new('--outcome', '--outcome', [CompletionResultType]::ParameterName, 'Only jobs with one of these outcomes (repeat, or a comma-separated list; any case)')
            [CompletionResult]::new('--job-kind', '--job-kind', [CompletionResultType]::ParameterName, 'Only jobs of this kind (proofs, execution-only jobs, program setups, wraps)')
            [CompletionResult]::new('--worker-id', '--worker-id', [CompletionResultType]::ParameterName, 'Only jobs this worker took part in: its ID (full or a prefix) or its source label (worker-02)')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'Order of the rows (the last rows are the most recent, longest, ...)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only the last N rows (after sorting: the N most recent by default)')
            [CompletionResult]::new('--lines', '--lines', [CompletionResultType]::ParameterName, 'Only the last N rows (after sorting: the N most recent by default)')
            [CompletionResult]::new('--coordinator', '--coordinator', [CompletionResultType]::ParameterName, 'Where the coordinator''s logs are (replaces the topology file''s coordinator)')
            [CompletionResult]::new('--worker', '--worker', [CompletionResultType]::ParameterName, 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour pretty output (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)')
            [CompletionResult]::new('--max-log-requests', '--max-log-requests', [CompletionResultType]::ParameterName, 'Most log streams followed at once (Kubernetes pods, containers)')
            [CompletionResult]::new('--raw-bytes', '--raw-bytes', [CompletionResultType]::ParameterName, 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not fit tables, the summary and the timeline to the terminal''s width')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local zone (also when TZ is set); default UTC')
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
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not fit tables, the summary and the timeline to the terminal''s width')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local zone (also when TZ is set); default UTC')
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
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not fit tables, the summary and the timeline to the terminal''s width')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local zone (also when TZ is set); default UTC')
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
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not fit tables, the summary and the timeline to the terminal''s width')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local zone (also when TZ is set); default UTC')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'zisk-logs;doctor' {
            [CompletionResult]::new('--prometheus', '--prometheus', [CompletionResultType]::ParameterName, 'Also check this Prometheus (its HTTP API answers, and how many `up` series it holds)')
            [CompletionResult]::new('--coordinator', '--coordinator', [CompletionResultType]::ParameterName, 'Where the coordinator''s logs are (replaces the topology file''s coordinator)')
            [CompletionResult]::new('--worker', '--worker', [CompletionResultType]::ParameterName, 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour pretty output (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)')
            [CompletionResult]::new('--max-log-requests', '--max-log-requests', [CompletionResultType]::ParameterName, 'Most log streams followed at once (Kubernetes pods, containers)')
            [CompletionResult]::new('--raw-bytes', '--raw-bytes', [CompletionResultType]::ParameterName, 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not fit tables, the summary and the timeline to the terminal''s width')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local zone (also when TZ is set); default UTC')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'zisk-logs;man' {
            [CompletionResult]::new('--coordinator', '--coordinator', [CompletionResultType]::ParameterName, 'Where the coordinator''s logs are (replaces the topology file''s coordinator)')
            [CompletionResult]::new('--worker', '--worker', [CompletionResultType]::ParameterName, 'Where a worker''s logs are; repeat for more (replaces the topology file''s workers)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: pretty on a terminal, compact otherwise)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour pretty output (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)')
            [CompletionResult]::new('--max-log-requests', '--max-log-requests', [CompletionResultType]::ParameterName, 'Most log streams followed at once (Kubernetes pods, containers)')
            [CompletionResult]::new('--raw-bytes', '--raw-bytes', [CompletionResultType]::ParameterName, 'With -o raw: write the lines'' bytes even to a terminal (control characters unescaped)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not fit tables, the summary and the timeline to the terminal''s width')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local zone (also when TZ is set); default UTC')
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
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not fit tables, the summary and the timeline to the terminal''s width')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in the local zone (also when TZ is set); default UTC')
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
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check every configured source (and a Prometheus): what is reachable, and why not')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (roff): zisk-logs man | man -l -')
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
        'zisk-logs;help;doctor' {
            break
        }
        'zisk-logs;help;man' {
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
