//! Property tests of every Lambda input parser: the failover function's alarm events
//! (EventBridge, SNS, alarm action) and alarm times, prepare's input, the run state that inject,
//! observe and recover read, and validate's input. Mutations of the sample events in `events/`,
//! JSON text edits and random bytes, read the way `lambda_runtime` reads a payload, never panic;
//! every refusal says where and what, and names the field a single structural change was made
//! to; an accepted run state reads back from its JSON. `GAMEDAY_PROPERTY_CASES` sets the number
//! of inputs per parser.

use std::path::Path;

use failover::EventError;
use gameday_phases::RunState;
use gameday_properties::{
    Input, Outcome, check_all, edited, lambda_payload, must_name, names_change, payload,
};
use prepare::PrepareInput;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use validate::ValidateInput;

fn events(names: &[&str]) -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    names
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(root.join(name)).unwrap();
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
        })
        .collect()
}

/// A refusal names its place and says what is wrong, and names the only change when that
/// reshaped its place.
fn check_refusal(input: &Input, field: &str, message: &str) -> Result<Outcome, TestCaseError> {
    prop_assert!(
        !field.is_empty() && !message.trim().is_empty(),
        "unclear: {}: {}",
        field,
        message
    );
    if let Some(change) = must_name(&input.changes) {
        prop_assert!(
            names_change(field, message, change),
            "does not name {:?}: {}: {}",
            change,
            field,
            message
        );
    }
    Ok(Outcome::Rejected)
}

/// The payload without its structural changes, for types whose errors cannot name the field:
/// serde loses the path inside an internally tagged enum (`Probe`, `Fault`: `probes[0]` instead
/// of `probes[0].minRunning`) and below `#[serde(flatten)]` (validate's input: the whole
/// document). A known gap, left open.
fn without_changes(input: Input) -> Input {
    Input {
        changes: Vec::new(),
        ..input
    }
}

/// Reads the payload as the handler's input type; an accepted one must read back from its JSON.
fn check_payload<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    input: &Input,
    invariant: impl Fn(&T) -> Result<(), TestCaseError>,
) -> Result<Outcome, TestCaseError> {
    match lambda_payload::<T>(&input.bytes) {
        Ok(read) => {
            invariant(&read)?;
            let again: T = serde_json::from_value(serde_json::to_value(&read).unwrap())
                .map_err(|e| TestCaseError::fail(format!("does not read back: {e}")))?;
            prop_assert_eq!(again, read);
            Ok(Outcome::Accepted)
        }
        Err(error) => check_refusal(input, &error.field, &error.message),
    }
}

#[test]
fn failover_alarm_events() {
    let seeds = events(&[
        "failover/alarm-state-change.json",
        "failover/sns-alarm-notification.json",
    ]);
    check_all("failover alarm event", payload(&seeds), |input| {
        let value: Value = match lambda_payload(&input.bytes) {
            Ok(value) => value,
            Err(error) => {
                return check_refusal(
                    &Input {
                        changes: Vec::new(),
                        ..input
                    },
                    &error.field,
                    &error.message,
                );
            }
        };
        match failover::alarm_events(&value) {
            Ok(_) => Ok(Outcome::Accepted),
            Err(EventError::Malformed { field, message, .. }) => {
                check_refusal(&input, &field, &message)
            }
            Err(error @ EventError::Unrecognised) => {
                check_refusal(&input, "(document)", &error.to_string())
            }
        }
    });
}

#[test]
fn failover_alarm_times() {
    let times = prop_oneof![
        "\\PC{0,40}",
        edited("2026-03-03T10:00:00.000+0000".into()),
        edited("2026-03-03T10:00:04.615Z".into()),
    ];
    check_all(
        "failover alarm time",
        times,
        |text| match failover::event::parse_alarm_time(&text) {
            Some(at) => {
                prop_assert_eq!(
                    failover::event::parse_alarm_time(&at.to_rfc3339()),
                    Some(at)
                );
                Ok(Outcome::Accepted)
            }
            None => Ok(Outcome::Rejected),
        },
    );
}

#[test]
fn prepare_input() {
    let seeds = events(&["prepare/by-name.json", "prepare/inline-experiment.json"]);
    check_all(
        "prepare input",
        payload(&seeds),
        |input| match lambda_payload::<PrepareInput>(&input.bytes) {
            Ok(_) => Ok(Outcome::Accepted),
            Err(error) => check_refusal(&input, &error.field, &error.message),
        },
    );
}

#[test]
fn phase_run_state() {
    let seeds = events(&[
        "inject/run-state.json",
        "observe/run-state.json",
        "recover/run-state.json",
        "recover/rollback.json",
    ]);
    check_all(
        "inject/observe/recover run state",
        payload(&seeds),
        |input| {
            check_payload::<RunState>(&without_changes(input), |state| {
                prop_assert!(state.waits.observe_seconds >= 1 && state.waits.recover_seconds >= 1);
                Ok(())
            })
        },
    );
}

#[test]
fn validate_input() {
    let seeds = events(&["validate/run-state.json", "validate/after-error.json"]);
    check_all("validate input", payload(&seeds), |input| {
        let input = without_changes(input);
        match lambda_payload::<ValidateInput>(&input.bytes) {
            Ok(_) => Ok(Outcome::Accepted),
            Err(error) => check_refusal(&input, &error.field, &error.message),
        }
    });
}
