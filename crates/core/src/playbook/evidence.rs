//! The evidence behind each scenario: its last exercise, whether the cadence is kept, the trend
//! of its experiments' verdicts, and every measured recovery against the scenario's RTO.
//!
//! Built from what the table holds (run records and failover ledger entries) and from the
//! playbook's own manual exercise log. Nothing is estimated: a scenario without records says
//! so.
//!
//! What counts as an exercise: an experiment run that reached a verdict on the system (see
//! [`crate::cadence::counts_as_exercise`]), a failover that ran its procedure (failed over,
//! restored, or failed), and a recorded manual exercise.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::model::{Playbook, Scenario};
use crate::cadence::{CadenceCheck, check_cadence, counts_as_exercise, last_exercised};
use crate::failover::{LedgerEntry, Outcome};
use crate::run::RunRecord;

/// How many verdicts the trend shows, and how many measured recoveries.
pub const TREND_LENGTH: usize = 5;

/// What was read for the evidence, keyed by experiment name and by failover service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvidenceInputs {
    /// Where the records were read, e.g. `DynamoDB table gameday`.
    pub source: String,
    /// Experiment name → its runs (any order).
    pub runs: BTreeMap<String, Vec<RunRecord>>,
    /// Failover service → its ledger entries (any order).
    pub failovers: BTreeMap<String, Vec<LedgerEntry>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    pub generated_at: DateTime<Utc>,
    pub source: String,
    pub scenarios: Vec<ScenarioEvidence>,
}

impl Evidence {
    pub fn scenario(&self, name: &str) -> Option<&ScenarioEvidence> {
        self.scenarios.iter().find(|s| s.scenario == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioEvidence {
    pub scenario: String,
    pub rto_objective_seconds: f64,
    /// The newest exercise of any kind.
    pub last_exercise: Option<Event>,
    pub cadence: CadenceCheck,
    /// The latest experiment verdicts, oldest first.
    pub trend: Vec<Event>,
    /// The latest measured recoveries, newest first.
    pub recoveries: Vec<Recovery>,
}

impl ScenarioEvidence {
    /// True when nothing at all is recorded for the scenario.
    pub fn is_empty(&self) -> bool {
        self.last_exercise.is_none() && self.trend.is_empty() && self.recoveries.is_empty()
    }
}

/// One recorded thing that happened to a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub at: DateTime<Utc>,
    pub source: Source,
    /// The run's status, the failover's outcome, or `MANUAL`.
    pub result: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    Experiment {
        experiment: String,
        run_id: String,
    },
    Failover {
        service: String,
        failover_id: String,
    },
    Manual,
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Experiment { experiment, run_id } => {
                format!("experiment {experiment}, run {run_id}")
            }
            Source::Failover {
                service,
                failover_id,
            } => format!("failover of {service}, {failover_id}"),
            Source::Manual => "manual exercise".to_string(),
        }
    }
}

/// A measured recovery judged against the scenario's RTO.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recovery {
    pub at: DateTime<Utc>,
    pub source: Source,
    pub measured_seconds: f64,
    pub objective_seconds: f64,
    pub met: bool,
    /// What the figure measures.
    pub basis: String,
}

/// The evidence of every scenario of `playbook`.
pub fn build_evidence(
    playbook: &Playbook,
    inputs: &EvidenceInputs,
    now: DateTime<Utc>,
) -> Evidence {
    let max_interval = playbook
        .metadata
        .max_days_between_exercises
        .map_or_else(crate::cadence::default_max_interval, |days| {
            Duration::days(i64::from(days))
        });
    Evidence {
        generated_at: now,
        source: inputs.source.clone(),
        scenarios: playbook
            .scenarios
            .iter()
            .map(|s| scenario_evidence(playbook, s, inputs, max_interval, now))
            .collect(),
    }
}

