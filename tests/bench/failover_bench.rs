//! Benchmark (not a test): the failover control plane's time from "event received" to "UPSERT
//! issued", against the local sandbox, over N runs (default 50; `-- --runs 20`). Each run gets
//! its own service, alarm, record and terminated primary, so no lock or cooldown is shared.
//!
//! `cargo run --release -p gameday-e2e --example failover_bench` (`benches/failover/run.sh`).
//! Prints a Markdown table of the median, p95, min and max in milliseconds on stdout.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_sdk_ec2::types::{
    InstanceType, RequestLaunchTemplateData, ResourceType, Tag, TagSpecification,
};
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use chrono::Utc;
use failover::{Deps, FilePolicies, SystemTimer, eventbridge_alarm_event};
use gameday_aws::AwsError;
use gameday_aws::buckets::S3Buckets;
use gameday_aws::database::RdsFailover;
use gameday_aws::dns::{DnsChange, DnsWriter, Route53Dns};
use gameday_aws::launch::Ec2Failover;
use gameday_aws::ledger::DynamoLedger;
use gameday_aws::runs::DynamoRunStore;
use gameday_core::failover::{Outcome, RecordValues, load_failover_file};
use gameday_e2e::TestSandbox;
use gameday_e2e::bench::{arg, summarize};

const TABLE: &str = "gameday";
const ZONE: &str = "bookstore.example.com";

/// Route 53 with a stopwatch on UPSERT: remembers when the call was issued.
struct TimedDns {
    inner: Route53Dns,
    issued: Mutex<Option<Instant>>,
}

impl DnsWriter for TimedDns {
    async fn zone_id(&self, zone_name: &str) -> Result<Option<String>, AwsError> {
        self.inner.zone_id(zone_name).await
    }

    async fn current(
        &self,
        zone_id: &str,
        name: &str,
        kind: &str,
    ) -> Result<Option<RecordValues>, AwsError> {
        self.inner.current(zone_id, name, kind).await
    }

    async fn upsert(
        &self,
        zone_id: &str,
        name: &str,
        record: &RecordValues,
        comment: &str,
    ) -> Result<DnsChange, AwsError> {
        *self.issued.lock().unwrap() = Some(Instant::now());
        self.inner.upsert(zone_id, name, record, comment).await
    }

    async fn change_status(&self, change_id: &str) -> Result<String, AwsError> {
        self.inner.change_status(change_id).await
    }
}

fn policy(i: usize) -> String {
    format!(
        r#"apiVersion: gameday/v1
kind: FailoverPolicies
metadata: {{application: bookstore, environment: bench, owner: bob@example.com}}
policies:
  - service: bookstore-api-{i}
    dependency: api
    alarms: [bookstore-api-unhealthy-{i}]
    rto: PT12H
    rpo: PT24H
    procedure:
      kind: ec2
      primary:
        tags: {{service: bookstore, role: api, bench: run-{i}}}
      restartFirst: true
      relaunch:
        launchTemplate: bookstore-api-ec2
        imageTags: {{backup-of: bookstore-api}}
      dns:
        zoneName: {ZONE}
        recordName: api{i}.{ZONE}
"#
    )
}

