//! DynamoDB: the failover ledger, the per-service failover lock, and stored policies, in the
//! table that holds runs and target locks (see `runs.rs`).
//!
//! Keys: the lock of a service is `pk = FAILOVER#<service>, sk = LOCK`; its ledger entries are
//! `pk = FAILOVER#<service>, sk = ENTRY#<received at>#<failover id>` (so a query lists them in
//! time order); a stored policy is `pk = FAILOVER_ALARM#<alarm>, sk = POLICY` (one item per
//! alarm, so the handler finds its policy with one read). Entries and policies are stored as
//! JSON in `record`, with `outcome` beside entries.

use std::future::Future;

use chrono::{DateTime, SecondsFormat, Utc};
use gameday_core::failover::{LedgerEntry, ResolvedPolicy};

use crate::error::{AwsError, from_sdk};
use crate::runs::{TTL_ATTRIBUTE, is_condition_failure, n, s};

/// What taking a service's lock gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockOutcome {
    Taken,
    /// Another failover runs, or its cooldown does.
    Held {
        holder: String,
        blocked_until: Option<DateTime<Utc>>,
    },
}

pub trait FailoverLedger {
    /// Takes the service's lock for `failover_id` until `blocked_until`, if the lock is free
    /// (no item, or its `blockedUntil` has passed at `now`). One conditional write.
    fn take_lock(
        &self,
        service: &str,
        failover_id: &str,
        blocked_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<LockOutcome, AwsError>> + Send;

    /// Sets the lock's `blockedUntil` (the end of the cooldown) if `failover_id` still holds it.
    fn release_lock(
        &self,
        service: &str,
        failover_id: &str,
        blocked_until: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// Writes (or overwrites) an entry.
    fn save_entry(&self, entry: &LedgerEntry) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// The service's entries, newest first, at most `limit`.
    fn entries(
        &self,
        service: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<LedgerEntry>, AwsError>> + Send;
}

pub trait PolicyStore {
    /// Stores `policy` under each of its alarms.
    fn put_policy(
        &self,
        policy: &ResolvedPolicy,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    fn policy_for_alarm(
        &self,
        alarm_name: &str,
    ) -> impl Future<Output = Result<Option<ResolvedPolicy>, AwsError>> + Send;
}

#[derive(Clone, Debug)]
pub struct DynamoLedger {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoLedger {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(aws_sdk_dynamodb::Client::new(config), table)
    }
}

fn service_key(service: &str) -> String {
    format!("FAILOVER#{service}")
}

/// The sort key of an entry: time first, so entries sort by arrival.
pub fn entry_sort_key(entry: &LedgerEntry) -> String {
    format!(
        "ENTRY#{}#{}",
        entry
            .received_at
            .to_rfc3339_opts(SecondsFormat::Millis, true),
        entry.failover_id
    )
}

fn corrupt(what: impl Into<String>, message: impl ToString) -> AwsError {
    AwsError::Corrupt {
        what: what.into(),
        message: message.to_string(),
    }
}

/// Locks and entries outlive their cooldown by this long, then the table's TTL removes locks.
const LOCK_TTL_MARGIN_SECS: i64 = 86_400;

impl FailoverLedger for DynamoLedger {
    async fn take_lock(
        &self,
        service: &str,
        failover_id: &str,
        blocked_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<LockOutcome, AwsError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(service_key(service)))
            .item("sk", s("LOCK"))
            .item("holder", s(failover_id))
            .item("blockedUntil", n(blocked_until.timestamp_millis()))
            .item(
                TTL_ATTRIBUTE,
                n(blocked_until.timestamp() + LOCK_TTL_MARGIN_SECS),
            )
            .condition_expression("attribute_not_exists(pk) OR blockedUntil <= :now")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(LockOutcome::Taken),
            Err(error) if error.as_service_error().is_some_and(is_condition_failure) => {
                let (holder, blocked_until) = self.lock_holder(service).await?;
                Ok(LockOutcome::Held {
                    holder,
                    blocked_until,
                })
            }
            Err(error) => Err(from_sdk("dynamodb", "PutItem", error)),
        }
    }

    async fn release_lock(
        &self,
        service: &str,
        failover_id: &str,
        blocked_until: DateTime<Utc>,
    ) -> Result<(), AwsError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(service_key(service)))
            .key("sk", s("LOCK"))
            .update_expression("SET blockedUntil = :until, #ttl = :ttl")
            .condition_expression("holder = :me")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":until", n(blocked_until.timestamp_millis()))
            .expression_attribute_values(
                ":ttl",
                n(blocked_until.timestamp() + LOCK_TTL_MARGIN_SECS),
            )
            .expression_attribute_values(":me", s(failover_id))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Taken over after the maximum duration: the new holder's times stand.
            Err(error) if error.as_service_error().is_some_and(is_condition_failure) => Ok(()),
            Err(error) => Err(from_sdk("dynamodb", "UpdateItem", error)),
        }
    }

    async fn save_entry(&self, entry: &LedgerEntry) -> Result<(), AwsError> {
        let json = serde_json::to_string(entry)
            .map_err(|e| corrupt(format!("failover {}", entry.failover_id), e))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(service_key(&entry.service)))
            .item("sk", s(entry_sort_key(entry)))
            .item("failoverId", s(&entry.failover_id))
            .item("outcome", s(entry.outcome.as_str()))
            .item("record", s(json))
            .send()
            .await
            .map_err(|e| from_sdk("dynamodb", "PutItem", e))?;
        Ok(())
    }

    async fn entries(&self, service: &str, limit: usize) -> Result<Vec<LedgerEntry>, AwsError> {
        let mut entries = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :entry)")
                .expression_attribute_values(":pk", s(service_key(service)))
                .expression_attribute_values(":entry", s("ENTRY#"))
                .scan_index_forward(false)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| from_sdk("dynamodb", "Query", e))?;
            for item in output.items() {
                let json = item
                    .get("record")
                    .and_then(|v| v.as_s().ok())
                    .ok_or_else(|| {
                        corrupt(format!("failover ledger of {service}"), "no `record`")
                    })?;
                entries.push(
                    serde_json::from_str(json)
                        .map_err(|e| corrupt(format!("failover ledger of {service}"), e))?,
                );
                if entries.len() >= limit {
                    return Ok(entries);
                }
            }
            match output.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(entries),
            }
        }
    }
}

