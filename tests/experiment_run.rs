//! The experiment state machine (`statemachines/experiment.asl.json`) on the embedded engine,
//! the phases in-process, against the sandbox, under the virtual clock: a five-minute
//! experiment runs in seconds. Each test checks the execution history, the run record and the
//! SNS messages. The suite machine runs the experiment machine nested, as in the cloud.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use futures::FutureExt;
use futures::future::BoxFuture;
use gameday_aws::SdkSettings;
use gameday_aws::alarms::AlarmWriter;
use gameday_aws::runs::{LockStore, RunStore};
use gameday_core::run::{Phase, RunRecord, RunStatus, UndoState};
use gameday_e2e::bookstore::{
    API_RTO_SECONDS, Bookstore, TABLE, api_experiment, tuesday_afternoon,
};
use gameday_engine::{
    Engine, Execution, ExecutionStatus, LocalFunctions, TaskFailure, TaskInvoker, VirtualClock,
};
use gameday_phases::PhaseConfig;
use gameday_phases::lambda::AwsPorts;
use gameday_runner::{SuiteInvoker, experiment_machine, phase_functions, suite_machine};
use serde_json::{Value, json};

struct World {
    bookstore: Bookstore,
    ports: Arc<AwsPorts<VirtualClock>>,
    clock: VirtualClock,
    functions: LocalFunctions,
}

async fn world() -> World {
    let bookstore = Bookstore::start().await;
    let clock = VirtualClock::new(tuesday_afternoon());
    let ports = Arc::new(
        AwsPorts::load(
            &SdkSettings::sandbox(bookstore.sandbox.endpoint_url()),
            TABLE,
            clock.clone(),
        )
        .await,
    );
    let config = PhaseConfig {
        topic_arn: Some(bookstore.topic_arn.clone()),
        ..PhaseConfig::default()
    };
    let functions = phase_functions(ports.clone(), Arc::new(config));
    World {
        bookstore,
        ports,
        clock,
        functions,
    }
}

impl World {
    async fn run(&self, invoker: &dyn TaskInvoker, run_id: &str, experiment: Value) -> Execution {
        let input =
            json!({"runId": run_id, "experiment": experiment, "rtoSeconds": API_RTO_SECONDS});
        Engine::new(invoker, &self.clock)
            .execute(&experiment_machine().unwrap(), run_id, input)
            .await
    }

    async fn record(&self, run_id: &str) -> RunRecord {
        self.ports
            .clients
            .runs
            .get_run(run_id)
            .await
            .unwrap()
            .unwrap()
    }

    /// Every target of the run can be locked by another run: the locks were released.
    async fn assert_locks_released(&self, record: &RunRecord) {
        let now = chrono::Utc::now();
        for id in record.targets.values().flatten() {
            self.ports
                .clients
                .runs
                .acquire_lock(id, "another-run", now + chrono::Duration::hours(1), now)
                .await
                .unwrap_or_else(|e| panic!("{id} is still locked: {e}"));
        }
    }
}

/// The states the execution entered, in order.
fn entered(execution: &Execution) -> Vec<String> {
    execution
        .history
        .iter()
        .filter(|e| e.kind.ends_with("StateEntered"))
        .map(|e| e.details["name"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn elapsed_seconds(execution: &Execution) -> i64 {
    (execution.stopped_at - execution.started_at).num_seconds()
}

#[tokio::test]
async fn a_passing_run_goes_through_every_phase_and_records_its_verdict() {
    let w = world().await;
    let execution = w.run(&w.functions, "run-pass", api_experiment()).await;

    assert_eq!(
        execution.status,
        ExecutionStatus::Succeeded,
        "{:?} {:?}",
        execution.error,
        execution.cause
    );
    assert_eq!(
        execution.output.as_ref().unwrap()["verdict"]["status"],
        "PASSED"
    );
    let states = entered(&execution);
    let observes = states.iter().filter(|s| *s == "Observe").count();
    // PT5M observed every PT30S.
    assert_eq!(observes, 10, "{states:?}");
    assert_eq!(states.first().map(String::as_str), Some("Prepare"));
    assert_eq!(states.last().map(String::as_str), Some("Passed"));
    assert!(!states.iter().any(|s| s.contains("Rollback")), "{states:?}");
    assert!(
        elapsed_seconds(&execution) >= 300,
        "virtual time covers the observation: {}s",
        elapsed_seconds(&execution)
    );
    assert_eq!(execution.history.last().unwrap().kind, "ExecutionSucceeded");

    let record = w.record("run-pass").await;
    assert_eq!(record.status, RunStatus::Passed);
    for phase in [
        Phase::Prepare,
        Phase::Inject,
        Phase::Observe,
        Phase::Recover,
        Phase::Validate,
    ] {
        assert!(
            record.phases.contains_key(&phase),
            "{phase:?} has its times"
        );
    }
    assert_eq!(
        record.samples.len() as u64 + record.earlier_samples.count,
        10
    );
    assert!(record.recovery_seconds.is_some());
    assert_eq!(record.rto_seconds, Some(API_RTO_SECONDS));
    assert!(record.undo.iter().all(|u| u.state != UndoState::UndoFailed));
    w.assert_locks_released(&record).await;

    let messages = w.bookstore.messages(3).await;
    assert_eq!(messages.len(), 2, "started and verdict");
    assert_eq!(messages[1].message["runId"], "run-pass");
    assert_eq!(messages[1].message["verdict"], "PASSED");
}

/// Delegates to the phases, but puts the stop alarm into ALARM just before the second sample.
struct AlarmDuringObservation<'a> {
    world: &'a World,
    alarm: String,
    observed: AtomicU32,
}

impl TaskInvoker for AlarmDuringObservation<'_> {
    fn invoke<'a>(
        &'a self,
        resource: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, TaskFailure>> {
        async move {
            if input["FunctionName"] == "observe"
                && self.observed.fetch_add(1, Ordering::SeqCst) == 1
            {
                self.world
                    .ports
                    .clients
                    .alarms
                    .set_alarm_state(&self.alarm, "ALARM", "test: errors during the experiment")
                    .await
                    .unwrap();
            }
            self.world.functions.invoke(resource, input).await
        }
        .boxed()
    }
}

#[tokio::test]
async fn a_stop_alarm_during_observation_rolls_back_and_aborts() {
    let w = world().await;
    let experiment = api_experiment();
    let invoker = AlarmDuringObservation {
        world: &w,
        alarm: experiment["stopConditions"][0]["alarmName"]
            .as_str()
            .unwrap()
            .to_string(),
        observed: AtomicU32::new(0),
    };
    let execution = w.run(&invoker, "run-stop", experiment).await;

    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(execution.error.as_deref(), Some("Gameday.Aborted"));
    let states = entered(&execution);
    assert_eq!(
        states.iter().filter(|s| *s == "Observe").count(),
        2,
        "{states:?}"
    );
    for state in [
        "MarkRollbackAfterStop",
        "RollbackAfterStop",
        "ValidateAfterStop",
        "Aborted",
    ] {
        assert!(states.iter().any(|s| s == state), "{state} in {states:?}");
    }
    assert!(!states.iter().any(|s| s == "Recover"), "{states:?}");

    let record = w.record("run-stop").await;
    assert_eq!(record.status, RunStatus::Aborted);
    assert!(record.phases.contains_key(&Phase::Rollback));
    assert!(
        record
            .stop_reason
            .as_deref()
            .unwrap_or("")
            .contains(&invoker.alarm),
        "{:?}",
        record.stop_reason
    );
    assert!(record.undo.iter().all(|u| u.state != UndoState::UndoFailed));
    w.assert_locks_released(&record).await;

    let messages = w.bookstore.messages(3).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].message["verdict"], "ABORTED");
}

