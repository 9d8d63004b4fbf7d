//! What must hold after any single failed AWS call, read back through a clean client: the
//! table (run record, locks, ledger), EC2 and Route 53 are the truth, not what the handler
//! returned.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use gameday_core::failover::{LedgerEntry, Outcome, Step, StepStatus};
use gameday_core::run::{RunRecord, RunStatus, UndoState};

/// The errors of a target locked by another run and of a target that lost its opt-in tag.
const FALSE_SAFETY_ERRORS: [&str; 2] = ["Gameday.TargetLocked", "Gameday.TargetNotOptedIn"];

/// What an experiment run left behind.
pub struct RunEvidence {
    pub record: Option<RunRecord>,
    /// Fleet instances that are not running any more: what was actually injected.
    pub touched: Vec<String>,
    /// Target locks the run still holds: (target, expiresAt).
    pub locks: Vec<(String, DateTime<Utc>)>,
    /// The latest a lock of this run may live: the run's end plus its longest lock span.
    pub lock_bound: DateTime<Utc>,
    /// The phase the failed call belonged to.
    pub failed_during: String,
    /// The ASL error of every failed task of the execution.
    pub task_errors: Vec<String>,
}

/// Every experiment invariant that does not hold, as text.
pub fn run_violations(evidence: &RunEvidence) -> Vec<String> {
    let mut violations = Vec::new();
    let touched = &evidence.touched;
    let leftover_locks = || {
        evidence
            .locks
            .iter()
            .filter(|(_, expires)| *expires > evidence.lock_bound)
            .map(|(target, expires)| {
                format!(
                    "lock on {target} lives until {expires}, past {}",
                    evidence.lock_bound
                )
            })
            .collect::<Vec<_>>()
    };
    violations.extend(leftover_locks());
    let Some(record) = &evidence.record else {
        // Only a failed create of the record itself may leave none, and then nothing was done.
        if evidence.failed_during != "prepare" {
            violations.push(format!(
                "no run record, though the failed call was in {}",
                evidence.failed_during
            ));
        }
        if !touched.is_empty() {
            violations.push(format!("no run record, yet {touched:?} were hit"));
        }
        if !evidence.locks.is_empty() {
            violations.push(format!(
                "no run record, yet locks are held: {:?}",
                evidence.locks
            ));
        }
        return violations;
    };
    if !record.status.is_terminal() {
        violations.push(format!("the record is left {}", record.status));
    }
    let targets: Vec<String> = record.all_targets();
    for id in touched {
        if !targets.contains(id) {
            violations.push(format!(
                "{id} was hit but is not a locked target of the run"
            ));
        }
    }
    let recorded_injection = record
        .undo
        .iter()
        .any(|u| u.state != UndoState::Pending || u.error.is_some());
    if recorded_injection || !touched.is_empty() {
        if record.recovery_ended_at.is_none() {
            violations.push("faults were injected but recovery never concluded".to_string());
        }
        for undo in &record.undo {
            if matches!(undo.state, UndoState::Pending | UndoState::Injected) {
                violations.push(format!(
                    "fault `{}` is left {:?}: never rolled back",
                    undo.fault, undo.state
                ));
            }
        }
    }
    for n in &record.notifications {
        if n.message_id.is_none() && n.error.is_none() {
            violations.push(format!(
                "notification `{}` has neither a message id nor an error",
                n.subject
            ));
        }
    }
    if record.status.is_terminal()
        && !record
            .notifications
            .iter()
            .any(|n| n.subject.contains(record.status.as_str()))
    {
        violations.push(format!(
            "the {} verdict was neither notified nor its failure recorded",
            record.status
        ));
    }
    // No other run holds a lock in the matrix's world and every target keeps its opt-in tag,
    // so a phase that failed with either mistook a failed call for a safety verdict.
    for error in &evidence.task_errors {
        if FALSE_SAFETY_ERRORS.contains(&error.as_str()) {
            violations.push(format!(
                "a phase failed with {error}, which is not true here"
            ));
        }
    }
    if record.status == RunStatus::Passed {
        let recovered = record
            .recovery_checks
            .last()
            .is_some_and(|check| check.is_healthy());
        if !recovered || record.recovery_seconds.is_none() {
            violations.push("PASSED without a healthy recovery check".to_string());
        }
    }
    violations
}

