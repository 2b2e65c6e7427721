//! The committed completion scripts in the real shells: bash (the function `complete -p`
//! registers, called as readline calls it), zsh (`compinit` from `fpath`, Tab typed in a
//! tmux pane) and fish (`complete -C`), for subcommands, flags past the subcommand and flag
//! values.

use std::process::Command;
use std::time::Duration;

use crate::tmux::Tmux;
use crate::util::root;

/// (the line typed, a completion it must offer)
const CASES: [(&str, &str); 5] = [
    ("zisk-logs wor", "workers"),
    ("zisk-logs tail --le", "--level"),
    ("zisk-logs job 7a33 --summ", "--summary-only"),
    ("zisk-logs jobs --outcome ", "failed"),
    ("zisk-logs --color ", "always"),
];

fn script(name: &str) -> String {
    root().join("completions").join(name).display().to_string()
}

#[test]
fn bash_completes_subcommands_flags_and_values() {
    require_program!("bash");
    let mut driver = format!(
        "source {:?}\n\
         fn=$(complete -p zisk-logs | sed -E 's/.* -F ([^ ]+) .*/\\1/')\n\
         offer() {{ COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMP_LINE=\"$*\"; \
         COMP_POINT=${{#COMP_LINE}}; COMPREPLY=(); \
         \"$fn\" zisk-logs \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
         echo \"$*=>${{COMPREPLY[*]}}\"; }}\n",
        script("zisk-logs.bash")
    );
    for (line, _) in CASES {
        let mut words: Vec<String> = line.split_whitespace().map(|w| format!("{w:?}")).collect();
        if line.ends_with(' ') {
            words.push("\"\"".into());
        }
        driver.push_str(&format!("offer {}\n", words.join(" ")));
    }
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &driver])
        .output()
        .expect("run bash");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for ((line, offered), got) in CASES.iter().zip(text.lines()) {
        let replies = got.split_once("=>").map_or("", |(_, r)| r);
        assert!(
            replies.split_whitespace().any(|r| r == *offered),
            "bash: {line:?}<TAB> offers {replies:?}, not {offered:?}"
        );
    }
}

#[test]
fn fish_completes_subcommands_flags_and_values() {
    require_program!("fish");
    for (line, offered) in CASES {
        let out = Command::new("fish")
            .arg("--no-config")
            .arg("-c")
            .arg(format!(
                "source {:?}; complete -C {:?}",
                script("zisk-logs.fish"),
                line
            ))
            .output()
            .expect("run fish");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.lines().any(|l| l.split('\t').next() == Some(offered)),
            "fish: {line:?}<TAB> offers:\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn zsh_completes_subcommands_flags_and_values() {
    require_program!("zsh");
    require_program!("tmux");
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".zshrc"),
        format!(
            "fpath=({:?} $fpath)\nautoload -U compinit\ncompinit -u -d {:?}\nPS1='READY%% '\n",
            root().join("completions"),
            home.path().join("zcompdump")
        ),
    )
    .unwrap();
    for (line, offered) in CASES {
        let pane = Tmux::run(100, 30, &format!("ZDOTDIR={:?} zsh -i", home.path()));
        let limit = Duration::from_secs(20);
        pane.wait_for("the zsh prompt", limit, |t| t.contains("READY%"));
        pane.keys(line);
        pane.keys("Tab");
        // A single match is put on the line; several are listed beneath it.
        pane.wait_for(&format!("{line:?}<TAB> to offer {offered:?}"), limit, |t| {
            t.lines().skip_while(|l| !l.contains("READY%")).any(|l| {
                l.split_whitespace()
                    .any(|w| w == offered || w.starts_with(&format!("{offered}=")))
            })
        });
    }
}
