//! The state machine definitions, compiled into the binary so `gameday run` works from any
//! directory, with their `${...}` substitutions filled for local execution.

use std::collections::{BTreeMap, BTreeSet};

use gameday_engine::{LoadError, StateMachine, substitute};
use serde_json::Value;

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

/// Where the experiment machine's rollback branch starts: recover in rollback mode, then
/// validate with the caught error at `$.error`.
pub const ROLLBACK_START: &str = "MarkRollbackAfterError";

/// The experiment machine's rollback branch alone, started at [`ROLLBACK_START`] with only the
/// states it reaches: the same Tasks, Retry, Catch and timeouts the state machine uses when a
/// phase fails, for `gameday rollback` to finish a run whose driver was lost. Its input is the
/// run state with the reason at `$.error` (`{"Error": ..., "Cause": ...}`).
pub fn rollback_machine() -> Result<StateMachine, LoadError> {
    let mut definition: Value =
        serde_json::from_str(&substitute(EXPERIMENT_DEFINITION, &local_values())?)
            .expect("the experiment definition is JSON");
    let states = definition["States"]
        .as_object()
        .expect("the experiment definition has States")
        .clone();
    let mut reached = BTreeSet::new();
    let mut next = vec![ROLLBACK_START.to_string()];
    while let Some(name) = next.pop() {
        if !reached.insert(name.clone()) {
            continue;
        }
        next.extend(successors(&states[&name]));
    }
    definition["StartAt"] = ROLLBACK_START.into();
    definition["Comment"] = "The rollback branch of the experiment state machine.".into();
    definition["States"] = states
        .into_iter()
        .filter(|(name, _)| reached.contains(name))
        .collect();
    StateMachine::from_json(&definition.to_string())
}

/// The states a state can move to: Next, Default, each Choice's and each Catch's Next.
fn successors(state: &Value) -> Vec<String> {
    let branches = ["Choices", "Catch"].into_iter().flat_map(|field| {
        state[field]
            .as_array()
            .into_iter()
            .flatten()
            .map(|branch| &branch["Next"])
    });
    [&state["Next"], &state["Default"]]
        .into_iter()
        .chain(branches)
        .filter_map(|next| next.as_str().map(String::from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rollback_machine_is_the_rollback_branch_alone() {
        let mut names = rollback_machine().unwrap().state_names();
        names.sort();
        assert_eq!(
            names,
            [
                "Aborted",
                "Errored",
                "MarkRollbackAfterError",
                "RollbackAfterError",
                "RollbackIncomplete",
                "RolledBackDecision",
                "ValidateAfterError",
            ]
        );
        assert!(
            experiment_machine().unwrap().state_names().len() > names.len(),
            "the full machine has the other phases"
        );
    }
}
