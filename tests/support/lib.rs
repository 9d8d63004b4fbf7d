//! Shared set-up for the sandbox tests: a running sandbox and SDK configuration pointing at it.

pub mod aws_call;
pub mod bench;
pub mod bookstore;
pub mod fault_matrix;
pub mod faults;
pub mod history;
pub mod iam_check;
pub mod invariants;
pub mod template;

use aws_config::SdkConfig;
use gameday_aws::config::load_sdk_config;
use gameday_aws::{AwsClients, SdkSettings};
use gameday_sandbox::Sandbox;

/// A sandbox that lives as long as the test holds it.
pub struct TestSandbox {
    pub sandbox: Sandbox,
    pub config: SdkConfig,
}

impl TestSandbox {
    /// Starts a fresh sandbox (installing pinned moto on first use).
    pub async fn start() -> Self {
        let sandbox = tokio::task::spawn_blocking(Sandbox::start)
            .await
            .expect("start task")
            .expect("the sandbox starts");
        let config = load_sdk_config(&SdkSettings::sandbox(sandbox.endpoint_url())).await;
        Self { sandbox, config }
    }

    pub fn endpoint_url(&self) -> &str {
        self.sandbox.endpoint_url()
    }

    pub fn clients(&self, table: &str) -> AwsClients {
        AwsClients::new(&self.config, table)
    }
}

pub use gameday_aws::sandbox_seed::SnsEnvelope;

/// Creates a fresh SQS queue subscribed to `topic_arn` (raw message delivery off, so each
/// message arrives in its SNS envelope). Returns the queue URL, for [`receive_json`]. Every
/// call makes a new queue, so tests never share one.
pub async fn subscribe_queue(config: &SdkConfig, topic_arn: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static QUEUES: AtomicU64 = AtomicU64::new(0);

    let topic_name: String = topic_arn
        .rsplit(':')
        .next()
        .unwrap_or("topic")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect();
    let queue_name = format!(
        "{topic_name}-sub-{}-{}",
        std::process::id(),
        QUEUES.fetch_add(1, Ordering::Relaxed)
    );
    gameday_aws::sandbox_seed::subscribe_queue(config, topic_arn, &queue_name)
        .await
        .expect("the queue is subscribed to the topic")
}

/// Receives (and deletes) SNS notifications from `queue_url` until `expected_count` have
/// arrived or `max_wait` has passed, and returns them in the order received. It stops as soon
/// as `expected_count` are in, so pass one more than expected to show that nothing else came.
pub async fn receive_json(
    config: &SdkConfig,
    queue_url: &str,
    expected_count: usize,
    max_wait: std::time::Duration,
) -> Vec<SnsEnvelope> {
    gameday_aws::sandbox_seed::receive_notifications(config, queue_url, expected_count, max_wait)
        .await
        .expect("notifications are received")
}
