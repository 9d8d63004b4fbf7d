//! The Bookstore hosted zone and the API's A record on the primary's public address (the
//! failover policy's `address` default). The zone is found before it is created; the record
//! is UPSERTed through the same Route 53 adapter the failover uses.

use gameday_core::failover::RecordValues;

use crate::dns::{DnsWriter, Route53Dns};
use crate::error::{AwsError, from_sdk};

/// The hosted zone and the API's A record the Bookstore experiments probe.
pub const BOOKSTORE_ZONE: &str = "bookstore.example.com";
pub const BOOKSTORE_API_RECORD: &str = "api.bookstore.example.com";

/// The zone's id without the `/hostedzone/` prefix.
pub(super) async fn ensure_zone(config: &aws_config::SdkConfig) -> Result<String, AwsError> {
    if let Some(id) = Route53Dns::from_config(config)
        .zone_id(BOOKSTORE_ZONE)
        .await?
    {
        return Ok(id);
    }
    let created = aws_sdk_route53::Client::new(config)
        .create_hosted_zone()
        .name(BOOKSTORE_ZONE)
        .caller_reference(format!("gameday-seed-{BOOKSTORE_ZONE}"))
        .send()
        .await
        .map_err(|e| from_sdk("route53", "CreateHostedZone", e))?;
    Ok(created
        .hosted_zone()
        .map(|z| z.id().trim_start_matches("/hostedzone/").to_string())
        .unwrap_or_default())
}

/// Points the API's A record at `address` (TTL 60 s, as the failover policy sets it).
pub(super) async fn upsert_api_record(
    config: &aws_config::SdkConfig,
    zone_id: &str,
    address: &str,
) -> Result<(), AwsError> {
    let record = RecordValues {
        record_type: "A".into(),
        values: vec![address.to_string()],
        ttl: Some(60),
    };
    Route53Dns::from_config(config)
        .upsert(
            zone_id,
            BOOKSTORE_API_RECORD,
            &record,
            "gameday sandbox seed: the API primary",
        )
        .await
        .map(|_| ())
}
