//! Running one state: input and output processing, Retry and Catch, and each state type.

use std::time::Duration;

use futures::future::{BoxFuture, Either, select};
use serde_json::{Value, json};

use super::{Run, timestamp};
use crate::choice::{self, Branch};
use crate::clock::later;
use crate::definition::{Graph, Kind, Shaping, State, Task, Text, Timeout, Wait};
use crate::failure::{
    NO_CHOICE_MATCHED, PARAMETER_PATH_FAILURE, RESULT_PATH_MATCH_FAILURE, RUNTIME, TIMEOUT,
    TaskFailure, handles,
};
use crate::path::Path;
use crate::payload::preview;
use crate::retry::jitter_fraction;

/// Where a state leads: the next state's name, or `None` for the end of its graph.
type Moved<'g> = (Value, Option<&'g str>);

impl Run<'_> {
    /// Runs `graph` from its StartAt to its end. `cursor` is the id of the latest event of this
    /// branch, which the next event follows.
    pub(super) fn graph<'s>(
        &'s self,
        graph: &'s Graph,
        input: Value,
        cursor: &'s mut u64,
    ) -> BoxFuture<'s, Result<Value, TaskFailure>> {
        Box::pin(async move {
            let mut name = graph.start_at.as_str();
            let mut input = input;
            loop {
                // Every Next was checked at load, so a miss here is an engine bug.
                let state = graph
                    .state(name)
                    .ok_or_else(|| TaskFailure::new(RUNTIME, format!("no state named '{name}'")))?;
                match self.state(state, input, cursor).await? {
                    (output, Some(next)) => {
                        name = next;
                        input = output;
                    }
                    (output, None) => return Ok(output),
                }
            }
        })
    }

    async fn state<'g>(
        &self,
        state: &'g State,
        raw: Value,
        cursor: &mut u64,
    ) -> Result<Moved<'g>, TaskFailure> {
        let type_name = state.kind.type_name();
        let entered = timestamp(self.clock.now());
        *cursor = self.history.record(
            *cursor,
            &format!("{type_name}StateEntered"),
            json!({"name": state.name, "input": raw}),
        );
        let (output, next) = match &state.kind {
            Kind::Choice { branches, default } => {
                let context = self.context(&state.name, &entered, 0);
                choose(state, branches, default.as_deref(), &raw, &context)?
            }
            Kind::Wait(wait) => {
                let context = self.context(&state.name, &entered, 0);
                (
                    self.wait(state, wait, &raw, &context).await?,
                    state.next.as_deref(),
                )
            }
            Kind::Succeed => (
                select_path(
                    state,
                    &state.output_path,
                    "OutputPath",
                    select_path(state, &state.input_path, "InputPath", raw)?,
                )?,
                None,
            ),
            Kind::Fail { error, cause } => {
                let context = self.context(&state.name, &entered, 0);
                return Err(TaskFailure::new(
                    fail_text(state, error.as_ref(), &raw, &context)?,
                    fail_text(state, cause.as_ref(), &raw, &context)?,
                ));
            }
            Kind::Pass { shaping, .. } => self.work(state, shaping, raw, &entered, cursor).await?,
            Kind::Task(task) => {
                self.work(state, &task.shaping, raw, &entered, cursor)
                    .await?
            }
            Kind::Parallel(parallel) => {
                self.work(state, &parallel.shaping, raw, &entered, cursor)
                    .await?
            }
            Kind::Map(map) => {
                self.work(state, &map.shaping, raw, &entered, cursor)
                    .await?
            }
        };
        *cursor = self.history.record(
            *cursor,
            &format!("{type_name}StateExited"),
            json!({"name": state.name, "output": output}),
        );
        Ok((output, next))
    }

    /// A state that produces a result, with its Retry and Catch.
    async fn work<'g>(
        &self,
        state: &'g State,
        shaping: &'g Shaping,
        raw: Value,
        entered: &str,
        cursor: &mut u64,
    ) -> Result<Moved<'g>, TaskFailure> {
        let mut attempts = vec![0u64; shaping.retry.len()];
        let mut retry_count = 0;
        loop {
            let context = self.context(&state.name, entered, retry_count);
            let failure = match self.attempt(state, shaping, &raw, &context, cursor).await {
                Ok(output) => return Ok((output, state.next.as_deref())),
                Err(failure) => failure,
            };
            // The first retrier naming the error decides; once it is spent, Catch takes over.
            let retrier = shaping
                .retry
                .iter()
                .position(|r| handles(&r.errors, &failure.error))
                .filter(|&i| attempts[i] < shaping.retry[i].max_attempts);
            if let Some(i) = retrier {
                let retrier = &shaping.retry[i];
                let mut delay = retrier.delay(attempts[i]);
                if retrier.full_jitter {
                    delay = delay.mul_f64(jitter_fraction());
                }
                attempts[i] += 1;
                retry_count += 1;
                self.history
                    .wait(&state.name, later(self.clock.now(), delay));
                self.clock.sleep(delay).await;
                continue;
            }
            let Some(catcher) = shaping
                .catch
                .iter()
                .find(|c| handles(&c.errors, &failure.error))
            else {
                return Err(failure);
            };
            let error_output = json!({"Error": failure.error, "Cause": failure.cause});
            let output = put_result(state, &catcher.result_path, raw, error_output)?;
            return Ok((output, Some(catcher.next.as_str())));
        }
    }

    /// One try of a working state: InputPath, Parameters, the work, ResultSelector, ResultPath
    /// and OutputPath.
    async fn attempt(
        &self,
        state: &State,
        shaping: &Shaping,
        raw: &Value,
        context: &Value,
        cursor: &mut u64,
    ) -> Result<Value, TaskFailure> {
        let effective = select_path(state, &state.input_path, "InputPath", raw.clone())?;
        let result = match &state.kind {
            Kind::Pass {
                result: Some(result),
                ..
            } => result.clone(),
            Kind::Map(map) => self.map(state, map, effective, context, cursor).await?,
            kind => {
                let timeout = match kind {
                    Kind::Task(task) => task_timeout(state, task, &effective)?,
                    _ => None,
                };
                let input = match &shaping.parameters {
                    Some(template) => {
                        template.render(&effective, context, PARAMETER_PATH_FAILURE)?
                    }
                    None => effective,
                };
                match kind {
                    Kind::Task(task) => self.task(state, task, input, timeout, cursor).await?,
                    Kind::Parallel(parallel) => {
                        self.parallel(state, parallel, input, cursor).await?
                    }
                    _ => input,
                }
            }
        };
        let selected = match &shaping.result_selector {
            Some(template) => template.render(&result, context, RUNTIME)?,
            None => result,
        };
        let merged = put_result(state, &shaping.result_path, raw.clone(), selected)?;
        select_path(state, &state.output_path, "OutputPath", merged)
    }

    async fn task(
        &self,
        state: &State,
        task: &Task,
        input: Value,
        timeout: Option<u64>,
        cursor: &mut u64,
    ) -> Result<Value, TaskFailure> {
        let resource = task.resource.as_str();
        *cursor = self.history.record(
            *cursor,
            "TaskScheduled",
            json!({"name": state.name, "resource": resource, "parameters": input, "timeoutInSeconds": timeout}),
        );
        *cursor = self.history.record(
            *cursor,
            "TaskStarted",
            json!({"name": state.name, "resource": resource}),
        );
        let call = self.invoker.invoke(resource, input);
        let started = self.clock.now();
        let outcome = match timeout {
            None => call.await,
            Some(seconds) => {
                let limit = Duration::from_secs(seconds);
                let raced = match select(call, self.clock.deadline(limit)).await {
                    // A virtual clock can jump past the deadline while the task finishes.
                    Either::Left((outcome, _)) if self.clock.now() <= later(started, limit) => {
                        Some(outcome)
                    }
                    _ => None,
                };
                match raced {
                    Some(outcome) => outcome,
                    None => {
                        let failure = TaskFailure::new(
                            TIMEOUT,
                            format!("the task did not finish within {seconds} s (TimeoutSeconds)"),
                        );
                        *cursor = self.history.record(
                        *cursor,
                        "TaskTimedOut",
                        json!({"name": state.name, "resource": resource, "error": failure.error, "cause": failure.cause}),
                    );
                        return Err(failure);
                    }
                }
            }
        };
        match outcome {
            Ok(output) => {
                *cursor = self.history.record(
                    *cursor,
                    "TaskSucceeded",
                    json!({"name": state.name, "resource": resource, "output": output}),
                );
                Ok(output)
            }
            Err(failure) => {
                *cursor = self.history.record(
                    *cursor,
                    "TaskFailed",
                    json!({"name": state.name, "resource": resource, "error": failure.error, "cause": failure.cause}),
                );
                Err(failure)
            }
        }
    }

    async fn wait(
        &self,
        state: &State,
        wait: &Wait,
        raw: &Value,
        context: &Value,
    ) -> Result<Value, TaskFailure> {
        let effective = select_path(state, &state.input_path, "InputPath", raw.clone())?;
        let now = self.clock.now();
        let until = match wait {
            Wait::Seconds(seconds) => later(now, Duration::from_secs(*seconds)),
            Wait::Timestamp(when) => *when,
            Wait::SecondsPath(path) => {
                let seconds = path
                    .get(&effective, context)
                    .and_then(Value::as_u64)
                    .ok_or_else(|| {
                        bad_value(
                            state,
                            "SecondsPath",
                            path,
                            &effective,
                            "a whole number of seconds >= 0",
                        )
                    })?;
                later(now, Duration::from_secs(seconds))
            }
            Wait::TimestampPath(path) => path
                .get(&effective, context)
                .and_then(Value::as_str)
                .and_then(choice::timestamp)
                .ok_or_else(|| {
                    bad_value(
                        state,
                        "TimestampPath",
                        path,
                        &effective,
                        "an RFC 3339 timestamp",
                    )
                })?
                .to_utc(),
        };
        self.history.wait(&state.name, until);
        if let Ok(duration) = (until - now).to_std() {
            self.clock.sleep(duration).await;
        }
        select_path(state, &state.output_path, "OutputPath", effective)
    }
}

