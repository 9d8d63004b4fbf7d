//! The fault matrix: each AWS call of a scenario fails in turn, and the run must still end
//! well. A scenario first runs clean to count and name its calls; then, for each chosen call
//! N, the sandbox is reset and re-seeded, the scenario runs with call N failing (see
//! `support/faults.rs`: 503 without effect, or applied with the response lost), and the
//! invariants (`support/invariants.rs`) are checked through a clean client.
//!
//! `cargo test -p gameday-e2e --test fault_matrix -- --nocapture` prints the matrix.
//! `GAMEDAY_FAULT_MATRIX=full` fails every call (`benches/fault-matrix/run.sh`); CI runs a
//! subset (see `support/fault_matrix.rs`).

use std::sync::Arc;

use aws_config::SdkConfig;
use failover::{Deps, FilePolicies, ManualTimer, eventbridge_alarm_event};
use futures::FutureExt;
use futures::future::BoxFuture;
use gameday_aws::AwsClients;
use gameday_aws::buckets::S3Buckets;
use gameday_aws::database::RdsFailover;
use gameday_aws::dns::Route53Dns;
use gameday_aws::ledger::{DynamoLedger, FailoverLedger};
use gameday_aws::runs::RunStore;
use gameday_aws::sandbox_seed::{BookstoreFleet, seed_bookstore};
use gameday_core::failover::{FailoverFile, load_failover_file};
use gameday_e2e::TestSandbox;
use gameday_e2e::bookstore::{API_RTO_SECONDS, TABLE, api_experiment, tuesday_afternoon};
use gameday_e2e::fault_matrix::{Case, CiSubset, Coverage, Matrix};
use gameday_e2e::faults::{FaultPlan, faulty_config};
use gameday_e2e::invariants::{
    FailoverEvidence, RunEvidence, failover_lock, failover_violations, locks_of, run_violations,
    span,
};
use gameday_engine::{Engine, LocalFunctions, TaskFailure, TaskInvoker, VirtualClock};
use gameday_phases::PhaseConfig;
use gameday_phases::lambda::AwsPorts;
use gameday_runner::{experiment_machine, phase_functions};
use serde_json::{Value, json};

const RUN_ID: &str = "fault-matrix-run";
const FAILOVER_SERVICE: &str = "bookstore-api";
const FAILOVER_ALARM: &str = "bookstore-api-unhealthy";

/// A fresh Bookstore world in the same sandbox: everything from the last case is dropped.
async fn reseed(sandbox: &TestSandbox) -> BookstoreFleet {
    sandbox.sandbox.reset().expect("the sandbox resets");
    seed_bookstore(&sandbox.config, sandbox.endpoint_url(), TABLE)
        .await
        .expect("the Bookstore world is seeded")
}

/// Runs every chosen case of a scenario; `run_case` returns (outcome, violations).
async fn matrix<F>(scenario: &str, sandbox: &TestSandbox, coverage: Coverage, run_case: F) -> Matrix
where
    F: AsyncFn(&TestSandbox, Arc<FaultPlan>) -> (String, Vec<String>),
{
    let clean = FaultPlan::counting();
    let started = std::time::Instant::now();
    let (outcome, violations) = run_case(sandbox, clean.clone()).await;
    eprintln!(
        "{scenario}: clean run -> {outcome} in {:.1?}",
        started.elapsed()
    );
    let calls = clean.calls();
    assert!(
        violations.is_empty(),
        "{scenario}: the clean run ({outcome}) already breaks an invariant: {violations:?}"
    );
    let mut matrix = Matrix::new(scenario, calls.len(), coverage);
    for (index, number) in coverage.chosen(&calls).into_iter().enumerate() {
        for kind in coverage.kinds(index) {
            let plan = FaultPlan::failing(number, kind);
            let started = std::time::Instant::now();
            let (outcome, mut violations) = run_case(sandbox, plan.clone()).await;
            // Up to the failed call, a case repeats the clean run call for call.
            let expected = &calls[number - 1];
            let call = match plan.failed_call() {
                Some(call) if call.operation == expected.operation => call,
                made => {
                    violations.push(format!(
                        "call {number} is {made:?} here but {} in the clean run: the run diverged before it",
                        expected.operation
                    ));
                    expected.clone()
                }
            };
            eprintln!(
                "{scenario}: call {number} {} ({}) -> {outcome} in {:.1?}",
                call.operation,
                kind.label(),
                started.elapsed()
            );
            matrix.cases.push(Case {
                call,
                kind,
                outcome,
                violations,
            });
        }
    }
    matrix.print();
    matrix
}

