//! `drbook run`: prepare, confirm, execute (or list), and always write the report.

use super::args::RunArgs;
use super::exit;
use super::output::{DryRunListing, Progress};
use crate::exec::{self, ExecOptions, Executor, Fanout, Mode, RunResult};
use crate::prepare::{Prepared, prepare_file};
use crate::report::{self, Report, RunInfo, VariableRecord};
use crate::runbook::{Action, source::hex};
use crate::sim::{SimConfig, Simulator};
use crate::template::{VarSource, is_secret_name};
use crate::vao::{ClientOptions, Credentials, Redactor, Secret, VaoClient};
use sha2::{Digest, Sha256};
use std::io::{BufRead, IsTerminal, Write};

/// A problem that stops the run before anything is sent (exit 2).
struct Refusal(String);

pub async fn run(args: &RunArgs) -> u8 {
    let inputs = match super::var_inputs(&args.vars) {
        Ok(inputs) => inputs,
        Err(message) => {
            eprintln!("{message}");
            return exit::INVALID;
        }
    };
    let prepared = match prepare_file(&args.runbook, &inputs) {
        Ok(prepared) => prepared,
        Err(error) => {
            eprintln!("{error}");
            return exit::INVALID;
        }
    };
    let mode = if args.dry_run {
        Mode::DryRun
    } else if args.simulate {
        Mode::Simulate
    } else {
        Mode::Live
    };
    match execute(args, &prepared, mode).await {
        Ok(code) => code,
        Err(Refusal(message)) => {
            eprintln!("error: {message}");
            exit::INVALID
        }
    }
}

fn credentials_from(args: &RunArgs) -> Result<Option<Credentials>, Refusal> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(file) = &args.password_file {
        let username = args
            .username
            .clone()
            .or_else(|| env("VAO_USERNAME"))
            .ok_or_else(|| {
                Refusal("--password-file needs --username (or VAO_USERNAME)".to_owned())
            })?;
        let text = std::fs::read_to_string(file)
            .map_err(|e| Refusal(format!("--password-file {}: {e}", file.display())))?;
        let password = text.lines().next().unwrap_or("").to_owned();
        if password.is_empty() {
            return Err(Refusal(format!(
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
        return Err(Refusal(
            "--username needs --password-file (or VAO_PASSWORD); passwords are never taken as arguments".to_owned(),
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
        (Some(_), None) => Err(Refusal(
            "VAO_USERNAME is set but VAO_PASSWORD is not".to_owned(),
        )),
        (None, Some(_)) => Err(Refusal(
            "VAO_PASSWORD is set but VAO_USERNAME is not".to_owned(),
        )),
        (None, None) => Ok(None),
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Who ran drbook: the login name from the environment, else the account of the process's
/// user id (cron and CI often set no `USER`).
fn operator() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .or_else(account_of_this_process)
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(unix)]
fn account_of_this_process() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_owned())
    })
}

#[cfg(not(unix))]
fn account_of_this_process() -> Option<String> {
    None
}

fn host() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .filter(|h| !h.is_empty())
}

fn slug(name: &str) -> String {
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

fn variable_records(prepared: &Prepared) -> Vec<VariableRecord> {
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
            },
        })
        .collect()
}

/// Asks the operator to type the runbook's name before a live run.
fn confirm(prepared: &Prepared, server: &str, yes: bool) -> Result<(), Refusal> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Refusal(
            "refusing to run against a real server without confirmation: there is no terminal to ask on; pass --yes for unattended runs".to_owned(),
        ));
    }
    let failovers = prepared
        .runbook
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::Failover(_)))
        .count();
    eprint!(
        "This runs {failovers} REAL failover(s) of \"{}\" against {server}.\nType the runbook name to continue: ",
        prepared.runbook.name
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Refusal(format!("reading the confirmation: {e}")))?;
    if answer.trim() == prepared.runbook.name {
        Ok(())
    } else {
        Err(Refusal("not confirmed; nothing was sent".to_owned()))
    }
}

