//! The AWS SDK for Rust against the local sandbox: each test starts its own server
//! (`gameday_sandbox::Sandbox`) and makes real SDK calls through it, with the same client
//! set-up gameday uses (explicit endpoint URL, region, static test credentials).
//!
//! CloudWatch goes through the sandbox's rpc-v2-cbor front; EC2, SSM and DynamoDB reach moto
//! directly.

use std::collections::BTreeSet;
use std::time::SystemTime;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat, ScanBy,
    StandardUnit, StateValue, Statistic,
};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_ec2::types::{Filter, InstanceStateName, InstanceType, Tag};
use aws_sdk_ssm::types::ParameterType;
use gameday_sandbox::Sandbox;

/// A sandbox for one test, and SDK configuration pointing at it.
struct Env {
    // Dropped last: stops the server after the clients are gone.
    config: SdkConfig,
    sandbox: Sandbox,
}

impl Env {
    async fn start() -> Env {
        let sandbox = tokio::task::spawn_blocking(Sandbox::start)
            .await
            .expect("the start task")
            .unwrap_or_else(|e| panic!("the sandbox did not start: {e}"));
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(sandbox.endpoint_url())
            .region(Region::new("us-west-2"))
            .credentials_provider(Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "gameday-sandbox",
            ))
            .load()
            .await;
        Env { config, sandbox }
    }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

#[tokio::test]
async fn ec2_instances_are_selected_by_tags() {
    let env = Env::start().await;
    let ec2 = aws_sdk_ec2::Client::new(&env.config);

    // moto's default AMI set includes ami-12c6146b in every region.
    let images = ec2
        .describe_images()
        .image_ids("ami-12c6146b")
        .send()
        .await
        .unwrap();
    assert_eq!(images.images().len(), 1);
    assert_eq!(images.images()[0].image_id(), Some("ami-12c6146b"));

    let run = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .instance_type(InstanceType::T3Micro)
        .min_count(5)
        .max_count(5)
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = run
        .instances()
        .iter()
        .map(|i| i.instance_id().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 5);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 5);

    let (opted_in, not_opted_in) = ids.split_at(4);
    ec2.create_tags()
        .set_resources(Some(opted_in.to_vec()))
        .tags(tag("service", "bookstore"))
        .tags(tag("role", "api"))
        .tags(tag("gameday:allowed", "true"))
        .send()
        .await
        .unwrap();
    ec2.create_tags()
        .set_resources(Some(not_opted_in.to_vec()))
        .tags(tag("service", "bookstore"))
        .tags(tag("role", "api"))
        .send()
        .await
        .unwrap();

    let described = ec2
        .describe_instances()
        .filters(filter("tag:role", "api"))
        .filters(filter("tag:gameday:allowed", "true"))
        .send()
        .await
        .unwrap();
    let instances: Vec<_> = described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .collect();
    let found: BTreeSet<&str> = instances.iter().filter_map(|i| i.instance_id()).collect();
    let expected: BTreeSet<&str> = opted_in.iter().map(String::as_str).collect();
    assert_eq!(found, expected);
    for instance in &instances {
        assert_eq!(
            instance.state().and_then(|s| s.name()),
            Some(&InstanceStateName::Running)
        );
        assert_eq!(instance.image_id(), Some("ami-12c6146b"));
        let tags: BTreeSet<(&str, &str)> = instance
            .tags()
            .iter()
            .map(|t| (t.key().unwrap(), t.value().unwrap()))
            .collect();
        assert_eq!(
            tags,
            BTreeSet::from([
                ("service", "bookstore"),
                ("role", "api"),
                ("gameday:allowed", "true")
            ])
        );
    }

    // Without the opt-in filter, all five api instances match.
    let all_api = ec2
        .describe_instances()
        .filters(filter("tag:service", "bookstore"))
        .filters(filter("tag:role", "api"))
        .send()
        .await
        .unwrap();
    let all: BTreeSet<&str> = all_api
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.instance_id())
        .collect();
    assert_eq!(all, ids.iter().map(String::as_str).collect());
}

