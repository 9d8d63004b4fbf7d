//! `gameday rollback RUN`: finish a run whose driver was lost (the process killed, the
//! machine asleep, the execution gone) with its faults possibly still in effect. It runs the
//! experiment state machine's own rollback branch (recover in rollback mode, then validate
//! with the interruption as the caught error) on the embedded engine, with the same phase
//! handlers, so one code path undoes faults.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use gameday_aws::AwsError;
use gameday_aws::runs::RunStore;
use gameday_core::faults::{Undo, fault_effect};
use gameday_core::liveness::{Liveness, faults_in_effect};
use gameday_core::run::{RunRecord, RunStatus, UndoState};
use gameday_core::spec::{Experiment, load_experiment};
use gameday_engine::{Engine, ExecutionStatus, RealClock};
use gameday_phases::PhaseConfig;
use gameday_phases::lambda::AwsPorts;
use gameday_runner::{phase_functions, rollback_machine};
use serde::Serialize;
use serde_json::json;

use super::driver::{LeaseKeeper, RunReader, this_process};
use super::progress::LiveProgress;
use super::runs::{StatusView, print_status};
use super::validate::read_experiment;
use crate::cli::{AwsArgs, OutputFormat, TableArgs};
use crate::output::emit;

/// The error name the rollback gives validate: not a safety stop, so the verdict is ERRORED.
const INTERRUPTED_ERROR: &str = "Gameday.Interrupted";

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The interrupted run (`gameday status RUN` says INTERRUPTED).
    pub run_id: String,
    /// Show what would be undone and released, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Take the run over even though its driver looks alive (its lease has not expired, or
    /// its Step Functions execution cannot be described or still runs). Only when you know it
    /// is gone: two drivers would act on the same faults. Stop a deployed execution first.
    #[arg(long)]
    pub force: bool,
    /// The experiment file, for a run recorded before runs kept their experiment. A run that
    /// kept it is rolled back with its own, whatever the file says now.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// SNS topic for the verdict message (the experiment's `notify.topicArn` wins).
    #[arg(long, env = "TOPIC_ARN")]
    pub topic_arn: Option<String>,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

/// One fault the rollback undoes, and how.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlannedUndo {
    fault: String,
    action: String,
    state: UndoState,
    targets: Vec<String>,
    undo: Undo,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RollbackPlan {
    run_id: String,
    liveness: Liveness,
    faults: Vec<PlannedUndo>,
    locks: Vec<String>,
    dry_run: bool,
}

pub async fn run(args: &RollbackArgs, format: OutputFormat) -> ExitCode {
    let run_id = args.run_id.as_str();
    let table = args.table.name.as_str();
    let reader = RunReader::load(&args.aws, table).await;
    let record = match reader.clients.runs.get_run(run_id).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            return super::fail(format!(
                "no run `{run_id}` in table {table}; `gameday history EXPERIMENT` lists the runs of an experiment"
            ));
        }
        Err(error) => return super::fail(format!("reading run {run_id}: {error}")),
    };
    if record.status.is_terminal() {
        return already_ended(&record, format);
    }
    let (lease, liveness) = match reader.liveness(&record).await {
        Ok(judged) => judged,
        Err(error) => return super::fail(format!("reading the driver of run {run_id}: {error}")),
    };
    let reason = match (&liveness, args.force) {
        (Liveness::Interrupted { .. }, _) => liveness.interruption().unwrap_or_default(),
        (Liveness::Live { why }, false) => {
            eprintln!(
                "gameday: refused: run {run_id} is still driven: {why}. Stop its driver and run \
                 `gameday rollback {run_id}` again once `gameday status {run_id}` says INTERRUPTED \
                 (a local driver's lease lasts {} s); --force takes it over anyway",
                gameday_core::liveness::LOCAL_LEASE_SECONDS
            );
            return ExitCode::FAILURE;
        }
        (Liveness::Live { why }, true) => {
            eprintln!(
                "gameday: warning: --force: taking run {run_id} over from a driver that may be alive ({why}); \
                 if it still runs, both act on the same faults"
            );
            format!("interrupted: taken over with --force ({why})")
        }
        (Liveness::Finished, _) => return already_ended(&record, format),
    };
    let experiment = match experiment_of(&record, args) {
        Ok(experiment) => experiment,
        Err(message) => return super::fail(message),
    };
    let plan = plan(&record, &experiment, liveness, args.dry_run);
    if args.dry_run {
        emit(format, &plan, print_plan);
        return ExitCode::SUCCESS;
    }
    if format == OutputFormat::Text {
        print_plan(&plan);
    }
    let store = &reader.clients.runs;
    let keeper = match LeaseKeeper::claim(store, run_id, this_process("rollback"), lease.as_ref())
        .await
    {
        Ok(keeper) => keeper,
        Err(AwsError::Conflict { .. }) => {
            eprintln!(
                "gameday: refused: another driver claimed run {run_id} just now; see `gameday status {run_id}`"
            );
            return ExitCode::FAILURE;
        }
        Err(error) => return super::fail(format!("claiming run {run_id}: {error}")),
    };
    let finished = roll_back(args, record, &experiment, &reason).await;
    keeper.release().await;
    let record = match finished {
        Ok(record) => record,
        Err(message) => return super::fail(message),
    };
    let view = StatusView {
        record: &record,
        liveness: None,
    };
    emit(format, &view, print_status);
    conclude(&record)
}

