//! Parallel branches and Map iterations. They run concurrently within the execution's task;
//! the first failure fails the state and drops (cancels) the rest, as Step Functions stops them.

use futures::future::try_join_all;
use futures::{StreamExt, TryStreamExt, stream};
use serde_json::{Value, json};

use super::Run;
use crate::definition::{MapState, Parallel, State};
use crate::failure::{PARAMETER_PATH_FAILURE, RUNTIME, TaskFailure};
use crate::payload::preview;

impl Run<'_> {
    pub(super) async fn parallel(
        &self,
        state: &State,
        parallel: &Parallel,
        input: Value,
        cursor: &mut u64,
    ) -> Result<Value, TaskFailure> {
        let started =
            self.history
                .record(*cursor, "ParallelStateStarted", json!({"name": state.name}));
        let branches = parallel.branches.iter().map(|branch| {
            let input = input.clone();
            async move {
                let mut branch_cursor = started;
                self.graph(branch, input, &mut branch_cursor).await
            }
        });
        let outcome = try_join_all(branches).await;
        let joined = self.history.last_id();
        match outcome {
            Ok(outputs) => {
                *cursor = self.history.record(
                    joined,
                    "ParallelStateSucceeded",
                    json!({"name": state.name}),
                );
                Ok(Value::Array(outputs))
            }
            Err(failure) => {
                *cursor = self.history.record(
                    joined,
                    "ParallelStateFailed",
                    json!({"name": state.name, "error": failure.error, "cause": failure.cause}),
                );
                Err(failure)
            }
        }
    }

    /// `effective` is the Map's input after InputPath; ItemSelector (or legacy Parameters)
    /// shapes each item from it and `$$.Map.Item`.
    pub(super) async fn map(
        &self,
        state: &State,
        map: &MapState,
        effective: Value,
        context: &Value,
        cursor: &mut u64,
    ) -> Result<Value, TaskFailure> {
        let items = match map.items_path.get(&effective, context) {
            Some(Value::Array(items)) => items.clone(),
            found => {
                return Err(TaskFailure::new(
                    RUNTIME,
                    format!(
                        "State '{}': ItemsPath '{}' must select an array; found {} in {}",
                        state.name,
                        map.items_path.text(),
                        found.map_or("nothing".to_string(), preview),
                        preview(&effective)
                    ),
                ));
            }
        };
        let started = self.history.record(
            *cursor,
            "MapStateStarted",
            json!({"name": state.name, "length": items.len()}),
        );
        let limit = match map.max_concurrency {
            0 => items.len().max(1),
            n => n,
        };
        let effective = &effective;
        let iterations = items.into_iter().enumerate().map(|(index, item)| async move {
            let mut iteration_cursor = self.history.record(
                started,
                "MapIterationStarted",
                json!({"name": state.name, "index": index}),
            );
            let input = match &map.shaping.parameters {
                None => Ok(item),
                Some(selector) => {
                    let mut context = context.clone();
                    context["Map"] = json!({"Item": {"Index": index, "Value": item}});
                    selector.render(effective, &context, PARAMETER_PATH_FAILURE)
                }
            };
            let outcome = match input {
                Ok(input) => self.graph(&map.processor, input, &mut iteration_cursor).await,
                Err(failure) => Err(failure),
            };
            let details = match &outcome {
                Ok(_) => json!({"name": state.name, "index": index}),
                Err(failure) => {
                    json!({"name": state.name, "index": index, "error": failure.error, "cause": failure.cause})
                }
            };
            let kind = if outcome.is_ok() { "MapIterationSucceeded" } else { "MapIterationFailed" };
            self.history.record(iteration_cursor, kind, details);
            outcome.map(|output| (index, output))
        });
        let outcome: Result<Vec<(usize, Value)>, TaskFailure> = stream::iter(iterations)
            .buffer_unordered(limit)
            .try_collect()
            .await;
        let joined = self.history.last_id();
        match outcome {
            Ok(mut outputs) => {
                outputs.sort_by_key(|(index, _)| *index);
                *cursor =
                    self.history
                        .record(joined, "MapStateSucceeded", json!({"name": state.name}));
                Ok(Value::Array(
                    outputs.into_iter().map(|(_, output)| output).collect(),
                ))
            }
            Err(failure) => {
                *cursor = self.history.record(
                    joined,
                    "MapStateFailed",
                    json!({"name": state.name, "error": failure.error, "cause": failure.cause}),
                );
                Err(failure)
            }
        }
    }
}
