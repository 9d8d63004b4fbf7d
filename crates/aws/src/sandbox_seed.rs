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
