//! Property tests of the ASL loader (`StateMachine::from_json`): mutations of the project's
//! state machines and of the conformance corpus's definitions, JSON text edits and random text
//! never panic; every refusal lists problems that each say where (`States.X.Retry[0]...`) and
//! what; a single structural change is named; an accepted definition has states.
//! `GAMEDAY_PROPERTY_CASES` sets the number of inputs.

use std::path::Path;

use gameday_engine::StateMachine;
use gameday_properties::{Outcome, check_all, must_name, names_change, payload};
use proptest::prelude::*;
use serde_json::Value;

/// Every definition that loads: the project's state machines and the conformance cases'.
fn seeds() -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let mut seeds: Vec<Value> = ["experiment", "suite"]
        .iter()
        .map(|name| read(&root.join(format!("../../statemachines/{name}.asl.json"))))
        .collect();
    let mut cases: Vec<_> = std::fs::read_dir(root.join("tests/conformance"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    cases.sort();
    seeds.extend(cases.iter().map(|path| read(path)["definition"].clone()));
    for seed in &seeds {
        StateMachine::from_json(&seed.to_string()).expect("every seed loads");
    }
    seeds
}

#[test]
fn asl_loader() {
    check_all(
        "ASL definition",
        payload(&seeds()),
        |input| match StateMachine::from_json(&input.as_text()) {
            Ok(machine) => {
                prop_assert!(!machine.state_names().is_empty());
                Ok(Outcome::Accepted)
            }
            Err(error) => {
                prop_assert!(!error.problems.is_empty(), "a refusal without a problem");
                // "PLACE: WHAT", where a key in PLACE may itself hold ": ": any ": " may end it.
                let splits = |problem: &str| -> Vec<(usize, usize)> {
                    problem
                        .match_indices(": ")
                        .map(|(at, _)| (at, at + 2))
                        .collect()
                };
                for problem in &error.problems {
                    prop_assert!(
                        splits(problem).iter().any(|&(end, start)| {
                            !problem[..end].trim().is_empty() && !problem[start..].trim().is_empty()
                        }),
                        "unclear: {}",
                        problem
                    );
                }
                if let Some(change) = must_name(&input.changes) {
                    prop_assert!(
                        error
                            .problems
                            .iter()
                            .any(|problem| splits(problem).iter().any(|&(end, start)| {
                                names_change(&problem[..end], &problem[start..], change)
                            })),
                        "no problem names the changed field {:?}: {:#?}",
                        change,
                        error.problems
                    );
                }
                Ok(Outcome::Rejected)
            }
        },
    );
}
