//! The gate through whole jobs: Step Functions and DynamoDB are the sandbox's (moto runs the
//! ASL), CodePipeline is `aws-smithy-mocks` behind the real adapter, because moto does not
//! implement PutJobSuccessResult or PutJobFailureResult. The mocks record every request, so
//! each continuation token the gate returns is fed into the next call, as CodePipeline does.
//!
//! The sandbox cannot run the phase Lambdas, so small state machines stand in for the
//! deployed ones: their final state gives the output the gate reads (as the experiment and
//! suite machines do), and the tests write the run records the phases would have written.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_codepipeline::Client as PipelineClient;
use aws_sdk_codepipeline::operation::put_job_failure_result::{
    PutJobFailureResultInput, PutJobFailureResultOutput,
};
use aws_sdk_codepipeline::operation::put_job_success_result::{
    PutJobSuccessResultInput, PutJobSuccessResultOutput,
};
use aws_sdk_codepipeline::types::FailureType;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use chrono::{DateTime, Utc};
use gameday_aws::executions::SfnExecutions;
use gameday_aws::pipeline::CodePipelineJobs;
use gameday_aws::runs::{DynamoRunStore, RunStore};
use gameday_core::run::{RunRecord, RunStatus, Verdict};
use gameday_e2e::TestSandbox;
use pipeline_gate::{Gate, GateConfig};
use serde_json::{Value, json};

const EXPERIMENT: &str = "api-instance-failure";
const EVENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/pipeline-gate");

/// Ends with the output the experiment machine gives on a pass (its Validate's run state).
const PASSING_EXPERIMENT: &str = r#"{"StartAt": "Validate", "States": {
    "Validate": {"Type": "Pass", "Parameters": {"runId.$": "$.runId", "verdict": {"status": "PASSED"}}, "Next": "Observe"},
    "Observe": {"Type": "Wait", "Seconds": 3, "Next": "Passed"},
    "Passed": {"Type": "Succeed"}}}"#;
/// Ends like the experiment machine on a FAILED verdict.
const FAILING_EXPERIMENT: &str = r#"{"StartAt": "Observe", "States": {
    "Observe": {"Type": "Wait", "Seconds": 3, "Next": "ExperimentFailed"},
    "ExperimentFailed": {"Type": "Fail", "Error": "Gameday.ExperimentFailed", "Cause": "The verdict is FAILED; the run record lists every reason."}}}"#;
/// Ends with the suite machine's tally of two passed experiments.
const PASSING_SUITE: &str = r#"{"StartAt": "Tally", "States": {
    "Tally": {"Type": "Pass", "Parameters": {"experiments.$": "$.experiments", "verdicts": ["PASSED", "PASSED"], "anyNotPassed": false}, "Next": "SuitePassed"},
    "SuitePassed": {"Type": "Succeed"}}}"#;

/// The CodePipeline requests the gate made, in order.
#[derive(Clone, Default)]
struct Reported {
    successes: Arc<Mutex<Vec<PutJobSuccessResultInput>>>,
    failures: Arc<Mutex<Vec<PutJobFailureResultInput>>>,
}

impl Reported {
    fn last_success(&self) -> PutJobSuccessResultInput {
        self.successes
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a success was reported")
    }

    fn only_failure(&self) -> PutJobFailureResultInput {
        let failures = self.failures.lock().unwrap();
        assert_eq!(failures.len(), 1, "{failures:?}");
        failures[0].clone()
    }
}

struct World {
    sandbox: TestSandbox,
    gate: Gate<SfnExecutions, DynamoRunStore, CodePipelineJobs>,
    reported: Reported,
    _rules: [Rule; 2],
}

