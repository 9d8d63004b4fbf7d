//! Who drives a run, and whether that driver is still there: the difference between a run
//! that is RUNNING and one whose process died with faults possibly injected (INTERRUPTED).
//!
//! The driver keeps a lease beside the run record (not inside it: the record's writes are
//! versioned, and a heartbeat would make every phase write conflict). A local driver renews
//! its lease while it runs; a Step Functions execution is judged by its own status. Every
//! doubt counts as live, because taking over a live run would make two drivers act on the
//! same faults.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::run::{RunRecord, UndoRecord, UndoState};

/// How long a local driver's lease lasts after each renewal.
pub const LOCAL_LEASE_SECONDS: i64 = 60;
/// How often a local driver renews its lease: well inside [`LOCAL_LEASE_SECONDS`], so one slow
/// write does not make a live run look lost.
pub const LOCAL_RENEW_SECONDS: u64 = 15;
/// A run with no driver recorded (written before drivers were, or started by a scheduler that
/// does not record one) counts as lost once its record has not changed for this long: longer
/// than any phase with its retries (five attempts of the longest Task timeout, 300 s, plus
/// back-off) and the longest wait between two phases.
pub const UNDRIVEN_STALE_MINUTES: i64 = 30;

/// What drives a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Driver {
    /// A `gameday` process on a machine: `gameday run` on the embedded engine, or
    /// `gameday rollback` finishing an interrupted run.
    Local {
        /// `run` or `rollback`.
        command: String,
        host: String,
        pid: u32,
        /// The machine's boot id, so a pid is only checked on the machine (and boot) that
        /// owns it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        boot_id: Option<String>,
        /// The process's start time (clock ticks since boot), so a reused pid is not taken
        /// for the driver.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        process_start: Option<u64>,
    },
    /// A Step Functions execution of the deployed experiment state machine.
    StepFunctions { execution_arn: String },
}

impl Driver {
    /// One line for people: what drives the run, and where.
    pub fn describe(&self) -> String {
        match self {
            Driver::Local {
                command, host, pid, ..
            } => format!("`gameday {command}` on {host}, pid {pid}"),
            Driver::StepFunctions { execution_arn } => {
                format!("Step Functions execution {execution_arn}")
            }
        }
    }
}

/// The driver of a run and how long it holds the run without renewing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    pub driver: Driver,
    pub renewed_at: DateTime<Utc>,
    /// `None` for a driver whose liveness is read elsewhere (a Step Functions execution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<DateTime<Utc>>,
}

impl Lease {
    /// A local driver's lease, renewed at `now`.
    pub fn local(driver: Driver, now: DateTime<Utc>) -> Self {
        Self {
            driver,
            renewed_at: now,
            lease_until: Some(now + Duration::seconds(LOCAL_LEASE_SECONDS)),
        }
    }
}

/// What is known about a driver beyond its lease, gathered by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DriverEvidence {
    /// For a local driver on this machine: whether its process still exists. `None` when it
    /// cannot be checked (another machine, no /proc).
    pub process_alive: Option<bool>,
    /// For a Step Functions driver: the execution's status (`RUNNING`, `FAILED`, ...), or the
    /// error that kept it from being read.
    pub execution_status: Option<Result<String, String>>,
}

/// Whether anything still drives a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Liveness {
    /// The run has its verdict.
    Finished,
    /// Something drives it, or it cannot be ruled out.
    Live { why: String },
    /// Nothing drives it any more: its faults may still be in effect until it is rolled back.
    #[serde(rename_all = "camelCase")]
    Interrupted {
        /// The last moment the driver was known to be there.
        lost_at: DateTime<Utc>,
        why: String,
    },
}

impl Liveness {
    pub fn is_interrupted(&self) -> bool {
        matches!(self, Liveness::Interrupted { .. })
    }

    /// The reason recorded when the run is rolled back: "interrupted: driver lost at ...".
    pub fn interruption(&self) -> Option<String> {
        match self {
            Liveness::Interrupted { lost_at, why } => Some(format!(
                "interrupted: driver lost at {} ({why})",
                lost_at.to_rfc3339_opts(SecondsFormat::Secs, true)
            )),
            _ => None,
        }
    }
}

