//! `drbook run`: prepare, pick the target, confirm, execute (or list), and always leave a
//! report.

use super::args::{ConnectArgs, EndpointArgs, RunArgs};
use super::checkpoint::Checkpoint;
use super::credentials::{confirm, credentials_from};
use super::exit::{Error, Exit, Outcome};
use super::lock;
use super::output::{DryRunListing, Progress, printable};
use super::provenance::{
    GitState, git_state, host, journal_variables, operator, slug, variable_records,
};
use crate::exec::journal::JournalRunbook;
use crate::exec::{
    self, Approvals, CheckOptions, ExecOptions, Executor, Fanout, Journal, JournalHeader, Listener,
    Mode, Resume, RunResult,
};
use crate::prepare::{Prepared, prepare_file};
use crate::report::{Report, RunInfo};
use crate::secret::{Redactor, Secret};
use crate::sim::{SimApi, SimConfig, Simulator};
use crate::template::is_secret_name;
use crate::vao::{ApiFlavour, ClientOptions, Credentials, VaoClient};
use futures_util::FutureExt;
use std::io::{IsTerminal, Write};
use std::panic::AssertUnwindSafe;
use std::time::Duration;

/// Which command runs the runbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `drbook run`.
    Run,
    /// `drbook check`: reads only.
    Check,
    /// `drbook drill`: the runbook, then a clean-up.
    Drill,
}

pub async fn run(args: &RunArgs, redactor: &Redactor, purpose: Purpose) -> Outcome {
    if purpose == Purpose::Check && args.dry_run {
        return Err(Error::refused(
            "check sends nothing that changes a plan already; --dry-run sends nothing at all: use one or the other",
        ));
    }
    let inputs = super::var_inputs(&args.vars)?;
    let prepared = prepare_file(&args.runbook, &inputs)?;
    let mode = if args.dry_run {
        Mode::DryRun
    } else if args.simulate {
        Mode::Simulate
    } else {
        Mode::Live
    };
    execute(args, &prepared, mode, purpose, redactor, None).await
}

pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Where a run sends its requests, and as whom.
struct Target {
    server: Option<String>,
    credentials: Option<Credentials>,
    /// The built-in simulator of `--simulate`; it lives as long as the run.
    _simulator: Option<Simulator>,
}

async fn target(
    args: &RunArgs,
    prepared: &Prepared,
    mode: Mode,
    purpose: Purpose,
) -> Result<Target, Error> {
    let runbook = &prepared.runbook;
    match mode {
        Mode::Simulate => {
            let mut plan_ids: Vec<String> = Vec::new();
            for step in &runbook.steps {
                if let Some(plan_id) = step.action.plan_id()
                    && !plan_ids.contains(&plan_id.to_string())
                {
                    plan_ids.push(plan_id.to_string());
                }
            }
            let failover_time = args.sim_failover_time.unwrap_or(Duration::from_secs(2));
            let mut config = SimConfig::with_plans(plan_ids, failover_time);
            // The simulator speaks the edition the run will: `--api`, else the runbook's.
            config.api = sim_api(api_flavour(args, runbook));
            for halt in &args.sim_halt {
                let plan = config
                    .plans
                    .iter_mut()
                    .find(|p| p.id == halt.plan.to_string())
                    .ok_or_else(|| {
                        Error::refused(format!(
                            "--sim-halt {}: no step of the runbook acts on that plan",
                            halt.plan
                        ))
                    })?;
                *plan = plan.clone().halting(halt.times);
            }
            let credentials = Credentials::Password {
                username: config.username.clone(),
                password: Secret::new(config.password.clone()),
            };
            let simulator = Simulator::start(config, ([127, 0, 0, 1], 0).into())
                .await
                .map_err(|e| Error::refused(format!("cannot start the simulator: {e}")))?;
            Ok(Target {
                server: Some(simulator.base_url()),
                credentials: Some(credentials),
                _simulator: Some(simulator),
            })
        }
        _ if args.sim_failover_time.is_some() => {
            Err(Error::refused("--sim-failover-time goes with --simulate"))
        }
        _ if !args.sim_halt.is_empty() => Err(Error::refused("--sim-halt goes with --simulate")),
        Mode::DryRun => {
            let server = args
                .connect
                .server
                .clone()
                .or_else(|| runbook.server.clone());
            if let Some(server) = &server {
                check_server(server)?;
            }
            Ok(Target {
                server,
                credentials: credentials_from(&args.connect)?,
                _simulator: None,
            })
        }
        Mode::Live | Mode::Check | Mode::Drill => {
            let server = args.connect.server.clone().or_else(|| runbook.server.clone()).ok_or_else(|| {
                Error::refused("no server: pass --server URL or set `server:` in the runbook (or use --simulate / --dry-run)")
            })?;
            check_server(&server)?;
            let credentials =
                credentials_from(&args.connect)?.ok_or_else(|| Error::refused(NO_CREDENTIALS))?;
            warn_about_transport(&server, args.connect.insecure);
            // A check changes nothing: there is nothing to confirm.
            if purpose != Purpose::Check {
                confirm(prepared, &server, args.control.yes)?;
            }
            Ok(Target {
                server: Some(server),
                credentials: Some(credentials),
                _simulator: None,
            })
        }
    }
}

