//! How a command ends: its exit status and the error that ended it, mapped to exit codes in
//! one place ([`Exit::code`]), and printed in one place ([`Error::print`]).

use crate::prepare::PrepareError;

/// Every way drbook ends, each with its documented exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every step succeeded, the dry run was listed, or the runbooks are valid.
    Success,
    /// A step failed (check: would fail; drill: could not clean up), the server could not be
    /// reached or refused to log in (also for `status --live`), the final report could not
    /// be written, or (`history --max-age`) a runbook is not drilled within the age or
    /// changed since its last successful drill.
    Failed,
    /// Invalid runbook, variables or usage, or (`status`) no such run or an unreadable
    /// journal; nothing was sent.
    Invalid,
    /// Another drbook holds the lock of this runbook or of one of its plans; nothing was sent.
    Locked,
    /// The lock folder or a lock file could not be created or opened; nothing was sent.
    LockUnavailable,
    /// Interrupted (Ctrl-C, SIGTERM, SIGHUP); the report says what had happened by then.
    Interrupted,
}

impl Exit {
    /// All of them, in the order `--help` lists them.
    pub const ALL: [Exit; 6] = [
        Exit::Success,
        Exit::Failed,
        Exit::Invalid,
        Exit::Locked,
        Exit::LockUnavailable,
        Exit::Interrupted,
    ];

    /// The process exit code: the one mapping.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failed => 1,
            Exit::Invalid => 2,
            Exit::Locked => 3,
            Exit::LockUnavailable => 4,
            Exit::Interrupted => 130,
        }
    }

    fn summary(self) -> &'static str {
        match self {
            Exit::Success => "success",
            Exit::Failed => {
                "a step failed (check: would fail; drill: could not clean up; status --live: VAO could not be read; history --max-age: a runbook not drilled within the age, or changed since)"
            }
            Exit::Invalid => "invalid runbook/variables/usage, or no such run (nothing sent)",
            Exit::Locked => "another drbook holds the lock (nothing sent)",
            Exit::LockUnavailable => "the lock folder cannot be used (nothing sent)",
            Exit::Interrupted => "interrupted",
        }
    }

    /// The exit-code line of `drbook --help`, from the same mapping.
    pub fn help() -> String {
        let codes: Vec<String> = Exit::ALL
            .iter()
            .map(|e| format!("{} {}", e.code(), e.summary()))
            .collect();
        format!(
            "Exit codes: {}.\nCredentials: VAO_TOKEN, or VAO_USERNAME + VAO_PASSWORD, or --username with --password-file.",
            codes.join(", ")
        )
    }
}

impl From<crate::exec::RunResult> for Exit {
    fn from(result: crate::exec::RunResult) -> Exit {
        use crate::exec::RunResult;
        match result {
            RunResult::Succeeded | RunResult::DryRun => Exit::Success,
            RunResult::Failed => Exit::Failed,
            RunResult::Interrupted => Exit::Interrupted,
        }
    }
}

/// What ends a command before (or instead of) a result: printed once, by [`Error::print`],
/// with the exit code of [`Error::exit`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The runbook is invalid: its diagnostics, as rendered.
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// A problem with the input, the usage or the environment found before anything was
    /// sent.
    #[error("error: {0}")]
    Refused(String),
    /// Another process holds a lock.
    #[error("error: another drbook is running {what}: {holder}; nothing was sent")]
    Locked { what: String, holder: String },
    /// A lock file or folder could not be used (not that another process holds it).
    #[error("error: cannot take the lock of {what}: {message}; nothing was sent")]
    LockUnavailable { what: String, message: String },
    /// Something outside drbook failed (the runtime, a listening socket, the simulator).
    #[error("error: {0}")]
    Failed(String),
}

impl Error {
    pub fn refused(message: impl Into<String>) -> Error {
        Error::Refused(message.into())
    }

    pub fn exit(&self) -> Exit {
        match self {
            Error::Prepare(_) | Error::Refused(_) => Exit::Invalid,
            Error::Locked { .. } => Exit::Locked,
            Error::LockUnavailable { .. } => Exit::LockUnavailable,
            Error::Failed(_) => Exit::Failed,
        }
    }

    /// Says the error on stderr, control characters made visible.
    pub fn print(&self) {
        say!("{}", super::output::printable(&self.to_string()));
    }
}

/// What every command returns.
pub type Outcome = Result<Exit, Error>;

/// The process's exit code for a command's outcome; an error is printed here, and only here.
pub fn finish(outcome: Outcome) -> u8 {
    match outcome {
        Ok(exit) => exit.code(),
        Err(error) => {
            error.print();
            error.exit().code()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_documented() {
        let mut codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Exit::ALL.len());
        let help = Exit::help();
        for exit in Exit::ALL {
            assert!(help.contains(&format!("{} ", exit.code())), "{help}");
        }
    }

    #[test]
    fn each_error_has_its_code() {
        assert_eq!(Error::refused("x").exit().code(), 2);
        let locked = Error::Locked {
            what: "plan p".into(),
            holder: "pid 1".into(),
        };
        assert_eq!(locked.exit().code(), 3);
        assert_eq!(
            locked.to_string(),
            "error: another drbook is running plan p: pid 1; nothing was sent"
        );
        let io = Error::LockUnavailable {
            what: "plan p".into(),
            message: "permission denied".into(),
        };
        assert_eq!(io.exit().code(), 4);
        assert_eq!(Error::Failed("x".into()).exit().code(), 1);
    }
}
