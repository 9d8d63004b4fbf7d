//! Whether a finished run lets the deploy through: its recorded verdict, and its recovery
//! against the rolling baseline. Pure: the records are read by the caller.

use gameday_core::run::{RunRecord, RunStatus};

/// The median recovery of the latest passed runs before the one judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baseline {
    pub median_seconds: f64,
    pub runs: usize,
}

/// A run that passed the gate.
#[derive(Debug, Clone, PartialEq)]
pub struct PassedRun {
    pub run_id: String,
    pub experiment: String,
    pub recovery_seconds: f64,
    /// `None` when no earlier passed run has a measured recovery yet.
    pub baseline: Option<Baseline>,
}

/// The baseline of `current` from `history` (newest first, any status): the median recovery of
/// the latest `count` PASSED runs created before it.
pub fn baseline(history: &[RunRecord], current: &RunRecord, count: usize) -> Option<Baseline> {
    let mut seconds: Vec<f64> = history
        .iter()
        .filter(|r| r.run_id != current.run_id && r.created_at < current.created_at)
        .filter(|r| r.status == RunStatus::Passed)
        .filter_map(|r| r.recovery_seconds)
        .take(count)
        .collect();
    if seconds.is_empty() {
        return None;
    }
    seconds.sort_by(f64::total_cmp);
    let middle = seconds.len() / 2;
    let median_seconds = match seconds.len() % 2 {
        1 => seconds[middle],
        _ => (seconds[middle - 1] + seconds[middle]) / 2.0,
    };
    Some(Baseline {
        median_seconds,
        runs: seconds.len(),
    })
}

/// The record of run `run_id` if it recorded a PASSED verdict; `Err` says why it did not pass
/// (a missing record or verdict is never a pass).
pub fn recorded_pass<'a>(
    run_id: &str,
    record: Option<&'a RunRecord>,
) -> Result<&'a RunRecord, String> {
    let record = record.ok_or_else(|| {
        format!("run {run_id} has no run record, so no verdict was recorded (not a pass)")
    })?;
    let Some(verdict) = &record.verdict else {
        return Err(format!(
            "run {run_id} has no verdict (status {}), so it did not pass",
            record.status
        ));
    };
    if verdict.status != RunStatus::Passed || record.status != RunStatus::Passed {
        let reasons = match verdict.reasons.is_empty() {
            true => "no reason recorded".to_string(),
            false => verdict.reasons.join("; "),
        };
        return Err(format!("run {run_id} {}: {reasons}", verdict.status));
    }
    Ok(record)
}

/// Judges run `run_id`: it passes only with a recorded PASSED verdict, a measured recovery,
/// and a recovery no more than `margin_percent` slower than its baseline. `Err` is the reason.
pub fn judge_run(
    run_id: &str,
    record: Option<&RunRecord>,
    history: &[RunRecord],
    baseline_runs: usize,
    margin_percent: f64,
) -> Result<PassedRun, String> {
    let record = recorded_pass(run_id, record)?;
    let recovery_seconds = record.recovery_seconds.ok_or_else(|| {
        format!(
            "run {run_id} PASSED but no recovery time was measured, so the baseline check cannot run; see `gameday status {run_id}`"
        )
    })?;
    let baseline = baseline(history, record, baseline_runs);
    if let Some(baseline) = baseline {
        let allowed = baseline.median_seconds * (1.0 + margin_percent / 100.0);
        if recovery_seconds > allowed {
            return Err(format!(
                "run {run_id} recovered in {recovery_seconds} s, slower than its baseline of {} s (median of the last {} passed runs of {}) by more than the allowed {margin_percent}% (at most {allowed:.1} s)",
                baseline.median_seconds, baseline.runs, record.experiment
            ));
        }
    }
    Ok(PassedRun {
        run_id: run_id.to_string(),
        experiment: record.experiment.clone(),
        recovery_seconds,
        baseline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0).unwrap()
    }

    fn run(id: &str, minutes: i64, status: RunStatus, recovery: Option<f64>) -> RunRecord {
        let mut record = RunRecord::new(id, "api", "bookstore", at(minutes));
        record.status = status;
        record.recovery_seconds = recovery;
        record.verdict = Some(gameday_core::run::Verdict {
            status,
            reasons: vec![format!("reason of {id}")],
            decided_at: at(minutes + 5),
        });
        record
    }

    #[test]
    fn the_baseline_is_the_median_of_the_latest_earlier_passes() {
        let current = run("now", 100, RunStatus::Passed, Some(50.0));
        let history = vec![
            current.clone(),
            run("later", 200, RunStatus::Passed, Some(1.0)),
            run("f", 90, RunStatus::Failed, Some(999.0)),
            run("a", 80, RunStatus::Passed, Some(40.0)),
            run("b", 70, RunStatus::Passed, Some(60.0)),
            run("c", 60, RunStatus::Passed, Some(30.0)),
            run("d", 50, RunStatus::Passed, Some(10.0)),
        ];
        assert_eq!(
            baseline(&history, &current, 3),
            Some(Baseline {
                median_seconds: 40.0,
                runs: 3
            })
        );
        assert_eq!(
            baseline(&history, &current, 4).unwrap().median_seconds,
            35.0
        );
        assert_eq!(baseline(&history[..3], &current, 5), None);
    }

    #[test]
    fn only_a_recorded_pass_within_the_margin_passes() {
        let history = vec![
            run("a", 1, RunStatus::Passed, Some(60.0)),
            run("b", 2, RunStatus::Passed, Some(70.0)),
            run("c", 3, RunStatus::Passed, Some(80.0)),
        ];
        let within = run("r", 10, RunStatus::Passed, Some(84.0));
        let passed = judge_run("r", Some(&within), &history, 5, 20.0).unwrap();
        assert_eq!(passed.baseline.unwrap().median_seconds, 70.0);

        let slower = run("r", 10, RunStatus::Passed, Some(84.5));
        let reason = judge_run("r", Some(&slower), &history, 5, 20.0).unwrap_err();
        assert!(
            reason.contains("84.5 s") && reason.contains("baseline of 70 s"),
            "{reason}"
        );

        let failed = run("r", 10, RunStatus::Failed, Some(1.0));
        assert!(
            judge_run("r", Some(&failed), &history, 5, 20.0)
                .unwrap_err()
                .contains("FAILED: reason of r")
        );
        assert!(
            judge_run("r", None, &history, 5, 20.0)
                .unwrap_err()
                .contains("no run record")
        );
        let mut unjudged = run("r", 10, RunStatus::Running, None);
        unjudged.verdict = None;
        assert!(
            judge_run("r", Some(&unjudged), &[], 5, 20.0)
                .unwrap_err()
                .contains("no verdict")
        );
        let unmeasured = run("r", 10, RunStatus::Passed, None);
        assert!(
            judge_run("r", Some(&unmeasured), &[], 5, 20.0)
                .unwrap_err()
                .contains("no recovery time")
        );
        let first = run("r", 10, RunStatus::Passed, Some(500.0));
        assert_eq!(
            judge_run("r", Some(&first), &[], 5, 20.0).unwrap().baseline,
            None
        );
    }
}
