//! One error type for every adapter. Each variant maps to a stable ASL error name, so the
//! state machine's Retry and Catch can match it.

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    /// Worth retrying: throttling, a timeout, a connection failure or a 5xx.
    #[error("{service}:{operation} failed for now ({code}): {message}; it is retried with backoff")]
    Transient {
        service: &'static str,
        operation: &'static str,
        code: String,
        message: String,
    },
    /// The service refused the call; retrying will not help.
    #[error("{service}:{operation} was refused ({code}): {message}")]
    Refused {
        service: &'static str,
        operation: &'static str,
        code: String,
        message: String,
    },
    /// Another run holds the lock on a target.
    #[error(
        "target {target} is locked by run {holder} until {expires_at}; wait for that run to finish (`gameday status {holder}`); if it says INTERRUPTED, `gameday rollback {holder}` undoes its faults and releases its locks"
    )]
    TargetLocked {
        target: String,
        holder: String,
        expires_at: String,
    },
    /// A conditional write found the item changed since it was read.
    #[error(
        "{what} changed while it was being updated (expected version {expected}); reload it and try again"
    )]
    Conflict { what: String, expected: u64 },
    /// Stored data that gameday cannot read.
    #[error("stored {what} is unreadable: {message}")]
    Corrupt { what: String, message: String },
}

impl AwsError {
    /// The ASL error name the state machine matches on.
    pub fn asl_name(&self) -> &'static str {
        match self {
            AwsError::Transient { .. } => "Gameday.Transient",
            AwsError::Refused { .. } => "Gameday.AwsRefused",
            AwsError::TargetLocked { .. } => "Gameday.TargetLocked",
            AwsError::Conflict { .. } => "Gameday.Conflict",
            AwsError::Corrupt { .. } => "Gameday.CorruptRecord",
        }
    }

    /// The service's error code, when the service sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Transient { code, .. } | AwsError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

const THROTTLING_CODES: [&str; 8] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
    "PriorRequestNotComplete",
];

/// Classifies an SDK error (after the SDK's own retries) as transient or refused.
pub(crate) fn from_sdk<E>(
    service: &'static str,
    operation: &'static str,
    error: SdkError<E>,
) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = match &error {
        SdkError::TimeoutError(_) => "Timeout",
        SdkError::DispatchFailure(_) => "Unreachable",
        _ => error.code().unwrap_or("Unknown"),
    }
    .to_string();
    let message = error.message().map(String::from).unwrap_or_else(|| {
        aws_smithy_types::error::display::DisplayErrorContext(&error).to_string()
    });
    let server_error = error
        .raw_response()
        .is_some_and(|r| r.status().is_server_error());
    let transient = matches!(
        error,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_)
    ) || server_error
        || THROTTLING_CODES.contains(&code.as_str());
    if transient {
        AwsError::Transient {
            service,
            operation,
            code,
            message,
        }
    } else {
        AwsError::Refused {
            service,
            operation,
            code,
            message,
        }
    }
}
