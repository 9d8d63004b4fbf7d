//! Alarm-driven failover end to end against the sandbox: the handler from
//! `functions/failover` with the real adapters, a manual clock (so health waits take no
//! time), the Bookstore policy file, and an SQS queue subscribed to the failover topic.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ec2::types::{
    InstanceType, RequestLaunchTemplateData, ResourceType, Tag, TagSpecification,
};
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use chrono::{DateTime, Utc};
use failover::{Deps, FilePolicies, ManualTimer, eventbridge_alarm_event};
use gameday_aws::buckets::S3Buckets;
use gameday_aws::database::RdsFailover;
use gameday_aws::dns::Route53Dns;
use gameday_aws::http_check::ReqwestHttpChecker;
use gameday_aws::launch::Ec2Failover;
use gameday_aws::ledger::{DynamoLedger, FailoverLedger};
use gameday_aws::notify::SnsNotifier;
use gameday_aws::runs::DynamoRunStore;
use gameday_core::failover::{
    LedgerEntry, Outcome, QUARANTINE_TAG_KEY, Step, StepStatus, load_failover_file,
};
use gameday_e2e::{SnsEnvelope, TestSandbox, receive_json, subscribe_queue};
use serde_json::{Value, json};

const TABLE: &str = "gameday";
const ZONE: &str = "bookstore.example.com";
const API_RECORD: &str = "api.bookstore.example.com";
const DB_RECORD: &str = "db.bookstore.example.com";
const CDN_RECORD: &str = "cdn.bookstore.example.com";
const POLICY_FILE: &str = include_str!("../examples/bookstore/failover.yaml");
const PRIMARY_TAGS: [(&str, &str); 3] = [
    ("service", "bookstore"),
    ("role", "api"),
    ("failover", "primary"),
];

type SandboxDeps = Deps<
    Ec2Failover,
    Route53Dns,
    DynamoLedger,
    SnsNotifier,
    ReqwestHttpChecker,
    RdsFailover,
    S3Buckets,
>;

struct World {
    sandbox: TestSandbox,
    deps: SandboxDeps,
    timer: Arc<ManualTimer>,
    zone_id: String,
    queue_url: String,
    /// When the alarm fired; the handler's clock starts one minute later.
    alarm_at: DateTime<Utc>,
}

/// A minute ago, to the millisecond (snapshot and metric times in the sandbox are real times).
fn alarm_time() -> DateTime<Utc> {
    let now = Utc::now() - chrono::Duration::seconds(60);
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap()
}

async fn world() -> World {
    let sandbox = TestSandbox::start().await;
    DynamoRunStore::new(aws_sdk_dynamodb::Client::new(&sandbox.config), TABLE)
        .ensure_table()
        .await
        .unwrap();
    let topic_arn = aws_sdk_sns::Client::new(&sandbox.config)
        .create_topic()
        .name("gameday-failover")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let queue_url = subscribe_queue(&sandbox.config, &topic_arn).await;
    let zone_id = aws_sdk_route53::Client::new(&sandbox.config)
        .create_hosted_zone()
        .name(ZONE)
        .caller_reference(uuid_like())
        .send()
        .await
        .unwrap()
        .hosted_zone()
        .unwrap()
        .id()
        .trim_start_matches("/hostedzone/")
        .to_string();
    let alarm_at = alarm_time();
    let timer = Arc::new(ManualTimer::new(alarm_at + chrono::Duration::seconds(60)));
    let clients = sandbox.clients(TABLE);
    let config = &sandbox.config;
    let deps = Deps {
        compute: Ec2Failover::from_config(config),
        dns: Route53Dns::from_config(config),
        ledger: DynamoLedger::from_config(config, TABLE),
        notifier: clients.notifier.clone(),
        http: clients.http.clone(),
        database: RdsFailover::from_config(config),
        buckets: S3Buckets::from_config(config),
        timer: timer.clone(),
        default_topic: Some(topic_arn),
        observer: None,
    };
    World {
        sandbox,
        deps,
        timer,
        zone_id,
        queue_url,
        alarm_at,
    }
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    )
}

fn policies(text: &str) -> FilePolicies {
    FilePolicies(
        load_failover_file("failover.yaml", text).unwrap_or_else(|e| {
            panic!(
                "{}",
                e.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        }),
    )
}

fn event(world: &World, alarm: &str) -> Value {
    eventbridge_alarm_event(
        alarm,
        "us-west-2",
        "123456789012",
        world.alarm_at,
        "test: alarm fired",
    )
}

/// The SNS shape of the same alarm (the fixture, renamed and re-timed).
fn sns_event(alarm: &str, at: DateTime<Utc>) -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../events/failover/sns-alarm-notification.json"
    );
    let mut payload: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut message: Value =
        serde_json::from_str(payload["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
    message["AlarmName"] = alarm.into();
    message["StateChangeTime"] = at.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string().into();
    payload["Records"][0]["Sns"]["Message"] = message.to_string().into();
    payload
}

fn ec2(world: &World) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&world.sandbox.config)
}

