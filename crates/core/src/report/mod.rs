//! The resiliency report: per experiment, its runs as series over time (pass rate, recovery
//! seconds against the RTO), its cadence compliance, the failover ledger with each measured
//! RTO against its objective, and the aborts and errors still worth a look.
//!
//! [`build_report`] is pure: it takes the runs and ledger entries already read and the time
//! of the report. The HTML page ([`html::render`]) and `gameday report --output json` are two
//! views of the same [`Report`], so the page never shows a figure the JSON does not have.

pub mod chart;
pub mod html;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::cadence::{CadenceCheck, check_cadence, last_exercised};
use crate::failover::{FailoverFile, LedgerEntry, Measurement, Outcome};
use crate::run::{RunRecord, RunStatus, UndoState};
use crate::spec::Experiment;

/// How many of the latest runs with a verdict the rolling pass rate looks at.
pub const PASS_RATE_WINDOW: usize = 5;

/// One experiment and every run of it that was read from the table.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentRuns {
    pub name: String,
    pub service: String,
    pub dependency: Option<String>,
    pub environment: Option<String>,
    /// The dependency's RTO in seconds, when known (a failover policy or the runs' records).
    pub rto_seconds: Option<f64>,
    pub runs: Vec<RunRecord>,
}

impl ExperimentRuns {
    /// `experiment` with its runs, and the RTO of its dependency from the failover policy
    /// files of its application, when one names it.
    pub fn new(experiment: &Experiment, policies: &[FailoverFile], runs: Vec<RunRecord>) -> Self {
        let metadata = &experiment.metadata;
        let rto_seconds = policies
            .iter()
            .filter(|file| file.metadata.application == metadata.service)
            .flat_map(|file| &file.policies)
            .find(|policy| policy.dependency == metadata.dependency)
            .map(|policy| policy.rto.as_secs_f64());
        Self {
            name: metadata.name.clone(),
            service: metadata.service.clone(),
            dependency: Some(metadata.dependency.clone()),
            environment: Some(metadata.environment.clone()),
            rto_seconds,
            runs,
        }
    }
}

/// What the report covers: the period, and the longest allowed gap between exercises.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportWindow {
    pub now: DateTime<Utc>,
    /// Runs and failovers before this are left out of the series and tables (not of cadence).
    pub since: Option<DateTime<Utc>>,
    pub max_interval: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub generated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    pub pass_rate_window: usize,
    pub totals: StatusCounts,
    pub experiments: Vec<ExperimentReport>,
    pub failovers: Vec<FailoverRow>,
    /// ABORTED and ERRORED runs, newest first.
    pub open_problems: Vec<OpenProblem>,
}

/// How many runs ended (or are) in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusCounts {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub aborted: usize,
    pub errored: usize,
    /// PENDING, RUNNING or ROLLING_BACK.
    pub in_progress: usize,
}

impl StatusCounts {
    fn count(&mut self, status: RunStatus) {
        self.total += 1;
        match status {
            RunStatus::Passed => self.passed += 1,
            RunStatus::Failed => self.failed += 1,
            RunStatus::Aborted => self.aborted += 1,
            RunStatus::Errored => self.errored += 1,
            RunStatus::Pending | RunStatus::Running | RunStatus::RollingBack => {
                self.in_progress += 1
            }
        }
    }

    fn add(&mut self, other: &StatusCounts) {
        self.total += other.total;
        self.passed += other.passed;
        self.failed += other.failed;
        self.aborted += other.aborted;
        self.errored += other.errored;
        self.in_progress += other.in_progress;
    }

    /// PASSED out of PASSED + FAILED, in percent: only runs that reached a verdict on the
    /// system count (an aborted or errored run proved nothing either way; it is listed among
    /// the open problems instead).
    pub fn pass_rate_percent(&self) -> Option<f64> {
        percent(self.passed, self.passed + self.failed)
    }
}

fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentReport {
    pub name: String,
    pub service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rto_objective_seconds: Option<f64>,
    pub counts: StatusCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass_rate_percent: Option<f64>,
    pub cadence: CadenceCheck,
    /// Every run in the period, oldest first.
    pub runs: Vec<RunPoint>,
    /// After each run with a verdict: the pass rate of the last [`PASS_RATE_WINDOW`] such runs.
    pub pass_rate_series: Vec<SeriesPoint>,
    /// Each run with a measured recovery: its recovery seconds.
    pub recovery_series: Vec<SeriesPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunPoint {
    pub run_id: String,
    pub created_at: DateTime<Utc>,
    pub status: RunStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_seconds: Option<f64>,
    /// Whether the recovery was within the RTO, when both are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_rto: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesPoint {
    pub at: DateTime<Utc>,
    pub value: f64,
    pub run_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverRow {
    pub failover_id: String,
    pub service: String,
    pub dependency: String,
    pub procedure: String,
    pub alarm_name: String,
    /// `eventbridge`, `sns` or `drill`.
    pub source: String,
    pub alarm_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rto: Option<Measurement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpo: Option<Measurement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenProblem {
    pub run_id: String,
    pub experiment: String,
    pub status: RunStatus,
    pub at: DateTime<Utc>,
    /// The verdict's reasons and the stop reason, in that order.
    pub reasons: Vec<String>,
    /// Every fault is undone or had nothing to undo.
    pub undo_complete: bool,
    /// Faults that may still act: `fault: STATE (error)`.
    pub faults_not_undone: Vec<String>,
}

/// Builds the report from what was read.
pub fn build_report(
    experiments: &[ExperimentRuns],
    ledger: &[LedgerEntry],
    window: ReportWindow,
) -> Report {
    let in_period = |at: DateTime<Utc>| window.since.is_none_or(|since| at >= since);
    let mut totals = StatusCounts::default();
    let mut open_problems = Vec::new();
    let reports: Vec<ExperimentReport> = experiments
        .iter()
        .map(|experiment| {
            let mut runs: Vec<&RunRecord> = experiment
                .runs
                .iter()
                .filter(|run| in_period(run.created_at))
                .collect();
            runs.sort_by(|a, b| (a.created_at, &a.run_id).cmp(&(b.created_at, &b.run_id)));
            open_problems.extend(runs.iter().filter_map(|run| open_problem(run)));
            let report = experiment_report(experiment, &runs, window);
            totals.add(&report.counts);
            report
        })
        .collect();
    open_problems.sort_by_key(|problem| std::cmp::Reverse(problem.at));
    let mut failovers: Vec<FailoverRow> = ledger
        .iter()
        .filter(|entry| in_period(entry.event.alarm_at))
        .map(failover_row)
        .collect();
    failovers.sort_by_key(|row| std::cmp::Reverse(row.alarm_at));
    Report {
        generated_at: window.now,
        since: window.since,
        pass_rate_window: PASS_RATE_WINDOW,
        totals,
        experiments: reports,
        failovers,
        open_problems,
    }
}

fn experiment_report(
    experiment: &ExperimentRuns,
    runs: &[&RunRecord],
    window: ReportWindow,
) -> ExperimentReport {
    let rto = experiment
        .rto_seconds
        .or_else(|| runs.iter().rev().find_map(|run| run.rto_seconds));
    let mut counts = StatusCounts::default();
    let mut verdicts: Vec<bool> = Vec::new();
    let mut pass_rate_series = Vec::new();
    let mut recovery_series = Vec::new();
    let mut points = Vec::new();
    for run in runs {
        counts.count(run.status);
        if matches!(run.status, RunStatus::Passed | RunStatus::Failed) {
            verdicts.push(run.status == RunStatus::Passed);
            let recent = &verdicts[verdicts.len().saturating_sub(PASS_RATE_WINDOW)..];
            let passed = recent.iter().filter(|passed| **passed).count();
            pass_rate_series.push(SeriesPoint {
                at: run.created_at,
                value: percent(passed, recent.len()).unwrap_or_default(),
                run_id: run.run_id.clone(),
            });
        }
        if let Some(seconds) = run.recovery_seconds {
            recovery_series.push(SeriesPoint {
                at: run.created_at,
                value: seconds,
                run_id: run.run_id.clone(),
            });
        }
        let objective = run.rto_seconds.or(rto);
        points.push(RunPoint {
            run_id: run.run_id.clone(),
            created_at: run.created_at,
            status: run.status,
            recovery_seconds: run.recovery_seconds,
            within_rto: run
                .recovery_seconds
                .zip(objective)
                .map(|(seconds, objective)| seconds <= objective),
        });
    }
    // Cadence looks at every run read, not only those in the period: an exercise just before
    // `since` still keeps the experiment on time.
    let cadence = check_cadence(
        last_exercised(&experiment.runs),
        window.max_interval,
        window.now,
    );
    ExperimentReport {
        name: experiment.name.clone(),
        service: experiment.service.clone(),
        dependency: experiment.dependency.clone(),
        environment: experiment.environment.clone(),
        rto_objective_seconds: rto,
        pass_rate_percent: counts.pass_rate_percent(),
        counts,
        cadence,
        runs: points,
        pass_rate_series,
        recovery_series,
    }
}

fn open_problem(run: &RunRecord) -> Option<OpenProblem> {
    if !matches!(run.status, RunStatus::Aborted | RunStatus::Errored) {
        return None;
    }
    let mut reasons: Vec<String> = run
        .verdict
        .as_ref()
        .map(|v| v.reasons.clone())
        .unwrap_or_default();
    reasons.extend(run.stop_reason.iter().cloned());
    let faults_not_undone: Vec<String> = run
        .undo
        .iter()
        .filter(|undo| !matches!(undo.state, UndoState::Undone | UndoState::NothingToUndo))
        .map(|undo| {
            let state = match undo.state {
                UndoState::Pending => "PENDING (may have been injected)",
                UndoState::Injected => "INJECTED (not undone)",
                _ => "UNDO_FAILED",
            };
            match &undo.error {
                Some(error) => format!("{}: {state} ({error})", undo.fault),
                None => format!("{}: {state}", undo.fault),
            }
        })
        .collect();
    Some(OpenProblem {
        run_id: run.run_id.clone(),
        experiment: run.experiment.clone(),
        status: run.status,
        at: run
            .verdict
            .as_ref()
            .map_or(run.updated_at, |v| v.decided_at),
        reasons,
        undo_complete: faults_not_undone.is_empty(),
        faults_not_undone,
    })
}

fn failover_row(entry: &LedgerEntry) -> FailoverRow {
    FailoverRow {
        failover_id: entry.failover_id.clone(),
        service: entry.service.clone(),
        dependency: entry.dependency.clone(),
        procedure: entry.procedure.clone(),
        alarm_name: entry.event.alarm_name.clone(),
        source: entry.event.source.clone(),
        alarm_at: entry.event.alarm_at,
        finished_at: entry.finished_at,
        outcome: entry.outcome,
        rto: entry.rto.clone(),
        rpo: entry.rpo.clone(),
        failure: entry
            .failure
            .as_ref()
            .map(|f| format!("{}: {}", f.step, f.error)),
    }
}