/// A run that has its verdict: nothing to roll back; any fault whose undo failed is named.
fn already_ended(record: &RunRecord, format: OutputFormat) -> ExitCode {
    let left = faults_in_effect(record);
    let view = StatusView {
        record,
        liveness: None,
    };
    emit(format, &view, |_| {
        println!(
            "run {} already ended as {}: nothing to roll back",
            record.run_id, record.status
        );
        for undo in &left {
            println!(
                "  fault `{}` was not undone ({}): undo it by hand on {}",
                undo.fault,
                undo.error.as_deref().unwrap_or("no error recorded"),
                undo.targets.join(", ")
            );
        }
    });
    ExitCode::SUCCESS
}

/// The experiment the run was prepared with (validated again), or the file given.
fn experiment_of(record: &RunRecord, args: &RollbackArgs) -> Result<Experiment, String> {
    let run_id = &record.run_id;
    if let Some(spec) = &record.experiment_spec {
        return load_experiment(
            &format!("the experiment kept in run {run_id}"),
            &spec.to_string(),
        )
        .map_err(|errors| {
            let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
            format!(
                "the experiment kept in run {run_id} is not valid any more: {}",
                errors.join("; ")
            )
        });
    }
    let Some(file) = &args.file else {
        return Err(format!(
            "run {run_id} was recorded without its experiment; give the file it ran: \
             `gameday rollback {run_id} --file FILE`"
        ));
    };
    let experiment = read_experiment(file).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    if experiment.metadata.name != record.experiment {
        return Err(format!(
            "{} holds experiment `{}`, but run {run_id} ran `{}`",
            file.display(),
            experiment.metadata.name,
            record.experiment
        ));
    }
    Ok(experiment)
}

fn plan(
    record: &RunRecord,
    experiment: &Experiment,
    liveness: Liveness,
    dry_run: bool,
) -> RollbackPlan {
    let faults = faults_in_effect(record)
        .into_iter()
        .filter(|undo| undo.state != UndoState::UndoFailed)
        .map(|undo| {
            let undo_calls = experiment
                .faults
                .iter()
                .find(|f| f.name == undo.fault)
                .map(|fault| fault_effect(fault, &undo.targets).undo)
                .unwrap_or_else(|| Undo::Nothing {
                    reason: "the fault is not in the experiment; undo it by hand".into(),
                });
            PlannedUndo {
                fault: undo.fault.clone(),
                action: undo.action.clone(),
                state: undo.state,
                targets: undo.targets.clone(),
                undo: undo_calls,
            }
        })
        .collect();
    RollbackPlan {
        run_id: record.run_id.clone(),
        liveness,
        faults,
        locks: record.all_targets(),
        dry_run,
    }
}