async fn base_image(world: &World) -> String {
    ec2(world)
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .unwrap()
        .images()
        .iter()
        .find_map(|i| i.image_id().map(String::from))
        .unwrap()
}

async fn launch(world: &World, image: &str, tags: &[(&str, &str)]) -> String {
    let spec = TagSpecification::builder()
        .resource_type(ResourceType::Instance)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .build();
    ec2(world)
        .run_instances()
        .image_id(image)
        .instance_type(InstanceType::T2Micro)
        .min_count(1)
        .max_count(1)
        .tag_specifications(spec)
        .send()
        .await
        .unwrap()
        .instances()[0]
        .instance_id()
        .unwrap()
        .to_string()
}

async fn instance(world: &World, id: &str) -> aws_sdk_ec2::types::Instance {
    ec2(world)
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .unwrap()
        .reservations()[0]
        .instances()[0]
        .clone()
}

async fn public_ip(world: &World, id: &str) -> String {
    instance(world, id)
        .await
        .public_ip_address()
        .expect("sandbox instances get a public address")
        .to_string()
}

async fn all_instance_ids(world: &World) -> Vec<String> {
    let mut ids: Vec<String> = ec2(world)
        .describe_instances()
        .send()
        .await
        .unwrap()
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.instance_id().map(String::from))
        .collect();
    ids.sort();
    ids
}

/// An AMI made from `from`, tagged as given.
async fn image(world: &World, from: &str, name: &str, tags: &[(&str, &str)]) -> String {
    let id = ec2(world)
        .create_image()
        .instance_id(from)
        .name(name)
        .send()
        .await
        .unwrap()
        .image_id()
        .unwrap()
        .to_string();
    if !tags.is_empty() {
        ec2(world)
            .create_tags()
            .resources(&id)
            .set_tags(Some(
                tags.iter()
                    .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                    .collect(),
            ))
            .send()
            .await
            .unwrap();
    }
    // The sandbox reports CreationDate to the whole second; keep the images a second apart
    // so that "newest" is well defined.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    id
}

