//! The CodePipeline gate: a Lambda invoke action that runs an experiment (or a service's suite)
//! before a deploy goes on, and lets the pipeline through only on a recorded pass.
//!
//! The first call starts the execution and returns a continuation token; CodePipeline calls
//! again with the token while the job is in progress. Once the execution has ended, the run
//! records decide: PASSED, with a recovery no more than the margin slower than the rolling
//! baseline, succeeds the job with output variables; anything else fails it with the reason.
//! Every job gets a result, including on errors, so a pipeline never waits on a silent gate.

pub mod config;
pub mod error;
pub mod event;
pub mod token;
pub mod verdict;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use gameday_aws::executions::{ExecutionState, Executions};
use gameday_aws::pipeline::{JobFailureKind, JobResult, PipelineJobs};
use gameday_aws::runs::RunStore;
use serde_json::{Value, json};

pub use config::GateConfig;
pub use error::GateError;
use event::{Gated, Job, parse_user_parameters};
use token::{ContinuationToken, execution_arn, execution_name};
use verdict::{PassedRun, judge_run, recorded_pass};

/// How many runs of an experiment are read to find its latest passed ones.
const HISTORY_READ_FACTOR: usize = 4;

pub struct Gate<E, R, P> {
    pub executions: E,
    pub runs: R,
    pub pipeline: P,
    /// A bad environment fails each job with the reason, instead of the function's start-up
    /// (which would leave the job waiting for CodePipeline's own timeout).
    pub config: Result<GateConfig, GateError>,
}

impl<E: Executions + Sync, R: RunStore + Sync, P: PipelineJobs + Sync> Gate<E, R, P> {
    /// Handles one job event at `now`: decides, reports the result to CodePipeline, and returns
    /// what was reported. AWS errors are reported as the job's failure and then returned.
    pub async fn handle(&self, event: &Value, now: DateTime<Utc>) -> Result<Value, GateError> {
        let job = Job::from_event(event)?;
        let decided = self.decide(&job, now).await;
        let (result, error) = match decided {
            Ok(result) => (result, None),
            Err(error) => {
                let result = JobResult::Failed {
                    kind: error.failure_kind(),
                    message: format!("{} ({})", error, error.asl_name()),
                    external_execution_id: None,
                };
                let returned = matches!(error, GateError::Aws(_)).then_some(error);
                (result, returned)
            }
        };
        let reported = self.pipeline.report(&job.id, &result).await;
        tracing::info!(job_id = %job.id, result = ?result, reported = reported.is_ok(), "job result");
        match (error, reported) {
            (Some(error), Err(report_error)) => {
                tracing::error!(job_id = %job.id, %report_error, "the failure could not be reported");
                Err(error)
            }
            (Some(error), Ok(())) => Err(error),
            (None, Err(report_error)) => Err(report_error.into()),
            (None, Ok(())) => Ok(describe(&job.id, &result)),
        }
    }

    async fn decide(&self, job: &Job, now: DateTime<Utc>) -> Result<JobResult, GateError> {
        let config = self.config.as_ref().map_err(Clone::clone)?;
        match &job.continuation_token {
            None => self.start(config, job, now).await,
            Some(text) => {
                self.poll(config, &ContinuationToken::decode(text)?, now)
                    .await
            }
        }
    }

    /// The first call: start the execution under a name made from the job id.
    async fn start(
        &self,
        config: &GateConfig,
        job: &Job,
        now: DateTime<Utc>,
    ) -> Result<JobResult, GateError> {
        let parameters = parse_user_parameters(job.user_parameters.as_deref())?;
        let (machine, variable) = match &parameters.gated {
            Gated::Experiment(_) => (
                &config.experiment_state_machine_arn,
                "EXPERIMENT_STATE_MACHINE_ARN",
            ),
            Gated::Suite { .. } => (&config.suite_state_machine_arn, "SUITE_STATE_MACHINE_ARN"),
        };
        let machine = machine.as_deref().ok_or_else(|| {
            GateError::Configuration(format!(
                "the gate's environment has no {variable}; set it to the ARN of the deployed state machine to gate {}",
                parameters.gated.describe()
            ))
        })?;
        let name = execution_name(&job.id);
        let mut token = ContinuationToken {
            execution_arn: execution_arn(machine, &name),
            started_at: now,
            job_id: job.id.clone(),
            service: match &parameters.gated {
                Gated::Experiment(_) => None,
                Gated::Suite { service, .. } => Some(service.clone()),
            },
            experiments: parameters
                .gated
                .experiments()
                .into_iter()
                .map(String::from)
                .collect(),
            baseline_margin_percent: parameters
                .baseline_margin_percent
                .unwrap_or(config.baseline_margin_percent),
        };
        // Checked before starting: a token CodePipeline refuses would orphan the execution.
        let length = token.encode().chars().count();
        if length > gameday_aws::pipeline::MAX_CONTINUATION_TOKEN_CHARS {
            return Err(GateError::Configuration(format!(
                "the gate's continuation token would have {length} characters, more than CodePipeline's 2048; gate fewer experiments per action"
            )));
        }
        let input = execution_input(&token);
        token.execution_arn = match self.executions.start(machine, &name, &input).await {
            Ok(arn) => arn,
            // A retried first call, after the execution it started has already ended.
            Err(error) if error.code() == Some("ExecutionAlreadyExists") => {
                token.execution_arn.clone()
            }
            Err(error) => return Err(error.into()),
        };
        tracing::info!(job_id = %job.id, execution_arn = %token.execution_arn, "started");
        Ok(JobResult::InProgress {
            summary: format!(
                "started {}: execution {}",
                parameters.gated.describe(),
                token.execution_arn
            ),
            external_execution_id: token.execution_arn.clone(),
            continuation_token: token.encode(),
        })
    }

