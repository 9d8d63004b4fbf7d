//! A state machine definition, parsed and validated in full before anything runs.

mod load;
mod states;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::LoadError;
use crate::choice::Branch;
use crate::intrinsics::Call;
use crate::path::Path;
use crate::payload::Template;
use crate::retry::{Catcher, Retrier};

pub(crate) use load::Loader;

/// A validated state machine (Amazon States Language, JSONPath dialect).
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub(crate) graph: Graph,
    pub(crate) timeout_seconds: Option<u64>,
}

impl StateMachine {
    /// Parses and validates a definition; every problem found is in the error.
    pub fn from_json(text: &str) -> Result<StateMachine, LoadError> {
        load::load(text)
    }

    /// The top-level states, in definition order.
    pub fn state_names(&self) -> Vec<String> {
        self.graph.states.iter().map(|s| s.name.clone()).collect()
    }
}

/// A set of states with a start: the machine itself, a Parallel branch or a Map's processor.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    pub(crate) start_at: String,
    pub(crate) states: Vec<State>,
    index: HashMap<String, usize>,
}

impl Graph {
    pub(crate) fn state(&self, name: &str) -> Option<&State> {
        self.index.get(name).map(|&i| &self.states[i])
    }
}

#[derive(Debug, Clone)]
pub(crate) struct State {
    pub(crate) name: String,
    /// `None` is `null`: the state sees `{}`.
    pub(crate) input_path: Option<Path>,
    /// `None` is `null`: the state passes on `{}`.
    pub(crate) output_path: Option<Path>,
    /// For states that move on: `None` is `"End": true`.
    pub(crate) next: Option<String>,
    pub(crate) kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Pass {
        /// Result, which replaces the (Parameters-shaped) input as the state's result.
        result: Option<Value>,
        shaping: Box<Shaping>,
    },
    Task(Box<Task>),
    Choice {
        branches: Vec<Branch>,
        default: Option<String>,
    },
    Wait(Wait),
    Parallel(Box<Parallel>),
    Map(Box<MapState>),
    Succeed,
    Fail {
        error: Option<Text>,
        cause: Option<Text>,
    },
}

impl Kind {
    /// The Type as written, which also prefixes the state's history events.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Kind::Pass { .. } => "Pass",
            Kind::Task(_) => "Task",
            Kind::Choice { .. } => "Choice",
            Kind::Wait(_) => "Wait",
            Kind::Parallel(_) => "Parallel",
            Kind::Map(_) => "Map",
            Kind::Succeed => "Succeed",
            Kind::Fail { .. } => "Fail",
        }
    }

    /// The input and result processing of the states that produce a result.
    pub(crate) fn shaping(&self) -> Option<&Shaping> {
        match self {
            Kind::Pass { shaping, .. } => Some(shaping),
            Kind::Task(task) => Some(&task.shaping),
            Kind::Parallel(parallel) => Some(&parallel.shaping),
            Kind::Map(map) => Some(&map.shaping),
            Kind::Choice { .. } | Kind::Wait(_) | Kind::Succeed | Kind::Fail { .. } => None,
        }
    }
}

/// The input and result processing of Pass, Task, Parallel and Map, with the error handling of
/// the last three (a Pass state has no Retry or Catch).
#[derive(Debug, Clone)]
pub(crate) struct Shaping {
    /// Parameters; for a Map, its ItemSelector (or legacy Parameters), rendered per item.
    pub(crate) parameters: Option<Template>,
    pub(crate) result_selector: Option<Template>,
    /// `None` is `null`: the result is dropped and the input passes on.
    pub(crate) result_path: Option<Path>,
    pub(crate) retry: Vec<Retrier>,
    pub(crate) catch: Vec<Catcher>,
}

#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub(crate) resource: String,
    pub(crate) timeout: Option<Timeout>,
    pub(crate) shaping: Shaping,
}

#[derive(Debug, Clone)]
pub(crate) enum Timeout {
    Seconds(u64),
    Path(Path),
}

#[derive(Debug, Clone)]
pub(crate) struct Parallel {
    pub(crate) branches: Vec<Graph>,
    pub(crate) shaping: Shaping,
}

#[derive(Debug, Clone)]
pub(crate) struct MapState {
    pub(crate) items_path: Path,
    pub(crate) processor: Graph,
    /// 0 is unbounded.
    pub(crate) max_concurrency: usize,
    pub(crate) shaping: Shaping,
}

#[derive(Debug, Clone)]
pub(crate) enum Wait {
    Seconds(u64),
    SecondsPath(Path),
    Timestamp(DateTime<Utc>),
    TimestampPath(Path),
}

/// A Fail state's Error or Cause: written out, or read with a path or an intrinsic.
#[derive(Debug, Clone)]
pub(crate) enum Text {
    Literal(String),
    Path(Path),
    Call(Call),
}
