//! The staged-resiliency maturity model: which of the five stages a service has reached, on
//! the evidence gameday holds, and what is missing for the next one.
//!
//! The stages are those of the "Chaos Engineering Through Staged Resiliency" series (Gremlin),
//! which builds on the resiliency levels Walmart described at ChaosConf 2018. The Stage 1 and
//! Stage 3 articles are in the reference documents (`seeds/001_*.txt`, `seeds/003_*.txt`);
//! Stages 4 and 5 come from the same series' later articles (their text: "automate resiliency
//! testing in non-production, semi-automate disaster recovery failover", then "integrate
//! automatic resiliency testing in CI/CD, where a failed test fails the build, and automate
//! resiliency and failover testing in production so it does not rely on people").
//!
//! 1. **Playbooks.** Critical dependencies defined, a failover playbook with contacts and a
//!    procedure per scenario, and one manual failover exercise recorded.
//! 2. **Non-production experiments.** Every critical dependency's failure exercised in a
//!    non-production environment (a run that reached a verdict).
//! 3. **Cadence and production.** Automated tests on a schedule, kept on time (at least every
//!    35 days, see `cadence`), with published results, and at least one experiment that
//!    reached a verdict in production.
//! 4. **Automated non-production and failover.** Every non-production experiment runs on a
//!    schedule, and failover is automated with a measured RTO inside the objective.
//! 5. **Automated production and pipeline.** Experiments gate deploys (a failed run fails the
//!    deploy), every production experiment runs on a schedule and on time, and an automated
//!    failover in production has a measured RTO inside the objective.
//!
//! A stage counts only when every earlier stage is met too. "On evidence" means each check
//! reads a record: a stage is never granted on what a file merely says it will do.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cadence::{
    CadenceCheck, CadenceStatus, check_cadence, counts_as_exercise, default_max_interval,
    last_exercised,
};
use crate::failover::{FailoverFile, FailoverPolicy, LedgerEntry, Measurement};
use crate::run::RunRecord;
use crate::spec::{Experiment, PRODUCTION};

/// The highest stage of the model.
pub const TOP_STAGE: u8 = 5;

/// What the service's playbook holds (read by the playbook loader).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaybookFacts {
    /// The critical dependencies, by name, each with its RTO and RPO.
    pub dependencies: Vec<String>,
    /// Failover scenarios with a step-by-step procedure.
    pub scenarios: usize,
    pub contacts: usize,
    /// Manual failover exercises recorded in the playbook.
    pub manual_exercises: usize,
}

impl PlaybookFacts {
    /// What a validated playbook holds, as the maturity stages count it.
    pub fn of(playbook: &crate::playbook::Playbook) -> Self {
        Self {
            dependencies: playbook
                .dependencies
                .iter()
                .filter(|d| d.critical)
                .map(|d| d.name.clone())
                .collect(),
            scenarios: playbook
                .scenarios
                .iter()
                .filter(|s| !s.recovery_procedure.is_empty())
                .count(),
            contacts: playbook.contacts.len(),
            manual_exercises: playbook.exercises.len(),
        }
    }
}

/// One experiment of the service and what its runs show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentEvidence {
    pub name: String,
    pub dependency: String,
    /// `metadata.environment` is `production`.
    pub production: bool,
    /// It has a `schedule`.
    pub scheduled: bool,
    pub cadence: CadenceCheck,
    /// Runs that reached a verdict on the system (PASSED or FAILED).
    pub verdict_runs: usize,
    /// Its results go somewhere people see them (a notify topic, a published report).
    pub publishes_results: bool,
    /// A deploy pipeline runs it and fails the deploy when it does not pass.
    pub gates_deploys: bool,
}

/// One failover policy and its ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverEvidence {
    pub service: String,
    pub dependency: String,
    /// Started by an alarm, without a person.
    pub automated: bool,
    /// It acts in production.
    pub production: bool,
    /// Measured RTOs from the ledger, newest first.
    pub rtos: Vec<Measurement>,
}

