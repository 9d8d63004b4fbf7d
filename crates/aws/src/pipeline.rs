//! CodePipeline: report the result of a Lambda invoke action's job (the pipeline gate).
//!
//! moto does not implement PutJobSuccessResult or PutJobFailureResult, so the adapter is
//! tested with `aws-smithy-mocks`.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_codepipeline::types::{ExecutionDetails, FailureDetails, FailureType};

use crate::error::{AwsError, from_sdk};

/// CodePipeline's length limits (API reference of PutJobSuccessResult, PutJobFailureResult).
pub const MAX_CONTINUATION_TOKEN_CHARS: usize = 2048;
pub const MAX_SUMMARY_CHARS: usize = 2048;
pub const MAX_FAILURE_MESSAGE_CHARS: usize = 5000;
pub const MAX_EXTERNAL_EXECUTION_ID_CHARS: usize = 1500;

/// Why a job failed, as CodePipeline classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobFailureKind {
    /// The work ran and did not pass.
    JobFailed,
    /// The action or the function is configured wrongly; retrying will not help.
    ConfigurationError,
    /// A call was denied.
    PermissionError,
    /// A service the job needs could not be reached.
    SystemUnavailable,
}

/// What a job worker tells CodePipeline about one job.
#[derive(Debug, Clone, PartialEq)]
pub enum JobResult {
    /// Still running: CodePipeline invokes the action again with `continuation_token`.
    InProgress {
        continuation_token: String,
        summary: String,
        external_execution_id: String,
    },
    /// Done and passed. Output variables are only allowed on a result without a token.
    Succeeded {
        summary: String,
        external_execution_id: Option<String>,
        output_variables: BTreeMap<String, String>,
    },
    Failed {
        kind: JobFailureKind,
        message: String,
        external_execution_id: Option<String>,
    },
}

