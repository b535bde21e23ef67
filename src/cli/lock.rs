//! One run at a time: a live run locks its runbook and every plan it fails over, so an
//! overlapping cron drill or a second operator on the same machine cannot run them at the
//! same time. The locks are advisory file locks (`flock`), released by the kernel when the
//! process ends however it ends; the files name the holder for the message a second process
//! prints.

use super::exit::Error;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::Read;
#[cfg(not(unix))]
use std::io::Write;
use std::path::{Path, PathBuf};

/// Held locks; dropping them releases them.
pub struct Locks {
    files: Vec<File>,
}

impl Drop for Locks {
    /// Unlocks explicitly rather than only closing: a child process forked at that moment
    /// (`git` for the provenance, in another thread) shares the open file until it execs,
    /// and closing our descriptor alone would leave the lock held through its copy.
    fn drop(&mut self) {
        for file in &self.files {
            let _ = file.unlock();
        }
    }
}

/// Where lock files live: `DRBOOK_LOCK_DIR`, else `$XDG_RUNTIME_DIR/drbook-locks`, else a
/// folder of this user's (by user id) in the temporary directory. One machine, all report
/// directories.
pub fn lock_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DRBOOK_LOCK_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("drbook-locks");
    }
    std::env::temp_dir().join(format!("drbook-locks-{}", user_id()))
}

#[cfg(unix)]
fn user_id() -> u32 {
    rustix::process::getuid().as_raw()
}

#[cfg(not(unix))]
fn user_id() -> u32 {
    0
}

/// Creates the lock folder private to this user, and refuses one that another user could
/// write into (a planted lock file or symbolic link could otherwise be used against us).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        if std::fs::symlink_metadata(dir).is_err() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        let meta = std::fs::symlink_metadata(dir)?;
        let private =
            meta.is_dir() && meta.uid() == user_id() && meta.permissions().mode() & 0o022 == 0;
        if !private {
            return Err(std::io::Error::other(format!(
                "the lock folder {} is not a folder private to this user (set DRBOOK_LOCK_DIR)",
                dir.display()
            )));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

fn hash(text: &str) -> String {
    crate::runbook::source::hex(&Sha256::digest(text.as_bytes()))[..16].to_owned()
}

/// Takes, in `dir`, the lock of the runbook and of each plan, or says who holds one
/// ([`Error::Locked`]) or why the lock cannot be taken at all ([`Error::LockUnavailable`]).
pub fn acquire(
    dir: &Path,
    runbook: &Path,
    plans: &[uuid::Uuid],
    holder: &str,
) -> Result<Locks, Error> {
    // Released again (on drop) if a later lock cannot be taken.
    let mut locks = Locks { files: Vec::new() };
    for (index, (path, what)) in lock_files(dir, runbook, plans).into_iter().enumerate() {
        // The folder is checked (and made) once, before its first lock file is opened.
        let opened = if index == 0 {
            private_dir(dir).and_then(|()| open(&path))
        } else {
            open(&path)
        };
        let (file, length) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                return Err(Error::LockUnavailable {
                    what,
                    message: format!("the lock file {}: {e}", path.display()),
                });
            }
        };
        if file.try_lock().is_err() {
            let mut holder = String::new();
            let _ = (&file).read_to_string(&mut holder);
            return Err(Error::Locked {
                what,
                holder: holder.trim().to_owned(),
            });
        }
        // The holder's name replaces what an earlier holder wrote (cut to it only when
        // that was longer).
        let _ = write_at_start(&file, holder.as_bytes());
        if length > holder.len() as u64 {
            let _ = file.set_len(holder.len() as u64);
        }
        locks.files.push(file);
    }
    Ok(locks)
}

/// The lock files of a runbook and its plans, each with what it locks (for messages).
fn lock_files(dir: &Path, runbook: &Path, plans: &[uuid::Uuid]) -> Vec<(PathBuf, String)> {
    let canonical = std::fs::canonicalize(runbook).unwrap_or_else(|_| runbook.to_path_buf());
    let mut files = vec![(
        dir.join(format!(
            "runbook-{}.lock",
            hash(&canonical.display().to_string())
        )),
        format!("runbook {}", canonical.display()),
    )];
    for plan in plans {
        files.push((
            dir.join(format!("plan-{plan}.lock")),
            format!("plan {plan}"),
        ));
    }
    files
}

/// A lock [`probe`] found held: what it locks, and the holder as the lock file names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub what: String,
    pub holder: String,
}

/// Whether a process holds the lock of the runbook or of one of the plans (the first held
/// one), for `drbook status`. It never takes a lock away from a run and creates nothing: a
/// lock file that does not exist is held by nobody; one that exists is opened read-only and
/// locked *shared* for an instant, which fails while a run holds it (exclusively), and is
/// let go at once. (A run that starts in that instant meets a held lock and exits 3,
/// having sent nothing.) `Err`: a lock file exists but cannot be opened.
pub fn probe(dir: &Path, runbook: &Path, plans: &[uuid::Uuid]) -> Result<Option<Held>, String> {
    for (path, what) in lock_files(dir, runbook, plans) {
        if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let file =
            File::open(&path).map_err(|e| format!("the lock file {}: {e}", path.display()))?;
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = (&file).read_to_string(&mut holder);
                return Ok(Some(Held {
                    what,
                    holder: holder.trim().to_owned(),
                }));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("the lock file {}: {e}", path.display()));
            }
        }
    }
    Ok(None)
}

