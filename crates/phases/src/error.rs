//! Errors of the phase handlers. Each has a stable ASL error name (`Gameday.*`) so the state
//! machine's Retry and Catch can match it; Lambda reports the name as the error type.

use gameday_aws::AwsError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PhaseError {
    /// A safety check refused the run before anything was injected.
    #[error("run {run_id} refused: {reason}")]
    Refused {
        run_id: String,
        reason: String,
        asl_name: &'static str,
    },
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// The input or the stored state cannot be used.
    #[error("{0}")]
    InvalidInput(String),
    /// A fault could not be injected; what was injected before it is rolled back.
    #[error("fault `{fault}` of run {run_id} failed: {cause}")]
    InjectFailed {
        run_id: String,
        fault: String,
        cause: String,
    },
}

impl PhaseError {
    pub fn asl_name(&self) -> &'static str {
        match self {
            PhaseError::Refused { asl_name, .. } => asl_name,
            PhaseError::Aws(error) => error.asl_name(),
            PhaseError::InvalidInput(_) => "Gameday.InvalidInput",
            PhaseError::InjectFailed { .. } => "Gameday.InjectFailed",
        }
    }
}

impl From<PhaseError> for lambda_runtime::Diagnostic {
    fn from(error: PhaseError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: error.asl_name().to_string(),
            error_message: error.to_string(),
        }
    }
}

/// The ASL names of refusals.
pub mod refusal {
    pub const KILL_SWITCH: &str = "Gameday.KillSwitchEngaged";
    pub const STOP_CONDITION: &str = "Gameday.StopConditionBreached";
    pub const BLOCKED_WINDOW: &str = "Gameday.BlockedWindow";
    pub const TARGET_LOCKED: &str = "Gameday.TargetLocked";
    pub const TARGETS: &str = "Gameday.TargetsRefused";
    pub const STEADY_STATE: &str = "Gameday.SteadyStateNotMet";
    pub const NOT_OPTED_IN: &str = "Gameday.TargetNotOptedIn";
}