fn print_plan(plan: &RollbackPlan) {
    let verb = if plan.dry_run {
        "would roll back"
    } else {
        "rolling back"
    };
    eprintln!("run {}: {verb}", plan.run_id);
    if let Some(why) = plan.liveness.interruption() {
        eprintln!("  {why}");
    }
    if plan.faults.is_empty() {
        eprintln!("  faults    none in effect");
    }
    for fault in &plan.faults {
        let undo = match &fault.undo {
            Undo::Calls { calls } => calls
                .iter()
                .map(|c| format!("{} {} {}", c.service, c.operation, c.detail))
                .collect::<Vec<_>>()
                .join("; "),
            Undo::Nothing { reason } => format!("nothing to undo: {reason}"),
        };
        eprintln!("  fault     {} ({:?}): {undo}", fault.fault, fault.state);
    }
    if !plan.locks.is_empty() {
        eprintln!("  locks     release {}", plan.locks.join(", "));
    }
    eprintln!("  verdict   ERRORED, with the interruption as its reason");
}

/// Marks the run as rolling back with the interruption as its stop reason, then runs the
/// rollback branch, and returns the record it left.
async fn roll_back(
    args: &RollbackArgs,
    mut record: RunRecord,
    experiment: &Experiment,
    reason: &str,
) -> Result<RunRecord, String> {
    let run_id = record.run_id.clone();
    let ports = Arc::new(AwsPorts::load(&args.aws.settings(), &args.table.name, RealClock).await);
    record.stop_reason = Some(reason.to_string());
    if record.status == RunStatus::Running {
        record
            .transition(RunStatus::RollingBack, chrono::Utc::now())
            .map_err(|e| e.to_string())?;
    }
    ports
        .clients
        .runs
        .save_run(&mut record)
        .await
        .map_err(|e| format!("marking run {run_id} as rolling back: {e}"))?;
    let config = PhaseConfig {
        topic_arn: args.topic_arn.clone(),
        kill_switch_parameter: args.aws.kill_switch_parameter.clone(),
        ..PhaseConfig::default()
    };
    let functions = phase_functions(ports.clone(), Arc::new(config));
    let machine = rollback_machine().map_err(|e| format!("the rollback state machine: {e}"))?;
    let input = json!({
        "runId": run_id,
        "experiment": experiment,
        "error": {"Error": INTERRUPTED_ERROR, "Cause": reason},
    });
    let progress = LiveProgress::new(true);
    let execution = Engine::new(&functions, &RealClock)
        .with_observer(&progress)
        .execute(&machine, &run_id, input)
        .await;
    let record = ports
        .clients
        .runs
        .get_run(&run_id)
        .await
        .map_err(|e| {
            format!(
                "the rollback ended ({:?}) but run {run_id} cannot be read: {e}",
                execution.status
            )
        })?
        .ok_or_else(|| format!("run {run_id} disappeared from the table during its rollback"))?;
    if execution.status != ExecutionStatus::Failed
        || execution.error.as_deref() == Some("Gameday.RollbackIncomplete")
    {
        eprintln!(
            "gameday: run {run_id}: the rollback ended {:?} ({}: {})",
            execution.status,
            execution.error.as_deref().unwrap_or("-"),
            execution.cause.as_deref().unwrap_or("-")
        );
    }
    Ok(record)
}

/// 0 when the run is terminal and nothing is left in effect; 2 (as `gameday run` exits when a
/// run could not be brought to a clean end) otherwise, naming what is left.
fn conclude(record: &RunRecord) -> ExitCode {
    let left = faults_in_effect(record);
    if record.status.is_terminal() && left.is_empty() {
        eprintln!(
            "run {}: rolled back; it ended {}, no fault left in effect",
            record.run_id, record.status
        );
        return ExitCode::SUCCESS;
    }
    let faults: Vec<String> = left
        .iter()
        .map(|u| format!("`{}` ({:?})", u.fault, u.state))
        .collect();
    super::fail(format!(
        "run {} is {} after the rollback; not undone: {}. Undo those by hand, or run `gameday rollback {}` again",
        record.run_id,
        record.status,
        if faults.is_empty() {
            "none".to_string()
        } else {
            faults.join(", ")
        },
        record.run_id
    ))
}
