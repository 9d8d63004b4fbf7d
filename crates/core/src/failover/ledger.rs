//! The failover ledger: one entry per alarm event, every step with its UTC time, the DNS
//! values before and after, and the measured RTO (and RPO where it can be known) judged
//! against the dependency's objectives.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::duration::IsoDuration;

/// The steps of a failover, in the order they can happen. Not every procedure has every step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    EventReceived,
    LockTaken,
    /// Another failover of the service holds the lock or its cooldown runs.
    DuplicateSkipped,
    PrimaryRechecked,
    RestartTried,
    ReplacementLaunched,
    StandbyStarted,
    Running,
    Healthy,
    DatabaseRebooted,
    ReplicaPromoted,
    ReplicaAvailable,
    RpoChecked,
    ManifestChecked,
    BackupVerified,
    DnsUpserted,
    ChangeInsync,
    Quarantined,
    Notified,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::EventReceived => "event-received",
            Step::LockTaken => "lock-taken",
            Step::DuplicateSkipped => "duplicate-skipped",
            Step::PrimaryRechecked => "primary-rechecked",
            Step::RestartTried => "restart-tried",
            Step::ReplacementLaunched => "replacement-launched",
            Step::StandbyStarted => "standby-started",
            Step::Running => "running",
            Step::Healthy => "healthy",
            Step::DatabaseRebooted => "database-rebooted",
            Step::ReplicaPromoted => "replica-promoted",
            Step::ReplicaAvailable => "replica-available",
            Step::RpoChecked => "rpo-checked",
            Step::ManifestChecked => "manifest-checked",
            Step::BackupVerified => "backup-verified",
            Step::DnsUpserted => "dns-upserted",
            Step::ChangeInsync => "change-insync",
            Step::Quarantined => "quarantined",
            Step::Notified => "notified",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StepStatus {
    Done,
    Skipped,
    Failed,
}

impl fmt::Display for StepStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StepStatus::Done => "done",
            StepStatus::Skipped => "skipped",
            StepStatus::Failed => "FAILED",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    pub step: Step,
    pub status: StepStatus,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// How a failover ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    InProgress,
    /// Traffic moved to a replacement (new instance, standby, promoted replica, backup bucket).
    FailedOver,
    /// The primary came back after a restart or reboot; DNS moved only if its address changed.
    Restored,
    /// The primary was healthy when re-checked (alarms flap); nothing was changed.
    Cancelled,
    /// A step failed; DNS kept its old value unless the entry says otherwise.
    Failed,
    /// Another failover of the service held the lock or its cooldown; nothing was done.
    Duplicate,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::InProgress => "IN_PROGRESS",
            Outcome::FailedOver => "FAILED_OVER",
            Outcome::Restored => "RESTORED",
            Outcome::Cancelled => "CANCELLED",
            Outcome::Failed => "FAILED",
            Outcome::Duplicate => "DUPLICATE",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A DNS record's values and TTL at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordValues {
    pub record_type: String,
    pub values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
}

/// A measured duration judged against its objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Measurement {
    pub measured_seconds: f64,
    pub objective_seconds: f64,
    pub met: bool,
    /// Where the figure comes from, e.g. "INSYNC − alarm" or "replica lag".
    pub basis: String,
}

impl Measurement {
    pub fn new(measured_seconds: f64, objective: IsoDuration, basis: impl Into<String>) -> Self {
        let objective_seconds = objective.as_secs_f64();
        Self {
            measured_seconds,
            objective_seconds,
            met: measured_seconds <= objective_seconds,
            basis: basis.into(),
        }
    }

    /// "42 s of 12 h (met)".
    pub fn verdict(&self) -> String {
        format!(
            "{} of {} ({})",
            human_seconds(self.measured_seconds),
            human_seconds(self.objective_seconds),
            if self.met { "met" } else { "MISSED" }
        )
    }
}

/// Where the failure happened and what the service said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub step: Step,
    pub error: String,
}

/// The normalised alarm event, whichever way it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmEvent {
    pub alarm_name: String,
    /// `ALARM`, `OK` or `INSUFFICIENT_DATA`.
    pub state: String,
    /// When the alarm changed state: the start of the measured RTO.
    pub alarm_at: DateTime<Utc>,
    /// `eventbridge`, `sns` or `drill`.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl AlarmEvent {
    pub fn is_alarm(&self) -> bool {
        self.state == "ALARM"
    }
}

/// One failover, or one skipped duplicate, as stored in the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    pub failover_id: String,
    pub service: String,
    pub dependency: String,
    /// The procedure kind: `ec2`, `rds` or `s3-static`.
    pub procedure: String,
    pub event: AlarmEvent,
    pub received_at: DateTime<Utc>,
    pub outcome: Outcome,
    pub steps: Vec<StepRecord>,
    /// The primary that failed (instance id, DB identifier or bucket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    /// What took over (instance id, DB identifier or bucket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// The record before the change, kept so that it can be put back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_record: Option<RecordValues>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_record: Option<RecordValues>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto: Option<Measurement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo: Option<Measurement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// For a duplicate: the failover that held the lock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

