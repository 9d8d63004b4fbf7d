//! The continuation token: what the first call started, carried by CodePipeline from call to
//! call (CodePipeline invokes the action again, as a new job, while the token is returned).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::GateError;
use crate::event::Gated;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContinuationToken {
    pub execution_arn: String,
    pub started_at: DateTime<Utc>,
    /// The first job's id: the run ids are made from it.
    pub job_id: String,
    /// Set for a suite gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub experiments: Vec<String>,
    pub baseline_margin_percent: f64,
}

impl ContinuationToken {
    pub fn gated(&self) -> Gated {
        match (&self.service, self.experiments.as_slice()) {
            (None, [name]) => Gated::Experiment(name.clone()),
            _ => Gated::Suite {
                service: self.service.clone().unwrap_or_default(),
                experiments: self.experiments.clone(),
            },
        }
    }

    /// Each gated experiment with the id of its run.
    pub fn runs(&self) -> Vec<(String, String)> {
        self.experiments
            .iter()
            .map(|name| (name.clone(), run_id(name, &self.job_id)))
            .collect()
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("the token serializes")
    }

    pub fn decode(text: &str) -> Result<Self, GateError> {
        crate::event::read_json(text).map_err(|(field, e)| {
            GateError::Configuration(format!(
                "the continuation token is not one this gate wrote (continuationToken{field}: {e}); retry the stage so the gate starts afresh"
            ))
        })
    }
}

/// The run id of `experiment` started by job `job_id`: known before the run starts, so even a
/// run that fails can be looked up, and a retried first call names the same run.
pub fn run_id(experiment: &str, job_id: &str) -> String {
    format!("{experiment}-{}", safe_name(job_id))
}

/// The execution name for job `job_id`. StartExecution with the same name and input is
/// idempotent, so a retried first call does not start a second execution.
pub fn execution_name(job_id: &str) -> String {
    format!("gate-{}", safe_name(job_id))
}

/// `id` with only the characters execution names allow, at most 70 of them (names take 80).
fn safe_name(id: &str) -> String {
    id.chars()
        .map(
            |c| match c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                true => c,
                false => '-',
            },
        )
        .take(70)
        .collect()
}

/// The ARN Step Functions gives execution `name` of `state_machine_arn`.
pub fn execution_arn(state_machine_arn: &str, name: &str) -> String {
    format!(
        "{}:{name}",
        state_machine_arn.replacen(":stateMachine:", ":execution:", 1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_job_id_and_the_token_round_trips() {
        assert_eq!(execution_name("a1b2/c3"), "gate-a1b2-c3");
        assert_eq!(run_id("api", "job-1"), "api-job-1");
        assert_eq!(
            execution_arn(
                "arn:aws:states:us-west-2:123456789012:stateMachine:gameday-experiment",
                "gate-1"
            ),
            "arn:aws:states:us-west-2:123456789012:execution:gameday-experiment:gate-1"
        );
        let token = ContinuationToken {
            execution_arn: "arn".into(),
            started_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            job_id: "job-1".into(),
            service: None,
            experiments: vec!["api".into()],
            baseline_margin_percent: 20.0,
        };
        let decoded = ContinuationToken::decode(&token.encode()).unwrap();
        assert_eq!(decoded, token);
        assert_eq!(decoded.gated(), Gated::Experiment("api".into()));
        assert_eq!(decoded.runs(), vec![("api".into(), "api-job-1".into())]);
        assert!(matches!(
            ContinuationToken::decode("{\"executionArn\": 1}"),
            Err(GateError::Configuration(_))
        ));
    }
}
