//! Prepare: load and validate the experiment, refuse on any safety problem, select and lock
//! the targets, record the baseline, create the run record (RUNNING) and say "started".
//!
//! A refusal is recorded (ABORTED, with every reason), notified, and returned as an error whose
//! ASL name says which check refused, so nothing after prepare runs.

use std::collections::BTreeMap;

use gameday_aws::AwsError;
use gameday_aws::instances::InstanceDirectory;
use gameday_aws::runs::{ExperimentStore, LockStore, RunStore};
use gameday_core::run::{Phase, RunRecord, RunStatus};
use gameday_core::selection::select_targets;
use gameday_core::spec::{Experiment, load_experiment};
use gameday_core::windows::active_window;
use gameday_phases::error::refusal;
use gameday_phases::notify::notify;
use gameday_phases::sampling::{SafetyProblem, safety_problems, sample_steady_state};
use gameday_phases::{PhaseConfig, PhaseError, Ports, RunState};
use serde::Deserialize;
use serde_json::{Value, json};

/// What starts a run: the experiment itself, or the name of one stored in the table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrepareInput {
    /// Reuse an id to retry a prepare safely; a new one is made otherwise.
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub experiment: Option<Value>,
    #[serde(default)]
    pub experiment_name: Option<String>,
    /// The RTO of the experiment's dependency, from its playbook, for `withinRto`.
    #[serde(default)]
    pub rto_seconds: Option<f64>,
}

pub async fn handle<P: Ports>(
    ports: &P,
    config: &PhaseConfig,
    input: PrepareInput,
) -> Result<RunState, PhaseError> {
    let experiment = load(ports, &input).await?;
    let run_id = input.run_id.clone().unwrap_or_else(|| {
        format!(
            "{}-{}",
            experiment.metadata.name,
            uuid::Uuid::new_v4().simple()
        )
    });
    let now = ports.clock().now();
    let mut record = match ports.runs().get_run(&run_id).await? {
        Some(existing) if existing.status == RunStatus::Running => {
            return Ok(RunState::new(run_id, experiment));
        }
        Some(existing) if existing.status != RunStatus::Pending => {
            return Err(PhaseError::InvalidInput(format!(
                "run {run_id} already ended as {}; start a new run",
                existing.status
            )));
        }
        Some(existing) => existing,
        None => {
            let mut record = RunRecord::new(
                &run_id,
                &experiment.metadata.name,
                &experiment.metadata.service,
                now,
            );
            record.rto_seconds = input.rto_seconds;
            record.experiment_spec = serde_json::to_value(&experiment).ok();
            ports.runs().create_run(&record).await?;
            record
        }
    };
    record.start_phase(Phase::Prepare, now);

    let mut problems = safety_problems(ports, config, &experiment).await?;
    if let Some(window) = experiment
        .schedule
        .as_ref()
        .and_then(|s| active_window(s, now))
    {
        problems.push(SafetyProblem {
            asl_name: refusal::BLOCKED_WINDOW,
            reason: format!("inside the blocked window `{}`", window.name()),
        });
    }
    if !problems.is_empty() {
        return Err(refuse(ports, config, &experiment, record, problems).await);
    }

    let targets = match resolve_targets(ports, &experiment).await? {
        Ok(targets) => targets,
        Err(problems) => return Err(refuse(ports, config, &experiment, record, problems).await),
    };
    if let Some(problem) = lock_targets(ports, config, &experiment, &run_id, &targets).await? {
        return Err(refuse(ports, config, &experiment, record, vec![problem]).await);
    }
    record.targets = targets;

    let baseline = sample_steady_state(ports, &experiment).await;
    record.baseline = baseline.readings.clone();
    if !baseline.is_healthy() {
        let unhealthy: Vec<String> = baseline
            .readings
            .iter()
            .filter(|r| !r.within_tolerance)
            .map(|r| format!("{}: {}", r.probe, r.detail))
            .collect();
        let reason = format!(
            "the steady state does not hold before the fault ({})",
            unhealthy.join("; ")
        );
        let problem = SafetyProblem {
            asl_name: refusal::STEADY_STATE,
            reason,
        };
        gameday_phases::records::release_locks(ports, &record).await;
        return Err(refuse(ports, config, &experiment, record, vec![problem]).await);
    }

    let now = ports.clock().now();
    record
        .transition(RunStatus::Running, now)
        .map_err(|e| PhaseError::InvalidInput(e.to_string()))?;
    record.end_phase(Phase::Prepare, now);
    let subject = format!("gameday: {} started", experiment.metadata.name);
    let body = json!({"event": "started", "runId": run_id, "experiment": experiment.metadata.name, "service": experiment.metadata.service, "targets": record.targets});
    notify(ports, config, &experiment, &mut record, &subject, body).await;
    ports.runs().save_run(&mut record).await?;
    tracing::info!(run_id = %run_id, targets = ?record.targets, "prepared");
    Ok(RunState::new(run_id, experiment))
}

