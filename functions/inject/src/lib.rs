//! Inject: for each fault in order, write its undo record, then act; only on the run's
//! locked targets, and only after checking again that they carry the opt-in tag and that no
//! stop condition or kill switch says otherwise.
//!
//! Retrying is safe: faults already injected are skipped, and a fault whose record is still
//! PENDING is acted on again (each action is idempotent: terminate, stop, reboot, the SSM
//! scripts, FIS with a client token, set-alarm-state). The opt-in check of a retry covers the
//! faults not yet started: the earlier attempt checked the others before acting on them.

use gameday_aws::actions::InstanceActions;
use gameday_aws::alarms::AlarmWriter;
use gameday_aws::commands::CommandRunner;
use gameday_aws::fis::FaultInjection;
use gameday_aws::instances::InstanceDirectory;
use gameday_aws::runs::RunStore;
use gameday_core::faults::ssm_script;
use gameday_core::run::{Phase, RunRecord, RunStatus, UndoRecord, UndoState};
use gameday_core::spec::{AlarmState, Experiment, Fault, FaultAction, InstanceSelector};
use gameday_phases::error::refusal;
use gameday_phases::records::load_run;
use gameday_phases::sampling::safety_problems;
use gameday_phases::{PhaseConfig, PhaseError, Ports, RunState};

pub async fn handle<P: Ports>(
    ports: &P,
    config: &PhaseConfig,
    state: RunState,
) -> Result<RunState, PhaseError> {
    let experiment = &state.experiment;
    let mut record = load_run(ports, &state.run_id).await?;
    if record.status != RunStatus::Running {
        return Err(PhaseError::InvalidInput(format!(
            "run {} is {}; faults are injected only into a RUNNING run",
            record.run_id, record.status
        )));
    }
    record.start_phase(Phase::Inject, ports.clock().now());

    let problems = safety_problems(ports, config, experiment).await?;
    if let Some(first) = problems.first() {
        let reason = problems
            .iter()
            .map(|p| p.reason.clone())
            .collect::<Vec<_>>()
            .join("; ");
        record.stop_reason = Some(reason.clone());
        ports.runs().save_run(&mut record).await?;
        return Err(PhaseError::Refused {
            run_id: record.run_id,
            reason,
            asl_name: first.asl_name,
        });
    }
    let undo_state = |record: &RunRecord, fault: &Fault| {
        record
            .undo
            .iter()
            .find(|u| u.fault == fault.name)
            .map(|u| u.state)
    };
    // A fault with an undo record passed this check in an earlier attempt before it was
    // written, and may have acted since (its targets may be terminated by now).
    let not_started: Vec<&Fault> = experiment
        .faults
        .iter()
        .filter(|f| undo_state(&record, f).is_none())
        .collect();
    verify_opted_in(ports, experiment, &record, &not_started).await?;

    let to_act: Vec<&Fault> = experiment
        .faults
        .iter()
        .filter(|f| matches!(undo_state(&record, f), None | Some(UndoState::Pending)))
        .collect();
    for fault in to_act {
        let targets = fault
            .action
            .target()
            .and_then(|t| record.targets.get(t))
            .cloned()
            .unwrap_or_default();
        upsert_undo(&mut record, fault, &targets);
        ports.runs().save_run(&mut record).await?;
        let client_token = format!("{}-{}", record.run_id, fault.name);
        let outcome = act(ports, fault, &targets, &client_token).await;
        let now = ports.clock().now();
        let undo = record
            .undo
            .iter_mut()
            .find(|u| u.fault == fault.name)
            .expect("written above");
        match outcome {
            Ok((state, handle)) => {
                undo.state = state;
                undo.handle = handle;
                undo.injected_at = Some(now);
                if state == UndoState::NothingToUndo {
                    undo.ended_at = Some(now);
                }
                ports.runs().save_run(&mut record).await?;
                tracing::info!(run_id = %record.run_id, fault = %fault.name, ?targets, "injected");
            }
            Err(error) => {
                undo.error = Some(error.to_string());
                ports.runs().save_run(&mut record).await?;
                return Err(PhaseError::InjectFailed {
                    run_id: record.run_id,
                    fault: fault.name.clone(),
                    cause: error.to_string(),
                });
            }
        }
    }
    record.end_phase(Phase::Inject, ports.clock().now());
    ports.runs().save_run(&mut record).await?;
    Ok(state)
}