/// What a command that logs in says without credentials.
pub(super) const NO_CREDENTIALS: &str = "no credentials: set VAO_TOKEN, or VAO_USERNAME and VAO_PASSWORD, or VAO_CLIENT_ID and VAO_CLIENT_SECRET (client credentials), or pass --username with --password-file, or --client-id with --client-secret-file";

/// Says when credentials cross the network unencrypted or the certificate is not checked.
pub(super) fn warn_about_transport(server: &str, insecure: bool) {
    if server.starts_with("http://") && !crate::vao::client::is_loopback(server) {
        say!(
            "warning: {server} is plain HTTP: credentials and tokens cross the network unencrypted"
        );
    }
    if insecure {
        say!("warning: --insecure: the server's TLS certificate is not checked");
    }
}

/// Refuses a server that is not a plain base URL, before it is printed anywhere.
pub(super) fn check_server(server: &str) -> Result<(), Error> {
    if crate::runbook::values::is_server_url(server) {
        Ok(())
    } else {
        // Not echoed: a URL with `user:password@` would print the password.
        Err(Error::refused(
            "the server is not a URL such as https://vao.example.internal:9899 (with no user name or password in it)",
        ))
    }
}

/// The API flavour: `--api`, else the runbook's `api:`, else VAO 3.
pub(super) fn api_flavour(args: &RunArgs, runbook: &crate::runbook::Runbook) -> ApiFlavour {
    args.connect
        .api
        .or(runbook.api.map(exec::to_vao::api_flavour))
        .unwrap_or_default()
}

/// The simulator's edition for a flavour (the simulator keeps its own reading of the
/// documentation, so the two are matched by name).
pub(super) fn sim_api(api: ApiFlavour) -> SimApi {
    SimApi::from_name(api.name()).unwrap_or_default()
}

/// What every command that logs in shares: the flavour, the prefix and token path, TLS.
pub(super) fn base_options(
    connect: &ConnectArgs,
    endpoint: &EndpointArgs,
    api: ApiFlavour,
    server: &str,
) -> Result<ClientOptions, Error> {
    let mut options = ClientOptions::new(server).with_api(api);
    if let Some(prefix) = &endpoint.api_prefix {
        options.api_prefix = prefix.trim_end_matches('/').to_owned();
    }
    if let Some(path) = &endpoint.token_path {
        options.token_path = path.clone();
    }
    options.insecure = connect.insecure;
    if let Some(path) = &connect.ca_cert {
        let pem = std::fs::read(path)
            .map_err(|e| Error::refused(format!("--ca-cert {}: {e}", path.display())))?;
        options.ca_cert_pem = Some(pem);
    }
    Ok(options)
}

pub(super) fn client_options(
    args: &RunArgs,
    runbook: &crate::runbook::Runbook,
    server: Option<&str>,
) -> Result<ClientOptions, Error> {
    let api = api_flavour(args, runbook);
    let server = server.unwrap_or("{server}");
    let mut options = base_options(&args.connect, &args.endpoint, api, server)?;
    // The command line wins over the runbook's defaults, which win over built-ins.
    options.request_timeout = args
        .request_timeout
        .or(runbook.request_timeout)
        .unwrap_or(options.request_timeout);
    options.connect_timeout = args
        .connect_timeout
        .or(runbook.connect_timeout)
        .unwrap_or(options.connect_timeout);
    options.token_retries = crate::vao::RetryPolicy {
        retries: runbook.retries,
        delay: runbook.retry_delay,
    };
    Ok(options)
}

