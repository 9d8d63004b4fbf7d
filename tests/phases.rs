//! The experiment phases end to end against the sandbox, with a manual clock so that a
//! ten-minute experiment takes seconds. Each test checks the run record and the SNS messages
//! (through an SQS subscription).

use std::time::Duration as StdDuration;

use chrono::Duration;
use gameday_aws::SdkSettings;
use gameday_aws::instances::InstanceDirectory;
use gameday_aws::parameters::{DEFAULT_KILL_SWITCH_PARAMETER, ParameterStore};
use gameday_aws::runs::{LockStore, RunStore};
use gameday_aws::sandbox_seed::BookstoreFleet;
use gameday_core::clock::ManualClock;
use gameday_core::run::{Phase, RunRecord, RunStatus, UndoState};
use gameday_core::spec::InstanceSelector;
use gameday_e2e::bookstore::{
    API_RTO_SECONDS, Bookstore, TABLE, api_experiment, tuesday_afternoon,
};
use gameday_e2e::{SnsEnvelope, TestSandbox, receive_json};
use gameday_phases::lambda::AwsPorts;
use gameday_phases::state::{ObserveDecision, RecoverDecision};
use gameday_phases::{PhaseConfig, PhaseError, Ports, RunState};
use prepare::PrepareInput;
use serde_json::{Value, json};
use validate::{CaughtError, ValidateInput};

struct World {
    sandbox: TestSandbox,
    ports: AwsPorts<ManualClock>,
    config: PhaseConfig,
    queue_url: String,
    fleet: BookstoreFleet,
}

/// The Bookstore world with ports on a manual clock set to a Tuesday afternoon.
async fn world() -> World {
    let Bookstore {
        sandbox,
        fleet,
        topic_arn,
        queue_url,
    } = Bookstore::start().await;
    let ports = AwsPorts::load(
        &SdkSettings::sandbox(sandbox.endpoint_url()),
        TABLE,
        ManualClock::new(tuesday_afternoon()),
    )
    .await;
    let config = PhaseConfig {
        topic_arn: Some(topic_arn),
        ..PhaseConfig::default()
    };
    World {
        sandbox,
        ports,
        config,
        queue_url,
        fleet,
    }
}

fn input(experiment: Value, run_id: &str) -> PrepareInput {
    PrepareInput {
        run_id: Some(run_id.into()),
        experiment: Some(experiment),
        rto_seconds: Some(API_RTO_SECONDS),
        ..PrepareInput::default()
    }
}

impl World {
    async fn record(&self, run_id: &str) -> RunRecord {
        self.ports
            .runs()
            .get_run(run_id)
            .await
            .unwrap()
            .expect("the run has a record")
    }

    async fn states(&self) -> Vec<(String, String)> {
        let selector = InstanceSelector {
            tags: [("service".to_string(), "bookstore".to_string())].into(),
            instance_ids: vec![],
            availability_zones: vec![],
        };
        let mut found: Vec<(String, String)> = self
            .ports
            .instances()
            .find_instances(&selector)
            .await
            .unwrap()
            .into_iter()
            .map(|i| (i.instance_id, i.state))
            .collect();
        // Terminated instances are not "live"; list them from EC2 directly.
        let ec2 = aws_sdk_ec2::Client::new(&self.sandbox.config);
        let all = ec2.describe_instances().send().await.unwrap();
        for instance in all.reservations().iter().flat_map(|r| r.instances()) {
            let id = instance.instance_id().unwrap().to_string();
            if !found.iter().any(|(i, _)| *i == id) {
                found.push((
                    id,
                    instance
                        .state()
                        .unwrap()
                        .name()
                        .unwrap()
                        .as_str()
                        .to_string(),
                ));
            }
        }
        found.sort();
        found
    }

    async fn state_of(&self, id: &str) -> String {
        self.states()
            .await
            .into_iter()
            .find(|(i, _)| i == id)
            .map(|(_, s)| s)
            .unwrap()
    }

    fn advance(&self, seconds: i64) {
        self.ports.clock.advance(Duration::seconds(seconds));
    }

    async fn messages(&self, count: usize) -> Vec<SnsEnvelope> {
        receive_json(
            &self.sandbox.config,
            &self.queue_url,
            count,
            StdDuration::from_secs(5),
        )
        .await
    }

    /// Observes every interval until the loop says something other than `continue`.
    async fn observe_until_decided(&self, mut state: RunState) -> RunState {
        loop {
            self.advance(30);
            state = observe::handle(&self.ports, &self.config, state)
                .await
                .unwrap();
            if state.observe.as_ref().unwrap().decision != ObserveDecision::Continue {
                return state;
            }
        }
    }
}