async fn launch_template(world: &World, image: &str) {
    ec2(world)
        .create_launch_template()
        .launch_template_name("bookstore-api-ec2")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(image)
                .instance_type(InstanceType::T2Micro)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

async fn upsert(world: &World, name: &str, kind: RrType, value: &str) {
    let set = ResourceRecordSet::builder()
        .name(name)
        .r#type(kind)
        .ttl(60)
        .resource_records(ResourceRecord::builder().value(value).build().unwrap())
        .build()
        .unwrap();
    aws_sdk_route53::Client::new(&world.sandbox.config)
        .change_resource_record_sets()
        .hosted_zone_id(&world.zone_id)
        .change_batch(
            ChangeBatch::builder()
                .changes(
                    Change::builder()
                        .action(ChangeAction::Upsert)
                        .resource_record_set(set)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

async fn record(world: &World, name: &str, kind: RrType) -> Vec<String> {
    aws_sdk_route53::Client::new(&world.sandbox.config)
        .list_resource_record_sets()
        .hosted_zone_id(&world.zone_id)
        .start_record_name(name)
        .start_record_type(kind.clone())
        .max_items(1)
        .send()
        .await
        .unwrap()
        .resource_record_sets()
        .iter()
        .filter(|s| s.name().trim_end_matches('.') == name && *s.r#type() == kind)
        .flat_map(|s| s.resource_records().iter().map(|r| r.value().to_string()))
        .collect()
}

async fn ledger(world: &World, service: &str) -> Vec<LedgerEntry> {
    world.deps.ledger.entries(service, 100).await.unwrap()
}

async fn messages(world: &World, expected: usize) -> Vec<SnsEnvelope> {
    receive_json(
        &world.sandbox.config,
        &world.queue_url,
        expected,
        Duration::from_secs(5),
    )
    .await
}

fn steps(entry: &LedgerEntry) -> Vec<(Step, StepStatus)> {
    entry.steps.iter().map(|s| (s.step, s.status)).collect()
}

/// The API primary, its record, and the backup AMIs: an old tagged one, the newest tagged
/// one, and a newer untagged one that must not be chosen. Returns (primary, newest tagged AMI).
async fn api_world(world: &World, with_template: bool) -> (String, String) {
    let base = base_image(world).await;
    let primary = launch(world, &base, &PRIMARY_TAGS).await;
    let backup = [("backup-of", "bookstore-api")];
    image(world, &primary, "bookstore-api-ec2-image-1", &backup).await;
    let newest = image(world, &primary, "bookstore-api-ec2-image-2", &backup).await;
    image(world, &primary, "scratch-image", &[("purpose", "scratch")]).await;
    if with_template {
        launch_template(world, &base).await;
    }
    let address = public_ip(world, &primary).await;
    upsert(world, API_RECORD, RrType::A, &address).await;
    (primary, newest)
}

#[tokio::test]
async fn a_terminated_primary_is_replaced_from_the_newest_tagged_ami() {
    let world = world().await;
    let (primary, newest_ami) = api_world(&world, true).await;
    let old_address = public_ip(&world, &primary).await;
    ec2(&world)
        .terminate_instances()
        .instance_ids(&primary)
        .send()
        .await
        .unwrap();

    let report = world
        .deps
        .handle(
            &policies(POLICY_FILE),
            &event(&world, "bookstore-api-unhealthy"),
        )
        .await
        .unwrap();
    assert_eq!(report.entries.len(), 1, "{report:#?}");
    let entry = &report.entries[0];
    assert_eq!(entry.outcome, Outcome::FailedOver, "{}", entry.summary());

    // The replacement: launched from the template, with the newest tagged AMI.
    let replacement = entry.replacement.clone().unwrap();
    assert_ne!(replacement, primary);
    let launched = instance(&world, &replacement).await;
    assert_eq!(launched.image_id(), Some(newest_ami.as_str()));
    assert_eq!(entry.image_id.as_deref(), Some(newest_ami.as_str()));
    let tags: BTreeMap<&str, &str> = launched
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?, t.value()?)))
        .collect();
    for (key, value) in PRIMARY_TAGS {
        assert_eq!(
            tags.get(key),
            Some(&value),
            "the replacement is the next primary"
        );
    }

    // DNS: the A record holds the replacement's address; the old value is in the ledger.
    let new_address = public_ip(&world, &replacement).await;
    assert_eq!(
        record(&world, API_RECORD, RrType::A).await,
        std::slice::from_ref(&new_address)
    );
    assert_eq!(entry.old_record.as_ref().unwrap().values, [old_address]);
    assert_eq!(entry.new_record.as_ref().unwrap().values, [new_address]);

    // The stored ledger: every step, in time order, in the procedure's order.
    let stored = ledger(&world, "bookstore-api").await;
    assert_eq!(stored.len(), 1);
    let stored = &stored[0];
    assert_eq!(stored, entry);
    assert!(stored.is_in_time_order());
    use Step::*;
    use StepStatus::*;
    assert_eq!(
        steps(stored),
        [
            (EventReceived, Done),
            (LockTaken, Done),
            (PrimaryRechecked, Done),
            (RestartTried, Skipped),
            (ReplacementLaunched, Done),
            (Running, Done),
            (Healthy, Done),
            (DnsUpserted, Done),
            (ChangeInsync, Done),
            (Quarantined, Done),
            (Notified, Done),
        ]
    );
    assert!(
        stored
            .step(RestartTried)
            .unwrap()
            .detail
            .contains("terminated")
    );
    // RTO: INSYNC − alarm; the handler started a minute after the alarm.
    let rto = stored.rto.as_ref().unwrap();
    assert!(
        rto.met && rto.measured_seconds >= 60.0 && rto.objective_seconds == 43_200.0,
        "{rto:?}"
    );
    assert!(
        stored.rpo.is_some(),
        "the backup AMI's age is the API's data age"
    );

    // The old instance is tagged for quarantine; nothing else was terminated.
    let old = instance(&world, &primary).await;
    assert!(
        old.tags()
            .iter()
            .any(|t| t.key() == Some(QUARANTINE_TAG_KEY) && t.value() == Some(&entry.failover_id))
    );
    assert_eq!(
        launched.state().unwrap().name().unwrap().as_str(),
        "running"
    );

    // The leads were told, through SNS (received here by SQS).
    let received = messages(&world, 2).await;
    assert_eq!(received.len(), 1, "{received:#?}");
    assert!(
        received[0]
            .subject
            .as_deref()
            .unwrap()
            .contains("bookstore-api: FAILED_OVER")
    );
    assert_eq!(
        received[0].message["entry"]["failoverId"],
        entry.failover_id.as_str()
    );
    assert_eq!(received[0].message["leads"][0]["email"], "bob@example.com");
}

#[tokio::test]
async fn a_healthy_primary_cancels_and_dns_is_untouched() {
    let world = world().await;
    let (primary, _) = api_world(&world, true).await;
    let address = public_ip(&world, &primary).await;
    let before = all_instance_ids(&world).await;

    // The alarm arrives through SNS this time.
    let payload = sns_event("bookstore-api-unhealthy", world.alarm_at);
    let report = world
        .deps
        .handle(&policies(POLICY_FILE), &payload)
        .await
        .unwrap();
    let entry = &report.entries[0];
    assert_eq!(entry.event.source, "sns");
    assert_eq!(entry.outcome, Outcome::Cancelled, "{}", entry.summary());
    assert!(
        entry
            .step(Step::PrimaryRechecked)
            .unwrap()
            .detail
            .contains("healthy again")
    );
    assert!(entry.step(Step::DnsUpserted).is_none());
    assert_eq!(record(&world, API_RECORD, RrType::A).await, [address]);
    assert_eq!(all_instance_ids(&world).await, before, "nothing launched");
    let received = messages(&world, 2).await;
    assert_eq!(received.len(), 1);
    assert!(
        received[0]
            .subject
            .as_deref()
            .unwrap()
            .contains("CANCELLED")
    );
    // A cancelled failover leaves no cooldown: the next alarm is handled, not skipped.
    let again = world
        .deps
        .handle(&policies(POLICY_FILE), &payload)
        .await
        .unwrap();
    assert_eq!(again.entries[0].outcome, Outcome::Cancelled);
}

#[tokio::test]
async fn a_failed_launch_leaves_dns_alone_and_is_recorded_and_notified() {
    let world = world().await;
    // No launch template: RunInstances is refused.
    let (primary, _) = api_world(&world, false).await;
    let address = public_ip(&world, &primary).await;
    ec2(&world)
        .terminate_instances()
        .instance_ids(&primary)
        .send()
        .await
        .unwrap();

    let report = world
        .deps
        .handle(
            &policies(POLICY_FILE),
            &event(&world, "bookstore-api-unhealthy"),
        )
        .await
        .unwrap();
    let entry = &report.entries[0];
    assert_eq!(entry.outcome, Outcome::Failed);
    let failure = entry.failure.as_ref().unwrap();
    assert_eq!(failure.step, Step::ReplacementLaunched);
    assert!(
        failure.error.contains("bookstore-api-ec2"),
        "{}",
        failure.error
    );
    assert!(entry.step(Step::DnsUpserted).is_none());
    assert_eq!(record(&world, API_RECORD, RrType::A).await, [address]);
    let stored = ledger(&world, "bookstore-api").await;
    assert_eq!(stored[0].failure, entry.failure);
    assert_eq!(stored[0].steps.last().unwrap().step, Step::Notified);
    let received = messages(&world, 2).await;
    assert_eq!(received.len(), 1);
    assert!(received[0].subject.as_deref().unwrap().contains("FAILED"));
    assert_eq!(
        received[0].message["entry"]["failure"]["step"],
        "replacement-launched"
    );
}

#[tokio::test]
async fn a_warm_standby_is_started_instead_of_launching() {
    let world = world().await;
    let (primary, _) = api_world(&world, true).await;
    let base = base_image(&world).await;
    let standby = launch(
        &world,
        &base,
        &[("service", "bookstore"), ("role", "api-standby")],
    )
    .await;
    ec2(&world)
        .stop_instances()
        .instance_ids(&standby)
        .send()
        .await
        .unwrap();
    ec2(&world)
        .terminate_instances()
        .instance_ids(&primary)
        .send()
        .await
        .unwrap();
    let before = all_instance_ids(&world).await;
    let text = POLICY_FILE.replace(
        "      restartFirst: true\n",
        &format!("      restartFirst: true\n      warmStandby:\n        instanceId: {standby}\n"),
    );

    let report = world
        .deps
        .handle(&policies(&text), &event(&world, "bookstore-api-unhealthy"))
        .await
        .unwrap();
    let entry = &report.entries[0];
    assert_eq!(entry.outcome, Outcome::FailedOver, "{}", entry.summary());
    assert_eq!(entry.replacement.as_deref(), Some(standby.as_str()));
    assert_eq!(
        entry.step(Step::StandbyStarted).unwrap().status,
        StepStatus::Done
    );
    assert!(entry.step(Step::ReplacementLaunched).is_none());
    assert_eq!(all_instance_ids(&world).await, before, "no new instance");
    assert_eq!(
        instance(&world, &standby)
            .await
            .state()
            .unwrap()
            .name()
            .unwrap()
            .as_str(),
        "running"
    );
    assert_eq!(
        record(&world, API_RECORD, RrType::A).await,
        [public_ip(&world, &standby).await]
    );
}

#[tokio::test]
async fn fifty_copies_of_one_event_fail_over_once() {
    let world = world().await;
    let (primary, _) = api_world(&world, true).await;
    ec2(&world)
        .terminate_instances()
        .instance_ids(&primary)
        .send()
        .await
        .unwrap();
    let before = all_instance_ids(&world).await.len();
    let payload = event(&world, "bookstore-api-unhealthy");
    let policies = policies(POLICY_FILE);

    let runs = (0..50).map(|_| world.deps.handle(&policies, &payload));
    let reports = futures_join_all(runs).await;
    let outcomes: Vec<Outcome> = reports
        .iter()
        .map(|r| r.as_ref().unwrap().entries[0].outcome)
        .collect();
    let count = |o: Outcome| outcomes.iter().filter(|x| **x == o).count();
    assert_eq!(count(Outcome::FailedOver), 1, "{outcomes:?}");
    assert_eq!(count(Outcome::Duplicate), 49, "{outcomes:?}");

    let stored = ledger(&world, "bookstore-api").await;
    assert_eq!(stored.len(), 50, "every duplicate is recorded");
    let winner = stored
        .iter()
        .find(|e| e.outcome == Outcome::FailedOver)
        .unwrap();
    assert!(
        stored
            .iter()
            .filter(|e| e.outcome == Outcome::Duplicate)
            .all(
                |e| e.duplicate_of.as_deref() == Some(winner.failover_id.as_str())
                    && e.step(Step::DuplicateSkipped).is_some()
            )
    );
    assert_eq!(
        all_instance_ids(&world).await.len(),
        before + 1,
        "exactly one replacement"
    );
    let received = messages(&world, 3).await;
    assert_eq!(received.len(), 1, "duplicates are not notified");
}

/// Runs the futures concurrently on this task (no extra dependency for join_all).
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, slot) in pinned.iter_mut().zip(results.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *slot = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(|r| r.unwrap()).collect()
}

// ---- rds -------------------------------------------------------------------------------

fn rds(world: &World) -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::new(&world.sandbox.config)
}

