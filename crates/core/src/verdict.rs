//! The verdict of a run. PASSED needs a measured recovery and every criterion met; anything
//! that could not be checked is said, and never counts as met.

use crate::run::{RunRecord, RunStatus};
use crate::spec::Experiment;

/// How a run ended before it could be judged on its merits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EarlyEnd {
    /// A safety check stopped it (stop alarm, kill switch, refusal).
    Aborted(String),
    /// Something failed (an AWS call, an invalid input).
    Errored(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub status: RunStatus,
    pub reasons: Vec<String>,
}

/// Judges a run from its record.
pub fn judge(
    experiment: &Experiment,
    record: &RunRecord,
    early_end: Option<&EarlyEnd>,
) -> Judgement {
    match early_end {
        Some(EarlyEnd::Aborted(why)) => {
            return Judgement {
                status: RunStatus::Aborted,
                reasons: vec![why.clone()],
            };
        }
        Some(EarlyEnd::Errored(why)) => {
            return Judgement {
                status: RunStatus::Errored,
                reasons: vec![why.clone()],
            };
        }
        None => {}
    }
    let criteria = &experiment.success_criteria;
    let mut failures = Vec::new();
    let mut passes = Vec::new();
    let recovery = record.measured_recovery_seconds();
    match recovery {
        Some(secs) => passes.push(format!(
            "steady state regained {secs:.0} s after the faults ended"
        )),
        None => failures.push(format!(
            "steady state not regained within the recovery timeout ({})",
            experiment.recovery.timeout
        )),
    }
    if let (Some(max), Some(secs)) = (criteria.max_recovery_seconds, recovery) {
        let line = format!("recovery {secs:.0} s against at most {max} s");
        if secs <= f64::from(max) {
            passes.push(line)
        } else {
            failures.push(line)
        }
    }
    if let Some(min) = criteria.min_availability_percent {
        match record.availability_percent() {
            Some(available) if available >= min => passes.push(format!(
                "availability {available:.1}% against at least {min}%"
            )),
            Some(available) => failures.push(format!("availability {available:.1}% below {min}%")),
            None => failures
                .push("no observation sample was taken, so availability is unknown".to_string()),
        }
    }
    if criteria.within_rto {
        match (record.rto_seconds, recovery) {
            (Some(rto), Some(secs)) if secs <= rto => passes.push(format!(
                "recovery {secs:.0} s within the dependency's RTO of {rto:.0} s"
            )),
            (Some(rto), Some(secs)) => failures.push(format!(
                "recovery {secs:.0} s exceeds the dependency's RTO of {rto:.0} s"
            )),
            (Some(_), None) => {}
            (None, _) => {
                return Judgement {
                    status: RunStatus::Errored,
                    reasons: vec![format!(
                        "withinRto is set but the RTO of dependency `{}` is unknown, so the run cannot be judged; give the RTO (playbook) when starting the run",
                        experiment.metadata.dependency
                    )],
                };
            }
        }
    }
    if failures.is_empty() {
        Judgement {
            status: RunStatus::Passed,
            reasons: passes,
        }
    } else {
        failures.extend(passes);
        Judgement {
            status: RunStatus::Failed,
            reasons: failures,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::run::{ProbeReading, Sample, UndoRecord, UndoState};
    use crate::spec::load_experiment;

    fn experiment() -> Experiment {
        load_experiment(
            "api.yaml",
            include_str!("../../../examples/bookstore/api-instance-failure.yaml"),
        )
        .unwrap()
    }

    fn at(secs: i64) -> DateTime<chrono::Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn sample(secs: i64, healthy: bool) -> Sample {
        Sample {
            at: at(secs),
            readings: vec![ProbeReading {
                probe: "p".into(),
                within_tolerance: healthy,
                value: None,
                detail: String::new(),
            }],
        }
    }

    fn record(samples: &[(i64, bool)], checks: &[(i64, bool)], rto: Option<f64>) -> RunRecord {
        let mut run = RunRecord::new("r", "api-instance-failure", "bookstore", at(0));
        run.undo.push(UndoRecord {
            fault: "f".into(),
            action: "ec2-terminate".into(),
            state: UndoState::NothingToUndo,
            targets: vec![],
            handle: None,
            injected_at: Some(at(0)),
            ended_at: Some(at(0)),
            error: None,
        });
        run.samples = samples.iter().map(|(t, h)| sample(*t, *h)).collect();
        run.recovery_checks = checks.iter().map(|(t, h)| sample(*t, *h)).collect();
        run.rto_seconds = rto;
        run
    }

    #[test]
    fn passes_only_with_a_measured_recovery_inside_every_criterion() {
        // Ten samples, one unhealthy: 90% available, the minimum the experiment asks for.
        let samples: Vec<(i64, bool)> = (1..=10).map(|i| (i * 30, i != 2)).collect();
        let run = record(&samples, &[(330, true)], Some(43_200.0));
        let judgement = judge(&experiment(), &run, None);
        assert_eq!(
            judgement.status,
            RunStatus::Passed,
            "{:?}",
            judgement.reasons
        );
        assert!(
            judgement
                .reasons
                .iter()
                .any(|r| r.contains("regained 90 s"))
        );
    }

    #[test]
    fn fails_on_low_availability_and_names_it_first() {
        let run = record(
            &[(30, false), (60, false), (90, true)],
            &[(120, true)],
            Some(43_200.0),
        );
        let judgement = judge(&experiment(), &run, None);
        assert_eq!(judgement.status, RunStatus::Failed);
        assert!(judgement.reasons[0].contains("availability 33.3% below 90%"));
    }

    #[test]
    fn fails_when_recovery_is_never_regained() {
        let run = record(&[(30, true)], &[(60, false), (90, false)], Some(43_200.0));
        let judgement = judge(&experiment(), &run, None);
        assert_eq!(judgement.status, RunStatus::Failed);
        assert!(judgement.reasons[0].contains("not regained"));
    }

    #[test]
    fn an_unknown_rto_is_an_error_not_a_pass() {
        let run = record(&[(30, true)], &[(60, true)], None);
        let judgement = judge(&experiment(), &run, None);
        assert_eq!(judgement.status, RunStatus::Errored);
        assert!(judgement.reasons[0].contains("RTO of dependency `api` is unknown"));
    }

    #[test]
    fn early_ends_keep_their_reason() {
        let run = record(&[], &[], None);
        let aborted = judge(
            &experiment(),
            &run,
            Some(&EarlyEnd::Aborted(
                "stop condition bookstore-api-5xx-high is ALARM".into(),
            )),
        );
        assert_eq!(aborted.status, RunStatus::Aborted);
        assert_eq!(
            aborted.reasons,
            ["stop condition bookstore-api-5xx-high is ALARM"]
        );
    }
}
