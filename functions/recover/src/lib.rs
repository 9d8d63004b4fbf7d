//! Recover: undo every fault that has an undo record (after a partial inject, after an abort,
//! when called again), then check the steady state once. The state machine calls it again
//! after the check interval until the steady state holds or the recovery timeout passes; then
//! the locks are released. In rollback mode it undoes, checks once and concludes.
//!
//! Once recovery has concluded, further calls change nothing.

use gameday_aws::actions::InstanceActions;
use gameday_aws::alarms::AlarmWriter;
use gameday_aws::commands::CommandRunner;
use gameday_aws::fis::FaultInjection;
use gameday_aws::runs::RunStore;
use gameday_core::faults::ssm_script;
use gameday_core::run::{Phase, RunRecord, RunStatus, UndoRecord, UndoState};
use gameday_core::spec::{Experiment, Fault, FaultAction};
use gameday_phases::records::{load_run, release_locks};
use gameday_phases::sampling::sample_steady_state;
use gameday_phases::state::{RecoverDecision, RecoverStatus};
use gameday_phases::{PhaseConfig, PhaseError, Ports, RunState};

pub async fn handle<P: Ports>(
    ports: &P,
    _config: &PhaseConfig,
    mut state: RunState,
) -> Result<RunState, PhaseError> {
    let experiment = state.experiment.clone();
    let mut record = load_run(ports, &state.run_id).await?;
    if record.recovery_ended_at.is_some() || record.status.is_terminal() {
        state.recover = Some(concluded_status(&record, &experiment));
        return Ok(state);
    }
    let now = ports.clock().now();
    if state.rollback && record.status == RunStatus::Running {
        record
            .transition(RunStatus::RollingBack, now)
            .map_err(|e| PhaseError::InvalidInput(e.to_string()))?;
        record
            .stop_reason
            .get_or_insert_with(|| "rolled back after a failed phase".to_string());
    }
    let phase = if state.rollback {
        Phase::Rollback
    } else {
        Phase::Recover
    };
    record.start_phase(phase, now);

    undo_all(ports, &experiment, &mut record).await;
    ports.runs().save_run(&mut record).await?;

    let check = sample_steady_state(ports, &experiment).await;
    let steady = check.is_healthy();
    record.recovery_checks.push(check);
    let now = ports.clock().now();
    let deadline = record.faults_ended_at().unwrap_or(now)
        + chrono::Duration::from_std(experiment.recovery.timeout.as_duration())
            .unwrap_or(chrono::Duration::zero());
    let decision = match (state.rollback, steady) {
        (true, _) | (false, true) => RecoverDecision::Done,
        (false, false) if now >= deadline => RecoverDecision::TimedOut,
        (false, false) => RecoverDecision::Wait,
    };
    if decision != RecoverDecision::Wait {
        for failure in release_locks(ports, &record).await {
            tracing::warn!(run_id = %record.run_id, %failure, "lock");
        }
        record.recovery_ended_at = Some(now);
        record.end_phase(phase, now);
    }
    ports.runs().save_run(&mut record).await?;
    let checks = record.recovery_checks.len() as u64;
    state.recover = Some(RecoverStatus {
        decision,
        steady,
        checks,
    });
    Ok(state)
}

/// The status of a recovery that already concluded, read from the record.
fn concluded_status(record: &RunRecord, experiment: &Experiment) -> RecoverStatus {
    let steady = record
        .recovery_checks
        .last()
        .is_some_and(|c| c.is_healthy());
    let decision = if steady || experiment.faults.is_empty() || record.status == RunStatus::Aborted
    {
        RecoverDecision::Done
    } else {
        RecoverDecision::TimedOut
    };
    RecoverStatus {
        decision,
        steady,
        checks: record.recovery_checks.len() as u64,
    }
}

/// Undoes, newest first, every fault that is (or may be) in effect. A failed undo is recorded
/// and the others are still tried.
async fn undo_all<P: Ports>(ports: &P, experiment: &Experiment, record: &mut RunRecord) {
    for undo in record.undo.iter_mut().rev() {
        if !matches!(undo.state, UndoState::Pending | UndoState::Injected) {
            continue;
        }
        let Some(fault) = experiment.faults.iter().find(|f| f.name == undo.fault) else {
            undo.state = UndoState::UndoFailed;
            undo.error = Some(format!(
                "fault `{}` is not in the experiment any more; undo it by hand",
                undo.fault
            ));
            continue;
        };
        let outcome = undo_one(ports, fault, undo).await;
        let now = ports.clock().now();
        match outcome {
            Ok(state) => {
                undo.state = state;
                undo.ended_at = Some(now);
            }
            Err(error) => {
                undo.state = UndoState::UndoFailed;
                undo.error = Some(format!(
                    "undo failed, the fault may still be in effect: {error}"
                ));
                tracing::error!(fault = %undo.fault, %error, "undo failed");
            }
        }
    }
}

async fn undo_one<P: Ports>(
    ports: &P,
    fault: &Fault,
    undo: &UndoRecord,
) -> Result<UndoState, String> {
    // A fault whose action failed with a recorded error and left no handle never took effect.
    let never_started =
        undo.state == UndoState::Pending && undo.error.is_some() && undo.handle.is_none();
    match &fault.action {
        FaultAction::Ec2Terminate(_) | FaultAction::Ec2Reboot(_) => Ok(UndoState::NothingToUndo),
        _ if never_started => Ok(UndoState::NothingToUndo),
        FaultAction::Ec2Stop(_) => ports.instance_actions().start(&undo.targets).await.map(|_| UndoState::Undone).map_err(|e| e.to_string()),
        FaultAction::FisExperiment(_) => match &undo.handle {
            Some(id) => ports.fis().stop_experiment(id).await.map(|_| UndoState::Undone).map_err(|e| e.to_string()),
            None => Err("the FIS experiment may have started but its id was not recorded; stop it in the FIS console".to_string()),
        },
        FaultAction::SetAlarmState(forced) => ports
            .alarms()
            .set_alarm_state(&forced.alarm_name, "OK", "gameday: rehearsal over; the alarm re-evaluates from its metric")
            .await
            .map(|_| UndoState::Undone)
            .map_err(|e| e.to_string()),
        _ => {
            let script = ssm_script(fault).ok_or_else(|| "internal: no script for this action".to_string())?;
            let comment = format!("gameday undo {}", fault.name);
            ports.commands().run_shell(&undo.targets, &script.undo, &comment).await.map(|_| UndoState::Undone).map_err(|e| e.to_string())
        }
    }
}
