//! `gameday demo` end to end, as the README runs it: the binary starts its own sandbox, and
//! this test checks the outcomes itself, from the JSON summary and the files written, rather
//! than trusting the demo's own checks.

use std::path::PathBuf;
use std::process::Command;

use gameday_core::failover::{LedgerEntry, Outcome, Step, StepStatus};
use gameday_core::run::{RunRecord, RunStatus};
use serde_json::Value;

mod common;

use common::ROOT;

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gameday-demo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

#[test]
fn the_demo_passes_moves_the_api_record_and_leaves_complete_evidence() {
    let dir = out_dir("passes");
    let output = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(["demo", "--output", "json", "--out-dir"])
        .arg(&dir)
        .current_dir(ROOT)
        .output()
        .expect("gameday runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the demo failed:\n{stderr}");
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    assert_eq!(summary["passed"], true, "{summary:#}");
    assert!(
        summary["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["passed"] == true),
        "{summary:#}"
    );
    assert!(stderr.contains("demo: stopping the sandbox"), "{stderr}");

    // The verdict, from the run record the demo wrote.
    let record: RunRecord =
        serde_json::from_value(read_json(&dir.join("run-record.json"))).unwrap();
    assert_eq!(record.status, RunStatus::Passed, "{record:#?}");
    assert_eq!(summary["run"]["runId"], record.run_id.as_str());
    assert!(record.recovery_seconds.is_some());

    // The A record moved from the primary to the replacement's address.
    let dns = &summary["dns"];
    let before = dns["before"].as_array().unwrap();
    let after = dns["after"].as_array().unwrap();
    let replacement_address = dns["replacementAddress"].as_str().unwrap();
    assert_eq!(after, &[Value::from(replacement_address)]);
    assert_ne!(before, after);
    assert_eq!(
        before,
        &[summary["environment"]["primaryAddress"].clone()],
        "before the drill the record held the seeded primary's address"
    );

    // A complete failover ledger: every step, in time order, an outcome and a measured RTO.
    let ledger: Vec<LedgerEntry> =
        serde_json::from_value(read_json(&dir.join("failover-ledger.json"))).unwrap();
    assert_eq!(ledger.len(), 1);
    let entry = &ledger[0];
    assert_eq!(entry.outcome, Outcome::FailedOver, "{}", entry.summary());
    assert!(entry.is_in_time_order());
    let steps: Vec<Step> = entry.steps.iter().map(|s| s.step).collect();
    assert_eq!(
        steps,
        [
            Step::EventReceived,
            Step::LockTaken,
            Step::PrimaryRechecked,
            Step::RestartTried,
            Step::ReplacementLaunched,
            Step::Running,
            Step::Healthy,
            Step::DnsUpserted,
            Step::ChangeInsync,
            Step::Quarantined,
            Step::Notified,
        ]
    );
    assert!(entry.steps.iter().all(|s| s.status != StepStatus::Failed));
    assert_eq!(
        entry.replacement.as_deref(),
        dns["replacement"].as_str(),
        "the record points at the replacement the ledger names"
    );
    assert_eq!(
        entry.primary.as_deref(),
        summary["environment"]["primary"].as_str()
    );
    let rto = entry.rto.as_ref().expect("a measured RTO");
    assert!(rto.met && rto.measured_seconds >= 0.0, "{rto:?}");
    assert_eq!(rto.objective_seconds, 43_200.0);
    assert_eq!(
        entry.new_record.as_ref().unwrap().values,
        [replacement_address]
    );

    // The notifications the subscriber received: the run's and the failover's.
    let notifications = read_json(&dir.join("notifications.json"));
    let texts: Vec<String> = notifications
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].to_string())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains(&record.run_id)),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains(&entry.failover_id)),
        "{texts:?}"
    );

    // The summary file is the same summary.
    let written = read_json(&dir.join("summary.json"));
    assert_eq!(written["run"], summary["run"]);
    assert_eq!(written["dns"], summary["dns"]);
    assert_eq!(written["passed"], true);
    assert_eq!(written["checks"], summary["checks"]);
    let files: Vec<&str> = summary["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 7, "{files:?}");

    // The rendered playbook carries the run as the API scenario's evidence, and the report
    // carries the run and the failover.
    let read_text = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("{name} was not written: {e}"))
    };
    let markdown = read_text("playbook.md");
    assert!(markdown.contains("Scenario"), "{markdown}");
    assert!(
        markdown.contains("PASSED"),
        "the API scenario's verdict trend shows the run:\n{markdown}"
    );
    let playbook_page = read_text("playbook.html");
    assert!(
        playbook_page.starts_with("<!DOCTYPE html>"),
        "{playbook_page}"
    );
    let report = read_text("report.html");
    assert!(report.contains("<svg"), "the report has its charts");
    assert!(report.contains("api-instance-failure"), "{report}");
    assert!(
        report.contains(&entry.failover_id),
        "the report's ledger shows the failover"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_demo_refuses_a_folder_without_the_bookstore_files() {
    let output = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(["demo", "--examples", "tests/fixtures/invalid", "--out-dir"])
        .arg(out_dir("refused"))
        .current_dir(ROOT)
        .output()
        .expect("gameday runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("api-instance-failure.yaml") && stderr.contains("--examples"),
        "{stderr}"
    );
}

/// Seeding twice creates nothing new, and the API's drill with the loss of its primary passes
/// on a freshly seeded sandbox (the launch template and the backup AMI are there).
#[tokio::test]
async fn seeding_is_idempotent_and_the_api_drill_passes_on_a_fresh_seed() {
    use gameday_aws::sandbox_seed::seed_bookstore;
    let sandbox = gameday_e2e::TestSandbox::start().await;
    let first = seed_bookstore(&sandbox.config, sandbox.endpoint_url(), "gameday")
        .await
        .unwrap();
    let second = seed_bookstore(&sandbox.config, sandbox.endpoint_url(), "gameday")
        .await
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(first.opted_in.len(), 4);
    assert_eq!(first.network.subnet_ids.len(), 2);
    assert_ne!(
        first.network.availability_zones[0],
        first.network.availability_zones[1]
    );

    let drill = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(["failover", "drill", "bookstore-api", "--lose-primary"])
        .args(["--endpoint-url", sandbox.endpoint_url(), "--output", "json"])
        .current_dir(ROOT)
        .output()
        .expect("gameday runs");
    let stderr = String::from_utf8_lossy(&drill.stderr);
    assert!(drill.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&drill.stdout).unwrap();
    let entry = &report["entries"][0];
    assert_eq!(entry["outcome"], "FAILED_OVER", "{report:#}");
    assert_eq!(entry["primary"], first.primary.as_str());
    assert!(entry["rto"]["measuredSeconds"].as_f64().is_some());

    // A second seed keeps the replacement as the primary and launches nothing.
    let third = seed_bookstore(&sandbox.config, sandbox.endpoint_url(), "gameday")
        .await
        .unwrap();
    assert_eq!(third.primary, entry["replacement"].as_str().unwrap());
    assert_eq!(third.opted_in, first.opted_in);
    assert_eq!(third.image_id, first.image_id);
    assert_eq!(third.zone_id, first.zone_id);
}

#[test]
fn losing_the_primary_is_refused_off_the_sandbox() {
    let output = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(["failover", "drill", "bookstore-api", "--lose-primary"])
        .args(["--endpoint-url", "https://ec2.us-west-2.amazonaws.com"])
        .current_dir(ROOT)
        .output()
        .expect("gameday runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("only runs against the local sandbox"),
        "{stderr}"
    );
}