async fn execute(args: &RunArgs, prepared: &Prepared, mode: Mode) -> Result<u8, Refusal> {
    let started_at = chrono::Utc::now();
    let runbook = &prepared.runbook;
    let poll_interval = args.poll_interval.unwrap_or(runbook.poll_interval);

    // The simulator lives as long as the run.
    let mut simulator = None;
    let (server, credentials) = match mode {
        Mode::Simulate => {
            let mut plan_ids: Vec<String> = Vec::new();
            for step in &runbook.steps {
                if let Action::Failover(f) = &step.action
                    && !plan_ids.contains(&f.plan_id.to_string())
                {
                    plan_ids.push(f.plan_id.to_string());
                }
            }
            let config = SimConfig::with_plans(plan_ids, args.sim_failover_time);
            let credentials = Credentials::Password {
                username: config.username.clone(),
                password: Secret::new(config.password.clone()),
            };
            let sim = Simulator::start(config, ([127, 0, 0, 1], 0).into())
                .await
                .map_err(|e| Refusal(format!("cannot start the simulator: {e}")))?;
            let url = sim.base_url();
            simulator = Some(sim);
            (Some(url), Some(credentials))
        }
        Mode::DryRun => (
            args.server.clone().or_else(|| runbook.server.clone()),
            credentials_from(args)?,
        ),
        Mode::Live => {
            let server = args.server.clone().or_else(|| runbook.server.clone()).ok_or_else(|| {
                Refusal("no server: pass --server URL or set `server:` in the runbook (or use --simulate / --dry-run)".to_owned())
            })?;
            if !crate::runbook::values::is_server_url(&server) {
                return Err(Refusal(format!(
                    "--server {server}: expected a URL such as https://vao.example.internal:9899"
                )));
            }
            let credentials = credentials_from(args)?.ok_or_else(|| {
                Refusal("no credentials: set VAO_TOKEN, or VAO_USERNAME and VAO_PASSWORD, or pass --username with --password-file".to_owned())
            })?;
            if server.starts_with("http://") && !crate::vao::client::is_loopback(&server) {
                eprintln!(
                    "warning: {server} is plain HTTP: credentials and tokens cross the network unencrypted"
                );
            }
            confirm(prepared, &server, args.yes)?;
            (Some(server), Some(credentials))
        }
    };

    let mut options = ClientOptions::new(server.as_deref().unwrap_or("https://vao.invalid"));
    options.api_prefix = args.api_prefix.trim_end_matches('/').to_owned();
    options.token_path = args.token_path.clone();
    options.insecure = args.insecure;
    options.request_timeout = args.request_timeout;
    options.connect_timeout = args.connect_timeout;
    if let Some(path) = &args.ca_cert {
        options.ca_cert_pem = Some(
            std::fs::read(path)
                .map_err(|e| Refusal(format!("--ca-cert {}: {e}", path.display())))?,
        );
    }

    let redactor = Redactor::new(credentials.iter().flat_map(Credentials::secrets));
    for (name, var) in prepared.variables.iter() {
        if is_secret_name(name)
            && let Some(text) = var.value.as_str()
        {
            redactor.add(text);
        }
    }

    let rendered_sha256 = hex(&Sha256::digest(prepared.rendered.to_string().as_bytes()));
    let run_id = format!(
        "{}-{}-{}",
        started_at.format("%Y%m%dT%H%M%SZ"),
        slug(&runbook.name),
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    );
    let mut report = Report::new(
        RunInfo {
            run_id,
            mode,
            runbook_path: prepared.source.name.clone(),
            sha256: prepared.source.sha256.clone(),
            rendered_sha256,
            server: server.clone(),
            operator: operator(),
            host: host(),
            variables: variable_records(prepared),
            started_at,
        },
        runbook,
    );
    let mut progress = Progress::new(redactor.clone());
    eprintln!(
        "drbook {}: {} ({}) {}",
        mode.as_str(),
        runbook.name,
        plural(runbook.steps.len(), "step"),
        match (&server, mode) {
            (_, Mode::DryRun) => "— nothing will be sent".to_owned(),
            (Some(s), Mode::Simulate) => format!("against the built-in simulator at {s}"),
            (Some(s), _) => format!("against {s}"),
            (None, _) => String::new(),
        }
    );

    let result = if mode == Mode::DryRun {
        let mut listing = DryRunListing {
            server: server.clone().unwrap_or_else(|| "{server}".to_owned()),
            out: vec![format!(
                "# dry run of \"{}\": nothing is sent",
                runbook.name
            )],
        };
        if let Some(credentials @ Credentials::Password { .. }) = &credentials {
            {
                listing.out.push(format!(
                    "\n0. Log in\n   POST {}{} (application/x-www-form-urlencoded, {}; password not shown)",
                    listing.server,
                    options.token_path,
                    credentials.describe()
                ));
            }
        }
        let result = exec::dry_run(
            runbook,
            &options,
            poll_interval,
            &mut Fanout(vec![&mut report, &mut listing]),
        );
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", redactor.redact(&listing.out.join("\n")));
        eprintln!(
            "dry run: {} planned, nothing sent",
            plural(runbook.steps.len(), "step")
        );
        result
    } else {
        let Some(credentials) = credentials else {
            return Err(Refusal("no credentials".to_owned()));
        };
        let client = VaoClient::new(options, credentials, redactor.clone())
            .map_err(|e| Refusal(e.to_string()))?;
        let (stop, interrupt) = tokio::sync::watch::channel(false);
        let signals = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!(
                    "\ninterrupt: finishing the request in flight, then stopping (Ctrl-C again to quit at once)"
                );
                let _ = stop.send(true);
                if tokio::signal::ctrl_c().await.is_ok() {
                    eprintln!("interrupted again: quitting without waiting");
                    std::process::exit(i32::from(exit::INTERRUPTED));
                }
            }
        });
        let mut listeners = Fanout(vec![&mut report, &mut progress]);
        let executor = Executor::new(
            runbook,
            &client,
            ExecOptions { poll_interval },
            interrupt,
            &mut listeners,
        );
        let result = executor.run().await;
        signals.abort();
        result
    };
    report.close(result, None);
    drop(simulator);

    let code = match result {
        RunResult::Succeeded | RunResult::DryRun => exit::SUCCESS,
        RunResult::Failed => exit::FAILED,
        RunResult::Interrupted => exit::INTERRUPTED,
    };
    match report::write(&report, &args.report_dir, &redactor) {
        Ok(written) => {
            eprintln!(
                "report: {}\n        {}",
                written.json.display(),
                written.markdown.display()
            );
            Ok(code)
        }
        Err(e) => {
            eprintln!(
                "error: could not write the report to {}: {e}",
                args.report_dir.display()
            );
            Ok(if code == exit::SUCCESS {
                exit::FAILED
            } else {
                code
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn run_ids_carry_a_readable_slug() {
        assert_eq!(slug("Payments: site A → B"), "payments-site-a-b");
        assert_eq!(slug("***"), "runbook");
    }
}
