//! One module per command; each returns the process exit code.

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub(crate) mod demo;
mod driver;
pub(crate) mod failover;
mod maturity;
mod plan;
pub(crate) mod playbook;
mod progress;
pub(crate) mod report;
pub(crate) mod rollback;
mod run;
mod runs;
mod sandbox;
pub(crate) mod schedule;
mod schema;
pub(crate) mod sfn;
mod validate;

/// Exit code for a command that could not do its work (bad input it cannot read, AWS errors).
pub const EXIT_ERROR: u8 = 2;

pub async fn run(cli: Cli) -> ExitCode {
    let format = cli.global.output;
    match cli.command {
        Command::Validate { files } => validate::run(&files, format),
        Command::Schema => schema::run(),
        Command::Plan {
            file,
            aws,
            playbook,
        } => plan::run(&file, &aws, &playbook, format).await,
        Command::Run { file, args } => run::run(&file, &args, format).await,
        Command::Status { run_id, aws, table } => {
            runs::status(&run_id, &aws, &table.name, format).await
        }
        Command::Rollback(args) => rollback::run(&args, format).await,
        Command::History {
            experiment,
            limit,
            aws,
            table,
        } => runs::history(&experiment, limit, &aws, &table.name, format).await,
        Command::Sfn { action } => sfn::run(action, format).await,
        Command::Report(args) => report::run(&args, format).await,
        Command::Maturity(args) => maturity::run(&args, format).await,
        Command::Sandbox { action } => sandbox::run(action, format).await,
        Command::Failover { action } => failover::run(action, format).await,
        Command::Schedule { action } => schedule::run(action, format).await,
        Command::Demo(args) => demo::run(&args, format).await,
        Command::Playbook { action } => playbook::run(action, format).await,
    }
}

/// Prints an error for people and returns the error exit code.
pub fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("gameday: {message}");
    ExitCode::from(EXIT_ERROR)
}
