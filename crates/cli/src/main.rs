//! The `gameday` command line.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod commands;
mod output;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("gameday: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(commands::run(cli))
}