fn asl_name(result: Result<RunState, PhaseError>) -> &'static str {
    result.expect_err("the phase refuses").asl_name()
}

#[tokio::test]
async fn a_passing_run_goes_through_every_phase_and_never_touches_the_untagged_instance() {
    let w = world().await;
    let state = prepare::handle(&w.ports, &w.config, input(api_experiment(), "run-pass"))
        .await
        .unwrap();
    let record = w.record("run-pass").await;
    assert_eq!(record.status, RunStatus::Running);
    assert_eq!(record.experiment, "api-instance-failure");
    let chosen = record.targets["api-instances"].clone();
    assert_eq!(chosen.len(), 1);
    assert!(w.fleet.opted_in.contains(&chosen[0]));
    assert_eq!(record.baseline.len(), 3);
    assert!(
        record.baseline.iter().all(|r| r.within_tolerance),
        "{:?}",
        record.baseline
    );
    assert!(
        record.notifications[0].message_id.is_some(),
        "{:?}",
        record.notifications
    );
    assert_eq!(record.rto_seconds, Some(API_RTO_SECONDS));

    let state = inject::handle(&w.ports, &w.config, state).await.unwrap();
    assert!(matches!(
        w.state_of(&chosen[0]).await.as_str(),
        "terminated" | "shutting-down"
    ));
    let record = w.record("run-pass").await;
    assert_eq!(record.undo.len(), 1);
    assert_eq!(record.undo[0].state, UndoState::NothingToUndo);
    assert_eq!(record.undo[0].targets, chosen);
    assert!(record.undo[0].ended_at.is_some());

    let state = w.observe_until_decided(state).await;
    assert_eq!(
        state.observe.as_ref().unwrap().decision,
        ObserveDecision::Done
    );
    assert_eq!(
        state.observe.as_ref().unwrap().samples,
        10,
        "PT5M every PT30S"
    );

    w.advance(15);
    let state = recover::handle(&w.ports, &w.config, state).await.unwrap();
    let recovered = state.recover.clone().unwrap();
    assert_eq!(
        (recovered.decision, recovered.steady, recovered.checks),
        (RecoverDecision::Done, true, 1)
    );
    let now = w.ports.clock().now();
    w.ports
        .runs()
        .acquire_lock(&chosen[0], "someone-else", now + Duration::hours(1), now)
        .await
        .expect("the lock was released");

    let state = validate::handle(&w.ports, &w.config, ValidateInput { state, error: None })
        .await
        .unwrap();
    let verdict = state.verdict.unwrap();
    assert_eq!(verdict.status, "PASSED", "{:?}", verdict.reasons);
    let record = w.record("run-pass").await;
    assert_eq!(record.status, RunStatus::Passed);
    assert_eq!(
        record.recovery_seconds,
        Some(0.0),
        "the fleet never left its steady state"
    );
    assert_eq!(record.availability_percent(), Some(100.0));
    for phase in [
        Phase::Prepare,
        Phase::Inject,
        Phase::Observe,
        Phase::Recover,
        Phase::Validate,
    ] {
        assert!(
            record.phases[&phase].ended_at.is_some(),
            "{phase:?} has ended"
        );
    }
    assert!(
        record
            .verdict
            .as_ref()
            .unwrap()
            .reasons
            .iter()
            .any(|r| r.contains("within the dependency's RTO of 43200 s"))
    );

    for (id, state) in w.states().await {
        let expected = if id == chosen[0] {
            state.as_str()
        } else {
            "running"
        };
        assert_eq!(state, expected, "{id}");
    }
    let messages = w.messages(3).await;
    assert_eq!(messages.len(), 2, "started and verdict, nothing else");
    assert_eq!(
        messages[0].subject.as_deref(),
        Some("gameday: api-instance-failure started")
    );
    assert_eq!(
        messages[1].subject.as_deref(),
        Some("gameday: api-instance-failure PASSED")
    );
    assert_eq!(messages[1].message["runId"], "run-pass");
    assert_eq!(messages[1].message["verdict"], "PASSED");
    assert_eq!(messages[1].message["recoverySeconds"], 0.0);

    // Validating again publishes nothing more and keeps the verdict.
    let again = validate::handle(
        &w.ports,
        &w.config,
        ValidateInput {
            state: RunState::new(
                "run-pass",
                serde_json::from_value(api_experiment()).unwrap(),
            ),
            error: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(again.verdict.unwrap().status, "PASSED");
    assert!(w.messages(1).await.is_empty());
}

#[tokio::test]
async fn a_stop_alarm_in_alarm_refuses_the_run_before_anything_is_injected() {
    let w = world().await;
    use gameday_aws::alarms::AlarmWriter;
    w.ports
        .alarms()
        .set_alarm_state("bookstore-api-5xx-high", "ALARM", "test: customers hurt")
        .await
        .unwrap();
    let before = w.states().await;

    let result = prepare::handle(&w.ports, &w.config, input(api_experiment(), "run-stop")).await;
    assert_eq!(asl_name(result), "Gameday.StopConditionBreached");
    let record = w.record("run-stop").await;
    assert_eq!(record.status, RunStatus::Aborted);
    let verdict = record.verdict.as_ref().unwrap();
    assert_eq!(verdict.status, RunStatus::Aborted);
    assert_eq!(
        verdict.reasons,
        ["stop condition bookstore-api-5xx-high is ALARM; it must be OK"]
    );
    assert!(
        record.targets.is_empty() && record.undo.is_empty(),
        "nothing selected, nothing injected"
    );
    assert_eq!(w.states().await, before);
    let messages = w.messages(2).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].subject.as_deref(),
        Some("gameday: api-instance-failure ABORTED before start")
    );
    assert_eq!(messages[0].message["verdict"], "ABORTED");
}

