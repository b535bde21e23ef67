//! Command-line arguments (clap). No secret is ever taken as an argument value: passwords
//! come from files or the environment.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "drbook",
    version,
    about = "Run disaster-recovery failover runbooks against Veeam Availability Orchestrator",
    after_help = super::exit::Exit::help()
)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Print only errors, failed steps and the final summary (for cron and CI logs).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour the progress output: auto (when stderr is a terminal and NO_COLOR is not set),
    /// always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,

    #[command(subcommand)]
    pub command: Command,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl From<ColorWhen> for anstream::ColorChoice {
    fn from(when: ColorWhen) -> Self {
        match when {
            // anstream's auto: a terminal, and neither NO_COLOR nor a dumb TERM (CLICOLOR_FORCE
            // forces colour).
            ColorWhen::Auto => anstream::ColorChoice::Auto,
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check runbooks offline: YAML, schema, variables, templates. Exit 0 if all are valid.
    Validate(ValidateArgs),
    /// Run a runbook: against a VAO server, the built-in simulator (--simulate), or not at all (--dry-run).
    Run(Box<RunArgs>),
    /// Pre-flight: log in and read every step's plan for real; send nothing that changes a
    /// plan. Exit 0 when the runbook would run, 1 when a step would fail.
    Check(Box<RunArgs>),
    /// Run the runbook, then undo every failover it made (whatever happened) and verify
    /// each plan is ready again: a DR rehearsal that leaves no trace.
    Drill(Box<RunArgs>),
    /// Continue a run that stopped (killed, rebooted, interrupted) from its journal.
    Resume(Box<ResumeArgs>),
    /// Where a run stands, from its journal: each step, the plans it failed over and has not
    /// undone, its lock, and whether it can be resumed. Without RUN, the runs in the state
    /// folder, newest first.
    Status(Box<StatusArgs>),
    /// Every report under the folders, per runbook: the last run of each kind, the last
    /// successful drill and its age, whether the runbook changed since, recovery times
    /// against the RTO. With --max-age, exit 1 when a runbook is not drilled within it.
    History(HistoryArgs),
    /// List the server's plans (id, name, type, state, mode, readiness), reading only; with
    /// --format yaml, a runbook skeleton with a failover step per plan.
    Plans(Box<PlansArgs>),
    /// Serve the VAO-compatible simulator.
    Simulator(SimulatorArgs),
    /// Print a shell completion script: `source <(drbook completions bash)`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one per command into a folder with --out.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Print this command's page (`drbook-<command>.1`) instead of `drbook.1`.
    #[arg(value_name = "COMMAND", conflicts_with = "out")]
    pub command: Option<String>,
    /// Write `drbook.1` and `drbook-<command>.1` for each command into this folder (created
    /// if missing) instead of printing `drbook.1` on stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct VarArgs {
    /// Set a template variable (repeatable); `true`/`false` are booleans, anything else a string.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read template variables from a YAML or JSON mapping (repeatable; later files win).
    #[arg(long = "vars-file", value_name = "FILE")]
    pub vars_files: Vec<PathBuf>,
    /// Pin the template clock of `now`, `today` and `ago` (RFC 3339, such as
    /// 2026-11-28T02:00:00Z; default: the current time; `resume` keeps the run's own). The
    /// report's `template_clock` reproduces its run.
    #[arg(long, value_name = "DATE-TIME", value_parser = crate::template::Clock::parse)]
    pub now: Option<crate::template::Clock>,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Runbook files to check.
    #[arg(required = true, value_name = "RUNBOOK")]
    pub runbooks: Vec<PathBuf>,
    #[command(flatten)]
    pub vars: VarArgs,
    /// How to print the result: text for people, json for CI annotations.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Count warnings (such as an unquoted date that YAML 1.1 tools read as a timestamp) as
    /// problems: a file with any is invalid (exit 2).
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The runbook to run.
    #[arg(value_name = "RUNBOOK")]
    pub runbook: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Validate, render and print the exact requests; send nothing.
    #[arg(long, conflicts_with = "simulate")]
    pub dry_run: bool,
    /// Run against the built-in simulator on a loopback port (every plan exists and is ready).
    #[arg(long, conflicts_with = "server")]
    pub simulate: bool,
    /// How long each simulated failover takes (with --simulate; default 2s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub sim_failover_time: Option<std::time::Duration>,
    /// Make a plan halt in the simulator (with --simulate): its failover halts halfway, and so
    /// do the first TIMES-1 retries of it that VAO's Continue asks for (default 1). Repeatable.
    #[arg(long, value_name = "PLAN[:TIMES]", value_parser = parse_sim_halt)]
    pub sim_halt: Vec<SimHalt>,
    /// Skip the state guard that reads each plan before its failover (the report says so).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub control: ControlArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// How often to read a plan's state while waiting (overrides `defaults.poll_interval`).
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub poll_interval: Option<std::time::Duration>,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
    /// Per-request timeout (overrides `defaults.request_timeout`; default 60s).
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub request_timeout: Option<std::time::Duration>,
    /// Connection timeout (overrides `defaults.connect_timeout`; default 10s).
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub connect_timeout: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The run id (`reports/<RUN>.journal.jsonl`) or the journal's path.
    #[arg(value_name = "RUN")]
    pub run: String,
    /// Secret variables again (their values are not journalled), and nothing else.
    #[command(flatten)]
    pub vars: VarArgs,
    /// Resume even though the runbook file or the rendered runbook changed since the run
    /// started.
    #[arg(long)]
    pub force: bool,
    /// Take the failed step up again: its plan is read first (finished in VAO: recorded as
    /// succeeded; ready: sent again after the state guard; halted: needs --continue).
    #[arg(long)]
    pub retry: bool,
    /// With --retry, for a halted plan: VAO's Continue option (ProceedToNextVm,
    /// ProceedToNextGroup, ProceedToNextStep, RetryFailedStep, RetryFailedVm, RetryFailedGroup).
    #[arg(long = "continue", value_name = "OPTION", requires = "retry", value_parser = parse_continue_option)]
    pub continue_option: Option<crate::vao::ContinueOption>,
    /// Record a failed or not-run step as skipped by the operator and go on after it: its
    /// number (as progress shows it: [3/5]) or its name when no other step has it
    /// (repeatable; needs --reason).
    #[arg(long, value_name = "STEP", requires = "reason")]
    pub skip: Vec<String>,
    /// Why the steps are skipped (journalled and reported with the decision).
    #[arg(long, value_name = "TEXT", requires = "skip")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub control: ControlArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The run id (`<state-dir>/<RUN>.journal.jsonl`) or the journal's path; without it, the
    /// runs in the state folder are listed.
    #[arg(value_name = "RUN")]
    pub run: Option<String>,
    /// Where the run journals are: the run's `--state-dir`, else its report directory.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub state_dir: PathBuf,
    /// Also read each plan the run failed over and has not undone from VAO (GET only;
    /// needs the server and credentials, like resume).
    #[arg(long)]
    pub live: bool,
    /// How to print it: text for people, json for tools.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Secret variables again, to render the runbook as the run had it (as for resume).
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Where the VAO server is and how to trust it and log in: the same for every command that
/// talks to one (`resume` falls back to what the run used).
#[derive(Debug, Args, Clone, Default)]
pub struct ConnectArgs {
    /// VAO server base URL, such as https://vao.example.internal:9899 (default: the
    /// runbook's `server`, or for resume the server the run used).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Which edition of the API the server speaks: vao3 (VAO 3.0), vro7 (Recovery
    /// Orchestrator 7.x) or vro13 (default: the runbook's `api`, for resume the run's, else
    /// vao3). It sets the API prefix and token path.
    #[arg(long, value_name = "API", value_parser = parse_api())]
    pub api: Option<crate::vao::ApiFlavour>,
    /// Accept any TLS certificate (lab servers with self-signed certificates).
    #[arg(long)]
    pub insecure: bool,
    /// Trust this CA certificate (PEM) in addition to the system's.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// VAO account for the password grant (with --password-file, or VAO_PASSWORD).
    #[arg(long, value_name = "DOMAIN\\USER")]
    pub username: Option<String>,
    /// File holding the password (first line); never pass a password as an argument.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Client id for the client credentials grant (VRO; with --client-secret-file, or
    /// VAO_CLIENT_SECRET); VAO_CLIENT_ID sets it too.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// File holding the client secret (first line); never pass a secret as an argument.
    #[arg(long, value_name = "FILE")]
    pub client_secret_file: Option<PathBuf>,
}

/// Where on the server the API and the token endpoint are, when not where the `--api`
/// flavour puts them (`resume` takes the run's).
#[derive(Debug, Args, Clone, Default)]
pub struct EndpointArgs {
    /// API prefix of the server (default: the --api flavour's: /api/v3, /api/v7.21, /api/v13).
    #[arg(long, value_name = "PATH", value_parser = parse_url_path)]
    pub api_prefix: Option<String>,
    /// Token endpoint of the server (default: the --api flavour's: /token for vao3, /api/token for VRO).
    #[arg(long, value_name = "PATH", value_parser = parse_url_path)]
    pub token_path: Option<String>,
}

/// How `drbook plans` prints the plans.
#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum PlansFormat {
    /// One line per plan, for people.
    #[default]
    Table,
    /// A JSON array, for tools.
    Json,
    /// A runbook skeleton with one failover step per plan.
    Yaml,
}

#[derive(Debug, Args)]
pub struct PlansArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
    /// List only the plans that are enabled.
    #[arg(long)]
    pub only_enabled: bool,
    /// How to print them: a table, JSON, or a runbook skeleton (YAML) to start from.
    #[arg(long, value_enum, default_value_t = PlansFormat::Table)]
    pub format: PlansFormat,
}

/// What the operator decides ahead for a run that changes plans.
#[derive(Debug, Args, Clone, Default)]
pub struct ControlArgs {
    /// Do not ask for confirmation before a live run (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Approve a pause step ahead: its number, its name, or `all` (repeatable). Without a
    /// terminal, a pause that is not approved fails the run.
    #[arg(long, value_name = "STEP")]
    pub approve: Vec<String>,
    /// A missed recovery objective (rto or rpo) fails the run (exit 1).
    #[arg(long)]
    pub fail_on_rto_miss: bool,
    /// On Ctrl-C (or SIGTERM/SIGHUP), halt a plan that is still running (POST .../Halt);
    /// by default running plans are left alone.
    #[arg(long)]
    pub halt_on_interrupt: bool,
    /// When a step fails, apply its on_failure at once; without it, on a terminal (and
    /// without --yes) drbook asks: retry, continue (a halted plan), skip, abort, rollback.
    #[arg(long)]
    pub no_ask: bool,
    /// The name recorded with the operator's decisions and approvals (default: the account
    /// drbook runs as, which is recorded beside it).
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
}

/// Where a run leaves its reports and journal.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Where reports are written [default: reports; for resume, the run's own report folder,
    /// as its journal recorded it]
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    #[command(flatten)]
    pub report_formats: ReportFormats,
    /// Where run journals are written (default: the report directory).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// Where reports go when `--report-dir` does not say.
pub const DEFAULT_REPORT_DIR: &str = "reports";

impl OutputArgs {
    /// The folder of the reports.
    pub fn report_dir(&self) -> &std::path::Path {
        self.report_dir
            .as_deref()
            .unwrap_or(std::path::Path::new(DEFAULT_REPORT_DIR))
    }

    /// The folder of the run journals.
    pub fn journal_dir(&self) -> &std::path::Path {
        self.state_dir.as_deref().unwrap_or(self.report_dir())
    }
}

#[derive(Debug, Args, Clone)]
pub struct ReportFormats {
    /// Report files to write, comma-separated or repeated: json, md, junit, html. The JSON
    /// report is written whatever the list says.
    #[arg(
        long = "report-format",
        value_name = "FORMAT",
        value_delimiter = ',',
        default_value = "json,md",
        value_parser = parse_report_format
    )]
    pub formats: Vec<crate::report::Format>,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum HistoryFormat {
    #[default]
    Text,
    Json,
    /// One self-contained page with a chart per runbook.
    Html,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Folders to read the JSON reports from (recursively), or report files.
    #[arg(required = true, value_name = "REPORT_DIR")]
    pub folders: Vec<PathBuf>,
    /// Exit 1 when a runbook has no successful drill within this age (such as 90d or 365d)
    /// or changed since its last successful drill; amber (due) past 80% of it.
    #[arg(long, value_name = "DURATION", value_parser = parse_age)]
    pub max_age: Option<std::time::Duration>,
    /// Measure ages from this instant instead of the current time (RFC 3339, such as
    /// 2026-11-28T02:00:00Z).
    #[arg(long, value_name = "DATE-TIME", value_parser = crate::template::Clock::parse)]
    pub now: Option<crate::template::Clock>,
    /// How to print it: text for people, json for tools, html for an auditor's page.
    #[arg(long, value_enum, default_value_t = HistoryFormat::Text)]
    pub format: HistoryFormat,
}

