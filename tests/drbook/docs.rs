//! Shell completions and manual pages, generated from the command line's definition and
//! checked by the programs that read them: bash sources the completion script and completes
//! with it; groff renders every manual page without a warning.

use crate::support::*;

const COMMANDS: [&str; 11] = [
    "validate",
    "run",
    "check",
    "drill",
    "resume",
    "status",
    "history",
    "plans",
    "simulator",
    "completions",
    "man",
];

#[test]
fn bash_sources_the_completion_script_and_completes_commands_and_flags() {
    let t = Drbook::new();
    t.args(["completions", "bash"]);
    let out = t.run();
    out.assert_code(0);
    let script = t.file("drbook.bash", &out.stdout);
    let Some(bash) = tool("bash") else {
        return;
    };
    // `complete -p` proves the script registered itself; the completion function is then
    // called as bash calls it for `drbook <TAB>` and `drbook run --dry<TAB>`.
    let probe = format!(
        r#"set -e
source '{}'
complete -p drbook
COMP_WORDS=(drbook ''); COMP_CWORD=1; _drbook drbook '' drbook
echo "commands: ${{COMPREPLY[*]}}"
COMP_WORDS=(drbook run --dry); COMP_CWORD=2; _drbook drbook --dry run
echo "flags: ${{COMPREPLY[*]}}"
"#,
        script.display()
    );
    let done = std::process::Command::new(bash)
        .args(["--norc", "--noprofile", "-c", &probe])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(stdout.contains("-F _drbook drbook"), "{stdout}");
    let commands = stdout
        .lines()
        .find_map(|l| l.strip_prefix("commands: "))
        .unwrap();
    for command in COMMANDS {
        assert!(
            commands.split(' ').any(|word| word == command),
            "{command} not completed: {commands}"
        );
    }
    assert!(stdout.contains("flags: --dry-run"), "{stdout}");
}

#[test]
fn every_shell_gets_a_script_naming_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let t = Drbook::new();
        t.args(["completions", shell]);
        let out = t.run();
        out.assert_code(0);
        for command in COMMANDS {
            assert!(out.stdout.contains(command), "{shell}: no {command}");
        }
    }
    let t = Drbook::new();
    t.args(["completions", "tcsh"]);
    t.run().assert_code(2);
}

#[test]
fn groff_renders_every_manual_page_without_a_warning() {
    let t = Drbook::new();
    let dir = t.dir().join("man");
    t.args(["man", "--out", dir.to_str().unwrap()]);
    let out = t.run();
    out.assert_code(0);
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    let mut expected: Vec<String> = COMMANDS
        .iter()
        .map(|c| format!("drbook-{c}.1"))
        .chain(["drbook.1".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(pages, expected);

    // `drbook man` prints the top page, the same as the file.
    let t2 = Drbook::new();
    t2.args(["man"]);
    let printed = t2.run();
    printed.assert_code(0);
    assert_eq!(
        printed.stdout,
        std::fs::read_to_string(dir.join("drbook.1")).unwrap()
    );
    // `drbook man COMMAND` prints that command's page, the same as its file.
    for command in COMMANDS {
        let t3 = Drbook::new();
        t3.args(["man", command]);
        let printed = t3.run();
        printed.assert_code(0);
        let file = std::fs::read_to_string(dir.join(format!("drbook-{command}.1"))).unwrap();
        assert_eq!(printed.stdout, file, "{command}");
    }
    let t4 = Drbook::new();
    t4.args(["man", "rnu"]);
    t4.run()
        .assert_code(2)
        .assert_stderr_contains("drbook has no command `rnu`; its manual pages are for ");

    let Some(groff) = tool("groff") else {
        return;
    };
    for page in &pages {
        let rendered = std::process::Command::new(&groff)
            // Warnings on; plain text out (no overstrike, no escapes) to read the words.
            .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
            .arg(dir.join(page))
            .env("LC_ALL", "C.UTF-8")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&rendered.stderr);
        assert!(
            rendered.status.success() && stderr.is_empty(),
            "{page}: {stderr}"
        );
        let plain = String::from_utf8_lossy(&rendered.stdout);
        assert!(plain.contains("NAME"), "{page}: {plain}");
        if page == "drbook.1" {
            assert!(plain.contains("Exit codes: 0 success"), "{plain}");
        }
        if page == "drbook-run.1" {
            assert!(
                plain.contains("--dry-run") || plain.contains("‐‐dry‐run"),
                "{plain}"
            );
        }
    }
}