/// What a failover left behind.
pub struct FailoverEvidence {
    /// The ledger entries of the service, newest first.
    pub ledger: Vec<LedgerEntry>,
    /// The values of the A record now.
    pub record_values: Vec<String>,
    /// The A record before the failover: the lost primary's address.
    pub old_address: String,
    /// Running instances' public addresses (the primary is terminated).
    pub running_addresses: Vec<String>,
    /// The service lock's `blockedUntil`, if the lock item exists.
    pub lock_blocked_until: Option<DateTime<Utc>>,
    /// The latest the lock may block the service: start + the policy's longest run + cooldown.
    pub lock_bound: DateTime<Utc>,
}

/// Every failover invariant that does not hold, as text.
pub fn failover_violations(evidence: &FailoverEvidence) -> Vec<String> {
    let mut violations = Vec::new();
    let values = &evidence.record_values;
    let moved = values.as_slice() != [evidence.old_address.clone()];
    if moved {
        for value in values {
            if !evidence.running_addresses.contains(value) {
                violations.push(format!(
                    "the A record points at {value}, which is no running instance"
                ));
            }
        }
    }
    if let Some(until) = evidence.lock_blocked_until
        && until > evidence.lock_bound
    {
        violations.push(format!(
            "the service lock blocks until {until}, past {}",
            evidence.lock_bound
        ));
    }
    let [entry] = evidence.ledger.as_slice() else {
        violations.push(format!(
            "{} ledger entries stored, expected one",
            evidence.ledger.len()
        ));
        return violations;
    };
    if entry.outcome == Outcome::InProgress || entry.finished_at.is_none() {
        violations.push(format!(
            "the stored ledger entry is left {} ({} steps)",
            entry.outcome,
            entry.steps.len()
        ));
    }
    let notified = entry
        .step(Step::Notified)
        .is_some_and(|s| matches!(s.status, StepStatus::Done | StepStatus::Failed));
    if !notified {
        violations.push("the ledger has no notification, sent or failed".to_string());
    }
    let recorded_new = entry.new_record.as_ref().map(|r| r.values.clone());
    if moved && recorded_new.as_ref() != Some(values) {
        violations.push(format!(
            "Route 53 holds {values:?} but the ledger records {recorded_new:?} as the new value"
        ));
    }
    if !moved && entry.outcome == Outcome::FailedOver {
        violations.push("FAILED_OVER, yet the A record still holds the old address".to_string());
    }
    violations
}

/// The target locks `run_id` holds, from a scan of the table.
pub async fn locks_of(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    run_id: &str,
) -> Vec<(String, DateTime<Utc>)> {
    let output = client
        .scan()
        .table_name(table)
        .filter_expression("begins_with(pk, :lock) AND runId = :run")
        .expression_attribute_values(":lock", AttributeValue::S("LOCK#".into()))
        .expression_attribute_values(":run", AttributeValue::S(run_id.into()))
        .send()
        .await
        .expect("the table can be scanned");
    output
        .items()
        .iter()
        .map(|item| {
            let target = item["pk"]
                .as_s()
                .unwrap()
                .trim_start_matches("LOCK#")
                .to_string();
            let expires = item
                .get("expiresAt")
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<i64>().ok())
                .and_then(|t| DateTime::from_timestamp(t, 0))
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            (target, expires)
        })
        .collect()
}

/// `blockedUntil` of the failover lock of `service`.
pub async fn failover_lock(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    service: &str,
) -> Option<DateTime<Utc>> {
    let output = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(format!("FAILOVER#{service}")))
        .key("sk", AttributeValue::S("LOCK".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("the lock item can be read");
    let item = output.item()?;
    let millis = item
        .get("blockedUntil")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok());
    Some(
        millis
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

/// `d` as a chrono duration.
pub fn span(d: std::time::Duration) -> Duration {
    Duration::from_std(d).expect("a duration within chrono's range")
}
