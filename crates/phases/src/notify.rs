//! Notifications: each is recorded in the run, sent or not, and a failure to send never fails
//! the phase.

use gameday_aws::notify::Notifier;
use gameday_core::run::{NotificationRecord, RunRecord};
use gameday_core::spec::Experiment;
use serde_json::Value;

use crate::config::PhaseConfig;
use crate::ports::Ports;

/// Publishes `body` under `subject` to the experiment's topic (or the deployment's), and
/// records the outcome in `record`.
pub async fn notify<P: Ports>(
    ports: &P,
    config: &PhaseConfig,
    experiment: &Experiment,
    record: &mut RunRecord,
    subject: &str,
    body: Value,
) {
    let topic = experiment
        .notify
        .as_ref()
        .map(|n| n.topic_arn.clone())
        .or_else(|| config.topic_arn.clone());
    let at = ports.clock().now();
    let (message_id, error) = match topic {
        None => (
            None,
            Some(
                "no SNS topic configured (set TOPIC_ARN or the experiment's notify.topicArn)"
                    .to_string(),
            ),
        ),
        Some(topic) => match ports
            .notifier()
            .publish(&topic, subject, &body.to_string())
            .await
        {
            Ok(id) => (Some(id), None),
            Err(error) => {
                tracing::warn!(run_id = %record.run_id, %error, "notification not sent");
                (None, Some(error.to_string()))
            }
        },
    };
    record.notifications.push(NotificationRecord {
        subject: subject.to_string(),
        at,
        message_id,
        error,
    });
}