/// The phase functions, naming each call after the phase that makes it.
struct NamedPhases<'a> {
    functions: &'a LocalFunctions,
    plan: &'a FaultPlan,
}

impl TaskInvoker for NamedPhases<'_> {
    fn invoke<'a>(
        &'a self,
        resource: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, TaskFailure>> {
        let function = input["FunctionName"].as_str().unwrap_or("?").to_string();
        let context = if input["Payload"]["rollback"] == true {
            format!("{function} (rollback)")
        } else {
            function
        };
        self.plan.set_context(&context);
        async move { self.functions.invoke(resource, input).await }.boxed()
    }
}

/// The API instance failure experiment end to end, with `plan` under every phase's calls.
async fn experiment_case(sandbox: &TestSandbox, plan: Arc<FaultPlan>) -> (String, Vec<String>) {
    let fleet = reseed(sandbox).await;
    let faulty = faulty_config(&sandbox.config, plan.clone());
    let clock = VirtualClock::new(tuesday_afternoon());
    let ports = Arc::new(AwsPorts {
        clients: AwsClients::new(&faulty, TABLE),
        dns: Route53Dns::from_config(&faulty),
        clock: clock.clone(),
    });
    let config = PhaseConfig {
        topic_arn: Some(fleet.topic_arn.clone()),
        ..PhaseConfig::default()
    };
    let lock_span = {
        let experiment =
            gameday_core::spec::load_experiment("api.yaml", &api_experiment().to_string()).unwrap();
        experiment.observe.duration.as_duration()
            + experiment.recovery.timeout.as_duration()
            + config.lock_margin
    };
    let functions = phase_functions(ports, Arc::new(config));
    let invoker = NamedPhases {
        functions: &functions,
        plan: &plan,
    };
    let input =
        json!({"runId": RUN_ID, "experiment": api_experiment(), "rtoSeconds": API_RTO_SECONDS});
    let execution = Engine::new(&invoker, &clock)
        .execute(&experiment_machine().unwrap(), RUN_ID, input)
        .await;

    let clean = sandbox.clients(TABLE);
    let record = clean
        .runs
        .get_run(RUN_ID)
        .await
        .expect("the record can be read");
    let evidence = RunEvidence {
        touched: not_running(&sandbox.config, &fleet).await,
        locks: locks_of(
            &aws_sdk_dynamodb::Client::new(&sandbox.config),
            TABLE,
            RUN_ID,
        )
        .await,
        lock_bound: execution.stopped_at + span(lock_span),
        failed_during: plan.failed_call().map(|c| c.context).unwrap_or_default(),
        task_errors: execution
            .history
            .iter()
            .filter(|e| e.kind == "TaskFailed")
            .filter_map(|e| e.details["error"].as_str().map(String::from))
            .collect(),
        record,
    };
    let outcome = evidence
        .record
        .as_ref()
        .map_or("NO RECORD".to_string(), |r| r.status.to_string());
    (outcome, run_violations(&evidence))
}

/// The fleet's instances (opted in or not) that are no longer running.
async fn not_running(config: &SdkConfig, fleet: &BookstoreFleet) -> Vec<String> {
    let ids: Vec<String> = fleet
        .opted_in
        .iter()
        .chain(&fleet.not_opted_in)
        .cloned()
        .collect();
    let output = aws_sdk_ec2::Client::new(config)
        .describe_instances()
        .set_instance_ids(Some(ids))
        .send()
        .await
        .expect("the fleet can be described");
    output
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str()) != Some("running"))
        .filter_map(|i| i.instance_id().map(String::from))
        .collect()
}

fn bookstore_policies() -> FailoverFile {
    let text = include_str!("../examples/bookstore/failover.yaml");
    load_failover_file("failover.yaml", text).expect("the Bookstore failover file loads")
}

