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
    /// may have been injected, an abort or error passes through ROLLING_BACK; the one
    /// exception is RUNNING to ERRORED, for a run that recovered but cannot be judged.
    pub fn can_become(self, next: RunStatus) -> bool {
        use RunStatus::*;
        matches!(
            (self, next),
            (Pending, Running | Aborted | Errored)
                | (Running, RollingBack | Passed | Failed | Errored)
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

/// What is left of samples dropped to keep the record small (DynamoDB items are limited to
/// 400 KB): how many there were and how many were healthy, so availability stays exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SampleSummary {
    pub count: u64,
    pub healthy: u64,
}

/// How far a fault has got. The record is written before the action, so a crash in between
/// leaves `Pending`, which recovery treats as possibly injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UndoState {
    /// About to act; the action may or may not have happened.
    Pending,
    Injected,
    Undone,
    /// The action has no undo (terminate, reboot); nothing to do on recovery.
    NothingToUndo,
    /// The undo was tried and failed; the error says why.
    UndoFailed,
}

/// The undo record of one fault: what was done to what, and what reverses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoRecord {
    pub fault: String,
    pub action: String,
    pub state: UndoState,
    #[serde(default)]
    pub targets: Vec<String>,
    /// The SSM command id, FIS experiment id or previous alarm state the undo needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injected_at: Option<DateTime<Utc>>,
    /// When the fault stopped acting: its undo, or its injection for faults without undo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A notification and whether it went out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationRecord {
    pub subject: String,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
    /// Instances locked and acted on, by target name.
    #[serde(default)]
    pub targets: BTreeMap<String, Vec<String>>,
    /// Probe readings before any fault.
    #[serde(default)]
    pub baseline: Vec<ProbeReading>,
    /// Observation samples, newest last; older ones are folded into `earlier_samples`.
    #[serde(default)]
    pub samples: Vec<Sample>,
    #[serde(default)]
    pub earlier_samples: SampleSummary,
    /// Steady-state checks made while recovering.
    #[serde(default)]
    pub recovery_checks: Vec<Sample>,
    /// One record per fault, in injection order.
    #[serde(default)]
    pub undo: Vec<UndoRecord>,
    /// The RTO of the experiment's dependency, when known (from its playbook).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Every notification tried, sent or not.
    #[serde(default)]
    pub notifications: Vec<NotificationRecord>,
    /// When recovery concluded (steady state regained, timed out, or rolled back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_ended_at: Option<DateTime<Utc>>,
    /// Why the run stopped early, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// The experiment as prepare read it, so an interrupted run can be rolled back with the
    /// faults it injected even when the file changed since (`gameday rollback`). Kept as
    /// JSON and validated again when read. Absent in records written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment_spec: Option<serde_json::Value>,
    /// Incremented on every write; stores write only if the stored version is the one read.
    #[serde(default)]
    pub version: u64,
}

impl RunRecord {
    /// The probes out of tolerance in the latest evidence: the last recovery check, else the
    /// last observation sample, else the baseline taken before any fault. Empty when that
    /// was healthy.
    pub fn failing_probes(&self) -> Vec<&ProbeReading> {
        let latest = match (self.recovery_checks.last(), self.samples.last()) {
            (Some(check), _) => &check.readings,
            (None, Some(sample)) => &sample.readings,
            (None, None) => &self.baseline,
        };
        latest.iter().filter(|r| !r.within_tolerance).collect()
    }

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
            targets: BTreeMap::new(),
            baseline: Vec::new(),
            samples: Vec::new(),
            earlier_samples: SampleSummary::default(),
            recovery_checks: Vec::new(),
            undo: Vec::new(),
            rto_seconds: None,
            recovery_seconds: None,
            verdict: None,
            notifications: Vec::new(),
            recovery_ended_at: None,
            stop_reason: None,
            experiment_spec: None,
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

    /// Share of observed samples in which every probe was within tolerance, in percent,
    /// counting the samples folded into `earlier_samples`.
    pub fn availability_percent(&self) -> Option<f64> {
        let count = self.earlier_samples.count + self.samples.len() as u64;
        if count == 0 {
            return None;
        }
        let healthy = self.earlier_samples.healthy
            + self.samples.iter().filter(|s| s.is_healthy()).count() as u64;
        Some(healthy as f64 * 100.0 / count as f64)
    }

    /// Every locked instance, over all targets.
    pub fn all_targets(&self) -> Vec<String> {
        self.targets.values().flatten().cloned().collect()
    }