fn choose<'g>(
    state: &'g State,
    branches: &'g [Branch],
    default: Option<&'g str>,
    raw: &Value,
    context: &Value,
) -> Result<Moved<'g>, TaskFailure> {
    let effective = select_path(state, &state.input_path, "InputPath", raw.clone())?;
    let mut next = None;
    for branch in branches {
        let holds = branch.rule.holds(&effective, context).map_err(|cause| {
            TaskFailure::new(RUNTIME, format!("State '{}': {cause}", state.name))
        })?;
        if holds {
            next = Some(branch.next.as_str());
            break;
        }
    }
    let next = next.or(default).ok_or_else(|| {
        TaskFailure::new(
            NO_CHOICE_MATCHED,
            format!(
                "no choice rule of state '{}' matched and it has no Default; input: {}",
                state.name,
                preview(&effective)
            ),
        )
    })?;
    let output = select_path(state, &state.output_path, "OutputPath", effective)?;
    Ok((output, Some(next)))
}

/// TimeoutSeconds, or TimeoutSecondsPath read from the effective input.
fn task_timeout(state: &State, task: &Task, effective: &Value) -> Result<Option<u64>, TaskFailure> {
    match &task.timeout {
        None => Ok(None),
        Some(Timeout::Seconds(seconds)) => Ok(Some(*seconds)),
        Some(Timeout::Path(path)) => path
            .get(effective, &Value::Null)
            .and_then(Value::as_u64)
            .filter(|seconds| *seconds >= 1)
            .map(Some)
            .ok_or_else(|| {
                bad_value(
                    state,
                    "TimeoutSecondsPath",
                    path,
                    effective,
                    "a whole number of seconds >= 1",
                )
            }),
    }
}