/// Judges whether `record` is still driven, from its lease and the evidence about its driver.
pub fn judge(
    record: &RunRecord,
    lease: Option<&Lease>,
    evidence: &DriverEvidence,
    now: DateTime<Utc>,
) -> Liveness {
    if record.status.is_terminal() {
        return Liveness::Finished;
    }
    let Some(lease) = lease else {
        let stale_at = record.updated_at + Duration::minutes(UNDRIVEN_STALE_MINUTES);
        return if now >= stale_at {
            Liveness::Interrupted {
                lost_at: record.updated_at,
                why: format!(
                    "no driver is recorded and the record has not changed for {UNDRIVEN_STALE_MINUTES} minutes"
                ),
            }
        } else {
            Liveness::Live {
                why: format!(
                    "no driver is recorded; the record changed at {}, so it counts as live until {}",
                    record.updated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    stale_at.to_rfc3339_opts(SecondsFormat::Secs, true)
                ),
            }
        };
    };
    let driver = lease.driver.describe();
    match &lease.driver {
        Driver::StepFunctions { .. } => match &evidence.execution_status {
            Some(Ok(status)) if status == "RUNNING" => Liveness::Live {
                why: format!("{driver} is RUNNING"),
            },
            Some(Ok(status)) => Liveness::Interrupted {
                lost_at: lease.renewed_at.max(record.updated_at),
                why: format!("{driver} ended {status} without a verdict"),
            },
            Some(Err(error)) => Liveness::Live {
                why: format!("{driver} cannot be described ({error})"),
            },
            None => Liveness::Live {
                why: format!("{driver} was not described"),
            },
        },
        Driver::Local { .. } => {
            if evidence.process_alive == Some(false) {
                return Liveness::Interrupted {
                    lost_at: lease.renewed_at,
                    why: format!("{driver} is gone"),
                };
            }
            match lease.lease_until {
                Some(until) if now >= until => Liveness::Interrupted {
                    lost_at: lease.renewed_at,
                    why: format!(
                        "{driver} stopped renewing its lease, which expired at {}",
                        until.to_rfc3339_opts(SecondsFormat::Secs, true)
                    ),
                },
                Some(until) => Liveness::Live {
                    why: format!(
                        "{driver} holds the run until {}",
                        until.to_rfc3339_opts(SecondsFormat::Secs, true)
                    ),
                },
                None => Liveness::Live {
                    why: format!("{driver} holds the run without an expiry"),
                },
            }
        }
    }
}

/// The faults of a run that may still be in effect: injected (or about to be) and not undone.
pub fn faults_in_effect(record: &RunRecord) -> Vec<&UndoRecord> {
    record
        .undo
        .iter()
        .filter(|u| {
            matches!(
                u.state,
                UndoState::Pending | UndoState::Injected | UndoState::UndoFailed
            )
        })
        .collect()
}