/// Teaches the run's redactor (shared with the log writer) every secret this run knows of:
/// credentials and secret-named variables. The client adds the tokens it is issued.
fn learn_secrets(redactor: &Redactor, credentials: Option<&Credentials>, prepared: &Prepared) {
    for secret in credentials.into_iter().flat_map(Credentials::secrets) {
        redactor.add(&secret);
    }
    for (name, var) in prepared.variables.iter() {
        if is_secret_name(name)
            && let Some(text) = var.value.as_str()
        {
            redactor.add(text);
        }
    }
}

/// A new run's id and start time. The id names the report files: no secret may reach it
/// through the runbook's name.
fn new_run_id(prepared: &Prepared, redactor: &Redactor) -> (String, chrono::DateTime<chrono::Utc>) {
    let started_at = chrono::Utc::now();
    let run_id = format!(
        "{}-{}-{}",
        started_at.format("%Y%m%dT%H%M%SZ"),
        slug(&redactor.redact(&prepared.runbook.name)),
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    );
    (run_id, started_at)
}

fn new_report(
    prepared: &Prepared,
    (mode, simulated): (Mode, bool),
    server: Option<String>,
    run_id: String,
    started_at: chrono::DateTime<chrono::Utc>,
    git: GitState,
) -> Report {
    Report::new(
        RunInfo {
            run_id,
            mode,
            simulated,
            runbook_path: prepared.source.name.clone(),
            sha256: prepared.source.sha256.clone(),
            rendered_sha256: rendered_sha256(prepared),
            git_commit: git.commit,
            git_dirty: git.dirty,
            canonical_path: std::fs::canonicalize(&prepared.source.path)
                .ok()
                .and_then(|p| p.to_str().map(str::to_owned)),
            git_path: git.path,
            server,
            operator: operator(),
            host: host(),
            variables: variable_records(prepared),
            started_at,
            template_clock: prepared.clock.instant(),
        },
        &prepared.runbook,
    )
}

/// A run taken over from an earlier process (`drbook resume`).
pub struct Continuation {
    pub run_id: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub journal: std::path::PathBuf,
    /// The earlier process's events, replayed into the report.
    pub events: Vec<exec::Event>,
    pub resume: Resume,
    pub purpose: Purpose,
}

/// The report's mode: what the command did, and where.
/// The report of a run rebuilt from its journal alone and written in `args`' formats: for a
/// run stopped after its journal recorded its end and before its report was written, so that
/// every run that started still leaves the report of how it ended.
pub(super) fn rewrite_report(
    args: &RunArgs,
    prepared: &Prepared,
    purpose: Purpose,
    continuation: &Continuation,
    redactor: &Redactor,
) -> Result<crate::report::Written, Error> {
    let mut report = new_report(
        prepared,
        (report_mode(Mode::Live, purpose), false),
        args.connect.server.clone(),
        continuation.run_id.clone(),
        continuation.started_at,
        git_state(&prepared.source.path),
    );
    let mut ended = (RunResult::Failed, None);
    for event in &continuation.events {
        report.on_event(event);
        if let crate::exec::Event::RunFinished { result, error, .. } = event {
            ended = (*result, error.clone());
        }
    }
    let checkpoint = Checkpoint::new(
        report,
        args.output.report_dir().to_owned(),
        args.output.report_formats.formats.clone(),
        redactor.clone(),
    );
    checkpoint.finish(ended.0, ended.1).map_err(|e| {
        Error::Failed(format!(
            "cannot write the report to {}: {e}",
            args.output.report_dir().display()
        ))
    })
}

fn report_mode(mode: Mode, purpose: Purpose) -> Mode {
    match (purpose, mode) {
        (Purpose::Check, _) => Mode::Check,
        (Purpose::Drill, Mode::Live | Mode::Simulate) => Mode::Drill,
        _ => mode,
    }
}

