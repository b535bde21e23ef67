//! Who ran a run, where, and with what: the provenance every report carries.

use crate::prepare::Prepared;
use crate::report::VariableRecord;
use crate::template::{VarSource, is_secret_name};
use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Who ran drbook: the login name from the environment, else the account of the process's
/// user id (cron and CI often set no `USER`).
pub fn operator() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .or_else(account)
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The operating-system account drbook runs as: the real user id's name, looked up through
/// the C library (so accounts from NSS or LDAP too, not only `/etc/passwd`).
#[cfg(unix)]
pub fn account() -> Option<String> {
    let user = nix::unistd::User::from_uid(nix::unistd::getuid()).ok()??;
    Some(user.name).filter(|name| !name.is_empty())
}

#[cfg(not(unix))]
pub fn account() -> Option<String> {
    None
}

/// Who takes the operator's decisions: `--operator NAME`, else the account drbook runs as
/// (else the login name of [`operator`]); the account is kept beside a name given.
pub fn decider(given: Option<&str>) -> crate::exec::Decider {
    let account = account();
    let by = given
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .or_else(|| account.clone())
        .unwrap_or_else(operator);
    crate::exec::Decider { by, account }
}

pub fn host() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .filter(|h| !h.is_empty())
}

/// What git says about the folder the runbook file is in. Both `None` outside a git
/// repository, without git, or when git did not answer in time: provenance never stops a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitState {
    /// The commit checked out (`git rev-parse HEAD`).
    pub commit: Option<String>,
    /// Whether the work tree differs from that commit: a tracked file changed, or the
    /// runbook file itself is untracked, ignored or changed (then the commit does not hold
    /// what ran).
    pub dirty: Option<bool>,
    /// The runbook file's path inside the repository's work tree, `/`-separated: the same
    /// file whichever folder drbook was started from, and on every clone.
    pub path: Option<String>,
}

/// All of git's calls together get this long: a hung network file system must not hold up
/// a failover.
const GIT_TIMEOUT: Duration = Duration::from_secs(3);

/// The git commit and dirty flag of the runbook file's folder.
pub fn git_state(runbook: &Path) -> GitState {
    let dir = runbook
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !maybe_in_repository(dir) {
        return GitState::default();
    }
    let deadline = Instant::now() + GIT_TIMEOUT;
    let Some(commit) = git(dir, &["rev-parse", "--verify", "HEAD"], deadline)
        .map(|out| out.trim().to_owned())
        .filter(|c| matches!(c.len(), 40 | 64) && c.bytes().all(|b| b.is_ascii_hexdigit()))
    else {
        return GitState::default();
    };
    let tracked = git(
        dir,
        &["status", "--porcelain", "--untracked-files=no"],
        deadline,
    );
    let this_file = runbook.file_name().and_then(|name| {
        let args: [&OsStr; 6] = [
            "status".as_ref(),
            "--porcelain".as_ref(),
            "--untracked-files=all".as_ref(),
            "--ignored".as_ref(),
            "--".as_ref(),
            name,
        ];
        git(dir, &args, deadline)
    });
    let dirty = match (tracked, this_file) {
        (Some(tracked), Some(this_file)) => {
            Some(!tracked.trim().is_empty() || !this_file.trim().is_empty())
        }
        _ => None,
    };
    GitState {
        commit: Some(commit),
        dirty,
        path: path_in_work_tree(runbook),
    }
}

/// `runbook`'s path below the nearest folder holding a `.git` (a folder, or the file of a
/// worktree or submodule), links resolved; `None` when it cannot be resolved.
fn path_in_work_tree(runbook: &Path) -> Option<String> {
    let file = std::fs::canonicalize(runbook).ok()?;
    let root = file
        .ancestors()
        .skip(1)
        .find(|folder| folder.join(".git").symlink_metadata().is_ok())?;
    let inside = file.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = inside.iter().map(|part| part.to_str()).collect();
    Some(parts?.join("/"))
}