fn bad_value(state: &State, field: &str, path: &Path, input: &Value, wanted: &str) -> TaskFailure {
    TaskFailure::new(
        RUNTIME,
        format!(
            "State '{}': {field} '{}' must select {wanted} in {}",
            state.name,
            path.text(),
            preview(input)
        ),
    )
}

/// InputPath or OutputPath: `None` (null) gives `{}`.
fn select_path(
    state: &State,
    path: &Option<Path>,
    field: &str,
    value: Value,
) -> Result<Value, TaskFailure> {
    let Some(path) = path else {
        return Ok(json!({}));
    };
    if path.is_whole() {
        return Ok(value);
    }
    path.get(&value, &Value::Null).cloned().ok_or_else(|| {
        TaskFailure::new(
            RUNTIME,
            format!(
                "State '{}': Invalid path '{}' in {field}: nothing there in {}",
                state.name,
                path.text(),
                preview(&value)
            ),
        )
    })
}

/// ResultPath: `None` (null) keeps the input as it was.
fn put_result(
    state: &State,
    path: &Option<Path>,
    raw: Value,
    result: Value,
) -> Result<Value, TaskFailure> {
    match path {
        None => Ok(raw),
        Some(path) => path.put(raw, result).map_err(|why| {
            TaskFailure::new(
                RESULT_PATH_MATCH_FAILURE,
                format!("State '{}': ResultPath {why}", state.name),
            )
        }),
    }
}

/// A Fail state's Error or Cause; absent is empty.
fn fail_text(
    state: &State,
    text: Option<&Text>,
    raw: &Value,
    context: &Value,
) -> Result<String, TaskFailure> {
    let value = match text {
        None => return Ok(String::new()),
        Some(Text::Literal(text)) => return Ok(text.clone()),
        Some(Text::Path(path)) => path.get(raw, context).cloned().ok_or_else(|| {
            TaskFailure::new(
                RUNTIME,
                format!(
                    "State '{}': Invalid path '{}': nothing there in {}",
                    state.name,
                    path.text(),
                    preview(raw)
                ),
            )
        })?,
        Some(Text::Call(call)) => call.evaluate(raw, context)?,
    };
    match value {
        Value::String(text) => Ok(text),
        other => Err(TaskFailure::new(
            RUNTIME,
            format!(
                "State '{}': ErrorPath and CausePath must select a string, not {other}",
                state.name
            ),
        )),
    }
}
