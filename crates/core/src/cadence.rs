//! Cadence compliance: has an experiment been exercised recently enough?
//!
//! The Stage 3 article asks for automated tests at least every four to five weeks, so the
//! default allowed interval is 35 days. Only runs that reached a verdict on the system
//! (PASSED or FAILED) count as an exercise: a run that was refused, aborted or errored proved
//! nothing about recovery, so it does not reset the clock.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::run::{RunRecord, RunStatus};

/// The longest allowed gap between two exercises when nothing else is configured.
pub const DEFAULT_MAX_INTERVAL_DAYS: i64 = 35;

pub fn default_max_interval() -> Duration {
    Duration::days(DEFAULT_MAX_INTERVAL_DAYS)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CadenceStatus {
    /// Exercised within the allowed interval.
    Compliant,
    /// The last exercise is older than the allowed interval.
    Overdue,
    /// Never exercised.
    NeverRun,
}

impl CadenceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compliant => "COMPLIANT",
            Self::Overdue => "OVERDUE",
            Self::NeverRun => "NEVER_RUN",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CadenceCheck {
    pub status: CadenceStatus,
    /// When the last counted exercise was decided.
    pub last_exercised: Option<DateTime<Utc>>,
    pub max_interval_days: i64,
    /// The last moment the next exercise may happen and still be on time.
    pub due_by: Option<DateTime<Utc>>,
}

/// Whether a run counts as an exercise of the system (it reached a verdict on it).
pub fn counts_as_exercise(run: &RunRecord) -> bool {
    matches!(run.status, RunStatus::Passed | RunStatus::Failed)
}

/// The time of the newest run in `runs` that counts as an exercise.
pub fn last_exercised<'a>(runs: impl IntoIterator<Item = &'a RunRecord>) -> Option<DateTime<Utc>> {
    runs.into_iter()
        .filter(|run| counts_as_exercise(run))
        .map(|run| {
            run.verdict
                .as_ref()
                .map_or(run.updated_at, |v| v.decided_at)
        })
        .max()
}

/// Judges cadence from the last exercise time.
pub fn check_cadence(
    last_exercised: Option<DateTime<Utc>>,
    max_interval: Duration,
    now: DateTime<Utc>,
) -> CadenceCheck {
    let due_by = last_exercised.map(|at| at + max_interval);
    let status = match due_by {
        None => CadenceStatus::NeverRun,
        Some(due) if now > due => CadenceStatus::Overdue,
        Some(_) => CadenceStatus::Compliant,
    };
    CadenceCheck {
        status,
        last_exercised,
        max_interval_days: max_interval.num_days(),
        due_by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn never_run_without_an_exercise() {
        let check = check_cadence(None, default_max_interval(), at("2026-12-01T00:00:00Z"));
        assert_eq!(check.status, CadenceStatus::NeverRun);
        assert_eq!(check.due_by, None);
    }

    #[test]
    fn compliant_up_to_the_last_day_then_overdue() {
        let last = Some(at("2026-10-27T09:00:00Z"));
        let due = at("2026-12-01T09:00:00Z");
        let on_time = check_cadence(last, default_max_interval(), due);
        assert_eq!(on_time.status, CadenceStatus::Compliant);
        assert_eq!(on_time.due_by, Some(due));
        let late = check_cadence(last, default_max_interval(), due + Duration::seconds(1));
        assert_eq!(late.status, CadenceStatus::Overdue);
    }

    fn run_ending(status: RunStatus, at_text: &str) -> RunRecord {
        let mut run = RunRecord::new("r", "api-instance-failure", "bookstore", at(at_text));
        run.status = status;
        run
    }

    #[test]
    fn only_runs_with_a_verdict_on_the_system_count() {
        let runs = [
            run_ending(RunStatus::Failed, "2026-11-01T00:00:00Z"),
            run_ending(RunStatus::Aborted, "2026-11-20T00:00:00Z"),
            run_ending(RunStatus::Passed, "2026-11-10T00:00:00Z"),
            run_ending(RunStatus::Errored, "2026-11-25T00:00:00Z"),
        ];
        assert_eq!(last_exercised(&runs), Some(at("2026-11-10T00:00:00Z")));
        assert_eq!(last_exercised(&runs[1..2]), None);
    }
}
