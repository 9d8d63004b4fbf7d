//! Step Functions: start the deployed state machine and follow an execution, for
//! `gameday run --aws`.

use std::future::Future;

use aws_sdk_sfn::types::HistoryEvent;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::error::{AwsError, from_sdk};

/// An execution as DescribeExecution reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionState {
    /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
    pub status: String,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// The execution's output once it SUCCEEDED (text that is not JSON is kept as a string).
    pub output: Option<Value>,
}

/// One history event with the fields a person follows a run by, in the engine's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionEvent {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp: DateTime<Utc>,
    pub kind: String,
    /// `name`, `output`, `error`, `cause` where the event has them.
    pub details: Value,
}

pub trait Executions {
    /// Starts `state_machine_arn` with `input` under `name`; returns the execution ARN.
    fn start(
        &self,
        state_machine_arn: &str,
        name: &str,
        input: &Value,
    ) -> impl Future<Output = Result<String, AwsError>> + Send;
    fn describe(
        &self,
        execution_arn: &str,
    ) -> impl Future<Output = Result<ExecutionState, AwsError>> + Send;
    /// Every event of the execution so far, oldest first.
    fn history(
        &self,
        execution_arn: &str,
    ) -> impl Future<Output = Result<Vec<ExecutionEvent>, AwsError>> + Send;
}

#[derive(Clone, Debug)]
pub struct SfnExecutions {
    client: aws_sdk_sfn::Client,
}

impl SfnExecutions {
    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: aws_sdk_sfn::Client::new(config),
        }
    }
}

impl Executions for SfnExecutions {
    async fn start(
        &self,
        state_machine_arn: &str,
        name: &str,
        input: &Value,
    ) -> Result<String, AwsError> {
        let started = self
            .client
            .start_execution()
            .state_machine_arn(state_machine_arn)
            .name(name)
            .input(input.to_string())
            .send()
            .await
            .map_err(|e| from_sdk("states", "StartExecution", e))?;
        Ok(started.execution_arn().to_string())
    }

    async fn describe(&self, execution_arn: &str) -> Result<ExecutionState, AwsError> {
        let described = self
            .client
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
            .map_err(|e| from_sdk("states", "DescribeExecution", e))?;
        Ok(ExecutionState {
            status: described.status().as_str().to_string(),
            error: described.error().map(String::from),
            cause: described.cause().map(String::from),
            output: described.output().map(|text| {
                serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
            }),
        })
    }

    async fn history(&self, execution_arn: &str) -> Result<Vec<ExecutionEvent>, AwsError> {
        let mut events = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .get_execution_history()
                .execution_arn(execution_arn)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| from_sdk("states", "GetExecutionHistory", e))?;
            events.extend(page.events().iter().map(event_of));
            token = page.next_token().map(String::from);
            if token.is_none() {
                return Ok(events);
            }
        }
    }
}

/// The fields of an SDK history event that say what happened.
fn event_of(event: &HistoryEvent) -> ExecutionEvent {
    let name = event
        .state_entered_event_details()
        .map(|d| d.name())
        .or_else(|| event.state_exited_event_details().map(|d| d.name()));
    let output = event
        .lambda_function_succeeded_event_details()
        .and_then(|d| d.output())
        .or_else(|| {
            event
                .task_succeeded_event_details()
                .and_then(|d| d.output())
        })
        .or_else(|| event.state_exited_event_details().and_then(|d| d.output()));
    let (error, cause) = event
        .task_failed_event_details()
        .map(|d| (d.error(), d.cause()))
        .or_else(|| {
            event
                .lambda_function_failed_event_details()
                .map(|d| (d.error(), d.cause()))
        })
        .or_else(|| {
            event
                .execution_failed_event_details()
                .map(|d| (d.error(), d.cause()))
        })
        .or_else(|| {
            event
                .task_timed_out_event_details()
                .map(|d| (d.error(), d.cause()))
        })
        .unwrap_or((None, None));
    let mut details = json!({});
    for (key, value) in [
        ("name", name),
        ("output", output),
        ("error", error),
        ("cause", cause),
    ] {
        if let Some(value) = value {
            details[key] = Value::String(value.to_string());
        }
    }
    let seconds = event.timestamp().secs();
    ExecutionEvent {
        id: u64::try_from(event.id()).unwrap_or(0),
        previous_event_id: u64::try_from(event.previous_event_id()).unwrap_or(0),
        timestamp: DateTime::from_timestamp(seconds, event.timestamp().subsec_nanos())
            .unwrap_or_default(),
        kind: event.r#type().as_str().to_string(),
        details,
    }
}