/// Whether git could find a repository for `dir`: some folder from `dir` up holds a `.git`
/// (folder or file) or is a bare repository (`HEAD`, `objects`, `refs`). When none does,
/// git would only say "not a git repository", and is not started (that costs milliseconds,
/// most of a one-step run's own time). A folder that cannot be resolved is left to git.
fn maybe_in_repository(dir: &Path) -> bool {
    let Ok(dir) = std::fs::canonicalize(dir) else {
        return true;
    };
    dir.ancestors().any(|folder| {
        folder.join(".git").symlink_metadata().is_ok()
            || (folder.join("HEAD").is_file()
                && folder.join("objects").is_dir()
                && folder.join("refs").is_dir())
    })
}

/// Runs `git -C dir args…` and returns its stdout if it succeeded before `deadline`.
fn git<S: AsRef<OsStr>>(dir: &Path, args: &[S], deadline: Instant) -> Option<String> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        // A report must not start a file-system monitor daemon in the operator's repository.
        .args(["-c", "core.fsmonitor=false"])
        .args(args)
        // `status` must not take the index lock of a repository someone is working in.
        .env("GIT_OPTIONAL_LOCKS", "0")
        // The repository is the runbook's, whatever the caller's environment points at.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    // Read on a thread: a full pipe would otherwise stall git, and a process git left
    // behind holding the pipe would stall the read.
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = send.send(stdout.read_to_string(&mut text).ok().map(|_| text));
    });
    // git closes its output when it is done: wait for that (not a poll with a sleep, which
    // cost a whole sleep's time on every run), then for its exit status.
    let left = deadline.saturating_duration_since(Instant::now());
    let Ok(text) = receive.recv_timeout(left) else {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    };
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return text,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_micros(100)),
            Ok(Some(_)) => return None,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

pub fn slug(name: &str) -> String {
    let mut slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    let slug = slug.trim_matches('-');
    let slug: String = slug.chars().take(48).collect();
    if slug.is_empty() {
        "runbook".to_owned()
    } else {
        slug
    }
}

/// The variables as the journal keeps them: a secret's value is left out.
pub fn journal_variables(prepared: &Prepared) -> Vec<crate::exec::journal::JournalVariable> {
    variable_records(prepared)
        .into_iter()
        .map(|record| {
            let secret = is_secret_name(&record.name);
            crate::exec::journal::JournalVariable {
                value: (!secret).then_some(record.value),
                name: record.name,
                secret,
                source: record.source,
            }
        })
        .collect()
}