async fn db_endpoint(world: &World, id: &str) -> String {
    rds(world)
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .unwrap()
        .db_instances()[0]
        .endpoint()
        .unwrap()
        .address()
        .unwrap()
        .to_string()
}

/// bookstore-db (PostgreSQL) with its CNAME, a snapshot, and, when asked, its read replica.
/// The primary is then stopped: a reboot does not bring it back.
async fn database_world(world: &World, with_replica: bool) -> String {
    rds(world)
        .create_db_instance()
        .db_instance_identifier("bookstore-db")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("bookstore")
        .master_user_password("not-a-real-password")
        .send()
        .await
        .unwrap();
    if with_replica {
        rds(world)
            .create_db_instance_read_replica()
            .db_instance_identifier("bookstore-db-replica")
            .source_db_instance_identifier("bookstore-db")
            .send()
            .await
            .unwrap();
    }
    rds(world)
        .create_db_snapshot()
        .db_instance_identifier("bookstore-db")
        .db_snapshot_identifier("bookstore-db-nightly")
        .send()
        .await
        .unwrap();
    let endpoint = db_endpoint(world, "bookstore-db").await;
    upsert(world, DB_RECORD, RrType::Cname, &endpoint).await;
    rds(world)
        .stop_db_instance()
        .db_instance_identifier("bookstore-db")
        .send()
        .await
        .unwrap();
    endpoint
}

