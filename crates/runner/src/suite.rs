//! The suite's Task: run the experiment state machine as a nested execution on the same
//! engine, as Step Functions' `startExecution.sync:2` does in the cloud.

use futures::FutureExt;
use futures::future::BoxFuture;
use gameday_engine::{
    Engine, EngineClock, ExecutionStatus, NESTED_EXECUTION, StateMachine, TaskFailure, TaskInvoker,
};
use serde_json::{Value, json};

/// Runs nested experiment executions and passes every other Task to `phases`.
pub struct SuiteInvoker<'a> {
    pub phases: &'a dyn TaskInvoker,
    pub experiment: &'a StateMachine,
    pub clock: &'a dyn EngineClock,
}

impl TaskInvoker for SuiteInvoker<'_> {
    fn invoke<'a>(
        &'a self,
        resource: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, TaskFailure>> {
        if resource != NESTED_EXECUTION {
            return self.phases.invoke(resource, input);
        }
        async move {
            let child_input = input.get("Input").cloned().unwrap_or(Value::Null);
            let name = child_input
                .get("runId")
                .or_else(|| child_input.get("experimentName"))
                .and_then(Value::as_str)
                .unwrap_or("experiment")
                .to_string();
            let execution = Engine::new(self.phases, self.clock)
                .execute(self.experiment, &name, child_input)
                .await;
            match execution.status {
                ExecutionStatus::Succeeded => Ok(json!({
                    "Output": execution.output,
                    "Status": "SUCCEEDED",
                    "Name": execution.name,
                })),
                _ => Err(TaskFailure::new(
                    "States.TaskFailed",
                    json!({
                        "Name": execution.name,
                        "Status": execution.status,
                        "Error": execution.error,
                        "Cause": execution.cause,
                    })
                    .to_string(),
                )),
            }
        }
        .boxed()
    }
}