    /// Appends an observation sample, folding the oldest into the summary beyond `keep`.
    pub fn push_sample(&mut self, sample: Sample, keep: usize) {
        self.samples.push(sample);
        while self.samples.len() > keep.max(1) {
            let oldest = self.samples.remove(0);
            self.earlier_samples.count += 1;
            self.earlier_samples.healthy += u64::from(oldest.is_healthy());
        }
    }

    /// When the last fault stopped acting, if every fault has.
    pub fn faults_ended_at(&self) -> Option<DateTime<Utc>> {
        self.undo
            .iter()
            .map(|u| u.ended_at)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .max()
    }

    /// Seconds from the end of the faults until the steady state was regained for good: the
    /// first healthy check after the last unhealthy one. Zero when it never broke after the
    /// faults ended; `None` when it is not regained (or the faults never ended). Resolution is
    /// the sample and check interval.
    pub fn measured_recovery_seconds(&self) -> Option<f64> {
        let ended = self.faults_ended_at()?;
        let mut checks: Vec<&Sample> = self
            .samples
            .iter()
            .chain(&self.recovery_checks)
            .filter(|s| s.at >= ended)
            .collect();
        checks.sort_by_key(|s| s.at);
        match checks.iter().rposition(|s| !s.is_healthy()) {
            None => Some(0.0),
            Some(last_bad) => {
                let regained = checks.get(last_bad + 1)?;
                Some((regained.at - ended).num_milliseconds() as f64 / 1000.0)
            }
        }
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
            (Running, Errored),
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
        let mut bounded = record();
        for (i, healthy) in [false, true, true, false, true].into_iter().enumerate() {
            bounded.push_sample(sample(i as i64, healthy), 2);
        }
        assert_eq!(bounded.samples.len(), 2);
        assert_eq!(
            bounded.earlier_samples,
            SampleSummary {
                count: 3,
                healthy: 2
            }
        );
        assert_eq!(bounded.availability_percent(), Some(60.0));
    }

    fn sample(secs: i64, healthy: bool) -> Sample {
        let reading = ProbeReading {
            probe: "p".into(),
            within_tolerance: healthy,
            value: None,
            detail: String::new(),
        };
        Sample {
            at: at(secs),
            readings: vec![reading],
        }
    }

    #[test]
    fn failing_probes_come_from_the_latest_evidence() {
        let mut run = record();
        assert!(
            run.failing_probes().is_empty(),
            "no evidence, nothing failing"
        );
        run.baseline = sample(0, false).readings;
        assert_eq!(run.failing_probes().len(), 1, "the baseline failed");
        run.samples = vec![sample(10, true)];
        assert!(
            run.failing_probes().is_empty(),
            "a later sample was healthy"
        );
        run.samples.push(sample(20, false));
        assert_eq!(run.failing_probes().len(), 1, "the last sample failed");
        run.recovery_checks = vec![sample(30, false), sample(40, true)];
        assert!(
            run.failing_probes().is_empty(),
            "the last recovery check was healthy"
        );
        run.recovery_checks.push(sample(50, false));
        assert_eq!(run.failing_probes()[0].probe, "p");
    }

    fn ended_fault(secs: Option<i64>) -> UndoRecord {
        UndoRecord {
            fault: "f".into(),
            action: "ec2-terminate".into(),
            state: UndoState::NothingToUndo,
            targets: vec![],
            handle: None,
            injected_at: secs.map(at),
            ended_at: secs.map(at),
            error: None,
        }
    }

    #[test]
    fn recovery_runs_from_the_end_of_the_faults_to_the_first_healthy_check_for_good() {
        let mut run = record();
        run.undo.push(ended_fault(Some(100)));
        run.samples = vec![
            sample(90, true),
            sample(130, false),
            sample(160, true),
            sample(190, false),
        ];
        run.recovery_checks = vec![sample(220, false), sample(250, true), sample(280, true)];
        assert_eq!(run.measured_recovery_seconds(), Some(150.0));
    }

    #[test]
    fn recovery_is_zero_when_the_steady_state_held_and_none_when_not_regained() {
        let mut run = record();
        run.undo.push(ended_fault(Some(100)));
        run.samples = vec![sample(130, true), sample(160, true)];
        assert_eq!(run.measured_recovery_seconds(), Some(0.0));
        run.recovery_checks = vec![sample(190, false)];
        assert_eq!(run.measured_recovery_seconds(), None);
        run.undo.push(ended_fault(None));
        run.recovery_checks = vec![sample(220, true)];
        assert_eq!(
            run.measured_recovery_seconds(),
            None,
            "a fault that never ended"
        );
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
