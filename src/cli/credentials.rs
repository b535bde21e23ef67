//! Where credentials come from, and the operator's confirmation before a live run.

use super::args::ConnectArgs;
use super::exit::Error;
use super::output::printable;
use crate::prepare::Prepared;
use crate::runbook::Action;
use crate::secret::Secret;
use crate::vao::Credentials;
use std::io::{BufRead, IsTerminal, Write};

/// The first line of a secret's file; `flag` names it in errors.
fn secret_file(flag: &str, file: &std::path::Path) -> Result<Secret, Error> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::refused(format!("{flag} {}: {e}", file.display())))?;
    let secret = text.lines().next().unwrap_or("").to_owned();
    if secret.is_empty() {
        return Err(Error::refused(format!(
            "{flag} {}: the file is empty",
            file.display()
        )));
    }
    Ok(Secret::new(secret))
}

/// The client credentials grant's, from `--client-id` / `VAO_CLIENT_ID` with
/// `--client-secret-file` / `VAO_CLIENT_SECRET`; `None` when no client is named.
fn client_credentials(
    args: &ConnectArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Credentials>, Error> {
    let client_id = args.client_id.clone().or_else(|| env("VAO_CLIENT_ID"));
    let secret = match &args.client_secret_file {
        Some(file) => Some(secret_file("--client-secret-file", file)?),
        None => env("VAO_CLIENT_SECRET").map(Secret::new),
    };
    match (client_id, secret) {
        (Some(client_id), Some(secret)) => Ok(Some(Credentials::Client { client_id, secret })),
        (Some(_), None) => Err(Error::refused(
            "a client id (--client-id or VAO_CLIENT_ID) needs its secret in VAO_CLIENT_SECRET or --client-secret-file; secrets are never taken as arguments",
        )),
        (None, Some(_)) => Err(Error::refused(
            "a client secret (VAO_CLIENT_SECRET or --client-secret-file) needs its client id: --client-id or VAO_CLIENT_ID",
        )),
        (None, None) => Ok(None),
    }
}

/// Credentials from `--username`/`--password-file`, `--client-id`/`--client-secret-file`,
/// `VAO_TOKEN`, `VAO_CLIENT_ID`/`VAO_CLIENT_SECRET`, or `VAO_USERNAME`/`VAO_PASSWORD`, in
/// that order; `None` when none are given. Flags for both an account and a client are
/// refused: which one to use would be a guess.
pub fn credentials_from(args: &ConnectArgs) -> Result<Option<Credentials>, Error> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let account_flags = args.username.is_some() || args.password_file.is_some();
    let client_flags = args.client_id.is_some() || args.client_secret_file.is_some();
    if account_flags && client_flags {
        return Err(Error::refused(
            "--username/--password-file and --client-id/--client-secret-file name two ways to log in: give one",
        ));
    }
    if client_flags {
        return client_credentials(args, &env);
    }
    if let Some(file) = &args.password_file {
        let username = args
            .username
            .clone()
            .or_else(|| env("VAO_USERNAME"))
            .ok_or_else(|| Error::refused("--password-file needs --username (or VAO_USERNAME)"))?;
        let password = secret_file("--password-file", file)?;
        return Ok(Some(Credentials::Password { username, password }));
    }
    if args.username.is_some() && env("VAO_PASSWORD").is_none() {
        return Err(Error::refused(
            "--username needs --password-file (or VAO_PASSWORD); passwords are never taken as arguments",
        ));
    }
    if let Some(token) = env("VAO_TOKEN") {
        return Ok(Some(Credentials::Token(Secret::new(token))));
    }
    if args.username.is_none()
        && let Some(client) = client_credentials(args, &env)?
    {
        return Ok(Some(client));
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