#[tokio::main]
async fn main() {
    let runs: usize = arg("--runs", 50);
    let sandbox = TestSandbox::start().await;
    let config = &sandbox.config;
    DynamoRunStore::new(aws_sdk_dynamodb::Client::new(config), TABLE)
        .ensure_table()
        .await
        .unwrap();
    let topic = aws_sdk_sns::Client::new(config)
        .create_topic()
        .name("bench")
        .send()
        .await
        .unwrap();
    let route53 = aws_sdk_route53::Client::new(config);
    let zone_id = route53
        .create_hosted_zone()
        .name(ZONE)
        .caller_reference(format!("bench-{}", Utc::now().timestamp_millis()))
        .send()
        .await
        .unwrap()
        .hosted_zone()
        .unwrap()
        .id()
        .to_string();
    let ec2 = aws_sdk_ec2::Client::new(config);
    let base = ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .unwrap()
        .images()[0]
        .image_id()
        .unwrap()
        .to_string();
    ec2.create_launch_template()
        .launch_template_name("bookstore-api-ec2")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(&base)
                .instance_type(InstanceType::T2Micro)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let clients = sandbox.clients(TABLE);
    let dns = Arc::new(TimedDns {
        inner: Route53Dns::from_config(config),
        issued: Mutex::new(None),
    });
    let deps = Deps {
        compute: Ec2Failover::from_config(config),
        dns: DnsRef(dns.clone()),
        ledger: DynamoLedger::from_config(config, TABLE),
        notifier: clients.notifier.clone(),
        http: clients.http.clone(),
        database: RdsFailover::from_config(config),
        buckets: S3Buckets::from_config(config),
        timer: Arc::new(SystemTimer),
        default_topic: topic.topic_arn().map(String::from),
        observer: None,
    };

    let mut samples = Vec::new();
    for i in 0..runs {
        let tags = [
            ("service", "bookstore".to_string()),
            ("role", "api".into()),
            ("bench", format!("run-{i}")),
        ];
        let spec = TagSpecification::builder()
            .resource_type(ResourceType::Instance)
            .set_tags(Some(
                tags.iter()
                    .map(|(k, v)| Tag::builder().key(*k).value(v).build())
                    .collect(),
            ))
            .build();
        let primary = ec2
            .run_instances()
            .image_id(&base)
            .instance_type(InstanceType::T2Micro)
            .min_count(1)
            .max_count(1)
            .tag_specifications(spec)
            .send()
            .await
            .unwrap()
            .instances()[0]
            .clone();
        let primary_id = primary.instance_id().unwrap().to_string();
        if i == 0 {
            let image = ec2
                .create_image()
                .instance_id(&primary_id)
                .name("bookstore-api-ec2-image")
                .send()
                .await
                .unwrap();
            ec2.create_tags()
                .resources(image.image_id().unwrap())
                .tags(
                    Tag::builder()
                        .key("backup-of")
                        .value("bookstore-api")
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
        let address = primary
            .public_ip_address()
            .or(primary.private_ip_address())
            .unwrap()
            .to_string();
        let set = ResourceRecordSet::builder()
            .name(format!("api{i}.{ZONE}"))
            .r#type(RrType::A)
            .ttl(60)
            .resource_records(ResourceRecord::builder().value(address).build().unwrap())
            .build()
            .unwrap();
        route53
            .change_resource_record_sets()
            .hosted_zone_id(&zone_id)
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
        ec2.terminate_instances()
            .instance_ids(&primary_id)
            .send()
            .await
            .unwrap();
        let policies = FilePolicies(load_failover_file("bench.yaml", &policy(i)).unwrap());
        let event = eventbridge_alarm_event(
            &format!("bookstore-api-unhealthy-{i}"),
            "us-west-2",
            "123456789012",
            Utc::now(),
            "bench",
        );

        *dns.issued.lock().unwrap() = None;
        let received = Instant::now();
        let report = deps.handle(&policies, &event).await.unwrap();
        let issued = dns.issued.lock().unwrap().expect("the UPSERT was issued");
        let entry = &report.entries[0];
        assert_eq!(entry.outcome, Outcome::FailedOver, "{}", entry.summary());
        let took = issued.duration_since(received);
        eprintln!("run {}: {:.1} ms", i + 1, took.as_secs_f64() * 1e3);
        samples.push(took);
    }
    let ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    let s = summarize(&ms);
    println!("| runs | median | p95 | min | max |");
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |",
        s.count, s.median, s.p95, s.min, s.max
    );
    println!();
    println!(
        "Event received → UPSERT issued, {} build, sandbox moto {}.",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        gameday_sandbox::MOTO_VERSION
    );
}

/// Lets the handler own a handle to the shared stopwatch.
struct DnsRef(Arc<TimedDns>);

impl DnsWriter for DnsRef {
    async fn zone_id(&self, zone_name: &str) -> Result<Option<String>, AwsError> {
        self.0.zone_id(zone_name).await
    }

    async fn current(
        &self,
        zone_id: &str,
        name: &str,
        kind: &str,
    ) -> Result<Option<RecordValues>, AwsError> {
        self.0.current(zone_id, name, kind).await
    }

    async fn upsert(
        &self,
        zone_id: &str,
        name: &str,
        record: &RecordValues,
        comment: &str,
    ) -> Result<DnsChange, AwsError> {
        self.0.upsert(zone_id, name, record, comment).await
    }

    async fn change_status(&self, change_id: &str) -> Result<String, AwsError> {
        self.0.change_status(change_id).await
    }
}