impl DynamoLedger {
    async fn lock_holder(
        &self,
        service: &str,
    ) -> Result<(String, Option<DateTime<Utc>>), AwsError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(service_key(service)))
            .key("sk", s("LOCK"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| from_sdk("dynamodb", "GetItem", e))?;
        let item = output.item();
        let holder = item
            .and_then(|i| i.get("holder"))
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_else(|| "(unknown)".into());
        let until = item
            .and_then(|i| i.get("blockedUntil"))
            .and_then(|v| v.as_n().ok())
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(DateTime::from_timestamp_millis);
        Ok((holder, until))
    }
}

impl PolicyStore for DynamoLedger {
    async fn put_policy(&self, policy: &ResolvedPolicy) -> Result<(), AwsError> {
        let json = serde_json::to_string(policy)
            .map_err(|e| corrupt(format!("policy of {}", policy.policy.service), e))?;
        for alarm in &policy.policy.alarms {
            self.client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(format!("FAILOVER_ALARM#{alarm}")))
                .item("sk", s("POLICY"))
                .item("service", s(&policy.policy.service))
                .item("record", s(json.clone()))
                .send()
                .await
                .map_err(|e| from_sdk("dynamodb", "PutItem", e))?;
        }
        Ok(())
    }

    async fn policy_for_alarm(&self, alarm_name: &str) -> Result<Option<ResolvedPolicy>, AwsError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("FAILOVER_ALARM#{alarm_name}")))
            .key("sk", s("POLICY"))
            .send()
            .await
            .map_err(|e| from_sdk("dynamodb", "GetItem", e))?;
        let Some(item) = output.item() else {
            return Ok(None);
        };
        let json = item
            .get("record")
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| corrupt(format!("policy for alarm {alarm_name}"), "no `record`"))?;
        serde_json::from_str(json)
            .map(Some)
            .map_err(|e| corrupt(format!("policy for alarm {alarm_name}"), e))
    }
}
