//! DynamoDB: run records and target locks, in one table.
//!
//! Keys: a run is `pk = RUN#<id>, sk = RUN`, a lock is `pk = LOCK#<target>, sk = LOCK`. Runs
//! carry `gsi1pk = EXP#<experiment>, gsi1sk = <created at>` for the by-experiment index. The
//! run itself is stored as JSON in `record`, with `status` and `version` beside it so that
//! writes can be conditional. Locks expire through the table's TTL attribute `expiresAt`.

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use chrono::{DateTime, Utc};
use gameday_core::run::RunRecord;
use gameday_core::spec::{Experiment, load_experiment};

use crate::error::{AwsError, from_sdk};

/// The default table name when `TABLE_NAME` is not set.
pub const DEFAULT_TABLE_NAME: &str = "gameday";
pub const BY_EXPERIMENT_INDEX: &str = "byExperiment";
pub const TTL_ATTRIBUTE: &str = "expiresAt";

pub trait RunStore {
    /// Stores a new run; fails with `Conflict` if the id exists.
    fn create_run(&self, record: &RunRecord) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn get_run(
        &self,
        run_id: &str,
    ) -> impl Future<Output = Result<Option<RunRecord>, AwsError>> + Send;
    /// Writes `record` if the stored version is still `record.version`, then bumps the version.
    fn save_run(&self, record: &mut RunRecord)
    -> impl Future<Output = Result<(), AwsError>> + Send;
    /// The newest `limit` runs of `experiment`, newest first.
    fn recent_runs(
        &self,
        experiment: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<RunRecord>, AwsError>> + Send;
    /// Every run of `experiment` created at or after `since` (all when `None`), oldest first,
    /// for reports. A store whose `recent_runs` returns everything it holds may keep this
    /// default; the DynamoDB store pages through the index instead.
    fn runs_since(
        &self,
        experiment: &str,
        since: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<Vec<RunRecord>, AwsError>> + Send
    where
        Self: Sync,
    {
        async move {
            let mut runs = self.recent_runs(experiment, usize::MAX).await?;
            runs.retain(|run| since.is_none_or(|since| run.created_at >= since));
            runs.reverse();
            Ok(runs)
        }
    }
}

pub trait LockStore {
    /// Takes the lock on `target` for `run_id` until `expires_at`. Taking a lock the same run
    /// already holds succeeds (retries are safe); an expired lock is taken over.
    fn acquire_lock(
        &self,
        target: &str,
        run_id: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// Releases the lock if `run_id` holds it; releasing a lock already gone succeeds.
    fn release_lock(
        &self,
        target: &str,
        run_id: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// Experiments stored in the table, so schedules and pipelines can start them by name.
pub trait ExperimentStore {
    fn put_experiment(
        &self,
        experiment: &Experiment,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// The stored experiment, validated again as it is read; `None` when there is none.
    fn get_experiment(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<Experiment>, AwsError>> + Send;
}

#[derive(Clone, Debug)]
pub struct DynamoRunStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

/// A string attribute (shared with the failover ledger, which lives in the same table).
pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Whether a write failed on its condition (the item changed, or the lock is held).
pub(crate) fn is_condition_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(
    error: &E,
) -> bool {
    error.code() == Some("ConditionalCheckFailedException")
}

impl DynamoRunStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub(crate) fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    /// Creates the table as the infrastructure template does, if it does not exist yet.
    pub async fn ensure_table(&self) -> Result<(), AwsError> {
        let string_attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
        };
        let index = GlobalSecondaryIndex::builder()
            .index_name(BY_EXPERIMENT_INDEX)
            .key_schema(key("gsi1pk", KeyType::Hash).expect("static key"))
            .key_schema(key("gsi1sk", KeyType::Range).expect("static key"))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .expect("static index");
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(
                ["pk", "sk", "gsi1pk", "gsi1sk"]
                    .iter()
                    .map(|a| string_attribute(a).expect("static attribute"))
                    .collect(),
            ))
            .key_schema(key("pk", KeyType::Hash).expect("static key"))
            .key_schema(key("sk", KeyType::Range).expect("static key"))
            .global_secondary_indexes(index)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                return Ok(());
            }
            Err(error) => return Err(from_sdk("dynamodb", "CreateTable", error)),
        }
        let ttl = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(TTL_ATTRIBUTE)
            .build()
            .expect("static ttl");
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|e| from_sdk("dynamodb", "UpdateTimeToLive", e))?;
        Ok(())
    }

    /// The run stored in `item` (its JSON `record` attribute).
    fn record_of(
        item: &HashMap<String, AttributeValue>,
        run_id: &str,
    ) -> Result<RunRecord, AwsError> {
        let corrupt = |message: String| AwsError::Corrupt {
            what: format!("run {run_id}"),
            message,
        };
        let json = item
            .get("record")
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| corrupt("no `record` attribute".into()))?;
        serde_json::from_str(json).map_err(|e| corrupt(e.to_string()))
    }

