//! AWS FIS: experiments started from a template, and stopped on undo.

use std::future::Future;

use crate::error::AwsError;

pub trait FaultInjection {
    /// Starts an experiment from `template_id`; `client_token` makes a retried start idempotent.
    /// Returns the experiment id.
    fn start_experiment(&self, template_id: &str, client_token: &str) -> impl Future<Output = Result<String, AwsError>> + Send;
    /// Stops the experiment; stopping one that already ended succeeds.
    fn stop_experiment(&self, experiment_id: &str) -> impl Future<Output = Result<(), AwsError>> + Send;
}
