//! The state machine definitions, compiled into the binary so `gameday run` works from any
//! directory, with their `${...}` substitutions filled for local execution.

use std::collections::BTreeMap;

use gameday_engine::{LoadError, StateMachine, substitute};

/// `statemachines/experiment.asl.json`, as deployed.
pub const EXPERIMENT_DEFINITION: &str = include_str!("../../../statemachines/experiment.asl.json");
/// `statemachines/suite.asl.json`, as deployed.
pub const SUITE_DEFINITION: &str = include_str!("../../../statemachines/suite.asl.json");

/// The substitution variable of each phase function and the name it is served under locally
/// (the template fills the same variables with the deployed functions' ARNs).
pub const PHASE_FUNCTIONS: [(&str, &str); 5] = [
    ("PrepareFunctionArn", "prepare"),
    ("InjectFunctionArn", "inject"),
    ("ObserveFunctionArn", "observe"),
    ("RecoverFunctionArn", "recover"),
    ("ValidateFunctionArn", "validate"),
];

/// The substitution variable for the experiment state machine in the suite, and the name the
/// local engine knows it by.
pub const EXPERIMENT_MACHINE: (&str, &str) = ("ExperimentStateMachineArn", "experiment");

fn local_values() -> BTreeMap<String, String> {
    PHASE_FUNCTIONS
        .iter()
        .chain([&EXPERIMENT_MACHINE])
        .map(|(variable, name)| (variable.to_string(), name.to_string()))
        .collect()
}

/// The experiment state machine with the phases served in-process.
pub fn experiment_machine() -> Result<StateMachine, LoadError> {
    StateMachine::from_json(&substitute(EXPERIMENT_DEFINITION, &local_values())?)
}

/// The suite state machine, running the experiment machine for each of its experiments.
pub fn suite_machine() -> Result<StateMachine, LoadError> {
    StateMachine::from_json(&substitute(SUITE_DEFINITION, &local_values())?)
}
