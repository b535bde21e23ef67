//! The command line: arguments → checked inputs → the library → an exit code.

/// A line on stderr for people: control characters replaced, and a failed write ignored (a
/// terminal that hung up must not stop a run or lose its report).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::output::write_line(&mut std::io::stderr(), &format!($($arg)*))
    };
}

/// A line on stderr that `-q` leaves out: what happens on the way, not errors or verdicts.
macro_rules! info {
    ($($arg:tt)*) => {
        if !$crate::cli::output::quiet() {
            say!($($arg)*)
        }
    };
}

/// A line on stdout: a closed pipe (`drbook validate … | head -1`) is not worth a panic.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::write_line(&mut std::io::stdout(), &format!($($arg)*))
    };
}

pub mod args;
pub mod checkpoint;
pub mod credentials;
pub mod docs;
pub mod exit;
pub mod history;
pub mod lock;
pub mod output;
pub mod plans;
pub mod provenance;
pub mod resume;
pub mod run;
pub mod simulator;
pub mod status;
pub mod validate;

use crate::runbook::Source;
use crate::secret::Redactor;
use crate::template::VarInputs;
use args::{Cli, Command, VarArgs};
use clap::Parser;

/// Reads the variables the user supplied: files, environment, flags.
pub fn var_inputs(args: &VarArgs) -> Result<VarInputs, exit::Error> {
    let mut files = Vec::new();
    for path in &args.vars_files {
        let source =
            Source::read(path).map_err(|e| exit::Error::refused(format!("--vars-file {e}")))?;
        files.push((source.name, source.text));
    }
    Ok(VarInputs {
        cli: args.vars.clone(),
        files,
        env: VarInputs::env_from_process(),
        fixed: Vec::new(),
        clock: args.now,
    })
}

/// Log lines pass through the redactor before they reach stderr: a server's error message
/// may echo a token, and log lines are written by code that knows nothing of secrets.
struct RedactingWriter {
    redactor: Redactor,
}

impl std::io::Write for RedactingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let _ = std::io::stderr().write_all(self.redactor.redact(&text).as_bytes());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

fn init_logging(verbose: u8, redactor: &Redactor) {
    let builder = tracing_subscriber::fmt()
        .with_writer({
            let redactor = redactor.clone();
            move || RedactingWriter {
                redactor: redactor.clone(),
            }
        })
        .with_target(false);
    if verbose == 0 && std::env::var_os("RUST_LOG").is_none() {
        // The usual case, without parsing a filter (a tenth of a small `validate`).
        let _ = builder
            .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
            .try_init();
        return;
    }
    let default = match verbose {
        0 => "warn",
        1 => "drbook=info",
        2 => "drbook=debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = builder.with_env_filter(filter).try_init();
}

/// Runs drbook with the process's arguments; returns the exit code.
pub fn main() -> u8 {
    let cli = Cli::parse();
    anstream::ColorChoice::from(cli.color).write_global();
    output::set_quiet(cli.quiet);
    let redactor = Redactor::default();
    init_logging(cli.verbose, &redactor);
    exit::finish(command(&cli, &redactor))
}

fn command(cli: &Cli, redactor: &Redactor) -> exit::Outcome {
    match &cli.command {
        Command::Validate(args) => validate::validate(args),
        Command::Completions(args) => docs::completions(args),
        Command::Man(args) => docs::man(args),
        Command::History(args) => history::history(args),
        command => {
            // One thread: a run is one request at a time, and a single-threaded runtime
            // hands each answer to the executor without a wake-up across threads (and
            // returns the connection to the pool before the next request looks for one).
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| exit::Error::Failed(format!("cannot start the async runtime: {e}")))?;
            runtime.block_on(async {
                match command {
                    Command::Run(args) => run::run(args, redactor, run::Purpose::Run).await,
                    Command::Check(args) => run::run(args, redactor, run::Purpose::Check).await,
                    Command::Drill(args) => run::run(args, redactor, run::Purpose::Drill).await,
                    Command::Resume(args) => resume::resume(args, redactor).await,
                    Command::Status(args) => status::status(args, redactor).await,
                    Command::Plans(args) => plans::plans(args, redactor).await,
                    Command::Simulator(args) => simulator::simulator(args).await,
                    // Answered above, without a runtime.
                    Command::Validate(args) => validate::validate(args),
                    Command::Completions(args) => docs::completions(args),
                    Command::Man(args) => docs::man(args),
                    Command::History(args) => history::history(args),
                }
            })
        }
    }
}