#[derive(Debug, Args)]
pub struct SimulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9899")]
    pub listen: SocketAddr,
    /// Plans file (YAML); without it, three demo plans (user drbook, password demo-password).
    #[arg(long, value_name = "FILE")]
    pub plans: Option<PathBuf>,
    /// Which edition of the API to speak: vao3, vro7 or vro13 (default: the plans file's
    /// `api`, else vao3).
    #[arg(long, value_name = "API", value_parser = parse_api())]
    pub api: Option<crate::vao::ApiFlavour>,
}

/// `--api`: the names of [`crate::vao::ApiFlavour`], offered to completions too.
fn parse_api() -> impl clap::builder::TypedValueParser<Value = crate::vao::ApiFlavour> {
    use clap::builder::TypedValueParser;
    let names = crate::vao::ApiFlavour::ALL.map(|f| f.name());
    clap::builder::PossibleValuesParser::new(names)
        .map(|name| crate::vao::ApiFlavour::parse(&name).unwrap_or_default())
}

fn parse_continue_option(text: &str) -> Result<crate::vao::ContinueOption, String> {
    text.parse()
        .map_err(|e: crate::vao::UnknownContinueOption| e.to_string())
}

fn parse_report_format(text: &str) -> Result<crate::report::Format, String> {
    text.parse()
}