async fn world(experiment_definition: &str) -> World {
    let sandbox = TestSandbox::start().await;
    let runs = DynamoRunStore::new(aws_sdk_dynamodb::Client::new(&sandbox.config), "gameday");
    runs.ensure_table().await.unwrap();
    let experiment_arn = state_machine(&sandbox, "gameday-experiment", experiment_definition).await;
    let suite_arn = state_machine(&sandbox, "gameday-suite", PASSING_SUITE).await;

    let reported = Reported::default();
    let successes = reported.successes.clone();
    let success = mock!(PipelineClient::put_job_success_result).then_compute_output(move |r| {
        successes.lock().unwrap().push(r.clone());
        PutJobSuccessResultOutput::builder().build()
    });
    let failures = reported.failures.clone();
    let failure = mock!(PipelineClient::put_job_failure_result).then_compute_output(move |r| {
        failures.lock().unwrap().push(r.clone());
        PutJobFailureResultOutput::builder().build()
    });
    let client = mock_client!(
        aws_sdk_codepipeline,
        RuleMode::MatchAny,
        [&success, &failure]
    );
    let gate = Gate {
        executions: SfnExecutions::from_config(&sandbox.config),
        runs,
        pipeline: CodePipelineJobs::new(client),
        config: Ok(GateConfig {
            experiment_state_machine_arn: Some(experiment_arn),
            suite_state_machine_arn: Some(suite_arn),
            ..GateConfig::from_lookup(|_| None).unwrap()
        }),
    };
    World {
        sandbox,
        gate,
        reported,
        _rules: [success, failure],
    }
}

async fn state_machine(sandbox: &TestSandbox, name: &str, definition: &str) -> String {
    aws_sdk_sfn::Client::new(&sandbox.config)
        .create_state_machine()
        .name(name)
        .definition(definition)
        .role_arn("arn:aws:iam::123456789012:role/gameday-states")
        .send()
        .await
        .unwrap()
        .state_machine_arn()
        .to_string()
}

/// The sample event, for job `job_id`, with `user_parameters` and the continuation token.
fn job(job_id: &str, user_parameters: &str, token: Option<&str>) -> Value {
    let file = match token {
        None => "codepipeline-job.json",
        Some(_) => "codepipeline-job-continuation.json",
    };
    let text = std::fs::read_to_string(format!("{EVENTS}/{file}")).unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    let job = &mut event["CodePipeline.job"];
    job["id"] = json!(job_id);
    job["data"]["actionConfiguration"]["configuration"]["UserParameters"] = json!(user_parameters);
    match token {
        Some(token) => job["data"]["continuationToken"] = json!(token),
        None => assert!(job["data"].get("continuationToken").is_none()),
    }
    event
}

fn experiment_parameters() -> String {
    json!({"experiment": EXPERIMENT}).to_string()
}

/// A judged run of `experiment`, as the validate phase stores it.
async fn put_run(
    world: &World,
    experiment: &str,
    run_id: &str,
    created_at: DateTime<Utc>,
    status: RunStatus,
    recovery_seconds: f64,
    reasons: &[&str],
) {
    let mut record = RunRecord::new(run_id, experiment, "bookstore", created_at);
    record.status = status;
    record.recovery_seconds = Some(recovery_seconds);
    record.verdict = Some(Verdict {
        status,
        reasons: reasons.iter().map(|r| r.to_string()).collect(),
        decided_at: created_at,
    });
    world.gate.runs.create_run(&record).await.unwrap();
}

/// Three earlier passes recovering in 60, 70 and 80 s (baseline 70 s), and one failure.
async fn put_history(world: &World) {
    let now = Utc::now();
    for (days, recovery) in [(4, 60.0), (3, 80.0), (2, 70.0)] {
        let id = format!("{EXPERIMENT}-earlier-{days}");
        put_run(
            world,
            EXPERIMENT,
            &id,
            now - chrono::Duration::days(days),
            RunStatus::Passed,
            recovery,
            &[],
        )
        .await;
    }
    let failed = format!("{EXPERIMENT}-earlier-failed");
    put_run(
        world,
        EXPERIMENT,
        &failed,
        now - chrono::Duration::days(1),
        RunStatus::Failed,
        900.0,
        &["slow"],
    )
    .await;
}

impl World {
    /// The first call: returns the continuation token the gate reported.
    async fn start(&self, job_id: &str, user_parameters: &str) -> String {
        let result = self
            .gate
            .handle(&job(job_id, user_parameters, None), Utc::now())
            .await
            .unwrap();
        assert_eq!(result["result"], "IN_PROGRESS", "{result}");
        let reported = self.reported.last_success();
        assert_eq!(reported.job_id(), Some(job_id));
        assert!(reported.output_variables().is_none());
        reported
            .continuation_token()
            .expect("a continuation token")
            .to_string()
    }

