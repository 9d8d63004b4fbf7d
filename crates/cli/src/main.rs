//! The `gameday` command line.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod commands;
mod output;

fn main() -> ExitCode {
    #[cfg(unix)]
    restore_default_sigpipe();
    let cli = cli::Cli::parse();
    // One thread: a command waits on one AWS call or one state at a time. Measured on
    // `gameday run` (BENCHMARKS.md, section 3): about 0.3 MiB less peak memory than the
    // multi-thread runtime and the same CPU; the peak is mostly the binary's own code pages.
    // Blocking work still goes to tokio's blocking pool through spawn_blocking.
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

/// Rust ignores SIGPIPE, so printing into a closed pipe (`gameday history X | head -1`) would
/// panic with exit code 101. Like other command-line tools, gameday instead ends quietly when
/// the reader has gone.
#[cfg(unix)]
#[allow(unsafe_code)]
fn restore_default_sigpipe() {
    // SAFETY: called first thing in main, before any other thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