/// The experiment from the input (validated like a file) or from the table.
async fn load<P: Ports>(ports: &P, input: &PrepareInput) -> Result<Experiment, PhaseError> {
    match (&input.experiment, &input.experiment_name) {
        (Some(value), None) => load_experiment("input.experiment", &value.to_string()).map_err(|errors| {
            PhaseError::InvalidInput(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
        }),
        (None, Some(name)) => ports.runs().get_experiment(name).await?.ok_or_else(|| {
            PhaseError::InvalidInput(format!("no experiment named `{name}` is stored in the table; pass `experiment` or store it first"))
        }),
        _ => Err(PhaseError::InvalidInput("give exactly one of `experiment` (the spec) and `experimentName`".to_string())),
    }
}

/// The chosen instances of every target, or why a target is refused.
async fn resolve_targets<P: Ports>(
    ports: &P,
    experiment: &Experiment,
) -> Result<Result<BTreeMap<String, Vec<String>>, Vec<SafetyProblem>>, PhaseError> {
    let mut chosen = BTreeMap::new();
    let mut problems = Vec::new();
    for target in &experiment.targets {
        let instances = ports.instances().find_instances(&target.selector).await?;
        let selection = select_targets(target, &instances);
        match selection.refusal {
            Some(reason) => problems.push(SafetyProblem {
                asl_name: refusal::TARGETS,
                reason: format!("target {}: {reason}", target.name),
            }),
            None => {
                chosen.insert(
                    target.name.clone(),
                    selection
                        .chosen
                        .into_iter()
                        .map(|d| d.instance_id)
                        .collect(),
                );
            }
        }
    }
    Ok(if problems.is_empty() {
        Ok(chosen)
    } else {
        Err(problems)
    })
}

/// Locks every chosen instance until the run's latest possible end plus a margin. A lock held
/// by another run (or a write refused) is a refusal; a transient error (throttled, 5xx) is
/// returned as it is, so the state machine retries prepare, which takes the same locks again.
/// Either way, what was taken is released.
async fn lock_targets<P: Ports>(
    ports: &P,
    config: &PhaseConfig,
    experiment: &Experiment,
    run_id: &str,
    targets: &BTreeMap<String, Vec<String>>,
) -> Result<Option<SafetyProblem>, PhaseError> {
    let now = ports.clock().now();
    let span = experiment.observe.duration.as_duration()
        + experiment.recovery.timeout.as_duration()
        + config.lock_margin;
    let expires_at = now + chrono::Duration::from_std(span).unwrap_or(chrono::Duration::days(1));
    let mut taken = Vec::new();
    for id in targets.values().flatten() {
        match ports.runs().acquire_lock(id, run_id, expires_at, now).await {
            Ok(()) => taken.push(id.clone()),
            Err(error) => {
                for id in &taken {
                    let _ = ports.runs().release_lock(id, run_id).await;
                }
                if matches!(error, AwsError::Transient { .. }) {
                    return Err(error.into());
                }
                return Ok(Some(SafetyProblem {
                    asl_name: refusal::TARGET_LOCKED,
                    reason: error.to_string(),
                }));
            }
        }
    }
    Ok(None)
}

/// Records the refusal (ABORTED with every reason), notifies, and returns the error.
async fn refuse<P: Ports>(
    ports: &P,
    config: &PhaseConfig,
    experiment: &Experiment,
    mut record: RunRecord,
    problems: Vec<SafetyProblem>,
) -> PhaseError {
    let now = ports.clock().now();
    let reasons: Vec<String> = problems.iter().map(|p| p.reason.clone()).collect();
    record.stop_reason = Some(reasons.join("; "));
    record.end_phase(Phase::Prepare, now);
    if let Err(error) = record.conclude(RunStatus::Aborted, reasons.clone(), now) {
        return PhaseError::InvalidInput(error.to_string());
    }
    let subject = format!("gameday: {} ABORTED before start", experiment.metadata.name);
    let body = json!({"event": "aborted", "runId": record.run_id, "experiment": experiment.metadata.name, "verdict": "ABORTED", "reasons": reasons});
    notify(ports, config, experiment, &mut record, &subject, body).await;
    if let Err(error) = ports.runs().save_run(&mut record).await {
        return error.into();
    }
    tracing::warn!(run_id = %record.run_id, ?reasons, "refused");
    PhaseError::Refused {
        run_id: record.run_id,
        reason: reasons.join("; "),
        asl_name: problems[0].asl_name,
    }
}
