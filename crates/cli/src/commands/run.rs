//! `gameday run FILE`: the experiment state machine on the embedded engine, the phase handlers
//! in-process, against the configured endpoint (the sandbox or a real account).

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::Utc;
use gameday_aws::config::is_loopback;
use gameday_aws::config::load_sdk_config;
use gameday_aws::executions::{Executions, SfnExecutions};
use gameday_aws::leases::LeaseStore;
use gameday_aws::runs::RunStore;
use gameday_aws::{AwsClients, AwsError};
use gameday_core::clock::Clock;
use gameday_core::liveness::{Driver, Lease, rollback_command};
use gameday_core::run::RunRecord;
use gameday_engine::{
    Engine, EngineClock, Execution, HistoryEvent, Observer, RealClock, VirtualClock,
};
use gameday_phases::PhaseConfig;
use gameday_phases::lambda::AwsPorts;
use gameday_runner::{Outcome, experiment_machine, phase_functions};
use serde::Serialize;
use serde_json::{Value, json};

use super::driver::{LeaseKeeper, RunReader, this_process};
use super::playbook::files::check_for_experiment;
use super::progress::LiveProgress;
use super::runs::{describe_faults_in_effect, interrupted_runs, print_record};
use super::validate::read_experiment;
use crate::cli::{OutputFormat, RunArgs};
use crate::output::emit;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunReport {
    pub run_id: String,
    pub execution: Execution,
    pub record: Option<RunRecord>,
}