/// The API primary is lost (terminated) and its alarm fires: the failover handler, with
/// `plan` under every call, relaunches from the template and moves the A record.
async fn failover_case(sandbox: &TestSandbox, plan: Arc<FaultPlan>) -> (String, Vec<String>) {
    let fleet = reseed(sandbox).await;
    let ec2 = aws_sdk_ec2::Client::new(&sandbox.config);
    ec2.terminate_instances()
        .instance_ids(&fleet.primary)
        .send()
        .await
        .expect("the primary is terminated");
    let faulty = faulty_config(&sandbox.config, plan.clone());
    let alarm_at = chrono::Utc::now() - chrono::Duration::seconds(60);
    let started = alarm_at + chrono::Duration::seconds(60);
    let naming = plan.clone();
    let deps = Deps {
        compute: gameday_aws::launch::Ec2Failover::from_config(&faulty),
        dns: Route53Dns::from_config(&faulty),
        ledger: DynamoLedger::from_config(&faulty, TABLE),
        notifier: gameday_aws::notify::SnsNotifier::new(aws_sdk_sns::Client::new(&faulty)),
        http: gameday_aws::http_check::ReqwestHttpChecker::new(),
        database: RdsFailover::from_config(&faulty),
        buckets: S3Buckets::from_config(&faulty),
        timer: Arc::new(ManualTimer::new(started)),
        default_topic: Some(fleet.topic_arn.clone()),
        observer: Some(Arc::new(move |_, step| {
            naming.set_context(&format!("after {}", step.step));
        })),
    };
    plan.set_context("start");
    let file = bookstore_policies();
    let event = eventbridge_alarm_event(
        FAILOVER_ALARM,
        "us-west-2",
        "123456789012",
        alarm_at,
        "fault matrix",
    );
    let report = deps
        .handle(&FilePolicies(file.clone()), &event)
        .await
        .expect("the event names a policy");
    assert_eq!(report.entries.len(), 1, "{report:#?}");

    let policy = file.policy_for_alarm(FAILOVER_ALARM).unwrap();
    let lock_bound =
        started + span(policy.max_duration().as_duration() + policy.cooldown.as_duration());
    let dynamodb = aws_sdk_dynamodb::Client::new(&sandbox.config);
    let evidence = FailoverEvidence {
        ledger: DynamoLedger::from_config(&sandbox.config, TABLE)
            .entries(FAILOVER_SERVICE, 10)
            .await
            .expect("the ledger can be read"),
        record_values: api_record(&sandbox.config, &fleet.zone_id).await,
        old_address: fleet.primary_address.clone(),
        running_addresses: running_addresses(&ec2).await,
        lock_blocked_until: failover_lock(&dynamodb, TABLE, FAILOVER_SERVICE).await,
        lock_bound,
    };
    let outcome = evidence
        .ledger
        .first()
        .map_or("NO ENTRY".to_string(), |e| e.outcome.as_str().to_string());
    (outcome, failover_violations(&evidence))
}

async fn api_record(config: &SdkConfig, zone_id: &str) -> Vec<String> {
    let name = gameday_aws::sandbox_seed::BOOKSTORE_API_RECORD;
    let output = aws_sdk_route53::Client::new(config)
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .send()
        .await
        .expect("the zone's records can be listed");
    output
        .resource_record_sets()
        .iter()
        .filter(|s| s.name().trim_end_matches('.') == name && s.r#type().as_str() == "A")
        .flat_map(|s| s.resource_records().iter().map(|r| r.value().to_string()))
        .collect()
}

async fn running_addresses(ec2: &aws_sdk_ec2::Client) -> Vec<String> {
    let output = ec2
        .describe_instances()
        .send()
        .await
        .expect("instances can be described");
    output
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str()) == Some("running"))
        .filter_map(|i| i.public_ip_address().map(String::from))
        .collect()
}

#[tokio::test]
async fn every_experiment_call_failing_in_turn_keeps_the_run_safe() {
    let sandbox = TestSandbox::start().await;
    let coverage = Coverage::from_env(CiSubset::FirstInvocationOfEachPhase);
    let matrix = matrix(
        "experiment api-instance-failure",
        &sandbox,
        coverage,
        experiment_case,
    )
    .await;
    matrix.assert_invariants();
}

#[tokio::test]
async fn every_failover_call_failing_in_turn_keeps_dns_and_the_ledger_right() {
    let sandbox = TestSandbox::start().await;
    let coverage = Coverage::from_env(CiSubset::Every);
    let matrix = matrix(
        "failover bookstore-api (primary lost)",
        &sandbox,
        coverage,
        failover_case,
    )
    .await;
    matrix.assert_invariants();
}
