//! Where credentials come from, and the operator's confirmation before a live run.

use super::args::ConnectArgs;
use super::exit::Error;
use super::output::printable;
use crate::prepare::Prepared;
use crate::runbook::Action;
use crate::secret::Secret;
use crate::vao::Credentials;
use std::io::{BufRead, IsTerminal, Write};

/// Credentials from `--username`/`--password-file`, `VAO_TOKEN`, or
/// `VAO_USERNAME`/`VAO_PASSWORD`, in that order; `None` when none are given.
pub fn credentials_from(args: &ConnectArgs) -> Result<Option<Credentials>, Error> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(file) = &args.password_file {
        let username = args
            .username
            .clone()
            .or_else(|| env("VAO_USERNAME"))
            .ok_or_else(|| Error::refused("--password-file needs --username (or VAO_USERNAME)"))?;
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::refused(format!("--password-file {}: {e}", file.display())))?;
        let password = text.lines().next().unwrap_or("").to_owned();
        if password.is_empty() {
            return Err(Error::refused(format!(
                "--password-file {}: the file is empty",
                file.display()
            )));
        }
        return Ok(Some(Credentials::Password {
            username,
            password: Secret::new(password),
        }));
    }
    if args.username.is_some() && env("VAO_PASSWORD").is_none() {
        return Err(Error::refused(
            "--username needs --password-file (or VAO_PASSWORD); passwords are never taken as arguments",
        ));
    }
    if let Some(token) = env("VAO_TOKEN") {
        return Ok(Some(Credentials::Token(Secret::new(token))));
    }
    match (
        args.username.clone().or_else(|| env("VAO_USERNAME")),
        env("VAO_PASSWORD"),
    ) {
        (Some(username), Some(password)) => Ok(Some(Credentials::Password {
            username,
            password: Secret::new(password),
        })),
        (Some(_), None) => Err(Error::refused(
            "VAO_USERNAME is set but VAO_PASSWORD is not",
        )),
        (None, Some(_)) => Err(Error::refused(
            "VAO_PASSWORD is set but VAO_USERNAME is not",
        )),
        (None, None) => Ok(None),
    }
}

/// Asks the operator to type the runbook's name before a live run.
pub fn confirm(prepared: &Prepared, server: &str, yes: bool) -> Result<(), Error> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::refused(
            "refusing to run against a real server without confirmation: there is no terminal to ask on; pass --yes for unattended runs",
        ));
    }
    let failovers = prepared
        .runbook
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::Failover(_)))
        .count();
    let _ = write!(
        std::io::stderr(),
        "This runs {failovers} REAL failover(s) of \"{}\" against {server}.\nType the runbook name to continue: ",
        printable(&prepared.runbook.name)
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::refused(format!("reading the confirmation: {e}")))?;
    if answer.trim() == prepared.runbook.name {
        Ok(())
    } else {
        Err(Error::refused("not confirmed; nothing was sent"))
    }
}
