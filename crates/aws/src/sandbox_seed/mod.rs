//! Builds the Bookstore reference environment inside a local sandbox, in one place for the CLI
//! (`gameday sandbox seed`, `gameday demo`) and the tests:
//!
//! - the network: a VPC, an API subnet in each of two availability zones, a security group;
//! - the API tier: the primary the A record points at (no opt-in tag), four opted-in API
//!   instances, the backup AMI made from the primary and the `bookstore-api-ec2` launch
//!   template, as `examples/bookstore/failover.yaml` names them;
//! - the `bookstore.example.com` zone with the API's A record;
//! - every alarm the Bookstore experiments and failover policies name, in `OK`;
//! - the kill switch parameter (off), the DynamoDB table, and the notification topic with an
//!   SQS queue subscribed to it.
//!
//! Every piece is looked up before it is created, so seeding twice duplicates nothing (a
//! fleet that lost instances is topped up). It refuses anything but a loopback endpoint, so it
//! can never create resources in a real account.

mod compute;
mod dns;
mod network;
mod notifications;

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};

pub use compute::{BACKUP_IMAGE_NAME, BACKUP_IMAGE_TAG, LAUNCH_TEMPLATE_NAME, PRIMARY_TAGS};
pub use dns::{BOOKSTORE_API_RECORD, BOOKSTORE_ZONE};
pub use network::BookstoreNetwork;
pub use notifications::{
    NOTIFICATION_QUEUE, NOTIFICATION_TOPIC, SnsEnvelope, receive_notifications, subscribe_queue,
};

use crate::error::{AwsError, from_sdk};
use crate::launch::{Ec2Failover, FailoverCompute};
use crate::parameters::{DEFAULT_KILL_SWITCH_PARAMETER, ParameterStore, SsmParameters};
use crate::runs::DynamoRunStore;

/// The alarms the Bookstore experiments (probes, stop conditions, forced alarms) and failover
/// policies name.
pub const BOOKSTORE_ALARMS: [&str; 4] = [
    "bookstore-api-unhealthy",
    "bookstore-api-5xx-high",
    "bookstore-db-unavailable",
    "bookstore-cdn-unavailable",
];

/// What the seed built (or found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookstoreFleet {
    /// API instances with the opt-in tag, sorted by id: what experiments may hit.
    pub opted_in: Vec<String>,
    /// API instances without it: the primary alone.
    pub not_opted_in: Vec<String>,
    /// The instance the API's A record points at, and the failover policy's primary.
    pub primary: String,
    /// The primary's public address, the A record's value.
    pub primary_address: String,
    pub network: BookstoreNetwork,
    /// The backup AMI of the primary (tagged `backup-of=bookstore-api`).
    pub image_id: String,
    pub launch_template_id: String,
    /// The `bookstore.example.com` zone's id.
    pub zone_id: String,
    pub topic_arn: String,
    /// The SQS queue subscribed to the topic.
    pub queue_url: String,
}

/// Seeds the sandbox at `config`'s endpoint; `endpoint_url` must be a loopback URL.
pub async fn seed_bookstore(
    config: &SdkConfig,
    endpoint_url: &str,
    table: &str,
) -> Result<BookstoreFleet, AwsError> {
    refuse_unless_sandbox(endpoint_url)?;
    let region = config
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| crate::config::SANDBOX_REGION.into());
    let ec2 = aws_sdk_ec2::Client::new(config);
    let network = network::ensure_network(&ec2, &region).await?;
    let tier = compute::ensure_api_tier(&ec2, &network).await?;
    let primary_address = Ec2Failover::new(ec2.clone())
        .describe(&tier.primary)
        .await?
        .and_then(|i| i.public_ip)
        .ok_or_else(|| AwsError::Refused {
            service: "ec2",
            operation: "DescribeInstances",
            code: "NoAddress".into(),
            message: format!("the API primary {} has no public address", tier.primary),
        })?;
    let zone_id = dns::ensure_zone(config).await?;
    dns::upsert_api_record(config, &zone_id, &primary_address).await?;

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
    let topic_arn = notifications::ensure_topic(config, NOTIFICATION_TOPIC).await?;
    let queue_url = subscribe_queue(config, &topic_arn, NOTIFICATION_QUEUE).await?;
    Ok(BookstoreFleet {
        opted_in: tier.opted_in,
        not_opted_in: vec![tier.primary.clone()],
        primary: tier.primary,
        primary_address,
        network,
        image_id: tier.image_id,
        launch_template_id: tier.launch_template_id,
        zone_id,
        topic_arn,
        queue_url,
    })
}

fn refuse_unless_sandbox(endpoint_url: &str) -> Result<(), AwsError> {
    if crate::config::is_loopback(endpoint_url) {
        return Ok(());
    }
    Err(AwsError::Refused {
        service: "gameday",
        operation: "SeedBookstore",
        code: "NotASandbox".into(),
        message: format!(
            "{endpoint_url} is not a loopback endpoint; seeding only runs against the local sandbox"
        ),
    })
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

#[cfg(test)]
mod tests {
    use gameday_core::failover::load_failover_file;
    use gameday_core::spec::{FaultAction, Probe, load_experiment};

    use super::BOOKSTORE_ALARMS;

    const EXPERIMENTS: [(&str, &str); 3] = [
        (
            "api-instance-failure.yaml",
            include_str!("../../../../examples/bookstore/api-instance-failure.yaml"),
        ),
        (
            "database-failure.yaml",
            include_str!("../../../../examples/bookstore/database-failure.yaml"),
        ),
        (
            "cdn-failure.yaml",
            include_str!("../../../../examples/bookstore/cdn-failure.yaml"),
        ),
    ];

    #[test]
    fn the_seed_creates_every_alarm_the_bookstore_files_name() {
        let mut named = Vec::new();
        for (file, text) in EXPERIMENTS {
            let experiment = load_experiment(file, text).unwrap();
            for probe in &experiment.hypothesis.probes {
                if let Probe::CloudwatchAlarm(alarm) = probe {
                    named.push(alarm.alarm_name.clone());
                }
            }
            named.extend(
                experiment
                    .stop_conditions
                    .iter()
                    .map(|s| s.alarm_name.clone()),
            );
            for fault in &experiment.faults {
                if let FaultAction::SetAlarmState(set) = &fault.action {
                    named.push(set.alarm_name.clone());
                }
            }
        }
        let failover = load_failover_file(
            "failover.yaml",
            include_str!("../../../../examples/bookstore/failover.yaml"),
        )
        .unwrap();
        named.extend(failover.policies.iter().flat_map(|p| p.alarms.clone()));
        assert!(named.len() >= BOOKSTORE_ALARMS.len(), "{named:?}");
        for alarm in &named {
            assert!(
                BOOKSTORE_ALARMS.contains(&alarm.as_str()),
                "{alarm} is named by the Bookstore files but not seeded"
            );
        }
        for alarm in BOOKSTORE_ALARMS {
            assert!(
                named.iter().any(|n| n == alarm),
                "{alarm} is seeded but unused"
            );
        }
    }
}