pub trait PipelineJobs {
    fn report(
        &self,
        job_id: &str,
        result: &JobResult,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

#[derive(Clone, Debug)]
pub struct CodePipelineJobs {
    client: aws_sdk_codepipeline::Client,
}

impl CodePipelineJobs {
    pub fn new(client: aws_sdk_codepipeline::Client) -> Self {
        Self { client }
    }

    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self::new(aws_sdk_codepipeline::Client::new(config))
    }
}

/// `text` cut to `limit` characters, marked as cut.
pub fn truncated(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(limit.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn details(summary: &str, external_execution_id: Option<&str>) -> ExecutionDetails {
    ExecutionDetails::builder()
        .summary(truncated(summary, MAX_SUMMARY_CHARS))
        .set_external_execution_id(
            external_execution_id.map(|id| truncated(id, MAX_EXTERNAL_EXECUTION_ID_CHARS)),
        )
        .build()
}

impl PipelineJobs for CodePipelineJobs {
    async fn report(&self, job_id: &str, result: &JobResult) -> Result<(), AwsError> {
        match result {
            JobResult::InProgress {
                continuation_token,
                summary,
                external_execution_id,
            } => {
                // A cut token would not parse on the next call: refuse it instead.
                if continuation_token.chars().count() > MAX_CONTINUATION_TOKEN_CHARS {
                    return Err(AwsError::Refused {
                        service: "codepipeline",
                        operation: "PutJobSuccessResult",
                        code: "TokenTooLong".into(),
                        message: format!(
                            "the continuation token has {} characters, CodePipeline takes at most {MAX_CONTINUATION_TOKEN_CHARS}",
                            continuation_token.chars().count()
                        ),
                    });
                }
                self.client
                    .put_job_success_result()
                    .job_id(job_id)
                    .continuation_token(continuation_token)
                    .execution_details(details(summary, Some(external_execution_id.as_str())))
                    .send()
                    .await
                    .map_err(|e| from_sdk("codepipeline", "PutJobSuccessResult", e))?;
            }
            JobResult::Succeeded {
                summary,
                external_execution_id,
                output_variables,
            } => {
                self.client
                    .put_job_success_result()
                    .job_id(job_id)
                    .execution_details(details(summary, external_execution_id.as_deref()))
                    .set_output_variables(Some(
                        output_variables
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    ))
                    .send()
                    .await
                    .map_err(|e| from_sdk("codepipeline", "PutJobSuccessResult", e))?;
            }
            JobResult::Failed {
                kind,
                message,
                external_execution_id,
            } => {
                let failure = FailureDetails::builder()
                    .r#type(match kind {
                        JobFailureKind::JobFailed => FailureType::JobFailed,
                        JobFailureKind::ConfigurationError => FailureType::ConfigurationError,
                        JobFailureKind::PermissionError => FailureType::PermissionError,
                        JobFailureKind::SystemUnavailable => FailureType::SystemUnavailable,
                    })
                    .message(truncated(message, MAX_FAILURE_MESSAGE_CHARS))
                    .set_external_execution_id(
                        external_execution_id
                            .as_deref()
                            .map(|id| truncated(id, MAX_EXTERNAL_EXECUTION_ID_CHARS)),
                    )
                    .build()
                    .expect("type and message are set");
                self.client
                    .put_job_failure_result()
                    .job_id(job_id)
                    .failure_details(failure)
                    .send()
                    .await
                    .map_err(|e| from_sdk("codepipeline", "PutJobFailureResult", e))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_codepipeline::Client;
    use aws_sdk_codepipeline::operation::put_job_failure_result::PutJobFailureResultOutput;
    use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultOutput;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    #[tokio::test]
    async fn in_progress_sends_the_token_and_no_output_variables() {
        let success = mock!(Client::put_job_success_result)
            .match_requests(|r| {
                r.job_id() == Some("job-1")
                    && r.continuation_token() == Some("{\"executionArn\":\"arn\"}")
                    && r.output_variables().is_none()
                    && r.execution_details()
                        .and_then(|d| d.external_execution_id())
                        == Some("arn:aws:states:us-west-2:123456789012:execution:m:e")
            })
            .then_output(|| PutJobSuccessResultOutput::builder().build());
        let jobs = CodePipelineJobs::new(mock_client!(aws_sdk_codepipeline, [&success]));
        jobs.report(
            "job-1",
            &JobResult::InProgress {
                continuation_token: "{\"executionArn\":\"arn\"}".into(),
                summary: "running".into(),
                external_execution_id: "arn:aws:states:us-west-2:123456789012:execution:m:e".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(success.num_calls(), 1);
    }

    #[tokio::test]
    async fn success_carries_output_variables_and_failure_its_type_and_cut_message() {
        let success = mock!(Client::put_job_success_result)
            .match_requests(|r| {
                r.continuation_token().is_none()
                    && r.output_variables()
                        .and_then(|v| v.get("verdict"))
                        .map(String::as_str)
                        == Some("PASSED")
            })
            .then_output(|| PutJobSuccessResultOutput::builder().build());
        let failure = mock!(Client::put_job_failure_result)
            .match_requests(|r| {
                r.failure_details().is_some_and(|d| {
                    *d.r#type() == FailureType::ConfigurationError
                        && d.message().chars().count() == MAX_FAILURE_MESSAGE_CHARS
                        && d.message().ends_with('…')
                })
            })
            .then_output(|| PutJobFailureResultOutput::builder().build());
        let jobs = CodePipelineJobs::new(mock_client!(
            aws_sdk_codepipeline,
            RuleMode::MatchAny,
            [&success, &failure]
        ));
        jobs.report(
            "job-2",
            &JobResult::Succeeded {
                summary: "passed".into(),
                external_execution_id: None,
                output_variables: BTreeMap::from([("verdict".into(), "PASSED".into())]),
            },
        )
        .await
        .unwrap();
        jobs.report(
            "job-2",
            &JobResult::Failed {
                kind: JobFailureKind::ConfigurationError,
                message: "x".repeat(6000),
                external_execution_id: None,
            },
        )
        .await
        .unwrap();
        assert_eq!((success.num_calls(), failure.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_token_too_long_for_codepipeline_is_refused_before_any_call() {
        let success = mock!(Client::put_job_success_result)
            .then_output(|| PutJobSuccessResultOutput::builder().build());
        let jobs = CodePipelineJobs::new(mock_client!(aws_sdk_codepipeline, [&success]));
        let error = jobs
            .report(
                "job-3",
                &JobResult::InProgress {
                    continuation_token: "t".repeat(MAX_CONTINUATION_TOKEN_CHARS + 1),
                    summary: "running".into(),
                    external_execution_id: "arn".into(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(error.code(), Some("TokenTooLong"));
        assert_eq!(success.num_calls(), 0);
    }
}
