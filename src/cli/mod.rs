//! The command line: arguments → checked inputs → the library → an exit code.

pub mod args;
pub mod checkpoint;
pub mod credentials;
pub mod exit;
pub mod output;
pub mod provenance;
pub mod run;
pub mod simulator;
pub mod validate;

use crate::runbook::Source;
use crate::template::VarInputs;
use args::{Cli, Command, VarArgs};
use clap::Parser;

/// Reads the variables the user supplied: files, environment, flags.
pub fn var_inputs(args: &VarArgs) -> Result<VarInputs, String> {
    let mut files = Vec::new();
    for path in &args.vars_files {
        let source = Source::read(path).map_err(|e| format!("error: --vars-file {e}"))?;
        files.push((source.name, source.text));
    }
    Ok(VarInputs {
        cli: args.vars.clone(),
        files,
        env: VarInputs::env_from_process(),
    })
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "drbook=info",
        2 => "drbook=debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Runs drbook with the process's arguments; returns the exit code.
pub fn main() -> u8 {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match &cli.command {
        Command::Validate(args) => validate::validate(args),
        command => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    eprintln!("error: cannot start the async runtime: {e}");
                    return exit::FAILED;
                }
            };
            runtime.block_on(async {
                match command {
                    Command::Run(args) => run::run(args).await,
                    Command::Simulator(args) => simulator::simulator(args).await,
                    Command::Validate(args) => validate::validate(args),
                }
            })
        }
    }
}
