//! `gameday sfn check|run DEFINITION`: try any state machine on the embedded engine before
//! deploying it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Subcommand};
use gameday_engine::{
    CannedResult, CannedTasks, Engine, EngineClock, ExecutionStatus, LambdaEndpoint, RealClock,
    StateMachine, TaskInvoker, VirtualClock, substitute,
};
use serde_json::{Value, json};

use super::progress::LiveProgress;
use crate::cli::OutputFormat;
use crate::output::emit;

#[derive(Debug, Subcommand)]
pub enum SfnAction {
    /// Load a definition and list everything the engine would refuse (exit 1), naming the
    /// state and the field.
    Check {
        /// The ASL file (JSON).
        definition: PathBuf,
        #[command(flatten)]
        substitutions: Substitutions,
    },
    /// Run a definition and print its output and history as JSON. Exit 0 when it succeeds,
    /// 1 when it fails or times out, 2 when it cannot be loaded.
    Run {
        /// The ASL file (JSON).
        definition: PathBuf,
        /// The execution input (JSON text).
        #[arg(long, default_value = "{}")]
        input: String,
        /// Canned Task results: {"<resource or FunctionName>": [{"result": ...} |
        /// {"error": "...", "cause": "..."}, ...]}, answered in call order.
        #[arg(long, conflicts_with = "lambda_endpoint")]
        task_results: Option<PathBuf>,
        /// Send Tasks to a Lambda Invoke endpoint instead (e.g. `cargo lambda watch`).
        #[arg(long)]
        lambda_endpoint: Option<String>,
        /// Waits and retries cost no real time.
        #[arg(long)]
        virtual_clock: bool,
        #[command(flatten)]
        substitutions: Substitutions,
    },
}

#[derive(Debug, Args)]
pub struct Substitutions {
    /// A value for a `${NAME}` in the definition, as NAME=VALUE (repeatable).
    #[arg(long = "substitute", value_name = "NAME=VALUE")]
    pairs: Vec<String>,
}

pub async fn run(action: SfnAction, format: OutputFormat) -> ExitCode {
    match action {
        SfnAction::Check {
            definition,
            substitutions,
        } => match load(&definition, &substitutions) {
            Ok(machine) => {
                let report = json!({"valid": true, "states": machine.state_names()});
                emit(format, &report, |_| {
                    println!("{}: valid", definition.display())
                });
                ExitCode::SUCCESS
            }
            Err(problems) => {
                let report = json!({"valid": false, "problems": problems});
                emit(format, &report, |_| {
                    for problem in &problems {
                        eprintln!("{}: {problem}", definition.display());
                    }
                });
                ExitCode::FAILURE
            }
        },
        SfnAction::Run {
            definition,
            input,
            task_results,
            lambda_endpoint,
            virtual_clock,
            substitutions,
        } => {
            let machine = match load(&definition, &substitutions) {
                Ok(machine) => machine,
                Err(problems) => {
                    return super::fail(format!(
                        "{}:\n{}",
                        definition.display(),
                        problems.join("\n")
                    ));
                }
            };
            let input: Value = match serde_json::from_str(&input) {
                Ok(input) => input,
                Err(e) => return super::fail(format!("--input is not JSON: {e}")),
            };
            let canned = match task_results.as_deref().map(read_canned).transpose() {
                Ok(canned) => canned.unwrap_or_default(),
                Err(message) => return super::fail(message),
            };
            let clock: Box<dyn EngineClock> = if virtual_clock {
                Box::new(VirtualClock::new(Utc::now()))
            } else {
                Box::new(RealClock)
            };
            let invoker: Box<dyn TaskInvoker> = match lambda_endpoint {
                Some(url) => Box::new(LambdaEndpoint::new(&url)),
                None => Box::new(CannedTasks::new(&*clock, canned)),
            };
            let progress = LiveProgress::new(!virtual_clock);
            let execution = Engine::new(&*invoker, &*clock)
                .with_observer(&progress)
                .execute(&machine, "local", input)
                .await;
            let failed = execution.status != ExecutionStatus::Succeeded;
            // The result is JSON whatever --output says: it is meant for tools and diffs.
            emit(OutputFormat::Json, &execution, |_| {});
            ExitCode::from(u8::from(failed))
        }
    }
}

/// The definition with its substitutions filled, loaded; or every problem.
fn load(file: &Path, substitutions: &Substitutions) -> Result<StateMachine, Vec<String>> {
    let text =
        std::fs::read_to_string(file).map_err(|e| vec![format!("cannot read the file: {e}")])?;
    let mut values = BTreeMap::new();
    for pair in &substitutions.pairs {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| vec![format!("--substitute {pair}: expected NAME=VALUE")])?;
        values.insert(name.to_string(), value.to_string());
    }
    let text = substitute(&text, &values).map_err(|e| {
        e.problems
            .into_iter()
            .map(|p| format!("{p} (give it with --substitute NAME=VALUE)"))
            .collect::<Vec<_>>()
    })?;
    StateMachine::from_json(&text).map_err(|e| e.problems)
}

fn read_canned(file: &Path) -> Result<BTreeMap<String, Vec<CannedResult>>, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("{}: cannot read the file: {e}", file.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: {e}; expected {{\"<resource>\": [{{\"result\": ...}} | {{\"error\": \"...\", \"cause\": \"...\"}}]}}",
            file.display(),
            e.line(),
            e.column()
        )
    })
}