    fn run_item(record: &RunRecord) -> Result<HashMap<String, AttributeValue>, AwsError> {
        let json = serde_json::to_string(record).map_err(|e| AwsError::Corrupt {
            what: format!("run {}", record.run_id),
            message: e.to_string(),
        })?;
        Ok(HashMap::from([
            ("pk".to_string(), s(format!("RUN#{}", record.run_id))),
            ("sk".to_string(), s("RUN")),
            (
                "gsi1pk".to_string(),
                s(format!("EXP#{}", record.experiment)),
            ),
            ("gsi1sk".to_string(), s(record.created_at.to_rfc3339())),
            ("status".to_string(), s(record.status.as_str())),
            ("version".to_string(), n(record.version)),
            ("record".to_string(), s(json)),
        ]))
    }
}

impl RunStore for DynamoRunStore {
    async fn create_run(&self, record: &RunRecord) -> Result<(), AwsError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::run_item(record)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if error.as_service_error().is_some_and(is_condition_failure) => {
                Err(AwsError::Conflict {
                    what: format!("run {}", record.run_id),
                    expected: record.version,
                })
            }
            Err(error) => Err(from_sdk("dynamodb", "PutItem", error)),
        }
    }

    async fn get_run(&self, run_id: &str) -> Result<Option<RunRecord>, AwsError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("RUN#{run_id}")))
            .key("sk", s("RUN"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| from_sdk("dynamodb", "GetItem", e))?;
        output
            .item()
            .map(|item| Self::record_of(item, run_id))
            .transpose()
    }

    /// Follows `LastEvaluatedKey`: a query page ends at 1 MB, so larger records give fewer
    /// runs a page, and one page is not the newest `limit` runs.
    async fn recent_runs(
        &self,
        experiment: &str,
        limit: usize,
    ) -> Result<Vec<RunRecord>, AwsError> {
        let mut runs = Vec::new();
        let mut start = None;
        while runs.len() < limit {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_EXPERIMENT_INDEX)
                .key_condition_expression("gsi1pk = :experiment")
                .expression_attribute_values(":experiment", s(format!("EXP#{experiment}")))
                .scan_index_forward(false)
                .limit(i32::try_from(limit - runs.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| from_sdk("dynamodb", "Query", e))?;
            for item in output.items() {
                let pk = item.get("pk").and_then(|v| v.as_s().ok());
                runs.push(Self::record_of(
                    item,
                    pk.map_or("?", |pk| pk.trim_start_matches("RUN#")),
                )?);
            }
            match output.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        runs.truncate(limit);
        Ok(runs)
    }

    async fn runs_since(
        &self,
        experiment: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<RunRecord>, AwsError> {
        let mut runs = Vec::new();
        let mut start = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_EXPERIMENT_INDEX)
                .expression_attribute_values(":experiment", s(format!("EXP#{experiment}")))
                .scan_index_forward(true)
                .set_exclusive_start_key(start);
            query = match since {
                // The sort key is the RFC 3339 creation time, so text order is time order
                // (a whole second sorts before its fractions: '+' < '.'); the filter below
                // settles any doubt at the boundary.
                Some(since) => query
                    .key_condition_expression("gsi1pk = :experiment AND gsi1sk >= :since")
                    .expression_attribute_values(":since", s(since.to_rfc3339())),
                None => query.key_condition_expression("gsi1pk = :experiment"),
            };
            let output = query
                .send()
                .await
                .map_err(|e| from_sdk("dynamodb", "Query", e))?;
            for item in output.items() {
                let pk = item.get("pk").and_then(|v| v.as_s().ok());
                let run =
                    Self::record_of(item, pk.map_or("?", |pk| pk.trim_start_matches("RUN#")))?;
                if since.is_none_or(|since| run.created_at >= since) {
                    runs.push(run);
                }
            }
            match output.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(runs),
            }
        }
    }

    async fn save_run(&self, record: &mut RunRecord) -> Result<(), AwsError> {
        let expected = record.version;
        record.version += 1;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::run_item(record)?))
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":expected", n(expected))
            .send()
            .await;
        if let Err(error) = result {
            record.version = expected;
            return Err(
                match error.as_service_error().is_some_and(is_condition_failure) {
                    true => AwsError::Conflict {
                        what: format!("run {}", record.run_id),
                        expected,
                    },
                    false => from_sdk("dynamodb", "PutItem", error),
                },
            );
        }
        Ok(())
    }
}

