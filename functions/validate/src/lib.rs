//! Validate: judge the run (success criteria, hypothesis, the dependency's RTO), write the
//! verdict with every reason, publish it to SNS, and emit it as CloudWatch metrics. Called with
//! the caught error on the rollback path, it records ABORTED or ERRORED with that cause.
//!
//! A run already judged is returned as it is: nothing is published twice.

use gameday_aws::alarms::{MetricWriter, RunMetrics};
use gameday_aws::runs::RunStore;
use gameday_core::run::{Phase, RunRecord, RunStatus, UndoState};
use gameday_core::verdict::{EarlyEnd, Judgement, judge};
use gameday_phases::notify::notify;
use gameday_phases::records::load_run;
use gameday_phases::state::VerdictSummary;
use gameday_phases::{PhaseConfig, PhaseError, Ports, RunState};
use serde::Deserialize;
use serde_json::json;

/// The run state, plus the error a Catch put at `$.error` on the rollback path.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateInput {
    #[serde(flatten)]
    pub state: RunState,
    #[serde(default)]
    pub error: Option<CaughtError>,
}

/// The shape Step Functions gives a caught error.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CaughtError {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

/// Error names that mean a safety check stopped the run, rather than something failing.
const ABORTING_ERRORS: [&str; 5] = [
    "Gameday.KillSwitchEngaged",
    "Gameday.StopConditionBreached",
    "Gameday.TargetNotOptedIn",
    "Gameday.TargetLocked",
    "States.Timeout",
];

pub async fn handle<P: Ports>(
    ports: &P,
    config: &PhaseConfig,
    input: ValidateInput,
) -> Result<RunState, PhaseError> {
    let mut state = input.state;
    let experiment = state.experiment.clone();
    let mut record = load_run(ports, &state.run_id).await?;
    if let Some(verdict) = &record.verdict {
        state.verdict = Some(VerdictSummary {
            status: verdict.status.to_string(),
            reasons: verdict.reasons.clone(),
            recovery_seconds: record.recovery_seconds,
        });
        return Ok(state);
    }
    let now = ports.clock().now();
    record.start_phase(Phase::Validate, now);
    let early_end = early_end(&record, input.error.as_ref());
    let judgement = with_undo_failures(judge(&experiment, &record, early_end.as_ref()), &record);
    record.recovery_seconds = record.measured_recovery_seconds();
    if judgement.status == RunStatus::Aborted && record.status == RunStatus::Running {
        record
            .transition(RunStatus::RollingBack, now)
            .map_err(|e| PhaseError::InvalidInput(e.to_string()))?;
    }
    record
        .conclude(judgement.status, judgement.reasons.clone(), now)
        .map_err(|e| PhaseError::InvalidInput(e.to_string()))?;
    record.end_phase(Phase::Validate, now);

    let availability = record.availability_percent();
    let subject = format!("gameday: {} {}", experiment.metadata.name, judgement.status);
    let body = json!({
        "event": "verdict",
        "runId": record.run_id,
        "experiment": experiment.metadata.name,
        "service": experiment.metadata.service,
        "verdict": judgement.status,
        "recoverySeconds": record.recovery_seconds,
        "availabilityPercent": availability,
        "reasons": judgement.reasons,
    });
    notify(ports, config, &experiment, &mut record, &subject, body).await;
    let metrics = RunMetrics {
        experiment: experiment.metadata.name.clone(),
        service: experiment.metadata.service.clone(),
        verdict: judgement.status.to_string(),
        recovery_seconds: record.recovery_seconds,
        availability_percent: availability,
    };
    if let Err(error) = ports.alarms().put_run_metrics(&metrics).await {
        tracing::warn!(run_id = %record.run_id, %error, "metrics not published");
    }
    ports.runs().save_run(&mut record).await?;
    tracing::info!(run_id = %record.run_id, verdict = %judgement.status, "judged");
    state.verdict = Some(VerdictSummary {
        status: judgement.status.to_string(),
        reasons: judgement.reasons,
        recovery_seconds: record.recovery_seconds,
    });
    Ok(state)
}

/// Why the run ended early: a caught error, or a stop during observation.
fn early_end(record: &RunRecord, error: Option<&CaughtError>) -> Option<EarlyEnd> {
    if let Some(error) = error {
        let why = format!("{}: {}", error.error, error.cause);
        return Some(if ABORTING_ERRORS.contains(&error.error.as_str()) {
            EarlyEnd::Aborted(why)
        } else {
            EarlyEnd::Errored(why)
        });
    }
    (record.status == RunStatus::RollingBack).then(|| {
        EarlyEnd::Aborted(
            record
                .stop_reason
                .clone()
                .unwrap_or_else(|| "stopped during observation".to_string()),
        )
    })
}

/// A fault that may still be in effect outweighs everything: the run cannot pass, and says so
/// first.
fn with_undo_failures(mut judgement: Judgement, record: &RunRecord) -> Judgement {
    let failures: Vec<String> = record
        .undo
        .iter()
        .filter(|u| u.state == UndoState::UndoFailed)
        .map(|u| {
            format!(
                "fault `{}` was not undone: {}",
                u.fault,
                u.error.as_deref().unwrap_or("unknown error")
            )
        })
        .collect();
    if failures.is_empty() {
        return judgement;
    }
    if judgement.status == RunStatus::Passed {
        judgement.status = RunStatus::Errored;
    }
    judgement.reasons.splice(0..0, failures);
    judgement
}
