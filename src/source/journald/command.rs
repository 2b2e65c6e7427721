//! The journalctl command as data: its arguments for a query, the ssh argv around it and the
//! quoting for the remote shell, and the `--grep` pattern for a job.

use super::{Location, Target, BANNER, F_UNIT};

/// One journalctl invocation's options besides the unit and location.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Query {
    pub(super) since_secs: Option<i64>,
    pub(super) until_secs: Option<i64>,
    /// `--lines=N`; None is `--lines=all` (so `-f` does not imply 10).
    pub(super) lines: Option<usize>,
    pub(super) grep: Option<String>,
    pub(super) follow: bool,
    pub(super) after_cursor: Option<String>,
}

/// The arguments after `journalctl`.
pub(super) fn journalctl_args(target: &Target, q: &Query) -> Vec<String> {
    let mut a: Vec<String> = ["--output=json", "--all", "--no-pager"]
        .map(String::from)
        .to_vec();
    match &target.location {
        Location::System => {}
        Location::Dir(d) => a.push(format!("--directory={d}")),
        Location::File(f) => a.push(format!("--file={f}")),
    }
    if let Some(s) = q.since_secs {
        a.push(format!("--since=@{s}"));
    }
    if let Some(u) = q.until_secs {
        a.push(format!("--until=@{u}"));
    }
    a.push(match q.lines {
        Some(n) => format!("--lines={n}"),
        None => "--lines=all".into(),
    });
    if let Some(g) = &q.grep {
        a.push("--case-sensitive=yes".into());
        a.push(format!("--grep={g}"));
    }
    if q.follow {
        if target.many_hosts() {
            a.push("--merge".into());
        }
        a.push("--follow".into());
    }
    if let Some(c) = &q.after_cursor {
        a.push(format!("--after-cursor={c}"));
    }
    a.extend(unit_matches(&target.unit));
    a
}

fn unit_matches(unit: &str) -> Vec<String> {
    vec![
        format!("{F_UNIT}={unit}"),
        "+".into(),
        "_PID=1".into(),
        format!("UNIT={unit}"),
    ]
}

/// Quotes one word for a POSIX shell: ssh joins the remote command into one string that the
/// remote user's shell runs.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The local argv: `journalctl ARGS`, or `ssh -o BatchMode=yes [-o OPT]... -- HOST 'journalctl' 'ARG'...`.
pub(super) fn command_line(
    host: Option<&str>,
    ssh_options: &[String],
    args: &[String],
) -> Vec<String> {
    let Some(host) = host else {
        let mut v = vec!["journalctl".to_string()];
        v.extend(args.iter().cloned());
        return v;
    };
    let mut v: Vec<String> = vec!["ssh".into(), "-o".into(), "BatchMode=yes".into()];
    for o in ssh_options {
        v.push("-o".into());
        v.push(o.clone());
    }
    // ssh takes the first value given for an option, so the user's win over these defaults.
    v.extend(["-o", "ConnectTimeout=10", "-T", "--"].map(String::from));
    v.push(host.to_string());
    let remote: Vec<String> = std::iter::once("journalctl")
        .chain(args.iter().map(String::as_str))
        .map(shell_quote)
        .collect();
    v.push(remote.join(" "));
    v
}

/// A PCRE pattern matching `s` literally.
fn pcre_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if c.is_ascii() && !c.is_ascii_alphanumeric() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The `--grep` pattern for a job literal that keeps every entry the parser needs to build the
/// same events: the literal, pretty headers and continuations (leading whitespace), blank
/// lines (which end a pretty event) and banner lines.
pub(super) fn job_grep_pattern(literal: &str) -> String {
    format!(r"(?m)^\s|^$|{BANNER}|{}", pcre_escape(literal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journalctl_command_is_data() {
        let t = Target::parse("zc?dir=/d").unwrap();
        let q = Query {
            since_secs: Some(100),
            grep: Some("x".into()),
            follow: true,
            after_cursor: Some("c".into()),
            ..Query::default()
        };
        assert_eq!(
            journalctl_args(&t, &q),
            [
                "--output=json",
                "--all",
                "--no-pager",
                "--directory=/d",
                "--since=@100",
                "--lines=all",
                "--case-sensitive=yes",
                "--grep=x",
                "--merge",
                "--follow",
                "--after-cursor=c",
                "_SYSTEMD_UNIT=zc.service",
                "+",
                "_PID=1",
                "UNIT=zc.service"
            ]
        );
    }

    #[test]
    fn remote_arguments_are_quoted_for_the_remote_shell() {
        let argv = command_line(
            Some("me@h"),
            &["Port=2222".into()],
            &["--grep=a'b; $(rm -rf /) c".into()],
        );
        assert_eq!(
            &argv[..8],
            [
                "ssh",
                "-o",
                "BatchMode=yes",
                "-o",
                "Port=2222",
                "-o",
                "ConnectTimeout=10",
                "-T"
            ]
        );
        assert_eq!(&argv[8..10], ["--", "me@h"]);
        assert_eq!(argv[10], r#"'journalctl' '--grep=a'\''b; $(rm -rf /) c'"#);
        assert_eq!(argv.len(), 11);
    }

    #[test]
    fn grep_pattern_escapes_the_literal() {
        assert_eq!(pcre_escape("a.b(c)"), r"a\.b\(c\)");
        assert_eq!(
            job_grep_pattern("1a2b3c4d"),
            r"(?m)^\s|^$|Worker ID|1a2b3c4d"
        );
    }
}
