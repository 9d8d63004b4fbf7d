use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::cadence::{CadenceStatus, default_max_interval};
use crate::duration::IsoDuration;
use crate::failover::AlarmEvent;
use crate::run::{UndoRecord, Verdict};

fn day(day: u32) -> DateTime<Utc> {
    format!("2026-11-{day:02}T10:00:00Z").parse().unwrap()
}

fn run(id: &str, on: u32, status: RunStatus, recovery: Option<f64>) -> RunRecord {
    let mut run = RunRecord::new(id, "api-instance-failure", "bookstore", day(on));
    run.status = status;
    run.recovery_seconds = recovery;
    if status.is_terminal() {
        run.verdict = Some(Verdict {
            status,
            reasons: vec![format!("{status} for a reason")],
            decided_at: day(on) + Duration::minutes(20),
        });
    }
    run
}

fn undo(fault: &str, state: UndoState, error: Option<&str>) -> UndoRecord {
    UndoRecord {
        fault: fault.into(),
        action: "ssm".into(),
        state,
        targets: vec!["i-0123456789abcdef0".into()],
        handle: None,
        injected_at: None,
        ended_at: None,
        error: error.map(Into::into),
    }
}

fn experiment() -> ExperimentRuns {
    let mut aborted = run("r-aborted", 10, RunStatus::Aborted, None);
    aborted.stop_reason = Some("stop alarm <bookstore-api-5xx-high> in ALARM".into());
    aborted.undo = vec![
        undo("latency", UndoState::UndoFailed, Some("SSM timed out")),
        undo("terminate", UndoState::NothingToUndo, None),
    ];
    let mut errored = run("r-errored", 20, RunStatus::Errored, None);
    errored.undo = vec![undo("latency", UndoState::Undone, None)];
    ExperimentRuns {
        name: "api-instance-failure".into(),
        service: "bookstore".into(),
        dependency: Some("api".into()),
        environment: Some("staging".into()),
        rto_seconds: Some(600.0),
        // Deliberately out of order: the report sorts by start time.
        runs: vec![
            run("r-passed-15", 15, RunStatus::Passed, Some(90.0)),
            run("r-passed-1", 1, RunStatus::Passed, Some(120.0)),
            aborted,
            run("r-failed-8", 8, RunStatus::Failed, Some(700.0)),
            errored,
            run("r-running", 21, RunStatus::Running, None),
        ],
    }
}

fn window(now: DateTime<Utc>, since: Option<DateTime<Utc>>) -> ReportWindow {
    ReportWindow {
        now,
        since,
        max_interval: default_max_interval(),
    }
}

fn ledger_entry(id: &str, on: u32, measured_minutes: i64) -> LedgerEntry {
    let event = AlarmEvent {
        alarm_name: "bookstore-api-unhealthy".into(),
        state: "ALARM".into(),
        alarm_at: day(on),
        source: "drill".into(),
        event_id: None,
        reason: String::new(),
    };
    let mut entry = LedgerEntry::new(id, "bookstore-api", "api", "ec2", event, day(on));
    entry.measure_rto(
        day(on) + Duration::minutes(measured_minutes),
        "PT12H".parse::<IsoDuration>().unwrap(),
        "INSYNC - alarm",
    );
    entry.finish(
        Outcome::FailedOver,
        day(on) + Duration::minutes(measured_minutes),
    );
    entry
}

#[test]
fn counts_pass_rate_and_series_follow_the_runs() {
    let report = build_report(&[experiment()], &[], window(day(22), None));
    let experiment = &report.experiments[0];
    assert_eq!(
        experiment.counts,
        StatusCounts {
            total: 6,
            passed: 2,
            failed: 1,
            aborted: 1,
            errored: 1,
            in_progress: 1
        }
    );
    assert_eq!(report.totals, experiment.counts);
    let rate = experiment.pass_rate_percent.unwrap();
    assert!((rate - 200.0 / 3.0).abs() < 1e-9, "{rate}");
    let ids: Vec<&str> = experiment.runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "r-passed-1",
            "r-failed-8",
            "r-aborted",
            "r-passed-15",
            "r-errored",
            "r-running"
        ]
    );
    let rates: Vec<f64> = experiment
        .pass_rate_series
        .iter()
        .map(|p| (p.value * 10.0).round() / 10.0)
        .collect();
    assert_eq!(rates, [100.0, 50.0, 66.7]);
    let recovery: Vec<(&str, f64)> = experiment
        .recovery_series
        .iter()
        .map(|p| (p.run_id.as_str(), p.value))
        .collect();
    assert_eq!(
        recovery,
        [
            ("r-passed-1", 120.0),
            ("r-failed-8", 700.0),
            ("r-passed-15", 90.0)
        ]
    );
    let within: Vec<Option<bool>> = experiment.runs.iter().map(|r| r.within_rto).collect();
    assert_eq!(
        within,
        [Some(true), Some(false), None, Some(true), None, None]
    );
}