pub async fn run(file: &Path, args: &RunArgs, format: OutputFormat) -> ExitCode {
    let prepared = match experiment_input(
        file,
        args.run_id.clone(),
        args.rto_seconds,
        args.playbook.playbook.as_deref(),
    ) {
        Ok(prepared) => prepared,
        Err(InputError::Refused(why)) => {
            eprintln!("gameday: refused: {why}; no run was started");
            return ExitCode::FAILURE;
        }
        Err(InputError::Invalid(errors)) => {
            for error in errors {
                eprintln!("{error}");
            }
            return ExitCode::from(super::EXIT_ERROR);
        }
    };
    let (run_id, input) = prepared;
    if args.virtual_clock && !args.aws.endpoint_url.as_deref().is_some_and(is_loopback) {
        return super::fail(
            "--virtual-clock only works against the local sandbox (a loopback --endpoint-url): \
             on a real account the faults would be undone before they had any effect",
        );
    }
    let experiment = input["experiment"]["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let reader = RunReader::load(&args.aws, &args.table.name).await;
    if let Err(why) = refuse_if_interrupted(&reader, &experiment).await {
        eprintln!("gameday: refused: {why}; no run was started");
        return ExitCode::FAILURE;
    }
    if args.deployed {
        return match follow_deployed(args, &run_id, &input).await {
            Ok(report) => finish(
                format,
                &report.run_id,
                report.record.as_ref(),
                &report,
                || {
                    format!(
                        "{}: {}",
                        report.status,
                        report.error.as_deref().unwrap_or("")
                    )
                },
            ),
            Err(message) => super::fail(message),
        };
    }
    let report = if args.virtual_clock {
        execute(VirtualClock::new(Utc::now()), false, args, &run_id, input).await
    } else {
        execute(RealClock, true, args, &run_id, input).await
    };
    let report = match report {
        Ok(report) => report,
        Err(message) => return super::fail(message),
    };
    finish(
        format,
        &report.run_id,
        report.record.as_ref(),
        &report,
        || {
            format!(
                "{}: {}",
                report.execution.error.as_deref().unwrap_or("?"),
                report.execution.cause.as_deref().unwrap_or("")
            )
        },
    )
}

/// The run id (the one given, or the experiment name and a random suffix) and the state
/// machine's input for the experiment in `file`; `Err` lists every problem of the file.
/// Why an experiment could not be turned into a state machine input.
pub(crate) enum InputError {
    /// The files are invalid: every error, located.
    Invalid(Vec<String>),
    /// The experiment is valid but must not run now (a criticality period of the playbook).
    Refused(String),
}

/// The run id and the state machine input for the experiment in `file`, after the playbook's
/// checks: the playbook given, or the `playbook.yaml` beside the experiment. Its criticality
/// periods are enforced here, before anything is started or recorded, because Prepare knows
/// only the experiment's own blocked windows; its RTO is the default for `rto_seconds`.
pub(crate) fn experiment_input(
    file: &Path,
    run_id: Option<String>,
    rto_seconds: Option<f64>,
    playbook: Option<&Path>,
) -> Result<(String, Value), InputError> {
    let invalid = |errors: Vec<gameday_core::diagnostics::Diagnostic>| {
        InputError::Invalid(errors.iter().map(ToString::to_string).collect())
    };
    let experiment = read_experiment(file).map_err(invalid)?;
    let check = check_for_experiment(file, &experiment, playbook, Utc::now()).map_err(invalid)?;
    if let Some(check) = &check {
        eprintln!(
            "playbook {} ({}): dependency {}, RTO {}",
            check.file, check.found, check.dependency, check.rto
        );
        if let Some(active) = &check.active {
            return Err(InputError::Refused(format!("inside the {active}")));
        }
    }
    // Prepare validates the experiment again, as it does for every caller.
    let document = serde_json::to_value(&experiment)
        .map_err(|error| InputError::Invalid(vec![format!("{}: {error}", file.display())]))?;
    let run_id = run_id.unwrap_or_else(|| {
        let id = uuid::Uuid::new_v4().simple().to_string();
        format!("{}-{}", experiment.metadata.name, &id[..8])
    });
    let mut input = json!({"runId": run_id, "experiment": document});
    let playbook_rto = check.as_ref().map(|c| c.rto.as_secs_f64());
    if let Some(rto) = rto_seconds.or(playbook_rto) {
        input["rtoSeconds"] = json!(rto);
    }
    Ok((run_id, input))
}

/// Prints the run (its record, or why there is none) and exits by its verdict.
fn finish<T: Serialize>(
    format: OutputFormat,
    run_id: &str,
    record: Option<&RunRecord>,
    report: &T,
    why_no_record: impl FnOnce() -> String,
) -> ExitCode {
    emit(format, report, |_| match record {
        Some(record) => print_record(record),
        None => println!(
            "run {run_id}: no run record was written ({})",
            why_no_record()
        ),
    });
    if let Some(record) = record.filter(|r| !r.status.is_terminal()) {
        eprintln!(
            "gameday: {}",
            unfinished(run_id, &describe_faults_in_effect(record))
        );
    }
    ExitCode::from(Outcome::of(record).exit_code())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeployedReport {
    run_id: String,
    execution_arn: String,
    status: String,
    error: Option<String>,
    cause: Option<String>,
    record: Option<RunRecord>,
}

/// Starts the deployed state machine and shows its history as it grows, until it ends.
async fn follow_deployed(
    args: &RunArgs,
    run_id: &str,
    input: &Value,
) -> Result<DeployedReport, String> {
    let arn = args.state_machine_arn.as_deref().unwrap_or_default();
    let config = load_sdk_config(&args.aws.settings()).await;
    let executions = SfnExecutions::from_config(&config);
    let execution_arn = executions
        .start(arn, run_id, input)
        .await
        .map_err(|e| format!("starting {arn}: {e}"))?;
    eprintln!("run {run_id}: execution {execution_arn}");
    let lease = Lease {
        driver: Driver::StepFunctions {
            execution_arn: execution_arn.clone(),
        },
        renewed_at: Utc::now(),
        lease_until: None,
    };
    let runs = AwsClients::load(&args.aws.settings(), &args.table.name)
        .await
        .runs;
    if let Err(error) = runs.claim_lease(run_id, &lease, None).await {
        eprintln!(
            "gameday: warning: run {run_id}: its execution was not recorded as its driver ({error}); \
             `gameday status` judges it by its record's age"
        );
    }
    let progress = LiveProgress::new(true);
    let mut seen = 0;
    let state = loop {
        // Describe first: once it has ended, the history read next is complete.
        let state = executions
            .describe(&execution_arn)
            .await
            .map_err(|e| format!("following {execution_arn}: {e}"))?;
        let events = executions
            .history(&execution_arn)
            .await
            .map_err(|e| format!("following {execution_arn}: {e}"))?;
        let shown = seen;
        for event in events.into_iter().filter(|e| e.id > shown) {
            seen = event.id;
            progress.on_event(&HistoryEvent {
                id: event.id,
                previous_event_id: event.previous_event_id,
                timestamp: event.timestamp,
                kind: event.kind,
                details: event.details,
            });
        }
        if state.status != "RUNNING" {
            break state;
        }
        tokio::time::sleep(std::time::Duration::from_secs(args.poll_seconds.max(1))).await;
    };
    let record = AwsClients::load(&args.aws.settings(), &args.table.name)
        .await
        .runs
        .get_run(run_id)
        .await
        .map_err(|e| {
            format!(
                "the execution ended ({}) but the run record cannot be read: {e}",
                state.status
            )
        })?;
    Ok(DeployedReport {
        run_id: run_id.to_string(),
        execution_arn,
        status: state.status,
        error: state.error,
        cause: state.cause,
        record,
    })
}

/// Runs the experiment state machine on the embedded engine with the phases in-process,
/// showing each state on stderr, and reads the run record it left.
pub(crate) async fn execute<C>(
    clock: C,
    real_time: bool,
    args: &RunArgs,
    run_id: &str,
    input: Value,
) -> Result<RunReport, String>
where
    C: Clock + EngineClock + Clone + 'static,
{
    let machine = experiment_machine().map_err(|e| format!("the experiment state machine: {e}"))?;
    let config = PhaseConfig {
        topic_arn: args.topic_arn.clone(),
        kill_switch_parameter: args.aws.kill_switch_parameter.clone(),
        ..PhaseConfig::default()
    };
    let ports =
        Arc::new(AwsPorts::load(&args.aws.settings(), &args.table.name, clock.clone()).await);
    let functions = phase_functions(ports.clone(), Arc::new(config));
    let progress = LiveProgress::new(real_time);
    let keeper = LeaseKeeper::claim(&ports.clients.runs, run_id, this_process("run"), None)
        .await
        .map_err(|error| match error {
            AwsError::Conflict { .. } => format!(
                "run {run_id} already has a driver; pick another --run-id (`gameday status {run_id}` shows it)"
            ),
            error => format!("run {run_id}: recording this process as its driver: {error}"),
        })?;
    eprintln!("run {run_id}");
    let engine = Engine::new(&functions, &clock).with_observer(&progress);
    let execution = tokio::select! {
        execution = engine.execute(&machine, run_id, input) => execution,
        holder = keeper.lost() => {
            return Err(format!(
                "run {run_id}: {holder}; this process stopped driving it and changed nothing more"
            ));
        }
    };
    keeper.release().await;
    let record = ports.clients.runs.get_run(run_id).await.map_err(|e| {
        format!(
            "the run ended ({:?}) but its record cannot be read: {e}\n  {}",
            execution.status,
            unfinished(run_id, "unknown: the record cannot be read")
        )
    })?;
    Ok(RunReport {
        run_id: run_id.to_string(),
        execution,
        record,
    })
}

/// What to do about a run that ended without a verdict: its faults may still be in effect.
fn unfinished(run_id: &str, in_effect: &str) -> String {
    format!(
        "run {run_id} did not finish, and its faults may still be in effect \
         (not undone: {in_effect}). Once its endpoint answers again, `gameday status {run_id}` \
         shows what is left and `{}` undoes it",
        rollback_command(run_id)
    )
}

/// Refuses a new run while a run of the same experiment is interrupted: its faults may still
/// be in effect and it holds its targets' locks. A table that cannot be read only warns:
/// prepare reads it next and reports the problem.
async fn refuse_if_interrupted(reader: &RunReader, experiment: &str) -> Result<(), String> {
    let interrupted = match interrupted_runs(reader, experiment).await {
        Ok(interrupted) => interrupted,
        Err(error) => {
            eprintln!(
                "gameday: warning: the earlier runs of {experiment} cannot be checked for an interrupted one: {error}"
            );
            return Ok(());
        }
    };
    let Some((record, liveness)) = interrupted.first() else {
        return Ok(());
    };
    Err(format!(
        "run {} of {experiment} is INTERRUPTED ({}) and may still have faults in effect ({}); \
         finish it first with `{}` (`gameday status {}` shows what is left)",
        record.run_id,
        liveness.interruption().unwrap_or_default(),
        describe_faults_in_effect(record),
        rollback_command(&record.run_id),
        record.run_id
    ))
}
