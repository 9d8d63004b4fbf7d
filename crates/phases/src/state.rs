//! The run state the state machine passes from phase to phase (the ASL state input/output).
//! The run record in DynamoDB is the truth; this carries what the Choice states branch on.

use gameday_core::spec::Experiment;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    pub run_id: String,
    pub experiment: Experiment,
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
            experiment,
            rollback: false,
            observe: None,
            recover: None,
            verdict: None,
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