#[test]
fn the_rolling_pass_rate_forgets_runs_older_than_its_window() {
    let mut experiment = experiment();
    experiment.runs = (1..=7)
        .map(|d| {
            let status = if d == 1 {
                RunStatus::Failed
            } else {
                RunStatus::Passed
            };
            run(&format!("r{d}"), d, status, None)
        })
        .collect();
    let report = build_report(&[experiment], &[], window(day(8), None));
    let last = report.experiments[0].pass_rate_series.last().unwrap();
    assert_eq!(
        last.value, 100.0,
        "the failure on day 1 is outside the last 5"
    );
    assert_eq!(report.experiments[0].pass_rate_series[4].value, 80.0);
}

#[test]
fn cadence_counts_the_last_verdict_even_before_the_period() {
    let report = build_report(&[experiment()], &[], window(day(22), Some(day(16))));
    let experiment = &report.experiments[0];
    assert_eq!(experiment.cadence.status, CadenceStatus::Compliant);
    assert_eq!(
        experiment.cadence.last_exercised,
        Some(day(15) + Duration::minutes(20))
    );
    assert_eq!(experiment.counts.total, 2, "only r-errored and r-running");
    assert!(experiment.pass_rate_percent.is_none());

    let late = build_report(
        &[self::experiment()],
        &[],
        window(day(15) + Duration::days(40), None),
    );
    assert_eq!(late.experiments[0].cadence.status, CadenceStatus::Overdue);
    let mut never = self::experiment();
    never
        .runs
        .retain(|r| !matches!(r.status, RunStatus::Passed | RunStatus::Failed));
    let never = build_report(&[never], &[], window(day(22), None));
    assert_eq!(never.experiments[0].cadence.status, CadenceStatus::NeverRun);
}

#[test]
fn open_problems_list_aborts_and_errors_with_their_undo() {
    let report = build_report(&[experiment()], &[], window(day(22), None));
    let problems = &report.open_problems;
    assert_eq!(problems.len(), 2);
    assert_eq!(problems[0].run_id, "r-errored", "newest first");
    assert!(problems[0].undo_complete);
    assert_eq!(problems[1].run_id, "r-aborted");
    assert!(!problems[1].undo_complete);
    assert_eq!(
        problems[1].faults_not_undone,
        ["latency: UNDO_FAILED (SSM timed out)"]
    );
    assert_eq!(
        problems[1].reasons,
        [
            "ABORTED for a reason",
            "stop alarm <bookstore-api-5xx-high> in ALARM"
        ]
    );
}

#[test]
fn failovers_are_newest_first_and_filtered_by_the_period() {
    let ledger = [ledger_entry("f-1", 2, 30), ledger_entry("f-2", 12, 13 * 60)];
    let report = build_report(&[], &ledger, window(day(22), None));
    let ids: Vec<&str> = report
        .failovers
        .iter()
        .map(|f| f.failover_id.as_str())
        .collect();
    assert_eq!(ids, ["f-2", "f-1"]);
    assert!(
        !report.failovers[0].rto.as_ref().unwrap().met,
        "13 h of 12 h"
    );
    assert!(report.failovers[1].rto.as_ref().unwrap().met);
    let since = build_report(&[], &ledger, window(day(22), Some(day(5))));
    assert_eq!(since.failovers.len(), 1);
}

#[test]
fn the_page_has_every_section_and_escapes_text() {
    let ledger = [ledger_entry("f-<1>", 2, 30)];
    let report = build_report(&[experiment()], &ledger, window(day(22), None));
    let page = html::render(&report);
    assert!(page.starts_with("<!DOCTYPE html>"));
    for id in ["cadence", "experiments", "failovers", "open-problems"] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(page.contains("id=\"pass-rate-0\"") && page.contains("id=\"recovery-0\""));
    assert_eq!(
        page.matches("<circle class=\"point\"").count(),
        6,
        "3 pass-rate + 3 recovery"
    );
    assert!(page.contains("stop alarm &lt;bookstore-api-5xx-high&gt; in ALARM"));
    assert!(page.contains("f-&lt;1&gt;") && !page.contains("f-<1>"));
    // Nothing is fetched: no script, link, image or URL besides the SVG namespace name.
    let without_namespace = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for fetch in [
        "<script", "<link", "<img", "src=", "href=", "url(", "http:", "https:",
    ] {
        assert!(!without_namespace.contains(fetch), "{fetch}");
    }
    assert!(page.contains("class=\"objective\""), "the RTO line");
}

#[test]
fn the_json_is_the_model() {
    let report = build_report(&[experiment()], &[], window(day(22), None));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["experiments"][0]["counts"]["passed"], 2);
    assert_eq!(json["experiments"][0]["runs"][1]["status"], "FAILED");
    assert_eq!(json["experiments"][0]["runs"][1]["recoverySeconds"], 700.0);
    assert_eq!(json["experiments"][0]["cadence"]["status"], "COMPLIANT");
    assert_eq!(json["openProblems"][1]["undoComplete"], false);
}
