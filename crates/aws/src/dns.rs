//! Route 53: reading records for probes (and, for failover, changing them).

use std::future::Future;

use crate::error::AwsError;

pub trait DnsReader {
    /// The values of `record_name`/`record_type` in the public or private zone named
    /// `zone_name`; `None` when the zone or the record does not exist.
    fn record_values(&self, zone_name: &str, record_name: &str, record_type: &str)
    -> impl Future<Output = Result<Option<Vec<String>>, AwsError>> + Send;
}
