//! Canned Task results: try a definition without the services it calls (`gameday sfn run
//! --task-results FILE`), and script Tasks in tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::Value;

use crate::{EngineClock, TaskFailure, TaskInvoker};

/// One canned answer: a result, or an error with its cause, after `delaySeconds` (engine time).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CannedResult {
    pub result: Option<Value>,
    pub error: Option<String>,
    #[serde(default)]
    pub cause: String,
    #[serde(default)]
    pub delay_seconds: u64,
}

/// Answers each Task from the list kept for its resource, or for `lambda:invoke` its
/// `FunctionName` (the result is then wrapped as `{"Payload": ..., "StatusCode": 200}`, as
/// Step Functions returns it), in call order; calls past the end repeat the last answer.
pub struct CannedTasks<C> {
    clock: C,
    canned: BTreeMap<String, Vec<CannedResult>>,
    calls: Mutex<HashMap<String, Vec<Value>>>,
}

/// The error of a Task with no canned answer.
pub const NO_CANNED_RESULT: &str = "Gameday.NoCannedResult";

impl<C: EngineClock> CannedTasks<C> {
    pub fn new(clock: C, canned: BTreeMap<String, Vec<CannedResult>>) -> Self {
        Self {
            clock,
            canned,
            calls: Mutex::default(),
        }
    }

    /// The inputs each resource received, in call order.
    pub fn into_calls(self) -> HashMap<String, Vec<Value>> {
        self.calls
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The answer, and whether it was found by function name.
    fn answer(&self, resource: &str, input: &Value) -> Result<(CannedResult, bool), TaskFailure> {
        let function = input.get("FunctionName").and_then(Value::as_str);
        let by_function = !self.canned.contains_key(resource);
        let (key, answers) = self
            .canned
            .get_key_value(resource)
            .or_else(|| function.and_then(|f| self.canned.get_key_value(f)))
            .ok_or_else(|| {
                TaskFailure::new(
                    NO_CANNED_RESULT,
                    format!(
                        "no canned result for `{}`; the file has: {}",
                        function.unwrap_or(resource),
                        self.canned.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                )
            })?;
        let mut calls = self
            .calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let inputs = calls.entry(key.clone()).or_default();
        inputs.push(input.clone());
        answers
            .get(inputs.len() - 1)
            .or(answers.last())
            .cloned()
            .map(|answer| (answer, by_function))
            .ok_or_else(|| TaskFailure::new(NO_CANNED_RESULT, format!("`{key}` has an empty list")))
    }
}

impl<C: EngineClock> TaskInvoker for CannedTasks<C> {
    fn invoke<'a>(
        &'a self,
        resource: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, TaskFailure>> {
        Box::pin(async move {
            let (answer, by_function) = self.answer(resource, &input)?;
            self.clock
                .sleep(Duration::from_secs(answer.delay_seconds))
                .await;
            match (answer.error, answer.result.unwrap_or(Value::Null)) {
                (Some(error), _) => Err(TaskFailure::new(error, answer.cause)),
                (None, payload) if by_function => {
                    Ok(serde_json::json!({"Payload": payload, "StatusCode": 200}))
                }
                (None, result) => Ok(result),
            }
        })
    }
}