pub fn variable_records(prepared: &Prepared) -> Vec<VariableRecord> {
    prepared
        .variables
        .iter()
        .map(|(name, var)| VariableRecord {
            name: name.clone(),
            value: if is_secret_name(name) {
                serde_json::Value::String("***".to_owned())
            } else {
                var.value.clone()
            },
            source: match &var.source {
                VarSource::Runbook => "runbook".to_owned(),
                VarSource::Env(n) => format!("environment ({n})"),
                VarSource::File(f) => format!("file {f}"),
                VarSource::Cli => "--var".to_owned(),
                VarSource::Resumed(source) => source.clone(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{GitState, git_state, slug};
    use std::path::Path;
    use std::process::Command;

    #[test]
    fn run_ids_carry_a_readable_slug() {
        assert_eq!(slug("Payments: site A → B"), "payments-site-a-b");
        assert_eq!(slug("***"), "runbook");
    }

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=drbook tests",
                "-c",
                "user.email=tests@drbook.invalid",
            ])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// A repository with `ops/rb.yaml` and `README` committed.
    fn repo() -> (tempfile::TempDir, std::path::PathBuf, String) {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        std::fs::create_dir(dir.path().join("ops")).unwrap();
        let runbook = dir.path().join("ops/rb.yaml");
        std::fs::write(&runbook, "version: 1\n").unwrap();
        std::fs::write(dir.path().join("README"), "hello\n").unwrap();
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["commit", "-q", "-m", "first"]);
        let head = git(dir.path(), &["rev-parse", "HEAD"]);
        (dir, runbook, head)
    }

    #[test]
    fn a_clean_work_tree_gives_its_commit() {
        let (dir, runbook, head) = repo();
        // Reports written into the repository are untracked files: they must not count.
        std::fs::create_dir(dir.path().join("reports")).unwrap();
        std::fs::write(dir.path().join("reports/x.json"), "{}").unwrap();
        assert_state(&runbook, &head, false);
    }

    #[test]
    fn a_changed_tracked_file_anywhere_makes_it_dirty() {
        let (dir, runbook, head) = repo();
        std::fs::write(dir.path().join("README"), "changed\n").unwrap();
        assert_state(&runbook, &head, true);
    }

    fn assert_state(runbook: &std::path::Path, head: &str, dirty: bool) {
        let state = git_state(runbook);
        assert_eq!(state.commit.as_deref(), Some(head));
        assert_eq!(state.dirty, Some(dirty));
        assert_eq!(state.path.as_deref(), Some("ops/rb.yaml"));
    }

    #[test]
    fn an_untracked_or_ignored_runbook_makes_it_dirty() {
        let (dir, _, _) = repo();
        let new = dir.path().join("ops/new.yaml");
        std::fs::write(&new, "version: 1\n").unwrap();
        assert_eq!(git_state(&new).dirty, Some(true));
        std::fs::write(dir.path().join(".gitignore"), "*.local.yaml\n").unwrap();
        git(dir.path(), &["add", ".gitignore"]);
        git(dir.path(), &["commit", "-q", "-m", "ignore"]);
        let ignored = dir.path().join("ops/rb.local.yaml");
        std::fs::write(&ignored, "version: 1\n").unwrap();
        assert_eq!(git_state(&ignored).dirty, Some(true));
        // The untracked new.yaml is no concern of another runbook.
        assert_eq!(
            git_state(&dir.path().join("ops/rb.yaml")).dirty,
            Some(false)
        );
    }

    #[test]
    fn a_git_that_does_not_answer_in_time_is_given_up() {
        let (dir, _, _) = repo();
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(200);
        let slow = super::git(dir.path(), &["-c", "alias.slow=!sleep 5", "slow"], deadline);
        assert_eq!(slow, None);
        let quick = super::git(dir.path(), &["rev-parse", "--is-inside-work-tree"], {
            std::time::Instant::now() + std::time::Duration::from_secs(30)
        });
        assert_eq!(quick.as_deref().map(str::trim), Some("true"));
    }

    #[test]
    fn git_is_not_started_where_it_cannot_find_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("ops/runbooks");
        std::fs::create_dir_all(&inner).unwrap();
        assert!(!super::maybe_in_repository(&inner));
        // A work tree (`.git` folder, or a file for a linked work tree or submodule) and a
        // bare repository are found from any folder below them.
        std::fs::write(dir.path().join(".git"), "gitdir: elsewhere\n").unwrap();
        assert!(super::maybe_in_repository(&inner));
        std::fs::remove_file(dir.path().join(".git")).unwrap();
        git(dir.path(), &["init", "-q", "--bare"]);
        assert!(super::maybe_in_repository(&inner));
        assert!(super::maybe_in_repository(Path::new("/no/such/folder")));
    }

    #[test]
    fn outside_git_both_are_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let runbook = dir.path().join("rb.yaml");
        std::fs::write(&runbook, "version: 1\n").unwrap();
        assert_eq!(git_state(&runbook), GitState::default());
        // A repository without a commit has no commit to name either.
        git(dir.path(), &["init", "-q"]);
        assert_eq!(git_state(&runbook), GitState::default());
    }
}
