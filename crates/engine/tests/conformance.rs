//! The conformance corpus: every `tests/conformance/*.json` case runs under a virtual clock
//! with scripted tasks, and every `tests/rejected/*.json` definition must be refused at load.
//!
//! A case is `{comment, definition, input?, tasks?, expect, moto}`:
//! - `tasks`: per resource, one entry per call (`{"result": ...}` or `{"error", "cause"}`,
//!   either with an optional `delaySeconds` of virtual time); calls past the end repeat the last.
//! - `expect`: `status`, and optionally `output`, `error`, `elapsedSeconds` (virtual),
//!   `elapsedSecondsAtMost` (for jitter), `taskCalls`, `taskInputs` (per resource, in order).
//! - `moto`: how the sandbox's interpreter compares (read by tests/engine_sandbox.rs).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use gameday_engine::{
    CannedResult, CannedTasks, Engine, Execution, HistoryEvent, Observer, StateMachine,
    VirtualClock,
};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    comment: String,
    definition: Value,
    #[serde(default = "empty_object")]
    input: Value,
    #[serde(default)]
    tasks: BTreeMap<String, Vec<CannedResult>>,
    expect: Expect,
    moto: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Expect {
    status: String,
    output: Option<Value>,
    error: Option<String>,
    elapsed_seconds: Option<f64>,
    elapsed_seconds_at_most: Option<f64>,
    task_calls: Option<usize>,
    task_inputs: Option<BTreeMap<String, Vec<Value>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rejected {
    comment: String,
    definition: Value,
    /// Substrings the load error must contain.
    problems: Vec<String>,
}

/// Checks the history's shape as it goes: ids count up and each event follows an earlier one.
#[derive(Default)]
struct HistoryCheck {
    seen: Mutex<Vec<(u64, u64)>>,
}

impl Observer for HistoryCheck {
    fn on_event(&self, event: &HistoryEvent) {
        self.seen
            .lock()
            .unwrap()
            .push((event.id, event.previous_event_id));
    }
}

fn files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

fn start() -> DateTime<Utc> {
    "2024-01-01T00:00:00Z".parse().unwrap()
}

async fn run(case: &Case, name: &str) -> (Execution, HashMap<String, Vec<Value>>, Vec<(u64, u64)>) {
    let machine = StateMachine::from_json(&case.definition.to_string())
        .unwrap_or_else(|e| panic!("{name}: the definition does not load:\n{e}"));
    let clock = VirtualClock::new(start());
    let scripts = CannedTasks::new(clock.clone(), case.tasks.clone());
    let check = HistoryCheck::default();
    let engine = Engine::new(&scripts, &clock).with_observer(&check);
    let execution = engine.execute(&machine, name, case.input.clone()).await;
    let calls = scripts.into_calls();
    let seen = check.seen.into_inner().unwrap();
    (execution, calls, seen)
}

/// What is wrong with one case's run, if anything.
fn check(
    case: &Case,
    execution: &Execution,
    calls: &HashMap<String, Vec<Value>>,
    seen: &[(u64, u64)],
) -> Vec<String> {
    let expect = &case.expect;
    let mut wrong = Vec::new();
    let status = serde_json::to_value(execution.status).unwrap();
    if status != expect.status.as_str() {
        wrong.push(format!(
            "status {status} (error {:?}, cause {:?}), expected {}",
            execution.error, execution.cause, expect.status
        ));
    }
    if let Some(output) = &expect.output
        && execution.output.as_ref() != Some(output)
    {
        wrong.push(format!("output {:?}, expected {output}", execution.output));
    }
    if let Some(error) = &expect.error
        && execution.error.as_ref() != Some(error)
    {
        wrong.push(format!(
            "error {:?} (cause {:?}), expected {error}",
            execution.error, execution.cause
        ));
    }
    let elapsed = (execution.stopped_at - execution.started_at)
        .to_std()
        .unwrap_or_default()
        .as_secs_f64();
    if let Some(expected) = expect.elapsed_seconds
        && (elapsed - expected).abs() > 1e-6
    {
        wrong.push(format!("elapsed {elapsed} s, expected {expected} s"));
    }
    if let Some(most) = expect.elapsed_seconds_at_most
        && elapsed > most
    {
        wrong.push(format!("elapsed {elapsed} s, expected at most {most} s"));
    }
    let total: usize = calls.values().map(Vec::len).sum();
    if let Some(expected) = expect.task_calls
        && total != expected
    {
        wrong.push(format!("{total} task calls, expected {expected}"));
    }
    if let Some(inputs) = &expect.task_inputs {
        for (resource, expected) in inputs {
            let got = calls.get(resource).cloned().unwrap_or_default();
            if &got != expected {
                wrong.push(format!(
                    "inputs to {resource}: {}, expected {}",
                    Value::from(got),
                    Value::from(expected.clone())
                ));
            }
        }
    }
    let history_ok = execution.history.len() == seen.len()
        && execution.history.iter().enumerate().all(|(i, event)| {
            event.id == i as u64 + 1
                && event.previous_event_id < event.id
                && seen[i] == (event.id, event.previous_event_id)
        })
        && execution.history.first().map(|e| e.kind.as_str()) == Some("ExecutionStarted")
        && execution.history.last().map(|e| e.kind.as_str())
            == Some(match execution.status {
                gameday_engine::ExecutionStatus::Succeeded => "ExecutionSucceeded",
                gameday_engine::ExecutionStatus::Failed => "ExecutionFailed",
                gameday_engine::ExecutionStatus::TimedOut => "ExecutionTimedOut",
            });
    if !history_ok {
        wrong.push("the history is malformed".to_string());
    }
    wrong
}

#[tokio::test]
async fn the_conformance_corpus_runs_as_expected() {
    let files = files("conformance");
    assert!(files.len() >= 40, "only {} conformance cases", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(file).unwrap();
        let case: Case = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The execution is named after the case without its number: `03-pass-context` runs as
        // `pass-context` (tests/engine_sandbox.rs does the same on the sandbox).
        let execution_name = name.split_once('-').map_or(name.as_str(), |(_, rest)| rest);
        assert!(
            case.moto == "same"
                || case.moto.get("skip").is_some()
                || case.moto.get("differs").is_some(),
            "{name}: moto must be \"same\", {{\"skip\": ...}} or {{\"differs\": ...}}"
        );
        let (execution, calls, seen) = run(&case, execution_name).await;
        for problem in check(&case, &execution, &calls, &seen) {
            failures.push(format!("{name} ({}): {problem}", case.comment));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unsupported_definitions_are_rejected_at_load() {
    let files = files("rejected");
    assert!(files.len() >= 10, "only {} rejection cases", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(file).unwrap();
        let case: Rejected = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        match StateMachine::from_json(&case.definition.to_string()) {
            Ok(_) => failures.push(format!(
                "{name} ({}): loaded, but should be rejected",
                case.comment
            )),
            Err(error) => {
                let message = error.to_string();
                for expected in &case.problems {
                    if !message.contains(expected.as_str()) {
                        failures.push(format!("{name}: no {expected:?} in:\n{message}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A Wait beside a Parallel's other branch: concurrent waits overlap in virtual time.
#[tokio::test]
async fn concurrent_waits_overlap_and_observers_hear_of_them() {
    #[derive(Default)]
    struct Waits(Mutex<Vec<(String, DateTime<Utc>)>>);
    impl Observer for Waits {
        fn on_event(&self, _: &HistoryEvent) {}
        fn on_wait(&self, state: &str, until: DateTime<Utc>) {
            self.0.lock().unwrap().push((state.to_string(), until));
        }
    }
    let machine = StateMachine::from_json(
        r#"{"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 10, "End": true}}},
            {"StartAt": "Short", "States": {"Short": {"Type": "Wait", "Seconds": 3, "Next": "Again"},
                                            "Again": {"Type": "Wait", "Seconds": 3, "End": true}}}]}}}"#,
    )
    .unwrap();
    let clock = VirtualClock::new(start());
    let scripts = CannedTasks::new(clock.clone(), BTreeMap::new());
    let waits = Waits::default();
    let execution = Engine::new(&scripts, &clock)
        .with_observer(&waits)
        .execute(&machine, "overlap", serde_json::json!({}))
        .await;
    assert_eq!(
        execution.stopped_at - execution.started_at,
        chrono::TimeDelta::seconds(10)
    );
    let mut waits = waits.0.into_inner().unwrap();
    waits.sort();
    let at = |s: i64| start() + chrono::TimeDelta::seconds(s);
    assert_eq!(
        waits,
        [
            ("Again".to_string(), at(6)),
            ("Long".to_string(), at(10)),
            ("Short".to_string(), at(3))
        ]
    );
}

#[tokio::test]
async fn the_history_reads_like_get_execution_history() {
    let machine = StateMachine::from_json(
        r#"{"StartAt": "Prepare", "States": {
            "Prepare": {"Type": "Pass", "Next": "Inject"},
            "Inject": {"Type": "Task", "Resource": "inject", "Retry": [{"ErrorEquals": ["States.ALL"]}], "Next": "Each"},
            "Each": {"Type": "Map", "ItemsPath": "$.targets", "ItemProcessor": {"StartAt": "Look", "States": {
                "Look": {"Type": "Choice", "Choices": [{"Variable": "$", "IsString": true, "Next": "Ok"}]},
                "Ok": {"Type": "Succeed"}}}, "Next": "Done"},
            "Done": {"Type": "Succeed"}}}"#,
    )
    .unwrap();
    let clock = VirtualClock::new(start());
    let scripts = CannedTasks::new(
        clock.clone(),
        BTreeMap::from([(
            "inject".to_string(),
            vec![
                CannedResult {
                    result: None,
                    error: Some("Gameday.Transient".into()),
                    cause: "busy".into(),
                    delay_seconds: 0,
                },
                CannedResult {
                    result: Some(serde_json::json!({"targets": ["i-1"]})),
                    error: None,
                    cause: String::new(),
                    delay_seconds: 0,
                },
            ],
        )]),
    );
    let execution = Engine::new(&scripts, &clock)
        .execute(&machine, "history", serde_json::json!({"run": 1}))
        .await;
    let kinds: Vec<&str> = execution.history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "MapStateEntered",
            "MapStateStarted",
            "MapIterationStarted",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "MapIterationSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded",
        ]
    );
    let event = |kind: &str| execution.history.iter().find(|e| e.kind == kind).unwrap();
    assert_eq!(event("TaskFailed").details["error"], "Gameday.Transient");
    assert_eq!(event("TaskFailed").details["cause"], "busy");
    assert_eq!(event("TaskScheduled").details["resource"], "inject");
    assert_eq!(
        event("TaskScheduled").details["parameters"],
        serde_json::json!({"run": 1})
    );
    assert_eq!(
        event("MapIterationStarted").details,
        serde_json::json!({"name": "Each", "index": 0})
    );
    assert_eq!(event("MapStateStarted").details["length"], 1);
    // The retry waited one second between TaskFailed and the second TaskScheduled.
    let failed = event("TaskFailed");
    let rescheduled = &execution.history[failed.id as usize];
    assert_eq!(
        rescheduled.timestamp - failed.timestamp,
        chrono::TimeDelta::seconds(1)
    );
    assert_eq!(rescheduled.previous_event_id, failed.id);
    let json = serde_json::to_value(&execution).unwrap();
    assert_eq!(json["status"], "SUCCEEDED");
    assert_eq!(json["history"][0]["type"], "ExecutionStarted");
    assert_eq!(json["history"][1]["previousEventId"], 1);
}
