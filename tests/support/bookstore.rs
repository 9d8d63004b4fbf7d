//! The Bookstore world the experiment tests run in, as `gameday sandbox seed` makes it: the
//! fleet, the API's DNS record, and the notification topic with its SQS queue.

use std::time::Duration;

use chrono::{DateTime, Utc};
use gameday_aws::sandbox_seed::{BookstoreFleet, seed_bookstore};
use serde_json::Value;

use crate::{SnsEnvelope, TestSandbox, receive_json};

/// The table every experiment test uses.
pub const TABLE: &str = "gameday";
/// The API's RTO in the Bookstore playbook: 12 hours.
pub const API_RTO_SECONDS: f64 = 43_200.0;

pub struct Bookstore {
    pub sandbox: TestSandbox,
    pub fleet: BookstoreFleet,
    pub topic_arn: String,
    pub queue_url: String,
}

impl Bookstore {
    pub async fn start() -> Self {
        let sandbox = TestSandbox::start().await;
        let fleet = seed_bookstore(&sandbox.config, sandbox.endpoint_url(), TABLE)
            .await
            .unwrap();
        let topic_arn = fleet.topic_arn.clone();
        let queue_url = fleet.queue_url.clone();
        Self {
            sandbox,
            fleet,
            topic_arn,
            queue_url,
        }
    }

    /// Up to `count` messages published to the run topic so far.
    pub async fn messages(&self, count: usize) -> Vec<SnsEnvelope> {
        receive_json(
            &self.sandbox.config,
            &self.queue_url,
            count,
            Duration::from_secs(5),
        )
        .await
    }
}

/// A Tuesday afternoon, outside every blocked window of the examples.
pub fn tuesday_afternoon() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T18:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// `examples/bookstore/api-instance-failure.yaml` as the JSON the state machine receives.
pub fn api_experiment() -> Value {
    let text = include_str!("../../examples/bookstore/api-instance-failure.yaml");
    serde_json::to_value(gameday_core::spec::load_experiment("api.yaml", text).unwrap()).unwrap()
}