/// Every locked instance of a fault not yet started must still match its target and carry
/// the opt-in tag: a tag removed since prepare withdraws the consent.
async fn verify_opted_in<P: Ports>(
    ports: &P,
    experiment: &Experiment,
    record: &RunRecord,
    faults: &[&Fault],
) -> Result<(), PhaseError> {
    let still_targeted = |name: &str| faults.iter().any(|f| f.action.target() == Some(name));
    for target in experiment
        .targets
        .iter()
        .filter(|t| still_targeted(&t.name))
    {
        let Some(ids) = record
            .targets
            .get(&target.name)
            .filter(|ids| !ids.is_empty())
        else {
            continue;
        };
        let selector = InstanceSelector {
            instance_ids: ids.clone(),
            ..target.selector.clone()
        };
        let found = ports.instances().find_instances(&selector).await?;
        let missing: Vec<&String> = ids
            .iter()
            .filter(|id| {
                !found
                    .iter()
                    .any(|i| &i.instance_id == *id && i.is_opted_in())
            })
            .collect();
        if !missing.is_empty() {
            let reason = format!(
                "instance(s) {missing:?} of target {} no longer match it with the opt-in tag; nothing is done to them",
                target.name
            );
            return Err(PhaseError::Refused {
                run_id: record.run_id.clone(),
                reason,
                asl_name: refusal::NOT_OPTED_IN,
            });
        }
    }
    Ok(())
}

fn upsert_undo(record: &mut RunRecord, fault: &Fault, targets: &[String]) {
    if record.undo.iter().any(|u| u.fault == fault.name) {
        return;
    }
    record.undo.push(UndoRecord {
        fault: fault.name.clone(),
        action: fault.action.type_name().to_string(),
        state: UndoState::Pending,
        targets: targets.to_vec(),
        handle: None,
        injected_at: None,
        ended_at: None,
        error: None,
    });
}

/// Performs the fault; returns its new undo state and the handle its undo needs.
async fn act<P: Ports>(
    ports: &P,
    fault: &Fault,
    targets: &[String],
    client_token: &str,
) -> Result<(UndoState, Option<String>), gameday_aws::AwsError> {
    let actions = ports.instance_actions();
    Ok(match &fault.action {
        FaultAction::Ec2Terminate(_) => {
            actions.terminate(targets).await?;
            (UndoState::NothingToUndo, None)
        }
        FaultAction::Ec2Reboot(_) => {
            actions.reboot(targets).await?;
            (UndoState::NothingToUndo, None)
        }
        FaultAction::Ec2Stop(_) => {
            actions.stop(targets).await?;
            (UndoState::Injected, None)
        }
        FaultAction::FisExperiment(fis) => {
            let id = ports
                .fis()
                .start_experiment(&fis.template_id, client_token)
                .await?;
            (UndoState::Injected, Some(id))
        }
        FaultAction::SetAlarmState(forced) => {
            let state = match forced.state {
                AlarmState::Ok => "OK",
                AlarmState::Alarm => "ALARM",
                AlarmState::InsufficientData => "INSUFFICIENT_DATA",
            };
            ports
                .alarms()
                .set_alarm_state(&forced.alarm_name, state, &forced.reason)
                .await?;
            (UndoState::Injected, None)
        }
        _ => {
            let script = ssm_script(fault).expect("the remaining actions are SSM scripts");
            let comment = format!("gameday fault {}", fault.name);
            let id = ports
                .commands()
                .run_shell(targets, &script.inject, &comment)
                .await?;
            (UndoState::Injected, Some(id))
        }
    })
}