#[tokio::test]
async fn an_unavailable_database_fails_over_to_its_promoted_replica() {
    let world = world().await;
    let old_endpoint = database_world(&world, true).await;
    let replica_endpoint = db_endpoint(&world, "bookstore-db-replica").await;

    let report = world
        .deps
        .handle(
            &policies(POLICY_FILE),
            &event(&world, "bookstore-db-unavailable"),
        )
        .await
        .unwrap();
    let entry = &report.entries[0];
    assert_eq!(entry.outcome, Outcome::FailedOver, "{}", entry.summary());
    use Step::*;
    use StepStatus::*;
    assert_eq!(
        steps(entry),
        [
            (EventReceived, Done),
            (LockTaken, Done),
            (PrimaryRechecked, Done),
            (DatabaseRebooted, Done),
            (RpoChecked, Done),
            (ReplicaPromoted, Done),
            (ReplicaAvailable, Done),
            (DnsUpserted, Done),
            (ChangeInsync, Done),
            (Notified, Done),
        ]
    );
    assert!(
        entry
            .step(PrimaryRechecked)
            .unwrap()
            .detail
            .contains("stopped")
    );
    assert!(
        entry
            .step(DatabaseRebooted)
            .unwrap()
            .detail
            .contains("still unavailable")
    );
    assert_eq!(
        record(&world, DB_RECORD, RrType::Cname).await,
        [replica_endpoint]
    );
    assert_eq!(entry.old_record.as_ref().unwrap().values, [old_endpoint]);
    // moto 5.2.5 keeps ReadReplicaSourceDBInstanceIdentifier after PromoteReadReplica (AWS
    // clears it), so the promotion is checked through the ledger rather than the instance.
    assert!(
        entry
            .step(ReplicaPromoted)
            .unwrap()
            .detail
            .contains("bookstore-db-replica")
    );
    // The RPO: no ReplicaLag data in the sandbox, so the newest snapshot's age.
    let rpo = entry.rpo.as_ref().unwrap();
    assert!(rpo.basis.contains("snapshot") && rpo.met, "{rpo:?}");
    // RTO: the reboot wait (15 min on the manual clock) counts.
    let rto = entry.rto.as_ref().unwrap();
    assert!(rto.measured_seconds >= 900.0 && rto.met, "{rto:?}");
    assert!(entry.is_in_time_order());
    let received = messages(&world, 2).await;
    assert_eq!(received.len(), 1);
    assert!(
        received[0]
            .subject
            .as_deref()
            .unwrap()
            .contains("bookstore-db: FAILED_OVER")
    );
}