    /// Calls again with `token`, as CodePipeline does, until the job is no longer in progress.
    async fn poll_to_the_end(&self, user_parameters: &str, token: &str) -> (Value, usize) {
        for call in 1..=40 {
            let job_id = format!("continuation-{call}");
            let result = self
                .gate
                .handle(&job(&job_id, user_parameters, Some(token)), Utc::now())
                .await
                .unwrap();
            if result["result"] != "IN_PROGRESS" {
                return (result, call);
            }
            assert_eq!(
                self.reported.last_success().continuation_token(),
                Some(token),
                "the same token while running"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("the execution did not end");
    }

    async fn execution(
        &self,
        arn: &str,
    ) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
        aws_sdk_sfn::Client::new(&self.sandbox.config)
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .unwrap()
    }
}

fn token_field(token: &str, field: &str) -> Value {
    serde_json::from_str::<Value>(token).unwrap()[field].clone()
}

#[tokio::test]
async fn start_then_poll_while_running_then_pass_with_output_variables() {
    let w = world(PASSING_EXPERIMENT).await;
    put_history(&w).await;
    let token = w.start("job-pass", &experiment_parameters()).await;
    let arn = token_field(&token, "executionArn");
    let arn = arn.as_str().unwrap();
    assert!(
        arn.ends_with(":execution:gameday-experiment:gate-job-pass"),
        "{arn}"
    );
    // The run id is named by the gate and given to the experiment machine.
    let input: Value = serde_json::from_str(w.execution(arn).await.input().unwrap()).unwrap();
    assert_eq!(
        input,
        json!({"experimentName": EXPERIMENT, "runId": "api-instance-failure-job-pass"})
    );
    // A retried first call follows the same execution.
    let retried = w.start("job-pass", &experiment_parameters()).await;
    assert_eq!(token_field(&retried, "executionArn"), arn);
    put_run(
        &w,
        EXPERIMENT,
        "api-instance-failure-job-pass",
        Utc::now(),
        RunStatus::Passed,
        75.0,
        &[],
    )
    .await;

    let (result, calls) = w.poll_to_the_end(&experiment_parameters(), &token).await;

    assert!(
        calls >= 2,
        "the first poll saw the execution running ({calls} calls)"
    );
    assert_eq!(result["result"], "SUCCEEDED", "{result}");
    let reported = w.reported.last_success();
    assert!(reported.continuation_token().is_none());
    let variables = reported.output_variables().unwrap();
    assert_eq!(variables["verdict"], "PASSED");
    assert_eq!(variables["recoverySeconds"], "75");
    assert_eq!(variables["runId"], "api-instance-failure-job-pass");
    let summary = reported.execution_details().unwrap().summary().unwrap();
    assert!(
        summary.contains("baseline 70 s from 3 runs, margin 20%"),
        "{summary}"
    );
    assert!(w.reported.failures.lock().unwrap().is_empty());
}

#[tokio::test]
async fn start_then_poll_then_fail_with_the_reasons_of_a_failed_experiment() {
    let w = world(FAILING_EXPERIMENT).await;
    let token = w.start("job-fail", &experiment_parameters()).await;
    put_run(
        &w,
        EXPERIMENT,
        "api-instance-failure-job-fail",
        Utc::now(),
        RunStatus::Failed,
        40.0,
        &["probe api-fleet-capacity: 2 running, expected at least 3"],
    )
    .await;

    let (result, _) = w.poll_to_the_end(&experiment_parameters(), &token).await;

    assert_eq!(result["result"], "FAILED", "{result}");
    let failure = w.reported.only_failure();
    let details = failure.failure_details().unwrap();
    assert_eq!(*details.r#type(), FailureType::JobFailed);
    for part in [
        "ended FAILED",
        "Gameday.ExperimentFailed",
        "run api-instance-failure-job-fail FAILED: probe api-fleet-capacity: 2 running",
    ] {
        assert!(
            details.message().contains(part),
            "`{part}` in {}",
            details.message()
        );
    }
}

#[tokio::test]
async fn a_pass_slower_than_the_baseline_by_more_than_the_margin_fails_with_both_numbers() {
    let w = world(PASSING_EXPERIMENT).await;
    put_history(&w).await;
    let token = w.start("job-slow", &experiment_parameters()).await;
    put_run(
        &w,
        EXPERIMENT,
        "api-instance-failure-job-slow",
        Utc::now(),
        RunStatus::Passed,
        120.0,
        &[],
    )
    .await;

    let (result, _) = w.poll_to_the_end(&experiment_parameters(), &token).await;

    assert_eq!(result["result"], "FAILED", "{result}");
    let message = w
        .reported
        .only_failure()
        .failure_details()
        .unwrap()
        .message()
        .to_string();
    for part in [
        "recovered in 120 s",
        "baseline of 70 s",
        "median of the last 3 passed runs",
        "20%",
    ] {
        assert!(message.contains(part), "`{part}` in {message}");
    }
}

#[tokio::test]
async fn bad_user_parameters_fail_the_job_with_the_field_and_start_nothing() {
    let w = world(PASSING_EXPERIMENT).await;
    let result = w
        .gate
        .handle(
            &job("job-bad", r#"{"experimentName": "api"}"#, None),
            Utc::now(),
        )
        .await
        .unwrap();

    assert_eq!(result["result"], "FAILED");
    let failure = w.reported.only_failure();
    let details = failure.failure_details().unwrap();
    assert_eq!(*details.r#type(), FailureType::ConfigurationError);
    assert!(
        details.message().contains("unknown field `experimentName`"),
        "{}",
        details.message()
    );
    assert!(
        details
            .message()
            .contains(r#"{"experiment": "<metadata.name>"}"#)
    );
    assert!(w.reported.successes.lock().unwrap().is_empty());
    let config = w.gate.config.as_ref().unwrap();
    let executions = aws_sdk_sfn::Client::new(&w.sandbox.config)
        .list_executions()
        .state_machine_arn(config.experiment_state_machine_arn.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert!(executions.executions().is_empty());
}

#[tokio::test]
async fn a_job_running_past_the_gate_timeout_fails_as_timed_out() {
    let w = world(PASSING_EXPERIMENT).await;
    let token = w.start("job-late", &experiment_parameters()).await;
    let later = Utc::now() + chrono::Duration::minutes(61);

    let result = w
        .gate
        .handle(
            &job("job-late-2", &experiment_parameters(), Some(&token)),
            later,
        )
        .await
        .unwrap();

    assert_eq!(result["result"], "FAILED", "{result}");
    let message = w
        .reported
        .only_failure()
        .failure_details()
        .unwrap()
        .message()
        .to_string();
    assert!(message.starts_with("timed out"), "{message}");
    assert!(message.contains("more than 60 minutes"), "{message}");
}

#[tokio::test]
async fn a_suite_passes_when_its_tally_and_every_run_record_passed() {
    let w = world(PASSING_EXPERIMENT).await;
    let parameters =
        json!({"service": "bookstore", "experiments": [EXPERIMENT, "database-failure"]})
            .to_string();
    let result = w
        .gate
        .handle(&job("job-suite", &parameters, None), Utc::now())
        .await
        .unwrap();
    assert_eq!(result["result"], "IN_PROGRESS", "{result}");
    let token = w
        .reported
        .last_success()
        .continuation_token()
        .unwrap()
        .to_string();
    let arn = token_field(&token, "executionArn");
    let input: Value =
        serde_json::from_str(w.execution(arn.as_str().unwrap()).await.input().unwrap()).unwrap();
    assert_eq!(
        input["experiments"][1],
        json!({"experimentName": "database-failure", "runId": "database-failure-job-suite"})
    );
    put_run(
        &w,
        EXPERIMENT,
        "api-instance-failure-job-suite",
        Utc::now(),
        RunStatus::Passed,
        30.0,
        &[],
    )
    .await;
    put_run(
        &w,
        "database-failure",
        "database-failure-job-suite",
        Utc::now(),
        RunStatus::Passed,
        90.0,
        &[],
    )
    .await;

    let (result, _) = w.poll_to_the_end(&parameters, &token).await;

    assert_eq!(result["result"], "SUCCEEDED", "{result}");
    let variables = w
        .reported
        .last_success()
        .output_variables()
        .unwrap()
        .clone();
    assert_eq!(variables["recoverySeconds"], "90", "the slowest run");
    assert_eq!(
        variables["runId"],
        "api-instance-failure-job-suite,database-failure-job-suite"
    );
}