impl LockStore for DynamoRunStore {
    async fn acquire_lock(
        &self,
        target: &str,
        run_id: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), AwsError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("LOCK#{target}")))
            .item("sk", s("LOCK"))
            .item("runId", s(run_id))
            .item(TTL_ATTRIBUTE, n(expires_at.timestamp()))
            .condition_expression("attribute_not_exists(pk) OR runId = :run OR #ttl < :now")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":run", s(run_id))
            .expression_attribute_values(":now", n(now.timestamp()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if error.as_service_error().is_some_and(is_condition_failure) => {
                Err(self.locked(target).await)
            }
            Err(error) => Err(from_sdk("dynamodb", "PutItem", error)),
        }
    }

    async fn release_lock(&self, target: &str, run_id: &str) -> Result<(), AwsError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("LOCK#{target}")))
            .key("sk", s("LOCK"))
            .condition_expression("attribute_not_exists(pk) OR runId = :run")
            .expression_attribute_values(":run", s(run_id))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if error.as_service_error().is_some_and(is_condition_failure) => {
                Err(self.locked(target).await)
            }
            Err(error) => Err(from_sdk("dynamodb", "DeleteItem", error)),
        }
    }
}

impl DynamoRunStore {
    /// The `TargetLocked` error for `target`, naming its holder (or the error reading it).
    async fn locked(&self, target: &str) -> AwsError {
        match self.lock_holder(target).await {
            Ok((holder, expires_at)) => AwsError::TargetLocked {
                target: target.to_string(),
                holder,
                expires_at,
            },
            Err(error) => error,
        }
    }

    /// Who holds the lock on `target` and until when (RFC 3339), for error messages.
    async fn lock_holder(&self, target: &str) -> Result<(String, String), AwsError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("LOCK#{target}")))
            .key("sk", s("LOCK"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| from_sdk("dynamodb", "GetItem", e))?;
        let item = output.item();
        let holder = item
            .and_then(|i| i.get("runId"))
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_else(|| "(unknown)".into());
        let expires = item
            .and_then(|i| i.get(TTL_ATTRIBUTE))
            .and_then(|v| v.as_n().ok())
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|| "(unknown)".into());
        Ok((holder, expires))
    }
}

impl ExperimentStore for DynamoRunStore {
    async fn put_experiment(&self, experiment: &Experiment) -> Result<(), AwsError> {
        let name = &experiment.metadata.name;
        let json = serde_json::to_string(experiment).map_err(|e| AwsError::Corrupt {
            what: format!("experiment {name}"),
            message: e.to_string(),
        })?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("EXPERIMENT#{name}")))
            .item("sk", s("SPEC"))
            .item("spec", s(json))
            .send()
            .await
            .map_err(|e| from_sdk("dynamodb", "PutItem", e))?;
        Ok(())
    }

    async fn get_experiment(&self, name: &str) -> Result<Option<Experiment>, AwsError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("EXPERIMENT#{name}")))
            .key("sk", s("SPEC"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| from_sdk("dynamodb", "GetItem", e))?;
        let Some(json) = output
            .item()
            .and_then(|i| i.get("spec"))
            .and_then(|v| v.as_s().ok())
        else {
            return Ok(None);
        };
        load_experiment(&format!("table item EXPERIMENT#{name}"), json)
            .map(Some)
            .map_err(|errors| AwsError::Corrupt {
                what: format!("experiment {name}"),
                message: errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            })
    }
}