fn scenario_evidence(
    playbook: &Playbook,
    scenario: &Scenario,
    inputs: &EvidenceInputs,
    max_interval: Duration,
    now: DateTime<Utc>,
) -> ScenarioEvidence {
    let objective = scenario.rto.as_secs_f64();
    let runs: Vec<&RunRecord> = scenario
        .exercised_by
        .experiments
        .iter()
        .flat_map(|name| inputs.runs.get(name).into_iter().flatten())
        .filter(|run| scenario.exercised_by.experiments.contains(&run.experiment))
        .collect();
    let failovers: Vec<&LedgerEntry> = scenario
        .exercised_by
        .failover_policy
        .iter()
        .flat_map(|service| inputs.failovers.get(service).into_iter().flatten())
        .collect();
    let manual: Vec<(DateTime<Utc>, f64)> = playbook
        .exercises_of(&scenario.name)
        .iter()
        .filter_map(|e| Some((start_of_day(&e.date)?, e.downtime.as_secs_f64())))
        .collect();

    let mut exercises: Vec<Event> = runs
        .iter()
        .filter(|run| counts_as_exercise(run))
        .filter_map(|run| {
            let at = last_exercised([*run])?;
            Some(run_event(run, at))
        })
        .collect();
    exercises.extend(
        failovers
            .iter()
            .filter(|entry| ran_its_procedure(entry))
            .map(|entry| failover_event(entry)),
    );
    exercises.extend(manual.iter().map(|(at, _)| Event {
        at: *at,
        source: Source::Manual,
        result: "MANUAL".to_string(),
    }));
    let last_exercise = exercises.into_iter().max_by_key(|e| e.at);
    let cadence = check_cadence(last_exercise.as_ref().map(|e| e.at), max_interval, now);

    let mut trend: Vec<Event> = runs
        .iter()
        .filter_map(|run| run.verdict.as_ref().map(|v| run_event(run, v.decided_at)))
        .collect();
    trend.sort_by_key(|e| e.at);
    let trend = trend.split_off(trend.len().saturating_sub(TREND_LENGTH));

    let mut recoveries: Vec<Recovery> = runs
        .iter()
        .filter_map(|run| {
            let measured = run.recovery_seconds?;
            Some(recovery(
                run.recovery_ended_at.unwrap_or(run.updated_at),
                experiment_source(run),
                measured,
                objective,
                "experiment: fault injected until the steady state held again",
            ))
        })
        .collect();
    recoveries.extend(failovers.iter().filter_map(|entry| {
        let rto = entry.rto.as_ref()?;
        Some(recovery(
            entry.finished_at.unwrap_or(entry.received_at),
            failover_source(entry),
            rto.measured_seconds,
            objective,
            &format!("failover: {}", rto.basis),
        ))
    }));
    recoveries.extend(manual.iter().map(|(at, downtime)| {
        recovery(
            *at,
            Source::Manual,
            *downtime,
            objective,
            "manual exercise: downtime recorded in the playbook",
        )
    }));
    recoveries.sort_by_key(|r| std::cmp::Reverse(r.at));
    recoveries.truncate(TREND_LENGTH);

    ScenarioEvidence {
        scenario: scenario.name.clone(),
        rto_objective_seconds: objective,
        last_exercise,
        cadence,
        trend,
        recoveries,
    }
}

/// A failover that acted (or tried to): not a duplicate, not cancelled, not still running.
fn ran_its_procedure(entry: &LedgerEntry) -> bool {
    matches!(
        entry.outcome,
        Outcome::FailedOver | Outcome::Restored | Outcome::Failed
    )
}

fn experiment_source(run: &RunRecord) -> Source {
    Source::Experiment {
        experiment: run.experiment.clone(),
        run_id: run.run_id.clone(),
    }
}

fn failover_source(entry: &LedgerEntry) -> Source {
    Source::Failover {
        service: entry.service.clone(),
        failover_id: entry.failover_id.clone(),
    }
}

fn run_event(run: &RunRecord, at: DateTime<Utc>) -> Event {
    Event {
        at,
        source: experiment_source(run),
        result: run.status.as_str().to_string(),
    }
}

fn failover_event(entry: &LedgerEntry) -> Event {
    Event {
        at: entry.finished_at.unwrap_or(entry.received_at),
        source: failover_source(entry),
        result: entry.outcome.as_str().to_string(),
    }
}

fn recovery(
    at: DateTime<Utc>,
    source: Source,
    measured_seconds: f64,
    objective_seconds: f64,
    basis: &str,
) -> Recovery {
    Recovery {
        at,
        source,
        measured_seconds,
        objective_seconds,
        met: measured_seconds <= objective_seconds,
        basis: basis.to_string(),
    }
}

/// A manual exercise's day, taken as its start in UTC.
fn start_of_day(date: &str) -> Option<DateTime<Utc>> {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
}
