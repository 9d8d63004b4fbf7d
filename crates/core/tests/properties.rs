//! Property tests of the document loaders (experiments, playbooks, failover policies): generated
//! inputs (mutations of the Bookstore files, text edits, random text) never panic; every
//! rejection names the file, a line and column, the field, what is wrong and the fix, and names
//! the field a structural change was made to; every accepted document loads again from its JSON
//! to the same model. `GAMEDAY_PROPERTY_CASES` sets the number of inputs per loader.

use std::fmt::Debug;
use std::path::Path;

use gameday_core::diagnostics::Diagnostic;
use gameday_properties::{Input, Outcome, check_all, document, must_name, names_change};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde::Serialize;

const FILE: &str = "generated.yaml";

type Loader<T> = fn(&str, &str) -> Result<T, Vec<Diagnostic>>;

/// The Bookstore example files that contain `marker`.
fn seeds(marker: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bookstore");
    let mut texts: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .filter(|text| text.contains(marker))
        .collect();
    texts.sort();
    assert!(!texts.is_empty(), "no example holds `{marker}`");
    texts
}

fn check<T: Serialize + PartialEq + Debug>(
    load: Loader<T>,
    input: &Input,
) -> Result<Outcome, TestCaseError> {
    let text = input.as_text();
    match load(FILE, &text) {
        Ok(model) => {
            let json = serde_json::to_string(&model).expect("a model serialises");
            let again = load("again.json", &json);
            prop_assert_eq!(
                again.as_ref(),
                Ok(&model),
                "an accepted document must load again from its JSON"
            );
            Ok(Outcome::Accepted)
        }
        Err(diagnostics) => {
            prop_assert!(!diagnostics.is_empty(), "a rejection without a diagnostic");
            // YAML breaks lines at `\n`, `\r\n` and a lone `\r`; the end of the stream is
            // marked on the line after the last.
            let lines = text.replace("\r\n", "\n").matches(['\n', '\r']).count() + 2;
            for d in &diagnostics {
                prop_assert_eq!(&d.file, FILE);
                prop_assert!(
                    !d.field.is_empty() && !d.message.trim().is_empty() && !d.fix.trim().is_empty(),
                    "unclear: {}",
                    d
                );
                prop_assert!(
                    d.line.is_some_and(|l| l >= 1 && l <= lines)
                        && d.column.is_some_and(|c| c >= 1),
                    "no place in the file: {}",
                    d
                );
            }
            if let Some(change) = must_name(&input.changes) {
                prop_assert!(
                    diagnostics
                        .iter()
                        .any(|d| names_change(&d.field, &d.message, change)),
                    "no diagnostic names the changed field {:?}: {:#?}",
                    change,
                    diagnostics
                );
            }
            Ok(Outcome::Rejected)
        }
    }
}

#[test]
fn experiment_loader() {
    check_all(
        "experiment",
        document(&seeds("kind: Experiment")),
        |input| check(gameday_core::spec::load_experiment, &input),
    );
}

#[test]
fn playbook_loader() {
    check_all("playbook", document(&seeds("kind: Playbook")), |input| {
        check(gameday_core::playbook::load_playbook, &input)
    });
}

#[test]
fn failover_policy_loader() {
    check_all(
        "failover policy",
        document(&seeds("kind: FailoverPolicies")),
        |input| check(gameday_core::failover::load_failover_file, &input),
    );
}

// Regressions the properties found.

fn api_instance_failure() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/bookstore/api-instance-failure.yaml");
    std::fs::read_to_string(path).unwrap()
}

/// A twenty-digit day count matches the schema's duration pattern, and used to panic when the
/// model was built (`Duration::from_secs_f64` out of range).
#[test]
fn an_absurd_duration_is_refused_at_its_field() {
    let text = api_instance_failure().replace("duration: PT2M", "duration: P99999999999999999999D");
    let errors = gameday_core::spec::load_experiment("exp.yaml", &text).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].field, "faults[0].duration");
    assert_eq!(errors[0].line, Some(39));
    assert!(
        errors[0].message.contains("longer than 100 years"),
        "{}",
        errors[0]
    );
}

/// Block lists nested a thousand deep used to overflow the stack in the YAML parser.
#[test]
fn deep_nesting_is_refused_with_its_place() {
    let text = format!("{}extra:\n  {}", api_instance_failure(), "- ".repeat(5_000));
    let errors = gameday_core::playbook::load_playbook("playbook.yaml", &text).unwrap_err();
    assert!(
        errors[0].message.contains("nest deeper than 128 levels"),
        "{}",
        errors[0]
    );
    assert!(errors[0].line.is_some());
}
