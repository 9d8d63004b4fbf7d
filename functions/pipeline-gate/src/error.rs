//! Errors of the gate. Each has a stable ASL-style name, which Lambda reports as the error
//! type, and a CodePipeline failure type for the job.

use gameday_aws::AwsError;
use gameday_aws::pipeline::JobFailureKind;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GateError {
    /// The event has no job id, so there is no job to report to.
    #[error(
        "not a CodePipeline job event ({0}); the gate is invoked by a CodePipeline Lambda invoke action with `CodePipeline.job`"
    )]
    NotAJob(String),
    /// The action's UserParameters, the continuation token or the function's environment
    /// cannot be used; the message names the field and the fix.
    #[error("{0}")]
    Configuration(String),
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl GateError {
    pub fn asl_name(&self) -> &'static str {
        match self {
            GateError::NotAJob(_) | GateError::Configuration(_) => "Gameday.InvalidInput",
            GateError::Aws(error) => error.asl_name(),
        }
    }

    /// How CodePipeline should classify the job's failure.
    pub fn failure_kind(&self) -> JobFailureKind {
        match self {
            GateError::NotAJob(_) | GateError::Configuration(_) => {
                JobFailureKind::ConfigurationError
            }
            GateError::Aws(error)
                if error
                    .code()
                    .is_some_and(|c| c.contains("AccessDenied") || c.contains("Unauthorized")) =>
            {
                JobFailureKind::PermissionError
            }
            GateError::Aws(AwsError::Transient { .. }) => JobFailureKind::SystemUnavailable,
            GateError::Aws(_) => JobFailureKind::JobFailed,
        }
    }
}

impl From<GateError> for lambda_runtime::Diagnostic {
    fn from(error: GateError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: error.asl_name().to_string(),
            error_message: error.to_string(),
        }
    }
}
