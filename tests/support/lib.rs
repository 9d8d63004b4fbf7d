//! Shared set-up for the sandbox tests: a running sandbox and SDK configuration pointing at it.

pub mod bookstore;
pub mod iam_check;
pub mod template;
pub mod history;

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

/// One SNS notification as an SQS subscriber receives it (raw message delivery off).
#[derive(Debug, Clone, PartialEq)]
pub struct SnsEnvelope {
    pub message_id: String,
    pub topic_arn: String,
    /// `None` when the message was published without a subject.
    pub subject: Option<String>,
    /// `Message` parsed as JSON; a message that is not JSON is kept as a JSON string.
    pub message: serde_json::Value,
}

impl SnsEnvelope {
    /// Reads the envelope SNS wraps around a message delivered to SQS.
    pub fn parse(body: &str) -> Result<Self, String> {
        let envelope: serde_json::Value =
            serde_json::from_str(body).map_err(|e| format!("not an SNS envelope ({e}): {body}"))?;
        let field = |name: &str| envelope.get(name).and_then(serde_json::Value::as_str);
        let text = field("Message").ok_or_else(|| format!("no Message in {body}"))?;
        Ok(Self {
            message_id: field("MessageId").unwrap_or_default().to_string(),
            topic_arn: field("TopicArn").unwrap_or_default().to_string(),
            subject: field("Subject").map(String::from),
            message: serde_json::from_str(text)
                .unwrap_or_else(|_| serde_json::Value::String(text.to_string())),
        })
    }
}

/// Creates a fresh SQS queue, lets SNS deliver to it, and subscribes it to `topic_arn` with raw
/// message delivery off (so each message arrives in its SNS envelope). Returns the queue URL,
/// for [`receive_json`]. Every call makes a new queue, so tests never share one.
pub async fn subscribe_queue(config: &SdkConfig, topic_arn: &str) -> String {
    use aws_sdk_sqs::types::QueueAttributeName;
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
    let sqs = aws_sdk_sqs::Client::new(config);
    let queue_url = sqs
        .create_queue()
        .queue_name(&queue_name)
        .send()
        .await
        .expect("the queue is created")
        .queue_url()
        .expect("CreateQueue returns the queue URL")
        .to_string();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("the queue's attributes are read")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .expect("the queue has an ARN")
        .clone();
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
        }],
    });
    sqs.set_queue_attributes()
        .queue_url(&queue_url)
        .attributes(QueueAttributeName::Policy, policy.to_string())
        .send()
        .await
        .expect("the queue policy is set");
    aws_sdk_sns::Client::new(config)
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .attributes("RawMessageDelivery", "false")
        .return_subscription_arn(true)
        .send()
        .await
        .expect("the queue is subscribed to the topic");
    queue_url
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
    let sqs = aws_sdk_sqs::Client::new(config);
    let deadline = tokio::time::Instant::now() + max_wait;
    let mut received = Vec::new();
    while received.len() < expected_count {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            break;
        }
        let output = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages((expected_count - received.len()).clamp(1, 10) as i32)
            .wait_time_seconds(left.as_secs().clamp(0, 1) as i32)
            .send()
            .await
            .expect("messages are received");
        let messages = output.messages();
        if messages.is_empty() && left < std::time::Duration::from_secs(1) {
            tokio::time::sleep(left.min(std::time::Duration::from_millis(100))).await;
        }
        for message in messages {
            let body = message.body().unwrap_or_default();
            received.push(SnsEnvelope::parse(body).unwrap_or_else(|e| panic!("{e}")));
            if let Some(receipt) = message.receipt_handle() {
                sqs.delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(receipt)
                    .send()
                    .await
                    .expect("the message is deleted");
            }
        }
    }
    received
}
