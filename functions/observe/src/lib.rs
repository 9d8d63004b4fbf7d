//! Observe: one sample per call — the probes, the stop conditions and the kill switch — added
//! to the run record (old samples are summarised to keep the record small). Returns
//! `continue`, `stop` with the reason, or `done` once the observation window is covered.

use gameday_aws::runs::RunStore;
use gameday_core::run::{Phase, RunStatus};
use gameday_phases::records::load_run;
use gameday_phases::sampling::{safety_problems, sample_steady_state};
use gameday_phases::state::{ObserveDecision, ObserveStatus};
use gameday_phases::{PhaseConfig, PhaseError, Ports, RunState};

pub async fn handle<P: Ports>(
    ports: &P,
    config: &PhaseConfig,
    mut state: RunState,
) -> Result<RunState, PhaseError> {
    let experiment = &state.experiment;
    let mut record = load_run(ports, &state.run_id).await?;
    if record.status != RunStatus::Running {
        let reason = record
            .stop_reason
            .clone()
            .unwrap_or_else(|| format!("the run is {}", record.status));
        state.observe = Some(ObserveStatus {
            decision: ObserveDecision::Stop,
            samples: record.samples.len() as u64,
            reason: Some(reason),
        });
        return Ok(state);
    }
    record.start_phase(Phase::Observe, ports.clock().now());
    let sample = sample_steady_state(ports, experiment).await;
    let problems = safety_problems(ports, config, experiment).await?;
    record.push_sample(sample, config.samples_kept);

    let taken = record.earlier_samples.count + record.samples.len() as u64;
    let wanted = (experiment.observe.duration.as_secs_f64()
        / experiment.observe.interval.as_secs_f64())
    .ceil() as u64;
    let now = ports.clock().now();
    let (decision, reason) = if !problems.is_empty() {
        let reason = problems
            .iter()
            .map(|p| p.reason.clone())
            .collect::<Vec<_>>()
            .join("; ");
        record.stop_reason = Some(reason.clone());
        record
            .transition(RunStatus::RollingBack, now)
            .map_err(|e| PhaseError::InvalidInput(e.to_string()))?;
        tracing::warn!(run_id = %record.run_id, %reason, "stopping");
        (ObserveDecision::Stop, Some(reason))
    } else if taken >= wanted {
        record.end_phase(Phase::Observe, now);
        (ObserveDecision::Done, None)
    } else {
        (ObserveDecision::Continue, None)
    };
    ports.runs().save_run(&mut record).await?;
    state.observe = Some(ObserveStatus {
        decision,
        samples: taken,
        reason,
    });
    Ok(state)
}
