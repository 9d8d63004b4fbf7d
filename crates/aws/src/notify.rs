//! SNS: run started, aborted, verdict, failover done.

use std::future::Future;

use crate::error::AwsError;

pub trait Notifier {
    /// Publishes `message` (JSON text) with `subject` (at most 100 characters; longer subjects
    /// are cut) to `topic_arn`; returns the message id.
    fn publish(&self, topic_arn: &str, subject: &str, message: &str) -> impl Future<Output = Result<String, AwsError>> + Send;
}