pub async fn execute(
    args: &RunArgs,
    prepared: &Prepared,
    mode: Mode,
    purpose: Purpose,
    redactor: &Redactor,
    continuation: Option<Continuation>,
) -> Outcome {
    let runbook = &prepared.runbook;
    check_approvals(&args.control.approve, runbook)?;
    // What git says about the runbook's folder is asked for now, on a thread of its own: git
    // takes milliseconds to start and answer, while the locks, the target and the client
    // are set up. The report written before the first request carries it.
    let git = {
        let path = prepared.source.path.clone();
        std::thread::spawn(move || git_state(&path))
    };
    learn_secrets(redactor, None, prepared);
    // One run at a time per runbook and per plan, on this machine (a check changes nothing).
    let _locks = match mode {
        Mode::Live if purpose != Purpose::Check => {
            let mut plans: Vec<uuid::Uuid> = Vec::new();
            for plan in runbook.steps.iter().filter_map(|s| s.action.changes_plan()) {
                if !plans.contains(&plan) {
                    plans.push(plan);
                }
            }
            let holder = format!(
                "pid {}, started {}, runbook {} ({})",
                std::process::id(),
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                redactor.redact(&runbook.name),
                prepared.source.name
            );
            Some(lock::acquire(
                &lock::lock_dir(),
                &prepared.source.path,
                &plans,
                &holder,
            )?)
        }
        _ => None,
    };
    // Under the lock, a resumed run's journal must be as it was read: otherwise the run was
    // still going (or another resume took it over).
    if let Some(c) = &continuation {
        let now =
            crate::exec::journal::read(&c.journal).map_err(|e| Error::refused(e.to_string()))?;
        if now.events.len() != c.events.len() {
            return Err(Error::refused(
                "the run's journal changed while resume was starting: is the run still going? Nothing was sent",
            ));
        }
    }
    let target = target(args, prepared, mode, purpose).await?;
    let options = client_options(args, runbook, target.server.as_deref())?;
    learn_secrets(redactor, target.credentials.as_ref(), prepared);
    let redactor = redactor.clone();
    // Everything that can refuse the run comes before the first report is written.
    let client = match (mode, &target.credentials) {
        (Mode::DryRun, _) => None,
        (_, Some(credentials)) => Some(
            VaoClient::new(options.clone(), credentials.clone(), redactor.clone())
                .map_err(|e| Error::refused(e.to_string()))?,
        ),
        (_, None) => return Err(Error::refused("no credentials")),
    };
    // The operator's decisions of a resume are checked against the plans before the
    // report is written or anything is sent.
    if let (Some(c), Some(client)) = (&continuation, &client) {
        exec::resume::check_retried_plans(client, runbook, &c.resume)
            .await
            .map_err(|e| Error::refused(e.to_string()))?;
    }
    let (run_id, started_at) = match &continuation {
        Some(c) => (c.run_id.clone(), c.started_at),
        None => new_run_id(prepared, &redactor),
    };
    let mut report = new_report(
        prepared,
        (report_mode(mode, purpose), mode == Mode::Simulate),
        target.server.clone(),
        run_id.clone(),
        started_at,
        git.join().unwrap_or_default(),
    );
    if let Some(c) = &continuation {
        for event in &c.events {
            report.on_event(event);
        }
    }
    let checkpoint = Checkpoint::new(
        report,
        args.output.report_dir().to_owned(),
        args.output.report_formats.formats.clone(),
        redactor.clone(),
    );
    // Before anything is sent: a run that cannot leave a report does not start.
    checkpoint.write().map_err(|e| {
        Error::refused(format!(
            "cannot write the report to {}: {e}; nothing was sent",
            args.output.report_dir().display()
        ))
    })?;
    let journal = match (mode, &continuation) {
        (Mode::DryRun, _) => None,
        _ if purpose == Purpose::Check => None,
        (_, Some(c)) => Some(Journal::append_to(&c.journal, redactor.clone())),
        (_, None) => {
            let dir = args.output.journal_dir();
            let mut header = journal_header(
                prepared, mode, &run_id, started_at, args, &options, &redactor,
            );
            header.drill = purpose == Purpose::Drill;
            Some(Journal::create(dir, &header, redactor.clone()))
        }
    }
    .transpose()
    .map_err(|e| {
        Error::refused(format!(
            "cannot write the run's journal: {e}; nothing was sent"
        ))
    })?;
    info!(
        "drbook {}: {} ({}) {}",
        match (purpose, mode) {
            (Purpose::Check, Mode::Simulate) => "check (simulated)",
            (Purpose::Drill, Mode::Simulate) => "drill (simulated)",
            (Purpose::Drill, Mode::DryRun) => "drill (dry run)",
            _ => report_mode(mode, purpose).as_str(),
        },
        redactor.redact(&runbook.name),
        plural(runbook.steps.len(), "step"),
        match (mode, &target.server) {
            (Mode::DryRun, _) => "— nothing will be sent".to_owned(),
            (Mode::Simulate, Some(s)) => format!("against the built-in simulator at {s}"),
            (_, Some(s)) => format!("against {s}"),
            (_, None) => String::new(),
        }
    );
    if let Some(journal) = &journal {
        info!("journal: {}", journal.path().display());
    }

    let poll_interval = args.poll_interval.unwrap_or(runbook.poll_interval);
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let decider = super::provenance::decider(args.control.operator.as_deref());
    let approvals = Approvals {
        given: args.control.approve.clone(),
        interactive,
        operator: match &args.control.operator {
            Some(_) => decider.by.clone(),
            None => operator(),
        },
    };
    let result = match (&client, journal) {
        (Some(client), None) if purpose == Purpose::Check => {
            let (stop, interrupt) = tokio::sync::watch::channel(false);
            let signals = checkpoint.handle_signals(stop);
            let options = CheckOptions {
                force: args.force,
                approvals,
                interrupt: Some(interrupt),
            };
            let result = preflight(prepared, client, options, &checkpoint, redactor.clone()).await;
            signals.abort();
            result
        }
        (Some(client), Some(journal)) => {
            let options = ExecOptions {
                poll_interval,
                force: args.force,
                halt_on_interrupt: args.control.halt_on_interrupt,
                journal_ok: Some(journal.health()),
                approvals,
                cleanup: purpose == Purpose::Drill,
                run_id: Some(run_id.clone()),
                decider,
                // An unattended run never waits for an answer: only on a terminal, and
                // neither --yes nor --no-ask.
                ask: interactive && !args.control.yes && !args.control.no_ask,
                redactor: redactor.clone(),
                asking: None,
            };
            let resume = continuation.map(|c| c.resume).unwrap_or_default();
            live_run(
                prepared,
                client,
                options,
                resume,
                journal,
                &checkpoint,
                redactor.clone(),
            )
            .await
        }
        _ => dry_run(
            prepared,
            &options,
            target.credentials.as_ref(),
            poll_interval,
            purpose == Purpose::Drill,
            &checkpoint,
            &redactor,
        ),
    };
    let (result, error) = objectives_verdict(&checkpoint, result, args.control.fail_on_rto_miss);

    let exit = Exit::from(result);
    match checkpoint.finish(result, error) {
        Ok(written) => {
            say!("{}", written.listing());
            Ok(exit)
        }
        Err(e) => {
            // The run's own verdict stands unless it was a success: a run without its
            // report did not succeed.
            say!(
                "error: could not write the report to {}: {e}",
                args.output.report_dir().display()
            );
            Ok(if exit == Exit::Success {
                Exit::Failed
            } else {
                exit
            })
        }
    }
}