    /// A later call: follow the execution; once it has ended, judge its runs.
    async fn poll(
        &self,
        config: &GateConfig,
        token: &ContinuationToken,
        now: DateTime<Utc>,
    ) -> Result<JobResult, GateError> {
        let state = self.executions.describe(&token.execution_arn).await?;
        let arn = Some(token.execution_arn.clone());
        let gated = token.gated();
        match state.status.as_str() {
            "RUNNING" | "PENDING_REDRIVE" if now - token.started_at > config.timeout => {
                Ok(JobResult::Failed {
                    kind: JobFailureKind::JobFailed,
                    message: format!(
                        "timed out: {} has been running for more than {} minutes (GATE_TIMEOUT_MINUTES); execution {} was left to finish, with its own rollback",
                        gated.describe(),
                        config.timeout.num_minutes(),
                        token.execution_arn
                    ),
                    external_execution_id: arn,
                })
            }
            "RUNNING" | "PENDING_REDRIVE" => Ok(JobResult::InProgress {
                summary: format!(
                    "{} is running: execution {}",
                    gated.describe(),
                    token.execution_arn
                ),
                external_execution_id: token.execution_arn.clone(),
                continuation_token: token.encode(),
            }),
            "SUCCEEDED" => self.judge(config, token, &state).await,
            _ => {
                let reasons = self.reasons_not_passed(token, &state).await?;
                Ok(JobResult::Failed {
                    kind: JobFailureKind::JobFailed,
                    message: format!(
                        "{} did not pass: execution {} ended {}{}; {}",
                        gated.describe(),
                        token.execution_arn,
                        state.status,
                        execution_error(&state),
                        reasons.join("; ")
                    ),
                    external_execution_id: arn,
                })
            }
        }
    }

    /// The execution SUCCEEDED: every run must have passed, within its baseline.
    async fn judge(
        &self,
        config: &GateConfig,
        token: &ContinuationToken,
        state: &ExecutionState,
    ) -> Result<JobResult, GateError> {
        let mut reasons = suite_tally_problems(token, state);
        let mut passed = Vec::new();
        for (experiment, run_id) in runs_of(token, state) {
            let record = self.runs.get_run(&run_id).await?;
            let history = self
                .runs
                .recent_runs(&experiment, config.baseline_runs * HISTORY_READ_FACTOR + 1)
                .await?;
            match judge_run(
                &run_id,
                record.as_ref(),
                &history,
                config.baseline_runs,
                token.baseline_margin_percent,
            ) {
                Ok(run) => passed.push(run),
                Err(reason) => reasons.push(reason),
            }
        }
        let arn = Some(token.execution_arn.clone());
        if !reasons.is_empty() {
            return Ok(JobResult::Failed {
                kind: JobFailureKind::JobFailed,
                message: format!(
                    "{} did not pass the gate: {}",
                    token.gated().describe(),
                    reasons.join("; ")
                ),
                external_execution_id: arn,
            });
        }
        Ok(JobResult::Succeeded {
            summary: pass_summary(&token.gated(), &passed, token.baseline_margin_percent),
            external_execution_id: arn,
            output_variables: output_variables(&passed),
        })
    }

    /// Why each run of an execution that did not succeed did not pass, from its record.
    async fn reasons_not_passed(
        &self,
        token: &ContinuationToken,
        state: &ExecutionState,
    ) -> Result<Vec<String>, GateError> {
        let mut reasons = Vec::new();
        for (_, run_id) in runs_of(token, state) {
            let record = self.runs.get_run(&run_id).await?;
            reasons.push(match recorded_pass(&run_id, record.as_ref()) {
                Err(reason) => reason,
                Ok(_) => format!("run {run_id} recorded PASSED"),
            });
        }
        Ok(reasons)
    }
}

