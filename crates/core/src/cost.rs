//! What one run costs on AWS, from the shape of the experiment state machine. These are list
//! prices (us-east-1) and stated assumptions, not a bill: the output says which is which.

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
        .map(|f| ceil_div(f.duration.as_secs_f64(), 60.0))
        .sum();
    let max_usd = max_state_transitions as f64 * USD_PER_TRANSITION
        + max_lambda_gb_seconds * USD_PER_GB_SECOND
        + max_lambda_invocations as f64 * USD_PER_REQUEST
        + fis_action_minutes as f64 * USD_PER_FIS_ACTION_MINUTE;
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
}
