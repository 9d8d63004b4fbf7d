//! The `gameday` command line.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod commands;
mod output;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // One thread: a command waits on one AWS call or one state at a time, and every extra
    // worker thread brings its own malloc arena and stack (BENCHMARKS.md, Chaos Toolkit
    // comparison, measures the peak memory this keeps down). Blocking work still goes to
    // tokio's blocking pool through spawn_blocking.
    let runtime = match tokio::runtime::Builder::new_current_thread()
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
