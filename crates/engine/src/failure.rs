//! Errors raised while a state runs, and the predefined `States.*` error names.

/// An error as Step Functions reports it: an error name and a cause. Task invokers return it,
/// and the engine uses the same shape for the errors it raises itself.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TaskFailure {
    pub error: String,
    pub cause: String,
}

impl TaskFailure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }
}

pub(crate) const ALL: &str = "States.ALL";
pub(crate) const TASK_FAILED: &str = "States.TaskFailed";
pub(crate) const TIMEOUT: &str = "States.Timeout";
pub(crate) const RUNTIME: &str = "States.Runtime";
pub(crate) const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
pub(crate) const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
pub(crate) const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
pub(crate) const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
pub(crate) const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";

/// Every predefined error name a Retry or Catch may list.
pub(crate) const KNOWN: &[&str] = &[
    ALL,
    "States.BranchFailed",
    DATA_LIMIT_EXCEEDED,
    "States.ExceedToleratedFailureThreshold",
    "States.HeartbeatTimeout",
    "States.Http.Socket",
    INTRINSIC_FAILURE,
    "States.ItemReaderFailed",
    NO_CHOICE_MATCHED,
    PARAMETER_PATH_FAILURE,
    "States.Permissions",
    "States.QueryEvaluationError",
    RESULT_PATH_MATCH_FAILURE,
    "States.ResultWriterFailed",
    RUNTIME,
    TASK_FAILED,
    TIMEOUT,
];

/// Whether a Retry or Catch listing `names` handles `error`.
///
/// `States.ALL` matches every error except the terminal ones (`States.Runtime`,
/// `States.DataLimitExceeded`); `States.TaskFailed` matches the same set minus `States.Timeout`.
/// An explicit name always matches itself.
pub(crate) fn handles(names: &[String], error: &str) -> bool {
    let terminal = error == RUNTIME || error == DATA_LIMIT_EXCEEDED;
    names.iter().any(|name| {
        name == error
            || (!terminal && name == ALL)
            || (!terminal && name == TASK_FAILED && error != TIMEOUT)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn wildcards_skip_terminal_errors() {
        assert!(handles(&names(&[ALL]), "Custom.Error"));
        assert!(handles(&names(&[ALL]), TIMEOUT));
        assert!(!handles(&names(&[ALL]), RUNTIME));
        assert!(handles(&names(&[RUNTIME]), RUNTIME));
        assert!(handles(&names(&[TASK_FAILED]), "Lambda.ServiceException"));
        assert!(!handles(&names(&[TASK_FAILED]), TIMEOUT));
        assert!(!handles(&names(&["A", "B"]), "C"));
    }
}