fn parse_url_path(text: &str) -> Result<String, String> {
    let valid = text.starts_with('/')
        && !text.contains(|c: char| c.is_whitespace() || c == '?' || c == '#' || c == '\\');
    if valid {
        Ok(text.to_owned())
    } else {
        Err(format!("`{text}` is not a URL path such as /api/v3"))
    }
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    crate::runbook::values::parse_duration(text)
        .ok_or_else(|| format!("`{text}` is not a duration such as 500ms, 30s or 5m"))
}

/// `--sim-halt PLAN[:TIMES]`: the plan, and how many times it halts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimHalt {
    pub plan: uuid::Uuid,
    pub times: usize,
}

fn parse_sim_halt(text: &str) -> Result<SimHalt, String> {
    let (plan, times) = text.split_once(':').unwrap_or((text, "1"));
    let plan = crate::runbook::values::parse_plan_id(plan)
        .ok_or_else(|| format!("`{plan}` is not a plan UUID"))?;
    match times.parse::<usize>() {
        Ok(times @ 1..=20) => Ok(SimHalt { plan, times }),
        _ => Err(format!(
            "`{times}` is not how many times the plan halts (1 to 20)"
        )),
    }
}

fn parse_positive_duration(text: &str) -> Result<std::time::Duration, String> {
    crate::runbook::values::parse_positive_duration(text)
        .ok_or_else(|| format!("`{text}` is not a duration greater than zero such as 2s or 1m"))
}