/// The journal's header. The server is the client's: a journal is written only by a run
/// that has one.
fn journal_header(
    prepared: &Prepared,
    mode: Mode,
    run_id: &str,
    started_at: chrono::DateTime<chrono::Utc>,
    args: &RunArgs,
    options: &ClientOptions,
    redactor: &Redactor,
) -> JournalHeader {
    JournalHeader {
        drbook_journal: exec::journal::JOURNAL_VERSION,
        drbook_version: env!("CARGO_PKG_VERSION").to_owned(),
        run_id: run_id.to_owned(),
        mode,
        runbook: JournalRunbook {
            path: std::fs::canonicalize(&prepared.source.path)
                .unwrap_or_else(|_| prepared.source.path.clone()),
            name: redactor.redact(&prepared.runbook.name),
            sha256: prepared.source.sha256.clone(),
            rendered_sha256: rendered_sha256(prepared),
        },
        server: Some(options.server.clone()),
        variables: journal_variables(prepared),
        started_at,
        template_clock: Some(prepared.clock.instant()),
        force: args.force,
        drill: false,
        report_dir: std::path::absolute(args.output.report_dir()).ok(),
        connection: exec::journal::JournalConnection {
            api: options.api,
            api_prefix: options.api_prefix.clone(),
            token_path: options.token_path.clone(),
            request_timeout_ms: args.request_timeout.map(|d| d.as_millis() as u64),
            connect_timeout_ms: args.connect_timeout.map(|d| d.as_millis() as u64),
            poll_interval_ms: args.poll_interval.map(|d| d.as_millis() as u64),
        },
    }
}

pub fn rendered_sha256(prepared: &Prepared) -> String {
    prepared.rendered_sha256().to_owned()
}

