//! Route 53: reading records for probes, and changing them for failover.

use std::future::Future;

use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord, ResourceRecordSet, RrType,
};
use gameday_core::failover::RecordValues;

use crate::error::{AwsError, from_sdk};

pub trait DnsReader {
    /// The values of `record_name`/`record_type` in the public or private zone named
    /// `zone_name`; `None` when the zone or the record does not exist.
    fn record_values(
        &self,
        zone_name: &str,
        record_name: &str,
        record_type: &str,
    ) -> impl Future<Output = Result<Option<Vec<String>>, AwsError>> + Send;
}

/// A submitted change: its id, its status when submitted, and the record before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsChange {
    /// Route 53's change id without the `/change/` prefix.
    pub change_id: String,
    /// `PENDING` or `INSYNC`.
    pub status: String,
    pub old: Option<RecordValues>,
}

/// Changes records for failover. Only UPSERT: a failover never deletes a record.
pub trait DnsWriter {
    /// The id (without `/hostedzone/`) of the zone named `zone_name`, `None` if there is none.
    fn zone_id(
        &self,
        zone_name: &str,
    ) -> impl Future<Output = Result<Option<String>, AwsError>> + Send;

    /// The record's current values and TTL, `None` when it does not exist.
    fn current(
        &self,
        zone_id: &str,
        record_name: &str,
        record_type: &str,
    ) -> impl Future<Output = Result<Option<RecordValues>, AwsError>> + Send;

    /// UPSERTs `record_name` with `record` (type, values, TTL); returns the change id and the
    /// values the record held just before.
    fn upsert(
        &self,
        zone_id: &str,
        record_name: &str,
        record: &RecordValues,
        comment: &str,
    ) -> impl Future<Output = Result<DnsChange, AwsError>> + Send;

    /// `PENDING` or `INSYNC`.
    fn change_status(
        &self,
        change_id: &str,
    ) -> impl Future<Output = Result<String, AwsError>> + Send;
}

#[derive(Clone, Debug)]
pub struct Route53Dns {
    client: aws_sdk_route53::Client,
}

impl Route53Dns {
    pub fn new(client: aws_sdk_route53::Client) -> Self {
        Self { client }
    }

    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self::new(aws_sdk_route53::Client::new(config))
    }
}

/// `api.example.com` and `API.example.com.` are the same name.
pub fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

fn strip_prefix<'a>(id: &'a str, prefix: &str) -> &'a str {
    id.strip_prefix(prefix).unwrap_or(id)
}

impl DnsReader for Route53Dns {
    async fn record_values(
        &self,
        zone_name: &str,
        record_name: &str,
        record_type: &str,
    ) -> Result<Option<Vec<String>>, AwsError> {
        let Some(zone) = self.zone_id(zone_name).await? else {
            return Ok(None);
        };
        Ok(self
            .current(&zone, record_name, record_type)
            .await?
            .map(|r| r.values))
    }
}

impl DnsWriter for Route53Dns {
    async fn zone_id(&self, zone_name: &str) -> Result<Option<String>, AwsError> {
        let output = self
            .client
            .list_hosted_zones_by_name()
            .dns_name(zone_name)
            .max_items(10)
            .send()
            .await
            .map_err(|e| from_sdk("route53", "ListHostedZonesByName", e))?;
        Ok(output
            .hosted_zones()
            .iter()
            .find(|z| same_name(z.name(), zone_name))
            .map(|z| strip_prefix(z.id(), "/hostedzone/").to_string()))
    }

