//! The AWS adapters against the sandbox: real SDK calls, real conditional writes.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use gameday_aws::alarms::{AlarmReader, MetricReader};
use gameday_aws::config::CallTimeouts;
use gameday_aws::instances::InstanceDirectory;
use gameday_aws::parameters::ParameterStore;
use gameday_aws::runs::{LockStore, RunStore};
use gameday_aws::sandbox_seed::seed_bookstore;
use gameday_aws::{AwsClients, AwsError, SdkSettings};
use gameday_core::duration::IsoDuration;
use gameday_core::run::{Phase, RunRecord, RunStatus};
use gameday_core::spec::{Comparison, InstanceSelector, MetricProbe, Statistic};
use gameday_e2e::TestSandbox;

const TABLE: &str = "gameday-test";

fn api_selector() -> InstanceSelector {
    InstanceSelector {
        tags: BTreeMap::from([
            ("service".to_string(), "bookstore".to_string()),
            ("role".to_string(), "api".to_string()),
        ]),
        instance_ids: vec![],
        availability_zones: vec![],
    }
}

#[tokio::test]
async fn instances_are_found_by_tags_ids_and_zone() {
    let sandbox = TestSandbox::start().await;
    let fleet = seed_bookstore(&sandbox.config, sandbox.endpoint_url(), TABLE)
        .await
        .unwrap();
    let clients = sandbox.clients(TABLE);

    let found = clients
        .instances
        .find_instances(&api_selector())
        .await
        .unwrap();
    assert_eq!(found.len(), 5);
    let opted_in: Vec<&str> = found
        .iter()
        .filter(|i| i.is_opted_in())
        .map(|i| i.instance_id.as_str())
        .collect();
    let mut expected: Vec<&str> = fleet.opted_in.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(opted_in, expected);
    assert!(
        found
            .iter()
            .all(|i| i.state == "running" && i.availability_zone.starts_with("us-west-2"))
    );

    let by_id = InstanceSelector {
        instance_ids: vec![fleet.not_opted_in[0].clone()],
        ..api_selector()
    };
    let one = clients.instances.find_instances(&by_id).await.unwrap();
    assert_eq!(one.len(), 1);
    assert!(!one[0].is_opted_in());

    let elsewhere = InstanceSelector {
        availability_zones: vec!["us-west-2z".into()],
        ..api_selector()
    };
    assert!(
        clients
            .instances
            .find_instances(&elsewhere)
            .await
            .unwrap()
            .is_empty()
    );
    let other_tags = InstanceSelector {
        tags: BTreeMap::from([("role".to_string(), "db".to_string())]),
        ..api_selector()
    };
    assert!(
        clients
            .instances
            .find_instances(&other_tags)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn kill_switch_parameter_reads_missing_as_none() {
    let sandbox = TestSandbox::start().await;
    let parameters = sandbox.clients(TABLE).parameters;
    assert_eq!(
        parameters
            .get_parameter("/gameday/kill-switch")
            .await
            .unwrap(),
        None
    );
    parameters
        .put_parameter("/gameday/kill-switch", "off")
        .await
        .unwrap();
    parameters
        .put_parameter("/gameday/kill-switch", "on")
        .await
        .unwrap();
    assert_eq!(
        parameters
            .get_parameter("/gameday/kill-switch")
            .await
            .unwrap()
            .as_deref(),
        Some("on")
    );
}

#[tokio::test]
async fn alarm_states_and_metric_statistics_go_through_cloudwatch() {
    let sandbox = TestSandbox::start().await;
    seed_bookstore(&sandbox.config, sandbox.endpoint_url(), TABLE)
        .await
        .unwrap();
    let alarms = sandbox.clients(TABLE).alarms;
    let names = vec![
        "bookstore-api-5xx-high".to_string(),
        "no-such-alarm".to_string(),
    ];
    let states = alarms.alarm_states(&names).await.unwrap();
    assert_eq!(states["bookstore-api-5xx-high"].as_deref(), Some("OK"));
    assert_eq!(states["no-such-alarm"], None);

    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sandbox.config);
    cloudwatch
        .set_alarm_state()
        .alarm_name("bookstore-api-5xx-high")
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("test")
        .send()
        .await
        .unwrap();
    let states = alarms.alarm_states(&names[..1]).await.unwrap();
    assert_eq!(states["bookstore-api-5xx-high"].as_deref(), Some("ALARM"));

    let now = Utc::now();
    let datum = aws_sdk_cloudwatch::types::MetricDatum::builder()
        .metric_name("Latency")
        .dimensions(
            aws_sdk_cloudwatch::types::Dimension::builder()
                .name("Service")
                .value("api")
                .build(),
        )
        .value(42.5)
        .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
            now.timestamp() - 30,
        ))
        .build();
    cloudwatch
        .put_metric_data()
        .namespace("Bookstore")
        .metric_data(datum)
        .send()
        .await
        .unwrap();
    let probe = MetricProbe {
        name: "latency".into(),
        namespace: "Bookstore".into(),
        metric: "Latency".into(),
        dimensions: BTreeMap::from([("Service".to_string(), "api".to_string())]),
        statistic: Statistic::Maximum,
        period: IsoDuration::from_secs(60),
        comparison: Comparison::LessThanThreshold,
        threshold: 100.0,
    };
    assert_eq!(
        alarms.latest_statistic(&probe, now).await.unwrap(),
        Some(42.5)
    );
    let silent = MetricProbe {
        metric: "Nothing".into(),
        ..probe
    };
    assert_eq!(alarms.latest_statistic(&silent, now).await.unwrap(), None);
}