#[tokio::test]
async fn a_failing_inject_rolls_back_what_was_done_and_errors() {
    let w = world().await;
    let mut experiment = api_experiment();
    experiment["faults"] = json!([
        {"name": "stop-one-api-instance", "duration": "PT2M", "action": {"type": "ec2-stop", "target": "api-instances"}},
        {"name": "fis-missing-template", "duration": "PT2M", "action": {"type": "fis-experiment", "templateId": "EXTmissing0000"}}
    ]);
    let execution = w.run(&w.functions, "run-inject", experiment).await;

    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(execution.error.as_deref(), Some("Gameday.Errored"));
    let failed = execution
        .history
        .iter()
        .find(|e| e.kind == "TaskFailed")
        .expect("the inject task failed");
    assert_eq!(failed.details["error"], "Gameday.InjectFailed");
    let states = entered(&execution);
    for state in [
        "MarkRollbackAfterError",
        "RollbackAfterError",
        "ValidateAfterError",
        "Errored",
    ] {
        assert!(states.iter().any(|s| s == state), "{state} in {states:?}");
    }
    assert!(!states.iter().any(|s| s == "Observe"), "{states:?}");

    let record = w.record("run-inject").await;
    assert_eq!(record.status, RunStatus::Errored);
    assert_eq!(
        record.undo[0].state,
        UndoState::Undone,
        "the stopped instance was started"
    );
    assert_eq!(record.undo[1].state, UndoState::NothingToUndo);
    let reasons = &record.verdict.as_ref().unwrap().reasons;
    assert!(
        reasons.iter().any(|r| r.contains("Gameday.InjectFailed")),
        "{reasons:?}"
    );
    w.assert_locks_released(&record).await;

    let messages = w.bookstore.messages(3).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].message["verdict"], "ERRORED");
}

#[tokio::test]
async fn the_suite_runs_each_experiment_in_turn_and_fails_if_one_did_not_pass() {
    let w = world().await;
    let passing = api_experiment();
    let mut failing = api_experiment();
    failing["faults"] = json!([
        {"name": "stop-one-api-instance", "duration": "PT2M", "action": {"type": "ec2-stop", "target": "api-instances"}},
        {"name": "fis-missing-template", "duration": "PT2M", "action": {"type": "fis-experiment", "templateId": "EXTmissing0000"}}
    ]);
    let experiment = experiment_machine().unwrap();
    let suite = SuiteInvoker {
        phases: &w.functions,
        experiment: &experiment,
        clock: &w.clock,
    };
    let input = json!({"experiments": [
        {"runId": "suite-pass", "experiment": passing, "rtoSeconds": API_RTO_SECONDS},
        {"runId": "suite-inject", "experiment": failing, "rtoSeconds": API_RTO_SECONDS},
    ]});
    let execution = Engine::new(&suite, &w.clock)
        .execute(&suite_machine().unwrap(), "suite", input)
        .await;

    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(execution.error.as_deref(), Some("Gameday.SuiteFailed"));
    let tally = execution
        .history
        .iter()
        .find(|e| e.kind == "PassStateExited" && e.details["name"] == "Tally")
        .expect("the verdicts were tallied");
    let output = match &tally.details["output"] {
        Value::String(text) => serde_json::from_str::<Value>(text).unwrap(),
        other => other.clone(),
    };
    assert_eq!(output["verdicts"], json!(["PASSED", "NOT_PASSED"]));
    assert_eq!(output["anyNotPassed"], true);
    assert_eq!(w.record("suite-pass").await.status, RunStatus::Passed);
    assert_eq!(w.record("suite-inject").await.status, RunStatus::Errored);
}
