//! DynamoDB: the lease of a run's driver, beside the run (`pk = RUN#<id>, sk = DRIVER`).
//!
//! A separate item, so that renewing it never bumps the run record's version (which every
//! phase write is conditional on). The lease is stored as JSON in `lease`, with `renewedAt`
//! and `driver` (the driver as JSON) beside it for the conditions: a driver renews only its
//! own lease, and a take-over replaces only the lease that was judged lost.

use std::future::Future;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use gameday_core::liveness::Lease;

use crate::error::{AwsError, from_sdk};
use crate::runs::{DynamoRunStore, is_condition_failure, s};

pub trait LeaseStore {
    /// The lease of `run_id`'s driver; `None` when no driver was recorded.
    fn get_lease(
        &self,
        run_id: &str,
    ) -> impl Future<Output = Result<Option<Lease>, AwsError>> + Send;
    /// Writes `lease` if the stored one is still `replacing` (`None`: if there is none), so two
    /// callers cannot both take over a run. `Conflict` when it changed.
    fn claim_lease(
        &self,
        run_id: &str,
        lease: &Lease,
        replacing: Option<&Lease>,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// Renews `lease` if its driver still holds it; `Conflict` when another took it over.
    fn renew_lease(
        &self,
        run_id: &str,
        lease: &Lease,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// Removes the lease if `lease`'s driver holds it (the run ended); gone already is fine.
    fn drop_lease(
        &self,
        run_id: &str,
        lease: &Lease,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

fn encode(run_id: &str, value: &impl serde::Serialize) -> Result<String, AwsError> {
    serde_json::to_string(value).map_err(|e| AwsError::Corrupt {
        what: format!("lease of run {run_id}"),
        message: e.to_string(),
    })
}

fn conflict(run_id: &str) -> AwsError {
    AwsError::Conflict {
        what: format!("the lease of run {run_id}"),
        expected: 0,
    }
}

impl DynamoRunStore {
    fn lease_put(
        &self,
        run_id: &str,
        lease: &Lease,
    ) -> Result<aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder, AwsError>
    {
        Ok(self
            .client()
            .put_item()
            .table_name(self.table_name())
            .item("pk", s(format!("RUN#{run_id}")))
            .item("sk", s("DRIVER"))
            .item("driver", s(encode(run_id, &lease.driver)?))
            .item("renewedAt", s(lease.renewed_at.to_rfc3339()))
            .item("lease", s(encode(run_id, lease)?)))
    }
}

/// The outcome of a conditional lease write: a failed condition is `Conflict`.
fn conditional<T, E>(
    run_id: &str,
    operation: &'static str,
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<(), AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.as_service_error().is_some_and(is_condition_failure) => {
            Err(conflict(run_id))
        }
        Err(error) => Err(from_sdk("dynamodb", operation, error)),
    }
}

impl LeaseStore for DynamoRunStore {
    async fn get_lease(&self, run_id: &str) -> Result<Option<Lease>, AwsError> {
        let output = self
            .client()
            .get_item()
            .table_name(self.table_name())
            .key("pk", s(format!("RUN#{run_id}")))
            .key("sk", s("DRIVER"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| from_sdk("dynamodb", "GetItem", e))?;
        let Some(json) = output
            .item()
            .and_then(|i| i.get("lease"))
            .and_then(|v| v.as_s().ok())
        else {
            return Ok(None);
        };
        serde_json::from_str(json)
            .map(Some)
            .map_err(|e| AwsError::Corrupt {
                what: format!("lease of run {run_id}"),
                message: e.to_string(),
            })
    }

    async fn claim_lease(
        &self,
        run_id: &str,
        lease: &Lease,
        replacing: Option<&Lease>,
    ) -> Result<(), AwsError> {
        let put = self.lease_put(run_id, lease)?;
        let put = match replacing {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(old) => put
                .condition_expression("driver = :driver AND renewedAt = :renewed")
                .expression_attribute_values(":driver", s(encode(run_id, &old.driver)?))
                .expression_attribute_values(":renewed", s(old.renewed_at.to_rfc3339())),
        };
        conditional(run_id, "PutItem", put.send().await)
    }

    async fn renew_lease(&self, run_id: &str, lease: &Lease) -> Result<(), AwsError> {
        let put = self
            .lease_put(run_id, lease)?
            .condition_expression("driver = :driver")
            .expression_attribute_values(":driver", s(encode(run_id, &lease.driver)?));
        conditional(run_id, "PutItem", put.send().await)
    }

    async fn drop_lease(&self, run_id: &str, lease: &Lease) -> Result<(), AwsError> {
        let delete = self
            .client()
            .delete_item()
            .table_name(self.table_name())
            .key("pk", s(format!("RUN#{run_id}")))
            .key("sk", AttributeValue::S("DRIVER".into()))
            .condition_expression("attribute_not_exists(pk) OR driver = :driver")
            .expression_attribute_values(":driver", s(encode(run_id, &lease.driver)?));
        conditional(run_id, "DeleteItem", delete.send().await)
    }
}