/// The state machine input: the experiment machine's input for one experiment, or the
/// suite's list of them; each names its run so the gate can find the record.
fn execution_input(token: &ContinuationToken) -> Value {
    let items: Vec<Value> = token
        .runs()
        .into_iter()
        .map(|(name, run_id)| json!({"experimentName": name, "runId": run_id}))
        .collect();
    match token.gated() {
        Gated::Experiment(_) => items.into_iter().next().unwrap_or_default(),
        Gated::Suite { .. } => json!({"experiments": items}),
    }
}

/// The runs to judge: the token's, except that an experiment execution's own output names its
/// run when it has one.
fn runs_of(token: &ContinuationToken, state: &ExecutionState) -> Vec<(String, String)> {
    let mut runs = token.runs();
    let output_run = state
        .output
        .as_ref()
        .and_then(|o| o.get("runId"))
        .and_then(Value::as_str);
    if let (Gated::Experiment(_), Some(run_id), Some(run)) =
        (token.gated(), output_run, runs.first_mut())
    {
        run.1 = run_id.to_string();
    }
    runs
}

/// For a suite: its output's `verdicts` must hold one PASSED per experiment.
fn suite_tally_problems(token: &ContinuationToken, state: &ExecutionState) -> Vec<String> {
    if let Gated::Experiment(_) = token.gated() {
        return Vec::new();
    }
    let verdicts = state
        .output
        .as_ref()
        .and_then(|o| o.get("verdicts"))
        .and_then(Value::as_array);
    match verdicts {
        Some(verdicts)
            if verdicts.len() == token.experiments.len()
                && verdicts.iter().all(|v| *v == "PASSED") =>
        {
            Vec::new()
        }
        Some(verdicts) => vec![format!(
            "the suite's tally is {} for experiments {}",
            Value::Array(verdicts.clone()),
            token.experiments.join(", ")
        )],
        None => vec!["the suite's output has no `verdicts` tally".to_string()],
    }
}

fn execution_error(state: &ExecutionState) -> String {
    match (&state.error, &state.cause) {
        (Some(error), Some(cause)) => format!(" ({error}: {cause})"),
        (Some(error), None) => format!(" ({error})"),
        (None, Some(cause)) => format!(" ({cause})"),
        (None, None) => String::new(),
    }
}

fn pass_summary(gated: &Gated, passed: &[PassedRun], margin_percent: f64) -> String {
    let runs: Vec<String> = passed
        .iter()
        .map(|run| {
            let baseline = match run.baseline {
                Some(b) => format!(
                    "baseline {} s from {} runs, margin {margin_percent}%",
                    b.median_seconds, b.runs
                ),
                None => "no earlier passed run to compare with yet".to_string(),
            };
            format!(
                "{} PASSED, recovered in {} s ({baseline})",
                run.run_id, run.recovery_seconds
            )
        })
        .collect();
    format!("{} passed: {}", gated.describe(), runs.join("; "))
}

/// `verdict`, `recoverySeconds` (the slowest run's) and `runId` (comma-separated for a
/// suite), for later actions as `#{namespace.variable}`.
fn output_variables(passed: &[PassedRun]) -> BTreeMap<String, String> {
    let slowest = passed
        .iter()
        .map(|run| run.recovery_seconds)
        .fold(0.0_f64, f64::max);
    let run_ids: Vec<&str> = passed.iter().map(|run| run.run_id.as_str()).collect();
    BTreeMap::from([
        ("verdict".to_string(), "PASSED".to_string()),
        ("recoverySeconds".to_string(), slowest.to_string()),
        ("runId".to_string(), run_ids.join(",")),
    ])
}

/// What was reported, for the function's own result and logs.
fn describe(job_id: &str, result: &JobResult) -> Value {
    match result {
        JobResult::InProgress {
            external_execution_id,
            ..
        } => {
            json!({"jobId": job_id, "result": "IN_PROGRESS", "executionArn": external_execution_id})
        }
        JobResult::Succeeded {
            summary,
            output_variables,
            ..
        } => {
            json!({"jobId": job_id, "result": "SUCCEEDED", "summary": summary, "outputVariables": output_variables})
        }
        JobResult::Failed { kind, message, .. } => {
            json!({"jobId": job_id, "result": "FAILED", "failureType": format!("{kind:?}"), "message": message})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_variable_names_are_ones_codepipeline_accepts() {
        let run = PassedRun {
            run_id: "api-job-1".into(),
            experiment: "api".into(),
            recovery_seconds: 42.5,
            baseline: None,
        };
        let variables = output_variables(std::slice::from_ref(&run));
        for key in variables.keys() {
            assert!(
                key.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "@-_".contains(c)),
                "{key}"
            );
        }
        assert_eq!(variables["recoverySeconds"], "42.5");
        assert_eq!(variables["runId"], "api-job-1");
    }
}
