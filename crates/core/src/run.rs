//! The record of one experiment run, as stored in DynamoDB: status with enforced transitions,
//! phase timestamps, baseline and observed values, measured recovery and the verdict.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a run is in its life. `PASSED`, `FAILED`, `ABORTED` and `ERRORED` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    Pending,
    Running,
    RollingBack,
    Passed,
    Failed,
    Aborted,
    Errored,
}

impl RunStatus {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Passed | RunStatus::Failed | RunStatus::Aborted | RunStatus::Errored
        )
    }

    /// The moves a run may make. A run refused before it starts goes from PENDING straight to
    /// ABORTED (a safety check said no) or ERRORED (it could not be prepared). Once anything
    /// may have been injected, an abort or error passes through ROLLING_BACK.
    pub fn can_become(self, next: RunStatus) -> bool {
        use RunStatus::*;
        matches!(
            (self, next),
            (Pending, Running | Aborted | Errored)
                | (Running, RollingBack | Passed | Failed)
                | (RollingBack, Aborted | Errored | Failed)
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "PENDING",
            RunStatus::Running => "RUNNING",
            RunStatus::RollingBack => "ROLLING_BACK",
            RunStatus::Passed => "PASSED",
            RunStatus::Failed => "FAILED",
            RunStatus::Aborted => "ABORTED",
            RunStatus::Errored => "ERRORED",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status change that the life cycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("run {run_id}: cannot go from {from} to {to}")]
pub struct InvalidTransition {
    pub run_id: String,
    pub from: RunStatus,
    pub to: RunStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Prepare,
    Inject,
    Observe,
    Recover,
    Validate,
    Rollback,
}

/// When a phase started and ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseTimes {
    pub started_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
}

/// One probe's reading at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeReading {
    pub probe: String,
    pub within_tolerance: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    pub detail: String,
}

/// All probe readings taken together at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    pub at: DateTime<Utc>,
    pub readings: Vec<ProbeReading>,
}

impl Sample {
    pub fn is_healthy(&self) -> bool {
        self.readings.iter().all(|r| r.within_tolerance)
    }
}

/// The judgement of a finished run, with every reason behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub status: RunStatus,
    pub reasons: Vec<String>,
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub run_id: String,
    pub experiment: String,
    pub service: String,
    pub status: RunStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub phases: BTreeMap<Phase, PhaseTimes>,
    /// Instances locked and acted on.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Probe readings before any fault.
    #[serde(default)]
    pub baseline: Vec<ProbeReading>,
    #[serde(default)]
    pub samples: Vec<Sample>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Why the run stopped early, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// Incremented on every write; stores write only if the stored version is the one read.
    #[serde(default)]
    pub version: u64,
}

