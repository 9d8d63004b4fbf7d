//! Running a property over generated inputs: the case count, the clear-error checks, and the
//! tally the reliability bench (`benches/reliability/run.sh`) reads.

use std::fmt::Debug;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use gameday_core::diagnostics::field_path;
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde::de::DeserializeOwned;

use crate::mutate::Applied;

/// Cases per target; CI runs the default, the reliability bench 100,000.
pub const CASES_VAR: &str = "GAMEDAY_PROPERTY_CASES";
/// A file each target appends one line to: `target cases accepted rejected seconds` (tabs).
pub const REPORT_VAR: &str = "GAMEDAY_PROPERTY_REPORT";
/// A file each input is written to before it runs, so that an input that aborts the process
/// (a stack overflow, which no panic handler sees) can be read afterwards.
pub const LAST_INPUT_VAR: &str = "GAMEDAY_PROPERTY_LAST_INPUT";
const DEFAULT_CASES: u32 = 300;

/// What a parser did with one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Rejected,
}

pub fn cases() -> u32 {
    match std::env::var(CASES_VAR) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{CASES_VAR}=`{text}` is not a whole number of cases")),
        Err(_) => DEFAULT_CASES,
    }
}

/// Runs `test` on [`cases`] inputs of `strategy`. A failed check or a panic fails the calling
/// test with the smallest failing input proptest finds.
pub fn check_all<S>(
    target: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<Outcome, TestCaseError>,
) where
    S: Strategy,
    S::Value: Debug,
{
    let cases = cases();
    let mut runner = TestRunner::new(Config {
        cases,
        // Regressions found here become unit tests next to the fixed parser.
        failure_persistence: None,
        ..Config::default()
    });
    let (accepted, rejected) = (AtomicU64::new(0), AtomicU64::new(0));
    let started = Instant::now();
    let last_input = std::env::var(LAST_INPUT_VAR).ok();
    let result = runner.run(&strategy, |input| {
        if let Some(path) = &last_input {
            std::fs::write(path, format!("{input:#?}\n"))
                .unwrap_or_else(|e| panic!("{LAST_INPUT_VAR}={path}: {e}"));
        }
        let counter = match test(input)? {
            Outcome::Accepted => &accepted,
            Outcome::Rejected => &rejected,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    let seconds = started.elapsed().as_secs_f64();
    if let Err(error) = result {
        panic!("{target}: {error}");
    }
    let (accepted, rejected) = (accepted.into_inner(), rejected.into_inner());
    eprintln!("{target}: {cases} cases, {accepted} accepted, {rejected} rejected, {seconds:.1} s");
    if let Ok(path) = std::env::var(REPORT_VAR) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{REPORT_VAR}={path}: {e}"));
        writeln!(
            file,
            "{target}\t{cases}\t{accepted}\t{rejected}\t{seconds:.1}"
        )
        .unwrap_or_else(|e| panic!("{REPORT_VAR}={path}: {e}"));
    }
}

/// The change a refusal must name: the only change, when it reshaped its place.
pub fn must_name(changes: &[Applied]) -> Option<&Applied> {
    match changes {
        [only] if only.reshaped => Some(only),
        _ => None,
    }
}

/// Whether a reported place (`field`, dotted like `faults[0].action`; `(document)` is the root)
/// names `change`: the changed place, a place inside it, or the mapping that holds it when
/// `message` says which key.
pub fn names_change(field: &str, message: &str, change: &Applied) -> bool {
    let changed = field_path(&change.pointer);
    let key = change.pointer.rsplit('/').next().unwrap_or_default();
    let key = key.replace("~1", "/").replace("~0", "~");
    within(field, &changed) || (within(&changed, field) && message.contains(&key))
}

/// Whether an error `message` that carries no separate field names `change`: its dotted path
/// (`experiments[1]`) or, for a change of a mapping's key, that key. Any message is about a
/// change of the whole input.
pub fn mentions_change(message: &str, change: &Applied) -> bool {
    if change.pointer.is_empty() {
        return true;
    }
    let key = change.pointer.rsplit('/').next().unwrap_or_default();
    let key = key.replace("~1", "/").replace("~0", "~");
    let named_key = !key.is_empty() && !key.chars().all(|c| c.is_ascii_digit());
    message.contains(&field_path(&change.pointer)) || (named_key && message.contains(&key))
}

/// `inner` is `outer` or a place inside it.
fn within(inner: &str, outer: &str) -> bool {
    outer == "(document)"
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// A payload a Lambda function could not read: where (dotted, `(document)` for the root) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError {
    pub field: String,
    pub message: String,
}

/// Reads a Lambda payload the way `lambda_runtime` 1.5 does before calling the handler (its
/// deserializer is private): serde_json from the bytes, with serde_path_to_error for the place.
pub fn lambda_payload<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, PayloadError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        PayloadError {
            field: match path.as_str() {
                "." => "(document)".into(),
                // An empty key: shown the way the loaders show it.
                "" => "[\"\"]".into(),
                _ => path,
            },
            message: error.inner().to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_named_by_its_place_a_place_inside_or_its_mapping_with_the_key() {
        let change = Applied {
            pointer: "/faults/0/action/type".into(),
            reshaped: true,
        };
        assert!(names_change("faults[0].action.type", "", &change));
        assert!(names_change("faults[0].action.type.x", "", &change));
        assert!(names_change("faults[0].action", "missing `type`", &change));
        assert!(!names_change("faults[0].action", "missing `name`", &change));
        assert!(!names_change("faults[0].actions", "", &change));
        assert!(!names_change("targets", "type", &change));
        let root = Applied {
            pointer: String::new(),
            reshaped: true,
        };
        assert!(names_change("anything", "", &root));
        assert!(mentions_change("at faults[0].action.type: no", &change));
        assert!(mentions_change("unknown field `type`", &change));
        assert!(!mentions_change("unknown field `kind`", &change));
        assert_eq!(must_name(std::slice::from_ref(&change)), Some(&change));
        assert_eq!(must_name(&[change.clone(), root]), None);
    }

    #[test]
    fn payload_errors_carry_the_path() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Event {
            items: Vec<u32>,
        }
        let error = lambda_payload::<Event>(br#"{"items": [1, "x"]}"#).unwrap_err();
        assert_eq!(error.field, "items[1]");
        assert!(error.message.contains("expected u32"), "{}", error.message);
        assert_eq!(
            lambda_payload::<Event>(b"[").unwrap_err().field,
            "(document)"
        );
    }
}