/// The kill switch fails closed in prepare: a parameter that does not exist, or a value other
/// than `off`, refuses the run before anything is selected or touched.
#[tokio::test]
async fn prepare_refuses_while_the_kill_switch_is_missing_or_not_off() {
    let w = world().await;
    let before = w.states().await;
    for (value, run_id, expected) in [
        (None, "run-switch-missing", "does not exist"),
        (Some("yes"), "run-switch-yes", "its value is `yes`"),
    ] {
        let parameter = format!("/gameday/{run_id}");
        if let Some(value) = value {
            w.ports
                .parameters()
                .put_parameter(&parameter, value)
                .await
                .unwrap();
        }
        let config = PhaseConfig {
            kill_switch_parameter: parameter,
            ..w.config.clone()
        };
        let result = prepare::handle(&w.ports, &config, input(api_experiment(), run_id)).await;
        let message = match &result {
            Err(error) => error.to_string(),
            Ok(_) => panic!("{run_id}: prepare started a run"),
        };
        assert_eq!(asl_name(result), "Gameday.KillSwitchEngaged", "{run_id}");
        assert!(message.contains(expected), "{run_id}: {message}");
        let record = w.record(run_id).await;
        assert_eq!(record.status, RunStatus::Aborted, "{run_id}");
        assert!(
            record.targets.is_empty() && record.undo.is_empty(),
            "{run_id}"
        );
    }
    assert_eq!(w.states().await, before, "no instance was touched");
}

#[tokio::test]
async fn the_kill_switch_stops_observation_and_the_run_rolls_back() {
    let w = world().await;
    let state = prepare::handle(&w.ports, &w.config, input(api_experiment(), "run-kill"))
        .await
        .unwrap();
    let state = inject::handle(&w.ports, &w.config, state).await.unwrap();
    w.advance(30);
    let state = observe::handle(&w.ports, &w.config, state).await.unwrap();
    assert_eq!(
        state.observe.as_ref().unwrap().decision,
        ObserveDecision::Continue
    );

    w.ports
        .parameters()
        .put_parameter(DEFAULT_KILL_SWITCH_PARAMETER, "on")
        .await
        .unwrap();
    w.advance(30);
    let state = observe::handle(&w.ports, &w.config, state).await.unwrap();
    let observed = state.observe.clone().unwrap();
    assert_eq!(observed.decision, ObserveDecision::Stop);
    assert!(
        observed
            .reason
            .unwrap()
            .contains("kill switch /gameday/kill-switch is engaged")
    );
    assert_eq!(w.record("run-kill").await.status, RunStatus::RollingBack);

    let state = recover::handle(
        &w.ports,
        &w.config,
        RunState {
            rollback: true,
            ..state
        },
    )
    .await
    .unwrap();
    assert_eq!(
        state.recover.as_ref().unwrap().decision,
        RecoverDecision::Done
    );
    let state = validate::handle(&w.ports, &w.config, ValidateInput { state, error: None })
        .await
        .unwrap();
    assert_eq!(state.verdict.as_ref().unwrap().status, "ABORTED");
    let record = w.record("run-kill").await;
    assert_eq!(record.status, RunStatus::Aborted);
    assert_eq!(record.samples.len(), 2);
    assert!(record.phases.contains_key(&Phase::Rollback));
    assert!(record.recovery_ended_at.is_some());
    let messages = w.messages(3).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].message["verdict"], "ABORTED");
    assert!(
        messages[1].message["reasons"][0]
            .as_str()
            .unwrap()
            .contains("kill switch")
    );
}