impl ExperimentEvidence {
    /// What `runs` (every run of `experiment`) show at `now`. Results count as published when
    /// the experiment names a notify topic or any run's notification was actually sent.
    pub fn from_runs(
        experiment: &Experiment,
        runs: &[RunRecord],
        gates_deploys: bool,
        now: DateTime<Utc>,
    ) -> Self {
        let metadata = &experiment.metadata;
        Self {
            name: metadata.name.clone(),
            dependency: metadata.dependency.clone(),
            production: metadata.environment == PRODUCTION,
            scheduled: experiment.schedule.is_some(),
            cadence: check_cadence(last_exercised(runs), default_max_interval(), now),
            verdict_runs: runs.iter().filter(|run| counts_as_exercise(run)).count(),
            publishes_results: experiment.notify.is_some()
                || runs
                    .iter()
                    .flat_map(|run| &run.notifications)
                    .any(|n| n.message_id.is_some()),
            gates_deploys,
        }
    }
}

impl FailoverEvidence {
    /// A policy of `file` (alarm-driven, so automated) and its ledger `entries`, newest first.
    pub fn from_ledger(
        file: &FailoverFile,
        policy: &FailoverPolicy,
        entries: &[LedgerEntry],
    ) -> Self {
        Self {
            service: policy.service.clone(),
            dependency: policy.dependency.clone(),
            automated: true,
            production: file.metadata.environment == PRODUCTION,
            rtos: entries.iter().filter_map(|e| e.rto.clone()).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    pub service: String,
    pub playbook: PlaybookFacts,
    pub experiments: Vec<ExperimentEvidence>,
    pub failovers: Vec<FailoverEvidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Requirement {
    pub what: String,
    pub met: bool,
    /// What the evidence showed, or what to do when it is not met.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageCheck {
    pub stage: u8,
    pub title: &'static str,
    pub met: bool,
    pub requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Assessment {
    pub service: String,
    /// The highest stage whose requirements, and those of every stage before it, are met;
    /// 0 when not even stage 1 is.
    pub stage: u8,
    /// The stage to work on next; `None` at stage 5.
    pub next_stage: Option<u8>,
    /// In plain words, what the next stage still needs.
    pub missing_for_next: Vec<String>,
    pub stages: Vec<StageCheck>,
}

impl Assessment {
    /// The assessment for people, one line each.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "{}: stage {} of {TOP_STAGE}",
            self.service, self.stage
        )];
        for stage in &self.stages {
            lines.push(format!(
                "  stage {} {} {}",
                stage.stage,
                if stage.met { "met    " } else { "not met" },
                stage.title
            ));
            for r in &stage.requirements {
                lines.push(format!(
                    "    [{}] {}: {}",
                    if r.met { "x" } else { " " },
                    r.what,
                    r.detail
                ));
            }
        }
        match self.next_stage {
            Some(next) => {
                lines.push(format!("missing for stage {next}:"));
                lines.extend(self.missing_for_next.iter().map(|m| format!("  - {m}")));
            }
            None => lines.push("every stage is met".into()),
        }
        lines
    }
}

/// Judges the evidence against every stage.
pub fn assess(evidence: &Evidence) -> Assessment {
    let stages = vec![
        stage(
            1,
            "Playbooks, dependencies and a manual failover exercise",
            playbooks(evidence),
        ),
        stage(
            2,
            "Critical dependency experiments in non-production",
            non_production(evidence),
        ),
        stage(
            3,
            "Automated tests on a cadence, published results, a production experiment",
            cadence(evidence),
        ),
        stage(
            4,
            "Automated non-production testing and automated failover within its RTO",
            automated_failover(evidence),
        ),
        stage(
            5,
            "Automated testing and failover in production, gating deploys",
            production_automation(evidence),
        ),
    ];
    let reached = stages.iter().take_while(|s| s.met).count() as u8;
    let next = stages.get(usize::from(reached));
    Assessment {
        service: evidence.service.clone(),
        stage: reached,
        next_stage: next.map(|s| s.stage),
        missing_for_next: next
            .map(|s| {
                s.requirements
                    .iter()
                    .filter(|r| !r.met)
                    .map(|r| format!("{}: {}", r.what, r.detail))
                    .collect()
            })
            .unwrap_or_default(),
        stages,
    }
}

fn stage(number: u8, title: &'static str, requirements: Vec<Requirement>) -> StageCheck {
    StageCheck {
        stage: number,
        title,
        met: requirements.iter().all(|r| r.met),
        requirements,
    }
}

fn requirement(what: impl Into<String>, met: bool, ok: String, missing: String) -> Requirement {
    Requirement {
        what: what.into(),
        met,
        detail: if met { ok } else { missing },
    }
}

fn at_least_one(what: &str, count: usize, fix: &str) -> Requirement {
    requirement(
        what,
        count > 0,
        format!("{count} recorded"),
        format!("none recorded; {fix}"),
    )
}

fn playbooks(evidence: &Evidence) -> Vec<Requirement> {
    let playbook = &evidence.playbook;
    vec![
        at_least_one(
            "critical dependencies defined",
            playbook.dependencies.len(),
            "list each dependency the service cannot work without, with its RTO and RPO, in the playbook",
        ),
        at_least_one(
            "failover scenarios with procedures",
            playbook.scenarios,
            "write the step-by-step failover procedure of each scenario in the playbook",
        ),
        at_least_one(
            "contacts in the playbook",
            playbook.contacts,
            "add who to call, in order of priority, to the playbook",
        ),
        at_least_one(
            "a manual failover exercise recorded",
            playbook.manual_exercises,
            "follow one scenario's procedure by hand, exactly as written, and record the exercise in the playbook",
        ),
    ]
}

fn with_verdict(
    evidence: &Evidence,
    production: bool,
) -> impl Iterator<Item = &ExperimentEvidence> {
    evidence
        .experiments
        .iter()
        .filter(move |e| e.production == production && e.verdict_runs > 0)
}

fn non_production(evidence: &Evidence) -> Vec<Requirement> {
    let dependencies = &evidence.playbook.dependencies;
    if dependencies.is_empty() {
        let count = with_verdict(evidence, false).count();
        return vec![at_least_one(
            "a non-production experiment with a verdict",
            count,
            "run an experiment in a non-production environment until it passes or fails",
        )];
    }
    dependencies
        .iter()
        .map(|dependency| {
            let exercised: Vec<&str> = with_verdict(evidence, false)
                .filter(|e| &e.dependency == dependency)
                .map(|e| e.name.as_str())
                .collect();
            requirement(
                format!("dependency `{dependency}` exercised in non-production"),
                !exercised.is_empty(),
                format!("by {}", exercised.join(", ")),
                format!(
                    "no non-production experiment of `{dependency}` has reached a verdict; write one (metadata.dependency: {dependency}) and run it"
                ),
            )
        })
        .collect()
}

fn names<'a>(experiments: impl Iterator<Item = &'a ExperimentEvidence>) -> Vec<&'a str> {
    experiments.map(|e| e.name.as_str()).collect()
}

