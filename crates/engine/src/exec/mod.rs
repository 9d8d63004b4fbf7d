//! Running a state machine: the [`Engine`] and the [`Execution`] it returns.

mod fanout;
mod states;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::future::{Either, select};
use serde_json::{Value, json};

use crate::clock::EngineClock;
use crate::definition::StateMachine;
use crate::failure::TIMEOUT;
use crate::history::{History, HistoryEvent, Observer};
use crate::invoke::TaskInvoker;

/// Runs state machines against a task invoker and a clock.
pub struct Engine<'a> {
    invoker: &'a dyn TaskInvoker,
    clock: &'a dyn EngineClock,
    observer: Option<&'a dyn Observer>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Succeeded,
    Failed,
    TimedOut,
}

/// A finished run, as DescribeExecution and GetExecutionHistory would tell it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    pub name: String,
    pub status: ExecutionStatus,
    /// Set when the execution succeeded.
    pub output: Option<Value>,
    /// The error name when it failed or timed out (a Fail state without Error leaves it unset).
    pub error: Option<String>,
    pub cause: Option<String>,
    pub started_at: DateTime<Utc>,
    pub stopped_at: DateTime<Utc>,
    pub history: Vec<HistoryEvent>,
}

/// Local stand-ins for the ARNs in the context object.
const ACCOUNT_PREFIX: &str = "arn:aws:states:local:000000000000";
const MACHINE_NAME: &str = "local";

impl<'a> Engine<'a> {
    pub fn new(invoker: &'a dyn TaskInvoker, clock: &'a dyn EngineClock) -> Self {
        Self {
            invoker,
            clock,
            observer: None,
        }
    }

    pub fn with_observer(self, observer: &'a dyn Observer) -> Self {
        Self {
            observer: Some(observer),
            ..self
        }
    }

    /// Runs `machine` to its end. `name` is the execution name (in `$$.Execution.Name` and the
    /// execution id).
    pub async fn execute(&self, machine: &StateMachine, name: &str, input: Value) -> Execution {
        let started_at = self.clock.now();
        let run = Run {
            invoker: self.invoker,
            clock: self.clock,
            history: History::new(self.clock, self.observer),
            execution: json!({
                "Id": format!("{ACCOUNT_PREFIX}:execution:{MACHINE_NAME}:{name}"),
                "Name": name,
                "Input": input,
                "StartTime": timestamp(started_at),
            }),
            state_machine: json!({
                "Id": format!("{ACCOUNT_PREFIX}:stateMachine:{MACHINE_NAME}"),
                "Name": MACHINE_NAME,
            }),
        };
        let mut cursor =
            run.history
                .record(0, "ExecutionStarted", json!({"name": name, "input": input}));
        let outcome = {
            let body = run.graph(&machine.graph, input, &mut cursor);
            match machine.timeout_seconds {
                None => Some(body.await),
                Some(seconds) => {
                    let limit = std::time::Duration::from_secs(seconds);
                    let started = self.clock.now();
                    match select(body, self.clock.deadline(limit)).await {
                        // A virtual clock can jump past the deadline while the body finishes.
                        Either::Left((outcome, _))
                            if self.clock.now() <= crate::clock::later(started, limit) =>
                        {
                            Some(outcome)
                        }
                        _ => None,
                    }
                }
            }
        };
        let (status, output, error, cause) = match outcome {
            Some(Ok(output)) => {
                run.history
                    .record(cursor, "ExecutionSucceeded", json!({"output": output}));
                (ExecutionStatus::Succeeded, Some(output), None, None)
            }
            Some(Err(failure)) => {
                run.history.record(
                    cursor,
                    "ExecutionFailed",
                    json!({"error": failure.error, "cause": failure.cause}),
                );
                let present = |text: String| (!text.is_empty()).then_some(text);
                (
                    ExecutionStatus::Failed,
                    None,
                    present(failure.error),
                    present(failure.cause),
                )
            }
            None => {
                let cause = format!(
                    "the execution ran longer than its TimeoutSeconds ({} s)",
                    machine.timeout_seconds.unwrap_or_default()
                );
                run.history.record(
                    run.history.last_id(),
                    "ExecutionTimedOut",
                    json!({"error": TIMEOUT, "cause": cause}),
                );
                (
                    ExecutionStatus::TimedOut,
                    None,
                    Some(TIMEOUT.to_string()),
                    Some(cause),
                )
            }
        };
        Execution {
            name: name.to_string(),
            status,
            output,
            error,
            cause,
            started_at,
            stopped_at: self.clock.now(),
            history: run.history.into_events(),
        }
    }
}

/// One execution in progress.
struct Run<'r> {
    invoker: &'r dyn TaskInvoker,
    clock: &'r dyn EngineClock,
    history: History<'r>,
    /// `$$.Execution`.
    execution: Value,
    /// `$$.StateMachine`.
    state_machine: Value,
}

impl Run<'_> {
    /// The context object (`$$`) for a state.
    fn context(&self, state: &str, entered: &str, retry_count: u64) -> Value {
        json!({
            "Execution": self.execution,
            "StateMachine": self.state_machine,
            "State": {"Name": state, "EnteredTime": entered, "RetryCount": retry_count},
        })
    }
}

/// Timestamps as Step Functions writes them in the context object: UTC, milliseconds, `Z`.
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LocalFunctions, VirtualClock};

    /// Callers may spawn an execution on a multi-threaded runtime.
    #[test]
    fn an_execution_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let machine =
            StateMachine::from_json(r#"{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}"#)
                .unwrap();
        let clock = VirtualClock::new(Utc::now());
        let functions = LocalFunctions::new();
        let engine = Engine::new(&functions, &clock);
        let execution = engine.execute(&machine, "send", json!({}));
        assert_send(&execution);
    }
}