#[tokio::test]
async fn a_fault_that_fails_half_way_is_undone_only_where_it_acted_and_recover_twice_changes_nothing()
 {
    let w = world().await;
    let mut experiment = api_experiment();
    experiment["faults"] = json!([
        {"name": "stop-one-api-instance", "duration": "PT2M", "action": {"type": "ec2-stop", "target": "api-instances"}},
        {"name": "fis-missing-template", "duration": "PT2M", "action": {"type": "fis-experiment", "templateId": "EXTmissing0000"}}
    ]);
    let state = prepare::handle(&w.ports, &w.config, input(experiment, "run-half"))
        .await
        .unwrap();
    let chosen = w.record("run-half").await.targets["api-instances"].clone();
    let error = inject::handle(&w.ports, &w.config, state.clone())
        .await
        .expect_err("the FIS fault fails");
    assert_eq!(error.asl_name(), "Gameday.InjectFailed");
    assert!(matches!(
        w.state_of(&chosen[0]).await.as_str(),
        "stopped" | "stopping"
    ));
    let record = w.record("run-half").await;
    assert_eq!(record.undo[0].state, UndoState::Injected);
    assert_eq!(record.undo[1].state, UndoState::Pending);
    assert!(record.undo[1].error.is_some());

    let rollback = RunState {
        rollback: true,
        ..state
    };
    let state = recover::handle(&w.ports, &w.config, rollback.clone())
        .await
        .unwrap();
    assert_eq!(
        state.recover.as_ref().unwrap().decision,
        RecoverDecision::Done
    );
    assert_eq!(
        w.state_of(&chosen[0]).await,
        "running",
        "the stopped instance was started again"
    );
    let after_first = w.record("run-half").await;
    assert_eq!(after_first.undo[0].state, UndoState::Undone);
    assert_eq!(
        after_first.undo[1].state,
        UndoState::NothingToUndo,
        "the FIS fault never started: nothing to stop"
    );

    let _ = recover::handle(&w.ports, &w.config, rollback)
        .await
        .unwrap();
    assert_eq!(
        w.record("run-half").await,
        after_first,
        "a second recover changes nothing"
    );

    let caught = CaughtError {
        error: error.asl_name().to_string(),
        cause: error.to_string(),
    };
    let state = validate::handle(
        &w.ports,
        &w.config,
        ValidateInput {
            state,
            error: Some(caught),
        },
    )
    .await
    .unwrap();
    assert_eq!(state.verdict.as_ref().unwrap().status, "ERRORED");
    let record = w.record("run-half").await;
    assert_eq!(record.status, RunStatus::Errored);
    assert!(
        record.verdict.unwrap().reasons[0]
            .starts_with("Gameday.InjectFailed: fault `fis-missing-template`")
    );
}

#[tokio::test]
async fn a_second_run_on_the_same_target_is_refused_and_withdrawn_consent_stops_inject() {
    let w = world().await;
    let first = prepare::handle(&w.ports, &w.config, input(api_experiment(), "run-a"))
        .await
        .unwrap();
    let result = prepare::handle(&w.ports, &w.config, input(api_experiment(), "run-b")).await;
    assert_eq!(asl_name(result), "Gameday.TargetLocked");
    let second = w.record("run-b").await;
    assert_eq!(second.status, RunStatus::Aborted);
    assert!(second.verdict.unwrap().reasons[0].contains("locked by run run-a"));

    // The owner removes the opt-in tag before the fault: inject refuses and touches nothing.
    let chosen = w.record("run-a").await.targets["api-instances"][0].clone();
    let ec2 = aws_sdk_ec2::Client::new(&w.sandbox.config);
    ec2.delete_tags()
        .resources(&chosen)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("gameday:allowed")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        asl_name(inject::handle(&w.ports, &w.config, first).await),
        "Gameday.TargetNotOptedIn"
    );
    assert_eq!(w.state_of(&chosen).await, "running");
    assert!(w.record("run-a").await.undo.is_empty());
}

#[test]
fn every_sample_event_is_a_valid_handler_input() {
    let read = |path: &str| {
        std::fs::read_to_string(format!("{}/../events/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    for path in ["prepare/inline-experiment.json", "prepare/by-name.json"] {
        let input: PrepareInput =
            serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        if let Some(experiment) = input.experiment {
            gameday_core::spec::load_experiment(path, &experiment.to_string()).unwrap();
        }
    }
    for path in [
        "inject/run-state.json",
        "observe/run-state.json",
        "recover/run-state.json",
        "recover/rollback.json",
    ] {
        let _: RunState =
            serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    for path in ["validate/run-state.json", "validate/after-error.json"] {
        let input: ValidateInput =
            serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(input.error.is_some(), path.contains("error"), "{path}");
    }
}