#[tokio::test]
async fn a_missing_replica_leaves_the_database_record_alone() {
    let world = world().await;
    let old_endpoint = database_world(&world, false).await;
    let report = world
        .deps
        .handle(
            &policies(POLICY_FILE),
            &event(&world, "bookstore-db-unavailable"),
        )
        .await
        .unwrap();
    let entry = &report.entries[0];
    assert_eq!(entry.outcome, Outcome::Failed);
    let failure = entry.failure.as_ref().unwrap();
    assert_eq!(failure.step, Step::ReplicaPromoted);
    assert!(
        failure.error.contains("fallback is unusable"),
        "{}",
        failure.error
    );
    assert!(entry.step(Step::DnsUpserted).is_none());
    assert_eq!(
        record(&world, DB_RECORD, RrType::Cname).await,
        [old_endpoint]
    );
    assert_eq!(
        ledger(&world, "bookstore-db").await[0].outcome,
        Outcome::Failed
    );
    assert_eq!(messages(&world, 2).await.len(), 1);
}

// ---- s3-static -------------------------------------------------------------------------

const PRIMARY_BUCKET: &str = "cdn.bookstore.example.com";
const BACKUP_BUCKET: &str = "cdn-backup.bookstore.example.com";

fn s3(world: &World) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(&world.sandbox.config)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