/// Every `--approve` must name a pause step (its number or exact name) or be `all`: a typo
/// would otherwise leave a gate closed at 3 a.m., or silently approve nothing.
fn check_approvals(given: &[String], runbook: &crate::runbook::Runbook) -> Result<(), Error> {
    let pauses: Vec<&crate::runbook::Step> = runbook
        .steps
        .iter()
        .filter(|s| matches!(s.action, crate::runbook::Action::Pause(_)))
        .collect();
    for value in given {
        let names = |s: &&crate::runbook::Step| *value == s.name || *value == s.number.to_string();
        if value != "all" && !pauses.iter().any(names) {
            let known: Vec<String> = pauses
                .iter()
                .map(|s| format!("{} ({:?})", s.number, s.name))
                .collect();
            return Err(Error::refused(format!(
                "--approve {value:?} names no pause step of the runbook; its pause steps are: {}",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )));
        }
    }
    Ok(())
}

/// With `--fail-on-rto-miss`, a run that missed a recovery objective fails. Every miss is
/// said either way.
fn objectives_verdict(
    checkpoint: &Checkpoint,
    result: RunResult,
    fail_on_miss: bool,
) -> (RunResult, Option<String>) {
    let mut report = checkpoint.report();
    let missed = report.objectives.missed.clone();
    for miss in &missed {
        say!("objective missed: {miss}");
    }
    if !fail_on_miss || missed.is_empty() || result != RunResult::Succeeded {
        return (result, None);
    }
    let error = format!(
        "missed recovery objective(s) (--fail-on-rto-miss): {}",
        missed.join("; ")
    );
    report.result = RunResult::Failed;
    report.error = Some(error.clone());
    (RunResult::Failed, Some(error))
}

/// `drbook check`: the reads, a progress line per step, the report.
async fn preflight(
    prepared: &Prepared,
    client: &VaoClient,
    options: CheckOptions,
    checkpoint: &Checkpoint,
    redactor: Redactor,
) -> RunResult {
    let mut report = checkpoint.clone();
    let mut progress = Progress::new(redactor);
    let mut listeners = Fanout(vec![&mut report, &mut progress]);
    exec::check(&prepared.runbook, client, options, &mut listeners).await
}

fn dry_run(
    prepared: &Prepared,
    options: &ClientOptions,
    credentials: Option<&Credentials>,
    poll_interval: Duration,
    cleanup: bool,
    checkpoint: &Checkpoint,
    redactor: &Redactor,
) -> RunResult {
    let runbook = &prepared.runbook;
    let mut listing = DryRunListing::new(&runbook.name, &options.server);
    if let Some(credentials) = credentials.filter(|c| c.logs_in()) {
        listing.login(&options.token_path, credentials);
    }
    let mut report = checkpoint.clone();
    let result = exec::dry_run(
        runbook,
        options,
        poll_interval,
        cleanup,
        &mut Fanout(vec![&mut report, &mut listing]),
    );
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", printable(&redactor.redact(&listing.text())));
    say!(
        "dry run: {} planned, nothing sent",
        plural(runbook.steps.len(), "step")
    );
    result
}

async fn live_run(
    prepared: &Prepared,
    client: &VaoClient,
    options: ExecOptions,
    resume: Resume,
    mut journal: Journal,
    checkpoint: &Checkpoint,
    redactor: Redactor,
) -> RunResult {
    let (stop, interrupt) = tokio::sync::watch::channel(false);
    let signals = checkpoint.handle_signals(stop);
    let mut report = checkpoint.clone();
    let mut progress = Progress::new(redactor);
    // The journal first: an intent is durable before any other listener hears of it.
    let mut listeners = Fanout(vec![&mut journal, &mut report, &mut progress]);
    let executor = Executor::new(
        &prepared.runbook,
        client,
        options,
        interrupt,
        &mut listeners,
    );
    // A bug must not cost the report: a panic ends the run as failed, with what had
    // happened until then written down.
    let result = AssertUnwindSafe(executor.run_resumed(resume))
        .catch_unwind()
        .await;
    signals.abort();
    match result {
        Ok(result) => result,
        Err(_) => {
            say!(
                "error: drbook hit an internal error (see above); the report records the run so far"
            );
            checkpoint.report().close(
                RunResult::Failed,
                Some(
                    "internal error: drbook panicked; plans already started keep running in VAO"
                        .to_owned(),
                ),
            );
            RunResult::Failed
        }
    }
}
