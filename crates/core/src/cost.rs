//! What one run costs on AWS: [`estimate`] from the shape of the experiment state machine,
//! [`priced`] from what a run was measured to use. These are list prices (us-east-1) and stated
//! assumptions, not a bill: the output says which is which.

use std::time::Duration;

use serde::Serialize;

use crate::spec::{Experiment, FaultAction};

/// Step Functions Standard, USD per state transition.
pub const USD_PER_TRANSITION: f64 = 0.000_025;
/// Lambda on arm64, USD per GB-second and per request.
pub const USD_PER_GB_SECOND: f64 = 0.000_013_333_4;
pub const USD_PER_REQUEST: f64 = 0.000_000_2;
/// AWS FIS, USD per action-minute.
pub const USD_PER_FIS_ACTION_MINUTE: f64 = 0.10;
/// The memory each phase function is deployed with, in GB, and the time a call is assumed to take.
pub const FUNCTION_MEMORY_GB: f64 = 0.25;
pub const ASSUMED_SECONDS_PER_INVOCATION: f64 = 0.5;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostEstimate {
    /// Samples taken while observing.
    pub observe_samples: u64,
    /// Steady-state checks while recovering, at most (when recovery takes the whole timeout).
    pub max_recovery_checks: u64,
    pub max_state_transitions: u64,
    pub max_lambda_invocations: u64,
    pub max_lambda_gb_seconds: f64,
    pub fis_action_minutes: u64,
    pub max_usd: f64,
    pub assumptions: Vec<String>,
}

/// The most one run of `experiment` can cost: recovery is assumed to take its whole timeout.
pub fn estimate(experiment: &Experiment) -> CostEstimate {
    let ceil_div = |a: f64, b: f64| if b > 0.0 { (a / b).ceil() as u64 } else { 0 };
    let observe_samples = ceil_div(
        experiment.observe.duration.as_secs_f64(),
        experiment.observe.interval.as_secs_f64(),
    );
    let max_recovery_checks = ceil_div(
        experiment.recovery.timeout.as_secs_f64(),
        experiment.recovery.check_interval.as_secs_f64(),
    )
    .max(1);
    // Prepare, Inject, Validate and the final state; each loop turn is Wait, Task and Choice.
    let max_state_transitions = 4 + 3 * observe_samples + 3 * max_recovery_checks;
    let max_lambda_invocations = 3 + observe_samples + max_recovery_checks;
    let max_lambda_gb_seconds =
        max_lambda_invocations as f64 * ASSUMED_SECONDS_PER_INVOCATION * FUNCTION_MEMORY_GB;
    let fis_action_minutes: u64 = experiment
        .faults
        .iter()
        .filter(|f| matches!(f.action, FaultAction::FisExperiment(_)))
        .map(|f| action_minutes(f.duration.as_secs_f64()))
        .sum();
    let max_usd = step_functions_usd(max_state_transitions)
        + lambda_usd(max_lambda_invocations, max_lambda_gb_seconds)
        + fis_usd(fis_action_minutes);
    CostEstimate {
        observe_samples,
        max_recovery_checks,
        max_state_transitions,
        max_lambda_invocations,
        max_lambda_gb_seconds,
        fis_action_minutes,
        max_usd,
        assumptions: vec![
            "list prices in us-east-1: Step Functions Standard $0.025 per 1,000 transitions, Lambda arm64 $0.0000133334 per GB-second and $0.20 per million requests, FIS $0.10 per action-minute".into(),
            format!("each phase call takes {ASSUMED_SECONDS_PER_INVOCATION} s at {} MB", FUNCTION_MEMORY_GB * 1024.0),
            "recovery takes its whole timeout (an upper bound)".into(),
            "FIS minutes count one action per template; multiply by the template's action count".into(),
        ],
    }
}

/// What one run cost, priced at the list prices above from measured usage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeasuredCost {
    pub state_transitions: u64,
    pub lambda_invocations: u64,
    /// Each invocation's duration rounded up to the millisecond (Lambda's billing unit), at
    /// [`FUNCTION_MEMORY_GB`].
    pub lambda_gb_seconds: f64,
    pub step_functions_usd: f64,
    pub lambda_usd: f64,
    pub usd: f64,
}

