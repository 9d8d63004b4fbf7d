//! What the CLI test binaries share: the repository root and running `gameday` from it.
// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::process::{Command, Output};

use serde_json::Value;

/// The repository root, where `examples/` is.
pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Runs the `gameday` binary from the repository root.
pub fn gameday(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(args)
        .current_dir(ROOT)
        .output()
        .expect("gameday runs")
}

/// The command's stdout as JSON; on anything else, panics with stdout and stderr.
pub fn json(output: &Output) -> Value {
    assert!(
        output.status.code().is_some(),
        "gameday was killed: {output:?}"
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}
