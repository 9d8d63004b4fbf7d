//! The run state the state machine passes from phase to phase (the ASL state input/output).
//! The run record in DynamoDB is the truth; this carries what the Choice states branch on.

use gameday_core::spec::Experiment;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "RunStateInput")]
pub struct RunState {
    pub run_id: String,
    pub experiment: Experiment,
    /// Derived from the experiment on every read, never taken from the input: a caller cannot
    /// make the observation loop spin by sending zero.
    pub waits: Waits,
    /// Set by the state machine's rollback branch: recover undoes and concludes at once.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rollback: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observe: Option<ObserveStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recover: Option<RecoverStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<VerdictSummary>,
}

/// What the observation loop does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObserveDecision {
    Continue,
    Stop,
    Done,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObserveStatus {
    pub decision: ObserveDecision,
    pub samples: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What the recovery loop does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecoverDecision {
    /// The steady state does not hold yet; check again after the check interval.
    Wait,
    /// The steady state holds (or, rolling back, the undo is done).
    Done,
    /// The recovery timeout passed without the steady state.
    TimedOut,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoverStatus {
    pub decision: RecoverDecision,
    pub steady: bool,
    pub checks: u64,
}

impl RunState {
    pub fn new(run_id: impl Into<String>, experiment: Experiment) -> Self {
        Self {
            run_id: run_id.into(),
            waits: Waits::of(&experiment),
            experiment,
            rollback: false,
            observe: None,
            recover: None,
            verdict: None,
        }
    }
}

/// The Wait states' seconds, as numbers: ASL's `SecondsPath` cannot read ISO-8601 durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Waits {
    /// Between two observation samples.
    pub observe_seconds: u64,
    /// Between two steady-state checks while recovering.
    pub recover_seconds: u64,
}

impl Waits {
    pub fn of(experiment: &Experiment) -> Self {
        let whole_seconds = |d: std::time::Duration| d.as_secs_f64().ceil().max(1.0) as u64;
        Self {
            observe_seconds: whole_seconds(experiment.observe.interval.as_duration()),
            recover_seconds: whole_seconds(experiment.recovery.check_interval.as_duration()),
        }
    }
}

/// The run state as it arrives; `waits` in the input is ignored and derived again.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunStateInput {
    run_id: String,
    experiment: Experiment,
    #[serde(default)]
    rollback: bool,
    #[serde(default)]
    observe: Option<ObserveStatus>,
    #[serde(default)]
    recover: Option<RecoverStatus>,
    #[serde(default)]
    verdict: Option<VerdictSummary>,
}

impl From<RunStateInput> for RunState {
    fn from(input: RunStateInput) -> Self {
        Self {
            waits: Waits::of(&input.experiment),
            run_id: input.run_id,
            experiment: input.experiment,
            rollback: input.rollback,
            observe: input.observe,
            recover: input.recover,
            verdict: input.verdict,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerdictSummary {
    pub status: String,
    pub reasons: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_seconds: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_state() -> serde_json::Value {
        let text = include_str!("../../../events/observe/run-state.json");
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn waits_come_from_the_experiment_never_from_the_input() {
        let mut input = sample_state();
        input["experiment"]["observe"]["interval"] = "PT45S".into();
        input["experiment"]["recovery"]["checkInterval"] = "PT0.5S".into();
        input["waits"] = serde_json::json!({"observeSeconds": 0, "recoverSeconds": 0});
        let state: RunState = serde_json::from_value(input).unwrap();
        assert_eq!(
            state.waits,
            Waits {
                observe_seconds: 45,
                recover_seconds: 1
            },
            "sub-second intervals wait a whole second; the input's zeros are ignored"
        );
        let written = serde_json::to_value(&state).unwrap();
        assert_eq!(written["waits"]["observeSeconds"], 45);
    }
}