#[tokio::test]
async fn run_records_are_written_conditionally() {
    let sandbox = TestSandbox::start().await;
    let runs = sandbox.clients(TABLE).runs;
    runs.ensure_table().await.unwrap();
    runs.ensure_table().await.unwrap();

    let now = Utc::now();
    let mut record = RunRecord::new("run-1", "api-instance-failure", "bookstore", now);
    record.start_phase(Phase::Prepare, now);
    runs.create_run(&record).await.unwrap();
    assert!(matches!(
        runs.create_run(&record).await,
        Err(AwsError::Conflict { .. })
    ));

    let mut stored = runs.get_run("run-1").await.unwrap().unwrap();
    assert_eq!(stored, record);
    stored.transition(RunStatus::Running, now).unwrap();
    runs.save_run(&mut stored).await.unwrap();
    assert_eq!(stored.version, 1);

    // A writer that read version 0 must not overwrite version 1.
    let mut stale = record.clone();
    stale.transition(RunStatus::Aborted, now).unwrap();
    let error = runs.save_run(&mut stale).await.unwrap_err();
    assert!(
        matches!(error, AwsError::Conflict { expected: 0, .. }),
        "{error}"
    );
    assert_eq!(stale.version, 0, "a failed save leaves the version as read");

    let reread = runs.get_run("run-1").await.unwrap().unwrap();
    assert_eq!(reread.status, RunStatus::Running);
    assert_eq!(reread.version, 1);
    assert_eq!(runs.get_run("missing").await.unwrap(), None);
}

#[tokio::test]
async fn locks_admit_one_run_per_target() {
    let sandbox = TestSandbox::start().await;
    let runs = sandbox.clients(TABLE).runs;
    runs.ensure_table().await.unwrap();
    let now = Utc::now();
    let later = now + Duration::minutes(30);

    runs.acquire_lock("i-1", "run-a", later, now).await.unwrap();
    runs.acquire_lock("i-1", "run-a", later, now)
        .await
        .expect("the holder may take it again (retries)");
    let error = runs
        .acquire_lock("i-1", "run-b", later, now)
        .await
        .unwrap_err();
    assert_eq!(error.asl_name(), "Gameday.TargetLocked");
    assert!(
        matches!(&error, AwsError::TargetLocked { holder, .. } if holder == "run-a"),
        "{error}"
    );
    assert!(
        runs.release_lock("i-1", "run-b").await.is_err(),
        "only the holder releases"
    );
    runs.release_lock("i-1", "run-a").await.unwrap();
    runs.release_lock("i-1", "run-a")
        .await
        .expect("releasing twice is harmless");
    runs.acquire_lock("i-1", "run-b", later, now).await.unwrap();

    // An expired lock is taken over.
    runs.acquire_lock(
        "i-2",
        "run-a",
        now - Duration::minutes(1),
        now - Duration::minutes(40),
    )
    .await
    .unwrap();
    runs.acquire_lock("i-2", "run-c", later, now).await.unwrap();
}

