//! The notification topic with an SQS queue subscribed to it, so what gameday sent can be
//! read back: the sandbox has no e-mail, so the queue stands in for the playbook's contacts.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;

use crate::error::{AwsError, from_sdk};

/// The SNS topic runs and failovers notify in the sandbox.
pub const NOTIFICATION_TOPIC: &str = "gameday";
/// The SQS queue subscribed to it.
pub const NOTIFICATION_QUEUE: &str = "gameday-notifications";

/// Creates the topic (CreateTopic returns the existing one for the same name).
pub(super) async fn ensure_topic(config: &SdkConfig, name: &str) -> Result<String, AwsError> {
    aws_sdk_sns::Client::new(config)
        .create_topic()
        .name(name)
        .send()
        .await
        .map_err(|e| from_sdk("sns", "CreateTopic", e))?
        .topic_arn()
        .map(String::from)
        .ok_or_else(|| AwsError::Refused {
            service: "sns",
            operation: "CreateTopic",
            code: "IncompleteAnswer".into(),
            message: "the answer carries no topic ARN".into(),
        })
}

/// Creates the queue `queue_name` (or finds it), lets SNS deliver to it, and subscribes it to
/// `topic_arn` with raw message delivery off, so each message arrives in its SNS envelope.
/// Subscribing the same queue again returns the existing subscription. Returns the queue URL.
pub async fn subscribe_queue(
    config: &SdkConfig,
    topic_arn: &str,
    queue_name: &str,
) -> Result<String, AwsError> {
    let sqs = aws_sdk_sqs::Client::new(config);
    let queue_url = sqs
        .create_queue()
        .queue_name(queue_name)
        .send()
        .await
        .map_err(|e| from_sdk("sqs", "CreateQueue", e))?
        .queue_url()
        .map(String::from)
        .ok_or_else(|| incomplete("sqs", "CreateQueue", "a queue URL"))?;
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| from_sdk("sqs", "GetQueueAttributes", e))?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| incomplete("sqs", "GetQueueAttributes", "the queue ARN"))?;
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
        .map_err(|e| from_sdk("sqs", "SetQueueAttributes", e))?;
    aws_sdk_sns::Client::new(config)
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .attributes("RawMessageDelivery", "false")
        .return_subscription_arn(true)
        .send()
        .await
        .map_err(|e| from_sdk("sns", "Subscribe", e))?;
    Ok(queue_url)
}

fn incomplete(service: &'static str, operation: &'static str, what: &str) -> AwsError {
    AwsError::Refused {
        service,
        operation,
        code: "IncompleteAnswer".into(),
        message: format!("the answer carries no {what}"),
    }
}

/// One SNS notification as an SQS subscriber receives it (raw message delivery off).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
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

/// Receives (and deletes) notifications from `queue_url` until `expected_count` have arrived
/// or `max_wait` has passed, in the order received. It stops as soon as `expected_count` are
/// in, so pass one more than expected to show that nothing else came.
pub async fn receive_notifications(
    config: &SdkConfig,
    queue_url: &str,
    expected_count: usize,
    max_wait: Duration,
) -> Result<Vec<SnsEnvelope>, AwsError> {
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
            .map_err(|e| from_sdk("sqs", "ReceiveMessage", e))?;
        let messages = output.messages();
        if messages.is_empty() && left < Duration::from_secs(1) {
            tokio::time::sleep(left.min(Duration::from_millis(100))).await;
        }
        for message in messages {
            let body = message.body().unwrap_or_default();
            received.push(SnsEnvelope::parse(body).map_err(|e| AwsError::Corrupt {
                what: format!("message in {queue_url}"),
                message: e,
            })?);
            if let Some(receipt) = message.receipt_handle() {
                sqs.delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(receipt)
                    .send()
                    .await
                    .map_err(|e| from_sdk("sqs", "DeleteMessage", e))?;
            }
        }
    }
    Ok(received)
}
