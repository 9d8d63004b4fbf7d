//! Builds the Bookstore reference fleet inside a local sandbox: API instances (four opted in,
//! one not), their alarms, the kill switch parameter and the table. It refuses to run against
//! anything but a loopback endpoint, so it can never create resources in a real account.

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use gameday_core::spec::{OPT_IN_TAG_KEY, OPT_IN_TAG_VALUE};

use crate::error::{AwsError, from_sdk};
use crate::parameters::{DEFAULT_KILL_SWITCH_PARAMETER, ParameterStore, SsmParameters};
use crate::runs::DynamoRunStore;

/// The alarms the Bookstore experiments name.
pub const BOOKSTORE_ALARMS: [&str; 4] = [
    "bookstore-api-unhealthy",
    "bookstore-api-5xx-high",
    "bookstore-db-unavailable",
    "bookstore-cdn-unavailable",
];

/// What was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookstoreFleet {
    pub opted_in: Vec<String>,
    pub not_opted_in: Vec<String>,
}

/// Seeds the sandbox at `config`'s endpoint; `endpoint_url` must be a loopback URL.
pub async fn seed_bookstore(
    config: &SdkConfig,
    endpoint_url: &str,
    table: &str,
) -> Result<BookstoreFleet, AwsError> {
    if !crate::config::is_loopback(endpoint_url) {
        return Err(AwsError::Refused {
            service: "gameday",
            operation: "SeedBookstore",
            code: "NotASandbox".into(),
            message: format!(
                "{endpoint_url} is not a loopback endpoint; seeding only runs against the local sandbox"
            ),
        });
    }
    let ec2 = aws_sdk_ec2::Client::new(config);
    let image = ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "DescribeImages", e))?
        .images()
        .iter()
        .find_map(|i| i.image_id().map(String::from))
        .ok_or_else(|| AwsError::Refused {
            service: "ec2",
            operation: "DescribeImages",
            code: "NoImage".into(),
            message: "the sandbox offers no Amazon image to launch".into(),
        })?;
    let opted_in = launch_api_instances(&ec2, &image, 4, true).await?;
    let not_opted_in = launch_api_instances(&ec2, &image, 1, false).await?;

    let cloudwatch = aws_sdk_cloudwatch::Client::new(config);
    for alarm in BOOKSTORE_ALARMS {
        put_ok_alarm(&cloudwatch, alarm).await?;
    }
    SsmParameters::new(aws_sdk_ssm::Client::new(config))
        .put_parameter(DEFAULT_KILL_SWITCH_PARAMETER, "off")
        .await?;
    DynamoRunStore::new(aws_sdk_dynamodb::Client::new(config), table)
        .ensure_table()
        .await?;
    Ok(BookstoreFleet {
        opted_in,
        not_opted_in,
    })
}

async fn launch_api_instances(
    ec2: &aws_sdk_ec2::Client,
    image: &str,
    count: i32,
    opted_in: bool,
) -> Result<Vec<String>, AwsError> {
    let mut tags = vec![
        ("Name", "bookstore-api"),
        ("service", "bookstore"),
        ("role", "api"),
    ];
    if opted_in {
        tags.push((OPT_IN_TAG_KEY, OPT_IN_TAG_VALUE));
    }
    let spec = TagSpecification::builder()
        .resource_type(ResourceType::Instance)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .build();
    let output = ec2
        .run_instances()
        .image_id(image)
        .instance_type(aws_sdk_ec2::types::InstanceType::T2Micro)
        .min_count(count)
        .max_count(count)
        .tag_specifications(spec)
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "RunInstances", e))?;
    Ok(output
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(String::from))
        .collect())
}

async fn put_ok_alarm(cloudwatch: &aws_sdk_cloudwatch::Client, name: &str) -> Result<(), AwsError> {
    cloudwatch
        .put_metric_alarm()
        .alarm_name(name)
        .namespace("Bookstore")
        .metric_name(name)
        .statistic(Statistic::Maximum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .send()
        .await
        .map_err(|e| from_sdk("cloudwatch", "PutMetricAlarm", e))?;
    cloudwatch
        .set_alarm_state()
        .alarm_name(name)
        .state_value(StateValue::Ok)
        .state_reason("seeded by gameday sandbox")
        .send()
        .await
        .map_err(|e| from_sdk("cloudwatch", "SetAlarmState", e))?;
    Ok(())
}

/// The hosted zone and the API's A record the Bookstore experiments probe.
pub const BOOKSTORE_ZONE: &str = "bookstore.example.com";
pub const BOOKSTORE_API_RECORD: &str = "api.bookstore.example.com";

/// Creates the Bookstore hosted zone with the API's A record pointing at `instance_id`'s
/// private address (the seed points it at the instance without the opt-in tag, so the record
/// keeps resolving to a running instance while experiments hit the others). Sandbox only, like
/// `seed_bookstore`.
pub async fn seed_api_record(
    config: &SdkConfig,
    endpoint_url: &str,
    instance_id: &str,
) -> Result<(), AwsError> {
    use aws_sdk_route53::types::{
        Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
    };
    if !crate::config::is_loopback(endpoint_url) {
        return Err(AwsError::Refused {
            service: "gameday",
            operation: "SeedBookstore",
            code: "NotASandbox".into(),
            message: format!("{endpoint_url} is not a loopback endpoint"),
        });
    }
    let described = aws_sdk_ec2::Client::new(config)
        .describe_instances()
        .instance_ids(instance_id)
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "DescribeInstances", e))?;
    let address = described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find_map(|i| i.private_ip_address())
        .ok_or_else(|| AwsError::Refused {
            service: "ec2",
            operation: "DescribeInstances",
            code: "NoAddress".into(),
            message: format!("instance {instance_id} has no private address"),
        })?
        .to_string();
    let route53 = aws_sdk_route53::Client::new(config);
    let zone = route53
        .create_hosted_zone()
        .name(BOOKSTORE_ZONE)
        .caller_reference(format!("gameday-seed-{instance_id}"))
        .send()
        .await
        .map_err(|e| from_sdk("route53", "CreateHostedZone", e))?;
    let zone_id = zone
        .hosted_zone()
        .map(|z| z.id().to_string())
        .unwrap_or_default();
    let built = |e: aws_sdk_route53::error::BuildError| AwsError::Refused {
        service: "route53",
        operation: "ChangeResourceRecordSets",
        code: "Build".into(),
        message: e.to_string(),
    };
    let record = ResourceRecordSet::builder()
        .name(BOOKSTORE_API_RECORD)
        .r#type(RrType::A)
        .ttl(60)
        .resource_records(
            ResourceRecord::builder()
                .value(address)
                .build()
                .map_err(built)?,
        )
        .build()
        .map_err(built)?;
    let change = Change::builder()
        .action(ChangeAction::Upsert)
        .resource_record_set(record)
        .build()
        .map_err(built)?;
    route53
        .change_resource_record_sets()
        .hosted_zone_id(zone_id)
        .change_batch(
            ChangeBatch::builder()
                .changes(change)
                .build()
                .map_err(built)?,
        )
        .send()
        .await
        .map_err(|e| from_sdk("route53", "ChangeResourceRecordSets", e))?;
    Ok(())
}