impl LedgerEntry {
    pub fn new(
        failover_id: impl Into<String>,
        service: impl Into<String>,
        dependency: impl Into<String>,
        procedure: impl Into<String>,
        event: AlarmEvent,
        received_at: DateTime<Utc>,
    ) -> Self {
        let mut entry = Self {
            failover_id: failover_id.into(),
            service: service.into(),
            dependency: dependency.into(),
            procedure: procedure.into(),
            received_at,
            outcome: Outcome::InProgress,
            steps: Vec::new(),
            primary: None,
            replacement: None,
            image_id: None,
            old_record: None,
            new_record: None,
            change_id: None,
            rto: None,
            rpo: None,
            failure: None,
            duplicate_of: None,
            finished_at: None,
            event,
        };
        let detail = format!(
            "{} went to {} at {} (via {})",
            entry.event.alarm_name,
            entry.event.state,
            entry.event.alarm_at.to_rfc3339(),
            entry.event.source
        );
        entry.record(Step::EventReceived, StepStatus::Done, received_at, detail);
        entry
    }

    /// Appends a step. Times never go backwards in the ledger: a clock that stepped back is
    /// held at the previous step's time.
    pub fn record(
        &mut self,
        step: Step,
        status: StepStatus,
        at: DateTime<Utc>,
        detail: impl Into<String>,
    ) -> &StepRecord {
        let at = self.steps.last().map_or(at, |last| at.max(last.at));
        self.steps.push(StepRecord {
            step,
            status,
            at,
            detail: detail.into(),
        });
        self.steps.last().expect("just pushed")
    }

    /// Records `step` as failed with `error` and ends the entry as FAILED.
    pub fn fail(&mut self, step: Step, at: DateTime<Utc>, error: impl Into<String>) {
        let error = error.into();
        self.record(step, StepStatus::Failed, at, error.clone());
        self.failure = Some(Failure { step, error });
        self.outcome = Outcome::Failed;
    }

    /// Marks this entry as a duplicate of `holder`.
    pub fn skip_as_duplicate(
        &mut self,
        holder: &str,
        at: DateTime<Utc>,
        detail: impl Into<String>,
    ) {
        self.record(Step::DuplicateSkipped, StepStatus::Skipped, at, detail);
        self.duplicate_of = Some(holder.to_string());
        self.outcome = Outcome::Duplicate;
        self.finished_at = Some(at);
    }

    /// Measures the RTO from the alarm to `recovered_at` (the change INSYNC, or the primary
    /// healthy again) against `objective`.
    pub fn measure_rto(
        &mut self,
        recovered_at: DateTime<Utc>,
        objective: IsoDuration,
        basis: &str,
    ) {
        let measured = (recovered_at - self.event.alarm_at).num_milliseconds() as f64 / 1000.0;
        self.rto = Some(Measurement::new(measured.max(0.0), objective, basis));
    }

    pub fn measure_rpo(&mut self, data_age_seconds: f64, objective: IsoDuration, basis: &str) {
        self.rpo = Some(Measurement::new(
            data_age_seconds.max(0.0),
            objective,
            basis,
        ));
    }

    /// Ends the entry (unless a failure already did) with `outcome`.
    pub fn finish(&mut self, outcome: Outcome, at: DateTime<Utc>) {
        if self.outcome == Outcome::InProgress || outcome == Outcome::Failed {
            self.outcome = outcome;
        }
        self.finished_at = Some(at);
    }

    pub fn step(&self, step: Step) -> Option<&StepRecord> {
        self.steps.iter().find(|s| s.step == step)
    }

    /// Whether every step's time is at or after the one before.
    pub fn is_in_time_order(&self) -> bool {
        self.steps.windows(2).all(|w| w[0].at <= w[1].at)
    }

    /// One line for people: outcome, RTO verdict and failure.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{} failover {}: {}",
            self.service, self.failover_id, self.outcome
        );
        if let Some(rto) = &self.rto {
            text.push_str(&format!("; RTO {}", rto.verdict()));
        }
        if let Some(rpo) = &self.rpo {
            text.push_str(&format!("; RPO {}", rpo.verdict()));
        }
        if let Some(failure) = &self.failure {
            text.push_str(&format!("; failed at {}: {}", failure.step, failure.error));
        }
        if let Some(holder) = &self.duplicate_of {
            text.push_str(&format!("; duplicate of {holder}"));
        }
        text
    }
}

/// "42 s", "7 min 5 s", "12 h".
pub fn human_seconds(seconds: f64) -> String {
    let whole = seconds.round() as i64;
    if seconds < 60.0 {
        if seconds.fract().abs() > f64::EPSILON && seconds < 10.0 {
            return format!("{seconds:.1} s");
        }
        return format!("{whole} s");
    }
    let (h, m, s) = (whole / 3600, whole % 3600 / 60, whole % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if s > 0 {
        parts.push(format!("{s} s"));
    }
    parts.join(" ")
}