/// Prices a run that made `state_transitions` Step Functions Standard transitions and the
/// Lambda invocations that took `invocations`. Standard workflows bill transitions, not the
/// time spent in Wait states, so how long the run waited does not enter here.
pub fn priced(state_transitions: u64, invocations: &[Duration]) -> MeasuredCost {
    let billed_ms: u128 = invocations
        .iter()
        .map(|d| d.as_nanos().div_ceil(1_000_000))
        .sum();
    let lambda_gb_seconds = billed_ms as f64 / 1000.0 * FUNCTION_MEMORY_GB;
    let lambda_invocations = invocations.len() as u64;
    let step_functions_usd = step_functions_usd(state_transitions);
    let lambda_usd = lambda_usd(lambda_invocations, lambda_gb_seconds);
    MeasuredCost {
        state_transitions,
        lambda_invocations,
        lambda_gb_seconds,
        step_functions_usd,
        lambda_usd,
        usd: step_functions_usd + lambda_usd,
    }
}

/// The action-minutes AWS FIS would bill to hold the same faults for the same durations: one
/// action per fault, each billed per started minute.
pub fn fis_action_minutes_for_faults(experiment: &Experiment) -> u64 {
    experiment
        .faults
        .iter()
        .map(|f| action_minutes(f.duration.as_secs_f64()))
        .sum()
}

pub fn fis_usd(action_minutes: u64) -> f64 {
    action_minutes as f64 * USD_PER_FIS_ACTION_MINUTE
}

fn step_functions_usd(transitions: u64) -> f64 {
    transitions as f64 * USD_PER_TRANSITION
}

fn lambda_usd(invocations: u64, gb_seconds: f64) -> f64 {
    gb_seconds * USD_PER_GB_SECOND + invocations as f64 * USD_PER_REQUEST
}

/// Started minutes of an action that lasts `seconds`.
fn action_minutes(seconds: f64) -> u64 {
    (seconds / 60.0).ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::load_experiment;

    #[test]
    fn counts_loop_turns_from_the_experiment_timing() {
        let text = include_str!("../../../examples/bookstore/api-instance-failure.yaml");
        let experiment = load_experiment("api.yaml", text).unwrap();
        let cost = estimate(&experiment);
        // PT5M every PT30S = 10 samples; PT15M every PT15S = 60 checks.
        assert_eq!(cost.observe_samples, 10);
        assert_eq!(cost.max_recovery_checks, 60);
        assert_eq!(cost.max_state_transitions, 4 + 30 + 180);
        assert_eq!(cost.max_lambda_invocations, 73);
        assert_eq!(cost.fis_action_minutes, 0);
        let expected =
            214.0 * USD_PER_TRANSITION + 73.0 * 0.125 * USD_PER_GB_SECOND + 73.0 * USD_PER_REQUEST;
        assert!((cost.max_usd - expected).abs() < 1e-12);
    }

    #[test]
    fn prices_measured_transitions_and_billed_milliseconds() {
        // 1.2 ms bills as 2 ms, 3 ms as 3 ms: 5 ms at 0.25 GB.
        let cost = priced(
            40,
            &[Duration::from_micros(1_200), Duration::from_millis(3)],
        );
        assert_eq!(cost.lambda_invocations, 2);
        assert!((cost.lambda_gb_seconds - 0.005 * 0.25).abs() < 1e-15);
        assert!((cost.step_functions_usd - 40.0 * USD_PER_TRANSITION).abs() < 1e-15);
        let lambda = 0.005 * 0.25 * USD_PER_GB_SECOND + 2.0 * USD_PER_REQUEST;
        assert!((cost.lambda_usd - lambda).abs() < 1e-15);
        assert!((cost.usd - cost.step_functions_usd - cost.lambda_usd).abs() < 1e-15);
    }

    #[test]
    fn fis_bills_every_fault_per_started_minute() {
        let text = include_str!("../../../examples/bookstore/api-instance-failure.yaml");
        let mut experiment = load_experiment("api.yaml", text).unwrap();
        // One PT2M terminate: 2 action-minutes, whatever its action type.
        assert_eq!(fis_action_minutes_for_faults(&experiment), 2);
        let mut longer = experiment.faults[0].clone();
        longer.duration = "PT61S".parse().unwrap();
        experiment.faults.push(longer);
        assert_eq!(fis_action_minutes_for_faults(&experiment), 4);
        assert!((fis_usd(4) - 0.4).abs() < 1e-12);
    }
}