async fn bucket(world: &World, name: &str, objects: &[(&str, &str)]) {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    s3(world)
        .create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::UsWest2)
                .build(),
        )
        .send()
        .await
        .unwrap();
    for (key, body) in objects {
        s3(world)
            .put_object()
            .bucket(name)
            .key(*key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
}

const SITE: [(&str, &str); 3] = [
    ("index.html", "<html>Bookstore</html>"),
    ("static/app.css", "body { margin: 0 }"),
    ("static/app.js", "console.log('books')"),
];

fn site_manifest() -> String {
    let objects: Vec<Value> = SITE
        .iter()
        .map(|(key, body)| json!({"key": key, "size": body.len()}))
        .collect();
    json!({ "objects": objects }).to_string()
}

/// The primary bucket lost a file; the backup holds `backup` (and the manifest).
async fn cdn_world(world: &World, backup: &[(&str, &str)]) {
    let manifest = site_manifest();
    bucket(
        world,
        PRIMARY_BUCKET,
        &[("manifest.json", &manifest), SITE[0], SITE[2]],
    )
    .await;
    let mut objects = vec![("manifest.json", manifest.as_str())];
    objects.extend_from_slice(backup);
    bucket(world, BACKUP_BUCKET, &objects).await;
    upsert(
        world,
        CDN_RECORD,
        RrType::Cname,
        "cdn-origin.bookstore.example.com",
    )
    .await;
}

#[tokio::test]
async fn an_incomplete_static_bucket_fails_over_to_a_complete_backup() {
    let world = world().await;
    cdn_world(&world, &SITE).await;
    let report = world
        .deps
        .handle(
            &policies(POLICY_FILE),
            &event(&world, "bookstore-cdn-unavailable"),
        )
        .await
        .unwrap();
    let entry = &report.entries[0];
    assert_eq!(entry.outcome, Outcome::FailedOver, "{}", entry.summary());
    assert!(
        entry
            .step(Step::PrimaryRechecked)
            .unwrap()
            .detail
            .contains("static/app.css is missing")
    );
    assert_eq!(
        entry.step(Step::BackupVerified).unwrap().status,
        StepStatus::Done
    );
    assert_eq!(
        record(&world, CDN_RECORD, RrType::Cname).await,
        ["cdn-backup.bookstore.example.com"]
    );
    assert_eq!(
        entry.old_record.as_ref().unwrap().values,
        ["cdn-origin.bookstore.example.com"]
    );
    assert!(entry.rto.as_ref().unwrap().met);
    assert_eq!(ledger(&world, "bookstore-cdn").await[0], *entry);
    assert_eq!(messages(&world, 2).await.len(), 1);
}

#[tokio::test]
async fn an_incomplete_backup_leaves_the_cdn_record_alone() {
    let world = world().await;
    cdn_world(&world, &SITE[..2]).await;
    let report = world
        .deps
        .handle(
            &policies(POLICY_FILE),
            &event(&world, "bookstore-cdn-unavailable"),
        )
        .await
        .unwrap();
    let entry = &report.entries[0];
    assert_eq!(entry.outcome, Outcome::Failed);
    let failure = entry.failure.as_ref().unwrap();
    assert_eq!(failure.step, Step::BackupVerified);
    assert!(
        failure.error.contains("static/app.js is missing"),
        "{}",
        failure.error
    );
    assert_eq!(
        record(&world, CDN_RECORD, RrType::Cname).await,
        ["cdn-origin.bookstore.example.com"]
    );
    assert_eq!(messages(&world, 2).await.len(), 1);
}

#[tokio::test]
async fn a_complete_static_bucket_cancels() {
    let world = world().await;
    let manifest = site_manifest();
    let mut objects = vec![("manifest.json", manifest.as_str())];
    objects.extend_from_slice(&SITE);
    bucket(&world, PRIMARY_BUCKET, &objects).await;
    upsert(
        &world,
        CDN_RECORD,
        RrType::Cname,
        "cdn-origin.bookstore.example.com",
    )
    .await;
    let report = world
        .deps
        .handle(
            &policies(POLICY_FILE),
            &event(&world, "bookstore-cdn-unavailable"),
        )
        .await
        .unwrap();
    assert_eq!(report.entries[0].outcome, Outcome::Cancelled);
    assert_eq!(
        record(&world, CDN_RECORD, RrType::Cname).await,
        ["cdn-origin.bookstore.example.com"]
    );
}

#[tokio::test]
async fn events_without_a_policy_or_not_in_alarm_are_ignored() {
    let world = world().await;
    let mut payload = event(&world, "some-other-alarm");
    let report = world
        .deps
        .handle(&policies(POLICY_FILE), &payload)
        .await
        .unwrap();
    assert!(report.entries.is_empty());
    assert!(report.ignored[0].contains("no failover policy lists alarm some-other-alarm"));
    payload["detail"]["alarmName"] = "bookstore-api-unhealthy".into();
    payload["detail"]["state"]["value"] = "OK".into();
    let report = world
        .deps
        .handle(&policies(POLICY_FILE), &payload)
        .await
        .unwrap();
    assert!(report.entries.is_empty() && report.ignored[0].contains("not ALARM"));
    let _ = &world.timer;
}

// ---- what the sandbox cannot show: PENDING changes, unhealthy replacements ------------------

/// The same handler with another DNS writer and HTTP checker.
fn deps_with<D, H>(
    world: &World,
    dns: D,
    http: H,
) -> Deps<Ec2Failover, D, DynamoLedger, SnsNotifier, H, RdsFailover, S3Buckets> {
    let config = &world.sandbox.config;
    Deps {
        compute: Ec2Failover::from_config(config),
        dns,
        ledger: DynamoLedger::from_config(config, TABLE),
        notifier: world.deps.notifier.clone(),
        http,
        database: RdsFailover::from_config(config),
        buckets: S3Buckets::from_config(config),
        timer: world.timer.clone(),
        default_topic: world.deps.default_topic.clone(),
        observer: None,
    }
}

/// Route 53 as it really answers: the change stays PENDING for a few polls.
struct PendingDns {
    inner: Route53Dns,
    pending_polls: std::sync::atomic::AtomicUsize,
}

impl gameday_aws::dns::DnsWriter for PendingDns {
    async fn zone_id(&self, zone_name: &str) -> Result<Option<String>, gameday_aws::AwsError> {
        self.inner.zone_id(zone_name).await
    }

    async fn current(
        &self,
        zone_id: &str,
        name: &str,
        kind: &str,
    ) -> Result<Option<gameday_core::failover::RecordValues>, gameday_aws::AwsError> {
        self.inner.current(zone_id, name, kind).await
    }

    async fn upsert(
        &self,
        zone_id: &str,
        name: &str,
        record: &gameday_core::failover::RecordValues,
        comment: &str,
    ) -> Result<gameday_aws::dns::DnsChange, gameday_aws::AwsError> {
        let mut change = self.inner.upsert(zone_id, name, record, comment).await?;
        change.status = "PENDING".into();
        Ok(change)
    }

    async fn change_status(&self, change_id: &str) -> Result<String, gameday_aws::AwsError> {
        use std::sync::atomic::Ordering;
        if self.pending_polls.load(Ordering::SeqCst) > 0 {
            self.pending_polls.fetch_sub(1, Ordering::SeqCst);
            return Ok("PENDING".into());
        }
        self.inner.change_status(change_id).await
    }
}

/// An HTTP check that always gets the same answer.
struct FixedHttp(Result<u16, String>);

impl gameday_aws::http_check::HttpChecker for FixedHttp {
    async fn status(&self, _url: &str, _timeout: Duration) -> Result<u16, String> {
        self.0.clone()
    }
}

#[tokio::test]
async fn the_rto_ends_when_the_change_is_insync_not_when_it_is_submitted() {
    let world = world().await;
    let (primary, _) = api_world(&world, true).await;
    ec2(&world)
        .terminate_instances()
        .instance_ids(&primary)
        .send()
        .await
        .unwrap();
    let dns = PendingDns {
        inner: Route53Dns::from_config(&world.sandbox.config),
        pending_polls: 3.into(),
    };
    let deps = deps_with(&world, dns, world.deps.http.clone());
    let report = deps
        .handle(
            &policies(POLICY_FILE),
            &event(&world, "bookstore-api-unhealthy"),
        )
        .await
        .unwrap();
    let entry = &report.entries[0];
    assert_eq!(entry.outcome, Outcome::FailedOver, "{}", entry.summary());
    let upserted = entry.step(Step::DnsUpserted).unwrap().at;
    let insync = entry.step(Step::ChangeInsync).unwrap().at;
    // Four polls five seconds apart on the manual clock: PENDING three times, then INSYNC.
    assert_eq!((insync - upserted).num_seconds(), 20);
    let rto = entry.rto.as_ref().unwrap();
    assert_eq!(
        rto.measured_seconds,
        (insync - world.alarm_at).num_milliseconds() as f64 / 1000.0
    );
}

#[tokio::test]
async fn dns_never_points_at_a_replacement_that_fails_its_http_check() {
    let world = world().await;
    let (primary, _) = api_world(&world, true).await;
    let address = public_ip(&world, &primary).await;
    ec2(&world)
        .terminate_instances()
        .instance_ids(&primary)
        .send()
        .await
        .unwrap();
    let text = POLICY_FILE.replace(
        "        statusChecks: true\n",
        "        statusChecks: true\n        http: {path: /books/, port: 80, expectStatus: [200]}\n",
    );
    let http = FixedHttp(Ok(503));
    let deps = deps_with(&world, Route53Dns::from_config(&world.sandbox.config), http);
    let report = deps
        .handle(&policies(&text), &event(&world, "bookstore-api-unhealthy"))
        .await
        .unwrap();
    let entry = &report.entries[0];
    assert_eq!(entry.outcome, Outcome::Failed);
    let failure = entry.failure.as_ref().unwrap();
    assert_eq!(failure.step, Step::Healthy);
    assert!(
        failure.error.contains("answered 503") && failure.error.contains("DNS untouched"),
        "{}",
        failure.error
    );
    assert_eq!(record(&world, API_RECORD, RrType::A).await, [address]);
    // The health timeout (PT10M) ran out on the manual clock, not the wall clock.
    let launched = entry.step(Step::ReplacementLaunched).unwrap().at;
    assert!((entry.finished_at.unwrap() - launched).num_seconds() >= 600);
    // The replacement that failed is left for investigation; nothing was terminated.
    let replacement = entry.replacement.clone().unwrap();
    assert_eq!(
        instance(&world, &replacement)
            .await
            .state()
            .unwrap()
            .name()
            .unwrap()
            .as_str(),
        "running"
    );
}