#[tokio::test]
async fn ssm_parameter_put_get_overwrite() {
    let env = Env::start().await;
    let ssm = aws_sdk_ssm::Client::new(&env.config);
    let name = "/gameday/bookstore/kill-switch";

    let missing = ssm.get_parameter().name(name).send().await.unwrap_err();
    assert!(
        missing.into_service_error().is_parameter_not_found(),
        "a missing parameter is ParameterNotFound"
    );

    let put = ssm
        .put_parameter()
        .name(name)
        .value("off")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();
    assert_eq!(put.version(), 1);
    let got = ssm.get_parameter().name(name).send().await.unwrap();
    let parameter = got.parameter().unwrap();
    assert_eq!(parameter.name(), Some(name));
    assert_eq!(parameter.value(), Some("off"));
    assert_eq!(parameter.r#type(), Some(&ParameterType::String));
    assert_eq!(parameter.version(), 1);

    let again = ssm
        .put_parameter()
        .name(name)
        .value("on")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap_err();
    assert!(
        again.into_service_error().is_parameter_already_exists(),
        "a second put without overwrite is ParameterAlreadyExists"
    );

    let overwritten = ssm
        .put_parameter()
        .name(name)
        .value("on")
        .r#type(ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .unwrap();
    assert_eq!(overwritten.version(), 2);
    let got = ssm.get_parameter().name(name).send().await.unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("on"));
    assert_eq!(got.parameter().unwrap().version(), 2);
}