impl RunRecord {
    pub fn new(
        run_id: impl Into<String>,
        experiment: impl Into<String>,
        service: impl Into<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            run_id: run_id.into(),
            experiment: experiment.into(),
            service: service.into(),
            status: RunStatus::Pending,
            created_at: now,
            updated_at: now,
            phases: BTreeMap::new(),
            targets: Vec::new(),
            baseline: Vec::new(),
            samples: Vec::new(),
            recovery_seconds: None,
            verdict: None,
            stop_reason: None,
            version: 0,
        }
    }

    /// Moves the run to `next`. Asking for the status it already has is a no-op, so a retried
    /// handler does not fail; any other move outside the life cycle is refused.
    pub fn transition(
        &mut self,
        next: RunStatus,
        now: DateTime<Utc>,
    ) -> Result<(), InvalidTransition> {
        if self.status == next {
            return Ok(());
        }
        if !self.status.can_become(next) {
            return Err(InvalidTransition {
                run_id: self.run_id.clone(),
                from: self.status,
                to: next,
            });
        }
        self.status = next;
        self.updated_at = now;
        Ok(())
    }

    /// Marks a phase as started; a retried start keeps the first timestamp.
    pub fn start_phase(&mut self, phase: Phase, now: DateTime<Utc>) {
        self.phases.entry(phase).or_insert(PhaseTimes {
            started_at: now,
            ended_at: None,
        });
        self.updated_at = now;
    }

    /// Marks a phase as ended (starting it too if it was never started).
    pub fn end_phase(&mut self, phase: Phase, now: DateTime<Utc>) {
        let times = self.phases.entry(phase).or_insert(PhaseTimes {
            started_at: now,
            ended_at: None,
        });
        times.ended_at.get_or_insert(now);
        self.updated_at = now;
    }

    /// Records the verdict and moves to its status.
    pub fn conclude(
        &mut self,
        status: RunStatus,
        reasons: Vec<String>,
        now: DateTime<Utc>,
    ) -> Result<(), InvalidTransition> {
        self.transition(status, now)?;
        self.verdict = Some(Verdict {
            status,
            reasons,
            decided_at: now,
        });
        Ok(())
    }

    /// Share of observed samples in which every probe was within tolerance, in percent.
    pub fn availability_percent(&self) -> Option<f64> {
        if self.samples.is_empty() {
            return None;
        }
        let healthy = self.samples.iter().filter(|s| s.is_healthy()).count();
        Some(healthy as f64 * 100.0 / self.samples.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn record() -> RunRecord {
        RunRecord::new("run-1", "api-instance-failure", "bookstore", at(0))
    }

    #[test]
    fn follows_the_happy_path() {
        let mut run = record();
        run.transition(RunStatus::Running, at(1)).unwrap();
        run.conclude(RunStatus::Passed, vec!["recovered in 42 s".into()], at(2))
            .unwrap();
        assert_eq!(run.status, RunStatus::Passed);
        assert_eq!(run.verdict.as_ref().unwrap().reasons, ["recovered in 42 s"]);
        assert_eq!(run.updated_at, at(2));
    }

    #[test]
    fn refuses_moves_outside_the_life_cycle() {
        use RunStatus::*;
        let all = [
            Pending,
            Running,
            RollingBack,
            Passed,
            Failed,
            Aborted,
            Errored,
        ];
        let allowed = [
            (Pending, Running),
            (Pending, Aborted),
            (Pending, Errored),
            (Running, RollingBack),
            (Running, Passed),
            (Running, Failed),
            (RollingBack, Aborted),
            (RollingBack, Errored),
            (RollingBack, Failed),
        ];
        for from in all {
            for to in all.into_iter().filter(|to| *to != from) {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
        let mut run = record();
        let error = run.transition(Passed, at(1)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "run run-1: cannot go from PENDING to PASSED"
        );
        assert_eq!(run.status, Pending);
    }

    #[test]
    fn a_repeated_transition_is_a_no_op_and_terminal_states_stay() {
        let mut run = record();
        run.transition(RunStatus::Running, at(1)).unwrap();
        run.transition(RunStatus::Running, at(5)).unwrap();
        assert_eq!(run.updated_at, at(1));
        run.transition(RunStatus::RollingBack, at(6)).unwrap();
        run.conclude(RunStatus::Aborted, vec!["stop alarm".into()], at(7))
            .unwrap();
        assert!(run.transition(RunStatus::Running, at(8)).is_err());
    }

    #[test]
    fn phase_times_keep_the_first_start_and_end() {
        let mut run = record();
        run.start_phase(Phase::Inject, at(10));
        run.start_phase(Phase::Inject, at(11));
        run.end_phase(Phase::Inject, at(12));
        run.end_phase(Phase::Inject, at(13));
        assert_eq!(
            run.phases[&Phase::Inject],
            PhaseTimes {
                started_at: at(10),
                ended_at: Some(at(12))
            }
        );
    }

    #[test]
    fn availability_is_the_share_of_healthy_samples() {
        let mut run = record();
        assert_eq!(run.availability_percent(), None);
        for (i, healthy) in [true, true, false, true].into_iter().enumerate() {
            let reading = ProbeReading {
                probe: "p".into(),
                within_tolerance: healthy,
                value: None,
                detail: String::new(),
            };
            run.samples.push(Sample {
                at: at(i as i64),
                readings: vec![reading],
            });
        }
        assert_eq!(run.availability_percent(), Some(75.0));
    }

    #[test]
    fn serialises_with_stable_names() {
        let mut run = record();
        run.start_phase(Phase::Prepare, at(0));
        let json = serde_json::to_value(&run).unwrap();
        assert_eq!(json["status"], "PENDING");
        assert_eq!(json["runId"], "run-1");
        assert!(
            json["phases"]["prepare"]["startedAt"]
                .as_str()
                .unwrap()
                .ends_with('Z')
        );
        let back: RunRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, run);
    }
}
