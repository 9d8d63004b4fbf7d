//! A history of runs and failovers stored in the sandbox table, for the report tests: the
//! Bookstore experiments run over a few weeks, with passes, a failure, an abort whose undo
//! failed, an error, and failovers that met and missed their RTO.

use chrono::{DateTime, Duration, Utc};
use gameday_aws::ledger::{DynamoLedger, FailoverLedger};
use gameday_aws::runs::{DynamoRunStore, RunStore};
use gameday_core::duration::IsoDuration;
use gameday_core::failover::{AlarmEvent, LedgerEntry, Outcome};
use gameday_core::run::{RunRecord, RunStatus, UndoRecord, UndoState};

pub const API_EXPERIMENT: &str = "api-instance-failure";
pub const DB_EXPERIMENT: &str = "database-failure";
/// The failover services of `examples/bookstore/failover.yaml` and their dependencies.
const API: (&str, &str) = ("bookstore-api", "api");
const DATABASE: (&str, &str) = ("bookstore-db", "database");

/// `days` before `now`, at 10:00.
fn days_ago(now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    now - Duration::days(days)
}

/// A run created as PENDING, then moved through its life and saved (create, then save).
async fn store_run(
    runs: &DynamoRunStore,
    id: &str,
    experiment: &str,
    at: DateTime<Utc>,
    status: RunStatus,
    recovery_seconds: Option<f64>,
) -> RunRecord {
    let mut run = RunRecord::new(id, experiment, "bookstore", at);
    run.rto_seconds = Some(43_200.0);
    runs.create_run(&run).await.expect("create run");
    let later = at + Duration::minutes(12);
    match status {
        RunStatus::Passed | RunStatus::Failed => {
            run.transition(RunStatus::Running, at).unwrap();
            run.recovery_seconds = recovery_seconds;
            run.conclude(
                status,
                vec![format!("{status}: recovered in {recovery_seconds:?} s")],
                later,
            )
            .unwrap();
        }
        RunStatus::Aborted => {
            run.transition(RunStatus::Running, at).unwrap();
            run.transition(RunStatus::RollingBack, later).unwrap();
            run.stop_reason = Some("stop alarm bookstore-api-5xx-high went to ALARM".into());
            run.undo = vec![UndoRecord {
                fault: "api-latency".into(),
                action: "network-latency".into(),
                state: UndoState::UndoFailed,
                targets: vec!["i-0123456789abcdef0".into()],
                handle: None,
                injected_at: Some(at),
                ended_at: None,
                error: Some("SSM command timed out".into()),
            }];
            run.conclude(status, vec!["stopped by a stop condition".into()], later)
                .unwrap();
        }
        RunStatus::Errored => {
            run.transition(RunStatus::Running, at).unwrap();
            run.conclude(
                status,
                vec!["observe failed: CloudWatch throttled".into()],
                later,
            )
            .unwrap();
        }
        _ => run.transition(RunStatus::Running, at).unwrap(),
    }
    runs.save_run(&mut run).await.expect("save run");
    run
}

fn failover(
    id: &str,
    (service, dependency): (&str, &str),
    alarm_at: DateTime<Utc>,
    minutes: i64,
) -> LedgerEntry {
    let event = AlarmEvent {
        alarm_name: format!("{service}-unhealthy"),
        state: "ALARM".into(),
        alarm_at,
        source: "drill".into(),
        event_id: None,
        reason: String::new(),
    };
    let mut entry = LedgerEntry::new(id, service, dependency, "ec2", event, alarm_at);
    let recovered = alarm_at + Duration::minutes(minutes);
    entry.measure_rto(
        recovered,
        "PT12H".parse::<IsoDuration>().unwrap(),
        "INSYNC - alarm",
    );
    entry.finish(Outcome::FailedOver, recovered);
    entry
}

/// What was stored.
pub struct History {
    pub runs: Vec<RunRecord>,
    pub failovers: Vec<LedgerEntry>,
}

/// Stores the history, relative to `now`: seven runs of the API experiment, two of the
/// database experiment, one of an experiment no report names, and three failovers.
pub async fn store_history(
    runs: &DynamoRunStore,
    ledger: &DynamoLedger,
    now: DateTime<Utc>,
) -> History {
    let plan: [(&str, &str, i64, RunStatus, Option<f64>); 10] = [
        ("api-1", API_EXPERIMENT, 40, RunStatus::Passed, Some(210.0)),
        ("api-2", API_EXPERIMENT, 33, RunStatus::Failed, Some(900.5)),
        ("api-3", API_EXPERIMENT, 26, RunStatus::Aborted, None),
        ("api-4", API_EXPERIMENT, 19, RunStatus::Passed, Some(180.0)),
        ("api-5", API_EXPERIMENT, 12, RunStatus::Errored, None),
        ("api-6", API_EXPERIMENT, 5, RunStatus::Passed, Some(150.25)),
        ("api-7", API_EXPERIMENT, 0, RunStatus::Running, None),
        ("db-1", DB_EXPERIMENT, 50, RunStatus::Passed, Some(600.0)),
        ("db-2", DB_EXPERIMENT, 45, RunStatus::Failed, Some(1200.0)),
        ("other-1", "cdn-failure", 3, RunStatus::Passed, Some(30.0)),
    ];
    let mut stored = Vec::new();
    for (id, experiment, days, status, recovery) in plan {
        let at = days_ago(now, days) - Duration::hours(1);
        stored.push(store_run(runs, id, experiment, at, status, recovery).await);
    }
    let failovers = vec![
        failover("fo-api-1", API, days_ago(now, 30), 25),
        failover("fo-api-2", API, days_ago(now, 8), 13 * 60),
        failover("fo-db-1", DATABASE, days_ago(now, 20), 40),
    ];
    for entry in &failovers {
        ledger.save_entry(entry).await.expect("save ledger entry");
    }
    History {
        runs: stored,
        failovers,
    }
}