#[tokio::test]
async fn dynamodb_conditional_put_happens_once() {
    let env = Env::start().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&env.config);
    let table = "gameday-runs";

    let created = dynamodb
        .create_table()
        .table_name(table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let description = created.table_description().unwrap();
    assert_eq!(description.table_name(), Some(table));
    assert_eq!(
        description
            .billing_mode_summary()
            .and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );

    let put = |verdict: &'static str| {
        dynamodb
            .put_item()
            .table_name(table)
            .item("pk", AttributeValue::S("run#r-0001".into()))
            .item("sk", AttributeValue::S("phase#inject".into()))
            .item("verdict", AttributeValue::S(verdict.into()))
            .item("attempt", AttributeValue::N("1".into()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
    };
    put("pending").await.unwrap();
    let second = put("overwritten").await.unwrap_err();
    let service_error = second.into_service_error();
    assert!(
        service_error.is_conditional_check_failed_exception(),
        "the second conditional put fails with ConditionalCheckFailedException, got {service_error:?}"
    );

    let got = dynamodb
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S("run#r-0001".into()))
        .key("sk", AttributeValue::S("phase#inject".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    let item = got.item().expect("the item is there");
    assert_eq!(item.len(), 4);
    assert_eq!(item["pk"], AttributeValue::S("run#r-0001".into()));
    assert_eq!(item["sk"], AttributeValue::S("phase#inject".into()));
    assert_eq!(item["verdict"], AttributeValue::S("pending".into()));
    assert_eq!(item["attempt"], AttributeValue::N("1".into()));
}

fn dimension() -> Dimension {
    Dimension::builder()
        .name("Service")
        .value("bookstore")
        .build()
}

/// Whole seconds since the epoch.
fn epoch_seconds(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn cloudwatch_metrics_and_alarms_through_the_cbor_front() {
    let env = Env::start().await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&env.config);
    let namespace = "Gameday/Bookstore";

    // Three one-minute periods, each with one datum, aligned to the minute.
    let now = epoch_seconds(SystemTime::now());
    let minute = now - now % 60;
    let points = [
        (minute - 180, 120.0),
        (minute - 120, 250.5),
        (minute - 60, 310.0),
    ];
    let mut put = cloudwatch.put_metric_data().namespace(namespace);
    for (at, value) in points {
        put = put.metric_data(
            MetricDatum::builder()
                .metric_name("Latency")
                .dimensions(dimension())
                .timestamp(DateTime::from_secs(at + 5))
                .value(value)
                .unit(StandardUnit::Milliseconds)
                .build(),
        );
    }
    put.send().await.unwrap();

    let data = cloudwatch
        .get_metric_data()
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("latency")
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace(namespace)
                                .metric_name("Latency")
                                .dimensions(dimension())
                                .build(),
                        )
                        .period(60)
                        .stat("Average")
                        .build(),
                )
                .build(),
        )
        .start_time(DateTime::from_secs(minute - 600))
        .end_time(DateTime::from_secs(minute + 60))
        .scan_by(ScanBy::TimestampAscending)
        .send()
        .await
        .unwrap();
    let results = data.metric_data_results();
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(result.id(), Some("latency"));
    let mut got: Vec<(i64, f64)> = result
        .timestamps()
        .iter()
        .map(|t| t.secs())
        .zip(result.values().iter().copied())
        .collect();
    got.sort_by_key(|(at, _)| *at);
    assert_eq!(result.timestamps().len(), result.values().len());
    assert_eq!(got.len(), 3, "one value per period: {got:?}");
    for ((at, value), (expected_at, expected_value)) in got.iter().zip(points) {
        // Each value lands in the period that holds its datum.
        assert!(
            (expected_at..expected_at + 60).contains(at),
            "timestamp {at} outside [{expected_at}, +60) in {got:?}"
        );
        assert_eq!(*value, expected_value);
    }

    let alarm_name = "bookstore-api-latency";
    cloudwatch
        .put_metric_alarm()
        .alarm_name(alarm_name)
        .alarm_description("API latency stop condition")
        .namespace(namespace)
        .metric_name("Latency")
        .dimensions(dimension())
        .statistic(Statistic::Average)
        .period(60)
        .evaluation_periods(2)
        .threshold(500.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();

    let before_alarm = epoch_seconds(SystemTime::now());
    let described = cloudwatch
        .describe_alarms()
        .alarm_names(alarm_name)
        .send()
        .await
        .unwrap();
    assert_eq!(described.metric_alarms().len(), 1);
    let alarm = &described.metric_alarms()[0];
    assert_eq!(alarm.alarm_name(), Some(alarm_name));
    assert_eq!(alarm.namespace(), Some(namespace));
    assert_eq!(alarm.metric_name(), Some("Latency"));
    assert_eq!(alarm.dimensions(), [dimension()]);
    assert_eq!(alarm.statistic(), Some(&Statistic::Average));
    assert_eq!(alarm.period(), Some(60));
    assert_eq!(alarm.evaluation_periods(), Some(2));
    assert_eq!(alarm.threshold(), Some(500.0));
    assert_eq!(
        alarm.comparison_operator(),
        Some(&ComparisonOperator::GreaterThanThreshold)
    );
    // AWS starts a new alarm in INSUFFICIENT_DATA; moto 5.2.5 starts it in OK, unevaluated.
    assert_eq!(alarm.state_value(), Some(&StateValue::Ok));
    assert_eq!(
        alarm.state_reason(),
        Some("Unchecked: Initial alarm creation")
    );
    let updated = alarm
        .state_updated_timestamp()
        .expect("state_updated_timestamp");
    assert!(
        (now - 60..=before_alarm + 1).contains(&updated.secs()),
        "state_updated_timestamp {updated} is not about now ({now})"
    );

    cloudwatch
        .set_alarm_state()
        .alarm_name(alarm_name)
        .state_value(StateValue::Alarm)
        .state_reason("gameday: forced for the test")
        .send()
        .await
        .unwrap();
    let described = cloudwatch
        .describe_alarms()
        .alarm_names(alarm_name)
        .send()
        .await
        .unwrap();
    let alarm = &described.metric_alarms()[0];
    assert_eq!(alarm.state_value(), Some(&StateValue::Alarm));
    assert_eq!(alarm.state_reason(), Some("gameday: forced for the test"));
    let changed = alarm
        .state_updated_timestamp()
        .expect("state_updated_timestamp");
    assert!(changed >= updated, "{changed} is before {updated}");
    let in_alarm = cloudwatch
        .describe_alarms()
        .state_value(StateValue::Alarm)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = in_alarm
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name())
        .collect();
    assert_eq!(names, [alarm_name]);

    let missing = cloudwatch
        .describe_alarms()
        .alarm_names("no-such-alarm")
        .send()
        .await
        .unwrap();
    assert!(missing.metric_alarms().is_empty());
    assert!(missing.composite_alarms().is_empty());

    let error = cloudwatch
        .set_alarm_state()
        .alarm_name("no-such-alarm")
        .state_value(StateValue::Alarm)
        .state_reason("gameday: forced for the test")
        .send()
        .await
        .unwrap_err();
    let service_error = error.into_service_error();
    assert!(
        service_error.is_resource_not_found(),
        "set_alarm_state on a missing alarm is ResourceNotFound, got {service_error:?}"
    );

    // The sandbox's stderr has no tracebacks from any of this.
    let log = std::fs::read_to_string(env.sandbox.log_path()).unwrap_or_default();
    assert!(!log.contains("Traceback"), "{log}");
}