fn parse_age(text: &str) -> Result<std::time::Duration, String> {
    crate::runbook::values::parse_positive_duration(text).ok_or_else(|| {
        format!("`{text}` is not an age such as 90d, 12w or 365d (greater than zero, at most 366d)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Flags that `run` and `resume` share are declared once, so they are documented alike.
    #[test]
    fn shared_flags_read_the_same_in_every_command() {
        let cli = Cli::command();
        let help = |command: &str, id: &str| {
            let command = cli.find_subcommand(command).expect("subcommand");
            let arg = command.get_arguments().find(|a| a.get_id() == id);
            arg.and_then(|a| a.get_help()).map(|h| h.to_string())
        };
        let run = cli.find_subcommand("run").expect("run");
        let mut shared = 0;
        for arg in run.get_arguments() {
            let id = arg.get_id().as_str();
            // `--force` means something else for resume (accept a changed runbook).
            if id == "force" {
                continue;
            }
            if let Some(in_resume) = help("resume", id) {
                shared += 1;
                assert_eq!(help("run", id), Some(in_resume), "--{id}");
            }
        }
        assert!(shared >= 12, "only {shared} shared flags");
        for command in ["run", "check", "drill", "resume"] {
            for arg in cli.find_subcommand(command).unwrap().get_arguments() {
                assert!(
                    arg.get_help().is_some(),
                    "{command} --{} has no help",
                    arg.get_id()
                );
            }
        }
    }
}