fn on_time(experiment: &ExperimentEvidence) -> bool {
    experiment.cadence.status == CadenceStatus::Compliant
}

fn cadence(evidence: &Evidence) -> Vec<Requirement> {
    let scheduled: Vec<&ExperimentEvidence> = evidence
        .experiments
        .iter()
        .filter(|e| e.scheduled)
        .collect();
    let late = names(scheduled.iter().copied().filter(|e| !on_time(e)));
    let unpublished = names(scheduled.iter().copied().filter(|e| !e.publishes_results));
    let production = names(with_verdict(evidence, true));
    vec![
        requirement(
            "experiments on a schedule",
            !scheduled.is_empty(),
            format!("{} scheduled", scheduled.len()),
            "no experiment has a `schedule`; give the experiments one (at least every 4 to 5 weeks)".into(),
        ),
        requirement(
            "the schedule kept",
            !scheduled.is_empty() && late.is_empty(),
            "every scheduled experiment exercised within its allowed gap".into(),
            if scheduled.is_empty() {
                "nothing is scheduled yet".into()
            } else {
                format!("overdue or never run: {}", late.join(", "))
            },
        ),
        requirement(
            "results published",
            !scheduled.is_empty() && unpublished.is_empty(),
            "every scheduled experiment publishes its results".into(),
            if scheduled.is_empty() {
                "nothing is scheduled yet".into()
            } else {
                format!(
                    "no notify topic or published report for: {}; add `notify.topicArn` or publish `gameday report`",
                    unpublished.join(", ")
                )
            },
        ),
        requirement(
            "an experiment in production",
            !production.is_empty(),
            format!("by {}", production.join(", ")),
            "no production experiment has reached a verdict; run one (environment: production, allowProduction: true, with a stop condition)".into(),
        ),
    ]
}