/// The command that finishes an interrupted run.
pub fn rollback_command(run_id: &str) -> String {
    format!("gameday rollback {run_id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::RunStatus;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn running(updated: i64) -> RunRecord {
        let mut record = RunRecord::new("run-1", "exp", "svc", at(0));
        record.status = RunStatus::Running;
        record.updated_at = at(updated);
        record
    }

    fn local(renewed: i64) -> Lease {
        let driver = Driver::Local {
            command: "run".into(),
            host: "laptop".into(),
            pid: 4242,
            boot_id: None,
            process_start: None,
        };
        Lease::local(driver, at(renewed))
    }

    fn sfn() -> Lease {
        Lease {
            driver: Driver::StepFunctions {
                execution_arn: "arn:aws:states:us-west-2:123456789012:execution:x:run-1".into(),
            },
            renewed_at: at(5),
            lease_until: None,
        }
    }

    #[test]
    fn a_finished_run_is_finished_whatever_its_lease_says() {
        let mut record = running(0);
        record.status = RunStatus::Aborted;
        let gone = DriverEvidence {
            process_alive: Some(false),
            ..Default::default()
        };
        assert_eq!(
            judge(&record, Some(&local(0)), &gone, at(1_000)),
            Liveness::Finished
        );
    }

    #[test]
    fn a_local_driver_is_lost_when_its_process_is_gone_or_its_lease_expired() {
        let record = running(10);
        let unknown = DriverEvidence::default();
        assert!(!judge(&record, Some(&local(10)), &unknown, at(69)).is_interrupted());
        let expired = judge(&record, Some(&local(10)), &unknown, at(70));
        assert_eq!(
            expired.interruption().unwrap(),
            "interrupted: driver lost at 2027-01-15T08:00:10Z (`gameday run` on laptop, pid 4242 stopped renewing its lease, which expired at 2027-01-15T08:01:10Z)"
        );
        let gone = DriverEvidence {
            process_alive: Some(false),
            ..Default::default()
        };
        let lost = judge(&record, Some(&local(10)), &gone, at(11));
        assert!(
            lost.is_interrupted(),
            "no need to wait for the lease: {lost:?}"
        );
        let alive = DriverEvidence {
            process_alive: Some(true),
            ..Default::default()
        };
        assert!(!judge(&record, Some(&local(10)), &alive, at(11)).is_interrupted());
    }

    #[test]
    fn a_step_functions_driver_is_judged_by_its_execution_and_doubt_counts_as_live() {
        let record = running(10);
        let status = |s: Result<&str, &str>| DriverEvidence {
            execution_status: Some(s.map(String::from).map_err(String::from)),
            ..Default::default()
        };
        assert!(!judge(&record, Some(&sfn()), &status(Ok("RUNNING")), at(9_999)).is_interrupted());
        let failed = judge(&record, Some(&sfn()), &status(Ok("TIMED_OUT")), at(20));
        assert!(
            failed
                .interruption()
                .unwrap()
                .contains("ended TIMED_OUT without a verdict"),
            "{failed:?}"
        );
        let denied = judge(
            &record,
            Some(&sfn()),
            &status(Err("AccessDenied")),
            at(9_999),
        );
        assert!(!denied.is_interrupted());
        assert!(
            !judge(&record, Some(&sfn()), &DriverEvidence::default(), at(9_999)).is_interrupted()
        );
    }

    #[test]
    fn a_run_without_a_driver_is_lost_only_once_its_record_went_stale() {
        let record = running(100);
        let none = DriverEvidence::default();
        let stale = 100 + UNDRIVEN_STALE_MINUTES * 60;
        assert!(!judge(&record, None, &none, at(stale - 1)).is_interrupted());
        assert_eq!(
            judge(&record, None, &none, at(stale)),
            Liveness::Interrupted {
                lost_at: at(100),
                why: "no driver is recorded and the record has not changed for 30 minutes".into()
            }
        );
    }

    #[test]
    fn leases_keep_their_stored_names() {
        let json = serde_json::to_value(local(0)).unwrap();
        assert_eq!(json["driver"]["kind"], "local");
        assert_eq!(json["leaseUntil"], "2027-01-15T08:01:00Z");
        let back: Lease = serde_json::from_value(json).unwrap();
        assert_eq!(back, local(0));
        let json = serde_json::to_value(sfn()).unwrap();
        assert_eq!(json["driver"]["kind"], "step-functions");
        assert!(json.get("leaseUntil").is_none());
    }

    #[test]
    fn faults_in_effect_are_those_not_undone() {
        let mut record = running(0);
        for (fault, state) in [
            ("a", UndoState::Injected),
            ("b", UndoState::Undone),
            ("c", UndoState::Pending),
            ("d", UndoState::NothingToUndo),
            ("e", UndoState::UndoFailed),
        ] {
            record.undo.push(UndoRecord {
                fault: fault.into(),
                action: "ec2-stop".into(),
                state,
                targets: vec![],
                handle: None,
                injected_at: None,
                ended_at: None,
                error: None,
            });
        }
        let names: Vec<&str> = faults_in_effect(&record)
            .iter()
            .map(|u| u.fault.as_str())
            .collect();
        assert_eq!(names, ["a", "c", "e"]);
    }
}
