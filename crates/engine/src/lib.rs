//! The local Amazon States Language interpreter (JSONPath dialect) with a clock abstraction.
//!
//! A definition is parsed and validated in full by [`StateMachine::from_json`]: anything the
//! engine does not support (JSONata, Distributed Map, `.sync` tasks, unknown fields, ...) is
//! refused there with the state and field named, so a run never stops half-way on it. An
//! [`Engine`] then runs it: Task states go to a [`TaskInvoker`], time goes through an
//! [`EngineClock`] (a [`VirtualClock`] runs waits and retries without sleeping), and the run
//! comes back as an [`Execution`] with a Step Functions-shaped history.

mod canned;
mod choice;
mod clock;
mod definition;
mod exec;
mod failure;
mod history;
mod intrinsics;
mod invoke;
mod path;
mod payload;
mod retry;
mod substitute;

pub use canned::{CannedResult, CannedTasks, NO_CANNED_RESULT};
pub use clock::{EngineClock, RealClock, VirtualClock};
pub use definition::StateMachine;
pub use exec::{Engine, Execution, ExecutionStatus};
pub use failure::TaskFailure;
pub use history::{HistoryEvent, Observer};
pub use invoke::{LambdaEndpoint, LocalFunctions, TaskInvoker};
pub use substitute::substitute;

/// The Step Functions integration that starts a child execution and waits for its output
/// (`Output` as JSON). The engine passes it to the [`TaskInvoker`] like any Task resource.
pub const NESTED_EXECUTION: &str = "arn:aws:states:::states:startExecution.sync:2";

/// Why a definition was refused: every problem found, each naming where it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub struct LoadError {
    pub problems: Vec<String>,
}