/// Runs bigger than a 1 MB query page in total: `recent_runs` reads every page up to its
/// limit (history, schedule list, playbook evidence and the gate's baseline all read it).
#[tokio::test]
async fn recent_runs_follow_every_page_up_to_the_limit() {
    let sandbox = TestSandbox::start().await;
    let runs = sandbox.clients(TABLE).runs;
    runs.ensure_table().await.unwrap();
    const STORED: usize = 150;
    let start = Utc::now() - Duration::days(30);
    // About 12 KB a record: 150 of them are about 1.8 MB, two pages or more.
    let instances: Vec<String> = (0..480).map(|n| format!("i-{n:017x}")).collect();
    for n in 0..STORED {
        let mut record = RunRecord::new(
            format!("run-{n:03}"),
            "big-experiment",
            "bookstore",
            start + Duration::minutes(n as i64),
        );
        record.targets.insert("api".into(), instances.clone());
        runs.create_run(&record).await.unwrap();
    }

    // The data does cross a page: one query of the index stops before the end.
    let one_page = aws_sdk_dynamodb::Client::new(&sandbox.config)
        .query()
        .table_name(TABLE)
        .index_name("byExperiment")
        .key_condition_expression("gsi1pk = :experiment")
        .expression_attribute_values(
            ":experiment",
            aws_sdk_dynamodb::types::AttributeValue::S("EXP#big-experiment".into()),
        )
        .send()
        .await
        .unwrap();
    assert!(
        one_page.items().len() < STORED && one_page.last_evaluated_key().is_some(),
        "one page held {} of {STORED} runs",
        one_page.items().len()
    );

    let all = runs.recent_runs("big-experiment", 1000).await.unwrap();
    assert_eq!(all.len(), STORED, "every page is read");
    assert_eq!(all[0].run_id, "run-149", "newest first");
    assert_eq!(all[STORED - 1].run_id, "run-000");

    let some = runs.recent_runs("big-experiment", 130).await.unwrap();
    let ids: Vec<&str> = some.iter().map(|r| r.run_id.as_str()).collect();
    let expected: Vec<String> = (20..STORED).rev().map(|n| format!("run-{n:03}")).collect();
    assert_eq!(ids, expected, "the newest 130, across the page boundary");
    assert!(
        runs.recent_runs("big-experiment", 0)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A stalled endpoint (the connection is accepted and never answered) does not hold a call
/// for ever: it ends as transient, naming the service and the operation, once the call's
/// timeouts pass, so the state machine's Retry and Catch can act.
#[tokio::test]
async fn a_stalled_endpoint_ends_the_call_as_transient() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    // Holds every connection open without a byte of answer.
    std::thread::spawn(move || {
        let _held: Vec<_> = listener.incoming().collect();
    });
    let settings = SdkSettings {
        endpoint_url: Some(endpoint),
        region: Some("us-west-2".into()),
        timeouts: Some(CallTimeouts {
            connect: std::time::Duration::from_secs(1),
            operation: std::time::Duration::from_secs(2),
        }),
    };
    let clients = AwsClients::load(&settings, TABLE).await;
    let error = clients
        .parameters
        .get_parameter("/gameday/kill-switch")
        .await
        .unwrap_err();
    assert_eq!(error.asl_name(), "Gameday.Transient", "{error}");
    assert_eq!(error.code(), Some("Timeout"), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("ssm:GetParameter failed for now (Timeout)"),
        "{error}"
    );
}
