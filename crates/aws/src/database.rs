//! RDS for failover: the primary's state, reboot, promotion of the read replica, and what the
//! RPO is judged on (the replica's lag from CloudWatch, or the newest snapshot's time).

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use gameday_core::duration::IsoDuration;
use gameday_core::spec::{Comparison, MetricProbe, Statistic};

use crate::alarms::{CloudWatchAlarms, MetricReader};
use crate::error::{AwsError, from_sdk};

/// A DB instance as failover sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DatabaseStatus {
    pub identifier: String,
    /// `available`, `rebooting`, `stopped`, `failed`, ...
    pub status: String,
    /// The endpoint's host name, once RDS has one.
    pub endpoint: Option<String>,
    pub port: Option<i32>,
    /// For a read replica: the instance it replicates.
    pub replica_of: Option<String>,
}

impl DatabaseStatus {
    pub fn is_available(&self) -> bool {
        self.status == "available"
    }
}

pub trait DatabaseFailover {
    /// `None` when RDS does not know the instance.
    fn describe_database(
        &self,
        identifier: &str,
    ) -> impl Future<Output = Result<Option<DatabaseStatus>, AwsError>> + Send;

    fn reboot_database(
        &self,
        identifier: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// Promotes a read replica to a standalone instance.
    fn promote_replica(
        &self,
        identifier: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// The replica's lag behind its source in seconds (CloudWatch `AWS/RDS ReplicaLag`, the
    /// latest minute before `now`), `None` without data.
    fn replica_lag_seconds(
        &self,
        identifier: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<f64>, AwsError>> + Send;

    /// When the newest snapshot (automated or manual) of `identifier` was taken.
    fn latest_snapshot_time(
        &self,
        identifier: &str,
    ) -> impl Future<Output = Result<Option<DateTime<Utc>>, AwsError>> + Send;
}

#[derive(Clone, Debug)]
pub struct RdsFailover {
    rds: aws_sdk_rds::Client,
    metrics: CloudWatchAlarms,
}

impl RdsFailover {
    pub fn new(rds: aws_sdk_rds::Client, metrics: CloudWatchAlarms) -> Self {
        Self { rds, metrics }
    }

    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self::new(
            aws_sdk_rds::Client::new(config),
            CloudWatchAlarms::new(aws_sdk_cloudwatch::Client::new(config)),
        )
    }
}

/// The metric probe that reads a replica's lag.
pub fn replica_lag_probe(identifier: &str) -> MetricProbe {
    MetricProbe {
        name: format!("{identifier}-replica-lag"),
        namespace: "AWS/RDS".into(),
        metric: "ReplicaLag".into(),
        dimensions: BTreeMap::from([("DBInstanceIdentifier".to_string(), identifier.to_string())]),
        statistic: Statistic::Maximum,
        period: IsoDuration::from_secs(60),
        comparison: Comparison::LessThanOrEqualToThreshold,
        threshold: 0.0,
    }
}

impl DatabaseFailover for RdsFailover {
    async fn describe_database(
        &self,
        identifier: &str,
    ) -> Result<Option<DatabaseStatus>, AwsError> {
        let described = self
            .rds
            .describe_db_instances()
            .db_instance_identifier(identifier)
            .send()
            .await;
        let output = match described {
            Ok(output) => output,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_db_instance_not_found_fault()) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(from_sdk("rds", "DescribeDBInstances", error)),
        };
        Ok(output
            .db_instances()
            .iter()
            .find(|db| db.db_instance_identifier() == Some(identifier))
            .map(|db| DatabaseStatus {
                identifier: identifier.to_string(),
                status: db.db_instance_status().unwrap_or_default().to_string(),
                endpoint: db.endpoint().and_then(|e| e.address()).map(String::from),
                port: db.endpoint().and_then(|e| e.port()),
                replica_of: db
                    .read_replica_source_db_instance_identifier()
                    .map(String::from),
            }))
    }

    async fn reboot_database(&self, identifier: &str) -> Result<(), AwsError> {
        self.rds
            .reboot_db_instance()
            .db_instance_identifier(identifier)
            .send()
            .await
            .map_err(|e| from_sdk("rds", "RebootDBInstance", e))?;
        Ok(())
    }

    async fn promote_replica(&self, identifier: &str) -> Result<(), AwsError> {
        self.rds
            .promote_read_replica()
            .db_instance_identifier(identifier)
            .send()
            .await
            .map_err(|e| from_sdk("rds", "PromoteReadReplica", e))?;
        Ok(())
    }

    async fn replica_lag_seconds(
        &self,
        identifier: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<f64>, AwsError> {
        self.metrics
            .latest_statistic(&replica_lag_probe(identifier), now)
            .await
    }

    async fn latest_snapshot_time(
        &self,
        identifier: &str,
    ) -> Result<Option<DateTime<Utc>>, AwsError> {
        let output = self
            .rds
            .describe_db_snapshots()
            .db_instance_identifier(identifier)
            .send()
            .await
            .map_err(|e| from_sdk("rds", "DescribeDBSnapshots", e))?;
        Ok(output
            .db_snapshots()
            .iter()
            .filter_map(|s| s.snapshot_create_time())
            .filter_map(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
            .max())
    }
}
