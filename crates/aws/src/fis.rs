//! AWS FIS: experiments started from a template, and stopped on undo.

use std::future::Future;

use aws_sdk_fis::error::ProvideErrorMetadata;
use aws_sdk_fis::types::ExperimentStatus;

use crate::error::{AwsError, from_sdk};

pub trait FaultInjection {
    /// Starts an experiment from `template_id`; `client_token` makes a retried start idempotent.
    /// Returns the experiment id.
    fn start_experiment(
        &self,
        template_id: &str,
        client_token: &str,
    ) -> impl Future<Output = Result<String, AwsError>> + Send;
    /// Stops the experiment; stopping one that already ended succeeds.
    fn stop_experiment(
        &self,
        experiment_id: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// The FIS adapter: `StartExperiment` and `StopExperiment`, with `GetExperiment` to tell an
/// experiment that already ended from a real refusal.
#[derive(Clone, Debug)]
pub struct FisExperiments {
    client: aws_sdk_fis::Client,
}

impl FisExperiments {
    pub fn new(client: aws_sdk_fis::Client) -> Self {
        Self { client }
    }

    /// The experiment's status, as FIS reports it now.
    async fn status(&self, experiment_id: &str) -> Result<Option<ExperimentStatus>, AwsError> {
        let output = self
            .client
            .get_experiment()
            .id(experiment_id)
            .send()
            .await
            .map_err(|e| from_sdk("fis", "GetExperiment", e))?;
        Ok(output
            .experiment()
            .and_then(|e| e.state())
            .and_then(|s| s.status())
            .cloned())
    }
}

/// Whether an experiment in `status` has ended or is ending, so stopping it has nothing to do.
pub fn has_ended(status: &ExperimentStatus) -> bool {
    matches!(
        status,
        ExperimentStatus::Completed
            | ExperimentStatus::Stopped
            | ExperimentStatus::Stopping
            | ExperimentStatus::Failed
            | ExperimentStatus::Cancelled
    )
}

impl FaultInjection for FisExperiments {
    async fn start_experiment(
        &self,
        template_id: &str,
        client_token: &str,
    ) -> Result<String, AwsError> {
        let output = self
            .client
            .start_experiment()
            .experiment_template_id(template_id)
            .client_token(client_token)
            .send()
            .await
            .map_err(|e| from_sdk("fis", "StartExperiment", e))?;
        output
            .experiment()
            .and_then(|e| e.id())
            .map(String::from)
            .ok_or_else(|| AwsError::Refused {
                service: "fis",
                operation: "StartExperiment",
                code: "NoExperimentId".into(),
                message: format!(
                    "FIS accepted template {template_id} but returned no experiment id; look it up with client token {client_token}"
                ),
            })
    }

    async fn stop_experiment(&self, experiment_id: &str) -> Result<(), AwsError> {
        let error = match self.client.stop_experiment().id(experiment_id).send().await {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        // FIS answers StopExperiment on an experiment that is no longer running with a
        // ValidationException (its API reference lists no other refusal besides
        // ResourceNotFound; ConflictException is accepted too in case that changes). Whether
        // the experiment really ended is read back rather than guessed from the message.
        let not_running = error
            .as_service_error()
            .is_some_and(|e| e.is_validation_exception())
            || error.code() == Some("ConflictException");
        if not_running
            && self
                .status(experiment_id)
                .await
                .ok()
                .flatten()
                .is_some_and(|status| has_ended(&status))
        {
            return Ok(());
        }
        Err(from_sdk("fis", "StopExperiment", error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ended_statuses() {
        for ended in ["completed", "stopped", "stopping", "failed", "cancelled"] {
            assert!(has_ended(&ExperimentStatus::from(ended)), "{ended}");
        }
        for live in ["pending", "initiating", "running"] {
            assert!(!has_ended(&ExperimentStatus::from(live)), "{live}");
        }
    }
}