/// The failovers that are automated and whose newest measured RTO met its objective, and a
/// description of the others.
fn failover_requirement(what: &str, failovers: &[&FailoverEvidence], scope: &str) -> Requirement {
    let automated: Vec<&&FailoverEvidence> = failovers.iter().filter(|f| f.automated).collect();
    if automated.is_empty() {
        return requirement(
            what,
            false,
            String::new(),
            format!(
                "no automated failover policy {scope}; write one (`kind: FailoverPolicies`) and drill it"
            ),
        );
    }
    let problems: Vec<String> = automated
        .iter()
        .filter_map(|f| match f.rtos.first() {
            None => Some(format!(
                "{} has no measured RTO (run `gameday failover drill {}`)",
                f.service, f.service
            )),
            Some(rto) if !rto.met => Some(format!("{}'s latest RTO {}", f.service, rto.verdict())),
            Some(_) => None,
        })
        .collect();
    requirement(
        what,
        problems.is_empty(),
        format!(
            "latest RTO within objective for {}",
            automated
                .iter()
                .map(|f| f.service.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        problems.join("; "),
    )
}

fn automated_failover(evidence: &Evidence) -> Vec<Requirement> {
    let non_production: Vec<&ExperimentEvidence> = evidence
        .experiments
        .iter()
        .filter(|e| !e.production)
        .collect();
    let manual = names(non_production.iter().copied().filter(|e| !e.scheduled));
    let failovers: Vec<&FailoverEvidence> = evidence.failovers.iter().collect();
    vec![
        requirement(
            "every non-production experiment automated",
            !non_production.is_empty() && manual.is_empty(),
            format!(
                "{} non-production experiment(s), all scheduled",
                non_production.len()
            ),
            if non_production.is_empty() {
                "there is no non-production experiment".into()
            } else {
                format!(
                    "not scheduled: {}; give each a `schedule`",
                    manual.join(", ")
                )
            },
        ),
        failover_requirement("automated failover within its RTO", &failovers, "exists"),
    ]
}

fn production_automation(evidence: &Evidence) -> Vec<Requirement> {
    let gating = names(evidence.experiments.iter().filter(|e| e.gates_deploys));
    let production: Vec<&ExperimentEvidence> = evidence
        .experiments
        .iter()
        .filter(|e| e.production)
        .collect();
    let not_automated = names(
        production
            .iter()
            .copied()
            .filter(|e| !e.scheduled || !on_time(e)),
    );
    let production_failovers: Vec<&FailoverEvidence> =
        evidence.failovers.iter().filter(|f| f.production).collect();
    vec![
        requirement(
            "experiments gate deploys",
            !gating.is_empty(),
            format!("in the pipeline: {}", gating.join(", ")),
            "no experiment runs in the deploy pipeline; add the gameday gate stage so a failed run fails the deploy".into(),
        ),
        requirement(
            "production experiments automated and on time",
            !production.is_empty() && not_automated.is_empty(),
            format!("{} production experiment(s), all scheduled and on time", production.len()),
            if production.is_empty() {
                "there is no production experiment".into()
            } else {
                format!("not scheduled or overdue: {}", not_automated.join(", "))
            },
        ),
        failover_requirement(
            "automated failover in production within its RTO",
            &production_failovers,
            "acts in production",
        ),
    ]
}

#[cfg(test)]
mod tests;