    async fn current(
        &self,
        zone_id: &str,
        record_name: &str,
        record_type: &str,
    ) -> Result<Option<RecordValues>, AwsError> {
        let output = self
            .client
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .start_record_name(record_name)
            .start_record_type(RrType::from(record_type))
            .max_items(1)
            .send()
            .await
            .map_err(|e| from_sdk("route53", "ListResourceRecordSets", e))?;
        Ok(output
            .resource_record_sets()
            .iter()
            .find(|set| same_name(set.name(), record_name) && set.r#type().as_str() == record_type)
            .map(|set| RecordValues {
                record_type: record_type.to_string(),
                values: set
                    .resource_records()
                    .iter()
                    .map(|r| r.value().to_string())
                    .collect(),
                ttl: set.ttl().and_then(|t| u32::try_from(t).ok()),
            }))
    }

    async fn upsert(
        &self,
        zone_id: &str,
        record_name: &str,
        record: &RecordValues,
        comment: &str,
    ) -> Result<DnsChange, AwsError> {
        let old = self
            .current(zone_id, record_name, &record.record_type)
            .await?;
        let refused = |message: String| AwsError::Refused {
            service: "route53",
            operation: "ChangeResourceRecordSets",
            code: "InvalidInput".into(),
            message,
        };
        let records = record
            .values
            .iter()
            .map(|v| ResourceRecord::builder().value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| refused(e.to_string()))?;
        let set = ResourceRecordSet::builder()
            .name(record_name)
            .r#type(RrType::from(record.record_type.as_str()))
            .ttl(i64::from(record.ttl.unwrap_or(60)))
            .set_resource_records(Some(records))
            .build()
            .map_err(|e| refused(e.to_string()))?;
        let change = Change::builder()
            .action(ChangeAction::Upsert)
            .resource_record_set(set)
            .build()
            .map_err(|e| refused(e.to_string()))?;
        let batch = ChangeBatch::builder()
            .comment(comment.chars().take(256).collect::<String>())
            .changes(change)
            .build()
            .map_err(|e| refused(e.to_string()))?;
        let output = self
            .client
            .change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(batch)
            .send()
            .await
            .map_err(|e| from_sdk("route53", "ChangeResourceRecordSets", e))?;
        let info = output.change_info();
        Ok(DnsChange {
            change_id: info
                .map(|i| strip_prefix(i.id(), "/change/").to_string())
                .unwrap_or_default(),
            status: info
                .map(|i| i.status().as_str().to_string())
                .unwrap_or_else(|| ChangeStatus::Pending.as_str().to_string()),
            old,
        })
    }

    async fn change_status(&self, change_id: &str) -> Result<String, AwsError> {
        let output = self
            .client
            .get_change()
            .id(change_id)
            .send()
            .await
            .map_err(|e| from_sdk("route53", "GetChange", e))?;
        Ok(output
            .change_info()
            .map(|i| i.status().as_str().to_string())
            .unwrap_or_else(|| ChangeStatus::Pending.as_str().to_string()))
    }
}

/// The sandbox answers every change INSYNC at once, with one fixed change id; these tests give
/// the adapter what Route 53 really says: a PENDING change with its own id, then INSYNC.
#[cfg(test)]
mod tests {
    use aws_sdk_route53::Client;
    use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsOutput;
    use aws_sdk_route53::operation::get_change::GetChangeOutput;
    use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
    use aws_sdk_route53::types::ChangeInfo;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    fn info(status: ChangeStatus) -> ChangeInfo {
        ChangeInfo::builder()
            .id("/change/C0123456789EXAMPLE")
            .status(status)
            .submitted_at(aws_smithy_types::DateTime::from_secs(1_800_000_000))
            .build()
            .unwrap()
    }

    fn a_record(value: &str) -> ResourceRecordSet {
        ResourceRecordSet::builder()
            .name("api.bookstore.example.com.")
            .r#type(RrType::A)
            .ttl(60)
            .resource_records(ResourceRecord::builder().value(value).build().unwrap())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn upsert_returns_the_change_id_and_the_old_values_then_polls_to_insync() {
        let list = mock!(Client::list_resource_record_sets).then_output(|| {
            ListResourceRecordSetsOutput::builder()
                .resource_record_sets(a_record("192.0.2.10"))
                .is_truncated(false)
                .max_items(1)
                .build()
                .unwrap()
        });
        let change = mock!(Client::change_resource_record_sets)
            .match_requests(|r| {
                let batch = r.change_batch().unwrap();
                let set = batch.changes()[0].resource_record_set().unwrap();
                batch.changes()[0].action() == &ChangeAction::Upsert
                    && set.resource_records()[0].value() == "192.0.2.20"
                    && set.ttl() == Some(30)
            })
            .then_output(|| {
                ChangeResourceRecordSetsOutput::builder()
                    .change_info(info(ChangeStatus::Pending))
                    .build()
            });
        let get = mock!(Client::get_change)
            .match_requests(|r| r.id() == Some("C0123456789EXAMPLE"))
            .sequence()
            .output(|| {
                GetChangeOutput::builder()
                    .change_info(info(ChangeStatus::Pending))
                    .build()
            })
            .output(|| {
                GetChangeOutput::builder()
                    .change_info(info(ChangeStatus::Insync))
                    .build()
            })
            .build();
        let client = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&list, &change, &get]);
        let dns = Route53Dns::new(client);
        let record = RecordValues {
            record_type: "A".into(),
            values: vec!["192.0.2.20".into()],
            ttl: Some(30),
        };
        let submitted = dns
            .upsert("Z0EXAMPLE", "api.bookstore.example.com", &record, "test")
            .await
            .unwrap();
        assert_eq!(submitted.change_id, "C0123456789EXAMPLE");
        assert_eq!(submitted.status, "PENDING");
        let old = submitted.old.unwrap();
        assert_eq!(old.values, ["192.0.2.10"]);
        assert_eq!(old.ttl, Some(60));
        assert_eq!(
            dns.change_status(&submitted.change_id).await.unwrap(),
            "PENDING"
        );
        assert_eq!(
            dns.change_status(&submitted.change_id).await.unwrap(),
            "INSYNC"
        );
        assert_eq!(change.num_calls(), 1);
    }

    #[tokio::test]
    async fn another_record_is_not_taken_for_the_one_asked() {
        // ListResourceRecordSets starts at the name given and may return the next record.
        let list = mock!(Client::list_resource_record_sets).then_output(|| {
            let mut other = a_record("192.0.2.99");
            other.name = "b.bookstore.example.com.".into();
            ListResourceRecordSetsOutput::builder()
                .resource_record_sets(other)
                .is_truncated(false)
                .max_items(1)
                .build()
                .unwrap()
        });
        let dns = Route53Dns::new(mock_client!(aws_sdk_route53, [&list]));
        assert_eq!(
            dns.current("Z0EXAMPLE", "a.bookstore.example.com", "A")
                .await
                .unwrap(),
            None
        );
        assert!(same_name(
            "API.bookstore.example.com.",
            "api.bookstore.example.com"
        ));
    }
}