/// Opens (or creates) a lock file, refusing anything but a regular file: a symbolic link is
/// not followed, and what was opened is looked at through the open file itself. Returns the
/// file and its length.
fn open(path: &Path) -> std::io::Result<(File, u64)> {
    let not_a_file = || std::io::Error::other(format!("{} is not a regular file", path.display()));
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(not_a_file());
    }
    match options.open(path) {
        Ok(file) => {
            let meta = file.metadata()?;
            if meta.is_file() {
                Ok((file, meta.len()))
            } else {
                Err(not_a_file())
            }
        }
        // A symbolic link (not followed), a folder, a socket: named as before.
        Err(_) if std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_file()) => Err(not_a_file()),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn write_at_start(file: &File, bytes: &[u8]) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, 0)
}

#[cfg(not(unix))]
fn write_at_start(mut file: &File, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Seek;
    file.rewind()?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary folder holding a runbook: the folder, where the runbook's locks go (not
    /// made yet), and the runbook's path.
    fn folder() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let runbook = dir.path().join("rb.yaml");
        std::fs::write(&runbook, "x").unwrap();
        let locks = dir.path().join("locks");
        (dir, locks, runbook)
    }

    #[test]
    fn a_second_taker_learns_who_holds_the_lock() {
        let (dir, locks, runbook) = folder();
        let plan = uuid::Uuid::new_v4();
        let first = acquire(&locks, &runbook, &[plan], "pid 1, started now, runbook rb").unwrap();
        let Err(Error::Locked { what, holder }) = acquire(&locks, &runbook, &[], "pid 2") else {
            panic!("the runbook's lock is held");
        };
        assert!(what.starts_with("runbook "), "{what}");
        assert_eq!(holder, "pid 1, started now, runbook rb");
        let other = dir.path().join("other.yaml");
        std::fs::write(&other, "y").unwrap();
        let Err(Error::Locked { what, .. }) = acquire(&locks, &other, &[plan], "pid 3") else {
            panic!("the plan's lock is held");
        };
        assert_eq!(what, format!("plan {plan}"));
        drop(first);
        assert!(acquire(&locks, &runbook, &[plan], "pid 4").is_ok());
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_not_a_held_lock() {
        let (dir, _, runbook) = folder();
        // A file where the lock folder should be: creating the folder fails.
        let blocker = dir.path().join("blocker");
        std::fs::write(&blocker, "").unwrap();
        match acquire(&blocker.join("locks"), &runbook, &[], "pid 1") {
            Err(Error::LockUnavailable { what, message }) => {
                assert!(what.starts_with("runbook "), "{what}");
                assert!(message.contains("lock"), "{message}");
            }
            other => panic!("expected an unavailable lock, got {:?}", other.err()),
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_file_that_is_a_symbolic_link_or_a_folder_is_not_followed() {
        let (dir, locks, runbook) = folder();
        std::fs::create_dir(&locks).unwrap();
        std::fs::set_permissions(&locks, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        let (plan, other) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "kept").unwrap();
        std::os::unix::fs::symlink(&target, locks.join(format!("plan-{plan}.lock"))).unwrap();
        std::fs::create_dir(locks.join(format!("plan-{other}.lock"))).unwrap();
        for (plan, kind) in [(plan, "link"), (other, "folder")] {
            match acquire(&locks, &runbook, &[plan], "pid 1") {
                Err(Error::LockUnavailable { what, message }) => {
                    assert_eq!(what, format!("plan {plan}"), "{kind}");
                    assert!(
                        message.contains("is not a regular file"),
                        "{kind}: {message}"
                    );
                }
                other => panic!(
                    "{kind}: expected an unavailable lock, got {:?}",
                    other.err()
                ),
            }
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "kept");
        // A holder's name replaces a longer one left by an earlier holder.
        drop(acquire(&locks, &runbook, &[], "pid 12345, a long holder name").unwrap());
        let held = acquire(&locks, &runbook, &[], "pid 2").unwrap();
        let Ok(Some(found)) = probe(&locks, &runbook, &[]) else {
            panic!("the lock is held");
        };
        assert_eq!(found.holder, "pid 2");
        drop(held);
    }

    #[test]
    fn a_probe_sees_a_held_lock_takes_nothing_and_creates_nothing() {
        let (_dir, locks, runbook) = folder();
        let plan = uuid::Uuid::new_v4();
        assert_eq!(probe(&locks, &runbook, &[plan]), Ok(None));
        assert!(!locks.exists(), "a probe creates no lock folder");
        let held = acquire(&locks, &runbook, &[plan], "pid 1, runbook rb").unwrap();
        let Ok(Some(found)) = probe(&locks, &runbook, &[plan]) else {
            panic!("the lock is held");
        };
        assert!(found.what.starts_with("runbook "), "{}", found.what);
        assert_eq!(found.holder, "pid 1, runbook rb");
        // Probing left the lock where it was: a second taker is still refused.
        assert!(matches!(
            acquire(&locks, &runbook, &[], "pid 2"),
            Err(Error::Locked { .. })
        ));
        drop(held);
        assert_eq!(probe(&locks, &runbook, &[plan]), Ok(None));
        // A probe's instant of shared locking is over: the lock can be taken again.
        assert!(acquire(&locks, &runbook, &[plan], "pid 3").is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn the_user_id_is_the_real_one() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let mine = std::fs::metadata(dir.path()).unwrap().uid();
        assert_eq!(user_id(), mine);
    }
}
