//! `drbook completions SHELL` and `drbook man`: generated from the clap definition of the
//! command line (`args.rs`), so they cannot fall behind it.

use super::args::{Cli, CompletionsArgs, ManArgs};
use super::exit::{Error, Exit, Outcome};
use clap::CommandFactory;
use std::io::Write;

pub fn completions(args: &CompletionsArgs) -> Outcome {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "drbook", &mut script);
    write_stdout(&script)
}

pub fn man(args: &ManArgs) -> Outcome {
    let command = Cli::command();
    let mut pages = vec![("drbook".to_owned(), command.clone())];
    pages.extend(
        command
            .get_subcommands()
            .filter(|sub| sub.get_name() != "help")
            .map(|sub| {
                let name = format!("drbook-{}", sub.get_name());
                (name.clone(), sub.clone().name(name))
            }),
    );
    match (&args.out, &args.command) {
        (None, None) => write_stdout(&render(&command)?),
        (None, Some(wanted)) => {
            let name = format!("drbook-{wanted}");
            let Some((_, page)) = pages.iter().find(|(n, _)| *n == name) else {
                let known: Vec<&str> = pages[1..]
                    .iter()
                    .map(|(n, _)| n.trim_start_matches("drbook-"))
                    .collect();
                return Err(Error::refused(format!(
                    "drbook has no command `{wanted}`; its manual pages are for {}",
                    known.join(", ")
                )));
            };
            write_stdout(&render(page)?)
        }
        (Some(dir), _) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Failed(format!("cannot create {}: {e}", dir.display())))?;
            for (name, page) in pages {
                let path = dir.join(format!("{name}.1"));
                std::fs::write(&path, render(&page)?)
                    .map_err(|e| Error::Failed(format!("cannot write {}: {e}", path.display())))?;
                out!("{}", path.display());
            }
            Ok(Exit::Success)
        }
    }
}

fn render(command: &clap::Command) -> Result<Vec<u8>, Error> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .map_err(|e| Error::Failed(format!("cannot render the manual page: {e}")))?;
    Ok(page)
}

/// Writes generated text; a closed pipe (`drbook man | head`) is not an error worth a panic.
fn write_stdout(bytes: &[u8]) -> Outcome {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
    Ok(Exit::Success)
}
