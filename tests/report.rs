//! `gameday report` and the maturity evidence against the sandbox table: runs stored with
//! `RunStore::create_run`/`save_run` and ledger entries stored with the failover ledger are
//! read back through the by-experiment index, and the report's JSON must match the table.

use chrono::{Duration, Utc};
use gameday_aws::evidence::{
    MaturitySources, experiment_runs, ledger_entries, maturity_evidence, policy_services,
};
use gameday_aws::ledger::DynamoLedger;
use gameday_aws::runs::RunStore;
use gameday_core::cadence::default_max_interval;
use gameday_core::failover::load_failover_file;
use gameday_core::maturity::{PlaybookFacts, assess};
use gameday_core::report::{ReportWindow, build_report};
use gameday_core::spec::load_experiment;
use gameday_e2e::TestSandbox;
use gameday_e2e::history::{API_EXPERIMENT, DB_EXPERIMENT, store_history};
use serde_json::Value;

const TABLE: &str = "gameday";

fn bookstore_file(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../examples/bookstore/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_json_matches_the_runs_and_ledger_in_the_table() {
    let sandbox = TestSandbox::start().await;
    let runs = sandbox.clients(TABLE).runs;
    runs.ensure_table().await.unwrap();
    let ledger = DynamoLedger::from_config(&sandbox.config, TABLE);
    let now = Utc::now();
    let history = store_history(&runs, &ledger, now).await;

    // The port: every run, oldest first, and `since` cuts at creation time.
    let all = runs.runs_since(API_EXPERIMENT, None).await.unwrap();
    let ids: Vec<&str> = all.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "api-1", "api-2", "api-3", "api-4", "api-5", "api-6", "api-7"
        ]
    );
    let recent = runs
        .runs_since(API_EXPERIMENT, Some(now - Duration::days(20)))
        .await
        .unwrap();
    let ids: Vec<&str> = recent.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["api-4", "api-5", "api-6", "api-7"]);
    assert!(
        runs.runs_since("no-such-experiment", None)
            .await
            .unwrap()
            .is_empty()
    );

    let experiments = [
        load_experiment("api", &bookstore_file("api-instance-failure.yaml")).unwrap(),
        load_experiment("db", &bookstore_file("database-failure.yaml")).unwrap(),
    ];
    let policies = [load_failover_file("failover.yaml", &bookstore_file("failover.yaml")).unwrap()];
    let services = policy_services(&policies, Some("bookstore"));
    assert_eq!(services, ["bookstore-api", "bookstore-db", "bookstore-cdn"]);
    let read = experiment_runs(&runs, &experiments, &policies)
        .await
        .unwrap();
    let entries = ledger_entries(&ledger, &services).await.unwrap();
    let report = build_report(
        &read,
        &entries,
        ReportWindow {
            now,
            since: None,
            max_interval: default_max_interval(),
        },
    );
    let json = serde_json::to_value(&report).unwrap();

    // Every run the JSON lists is the run in the table: same id, status, recovery.
    let mut listed = 0;
    for experiment in json["experiments"].as_array().unwrap() {
        let name = experiment["name"].as_str().unwrap();
        let expected: Vec<_> = history
            .runs
            .iter()
            .filter(|r| r.experiment == name)
            .collect();
        let rows = experiment["runs"].as_array().unwrap();
        assert_eq!(rows.len(), expected.len(), "{name}");
        assert_eq!(experiment["counts"]["total"], expected.len());
        for row in rows {
            let id = row["runId"].as_str().unwrap();
            let stored = runs
                .get_run(id)
                .await
                .unwrap()
                .expect("the run is in the table");
            assert_eq!(stored.experiment, name);
            assert_eq!(row["status"], stored.status.as_str(), "{id}");
            assert_eq!(
                row["recoverySeconds"].as_f64(),
                stored.recovery_seconds,
                "{id}"
            );
            listed += 1;
        }
    }
    assert_eq!(
        listed, 9,
        "seven API runs and two database runs; cdn-failure is not named"
    );
    let api = &json["experiments"][0];
    assert_eq!(api["name"], API_EXPERIMENT);
    assert_eq!(
        (
            api["counts"]["passed"].as_u64(),
            api["counts"]["failed"].as_u64()
        ),
        (Some(3), Some(1))
    );
    assert_eq!(api["passRatePercent"], 75.0);
    assert_eq!(
        api["rtoObjectiveSeconds"], 43_200.0,
        "the API's RTO from failover.yaml"
    );
    assert_eq!(api["cadence"]["status"], "COMPLIANT");
    let recovery: Vec<f64> = api["recoverySeries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .collect();
    assert_eq!(recovery, [210.0, 900.5, 180.0, 150.25]);
    assert_eq!(json["experiments"][1]["name"], DB_EXPERIMENT);
    assert_eq!(
        json["experiments"][1]["cadence"]["status"], "OVERDUE",
        "45 days ago"
    );

    let failovers: Vec<(&str, bool)> = json["failovers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["failoverId"].as_str().unwrap(),
                f["rto"]["met"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        failovers,
        [("fo-api-2", false), ("fo-db-1", true), ("fo-api-1", true)]
    );
    assert_eq!(history.failovers.len(), failovers.len());

    let problems: Vec<(&str, &str, bool)> = json["openProblems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["runId"].as_str().unwrap(),
                p["status"].as_str().unwrap(),
                p["undoComplete"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [("api-5", "ERRORED", true), ("api-3", "ABORTED", false)]
    );
    assert_eq!(
        json["openProblems"][1]["faultsNotUndone"][0],
        "api-latency: UNDO_FAILED (SSM command timed out)"
    );

    // The same table as maturity evidence: the experiments are staging ones that reached a
    // verdict, nothing is scheduled on time for the database, and the API's latest drill
    // missed its RTO.
    let evidence = maturity_evidence(
        &runs,
        &ledger,
        MaturitySources {
            service: "bookstore",
            playbook: PlaybookFacts {
                dependencies: vec!["api".into(), "database".into()],
                scenarios: 3,
                contacts: 3,
                manual_exercises: 1,
            },
            experiments: &experiments,
            policies: &policies,
            gated: &[],
            now,
        },
    )
    .await
    .unwrap();
    assert_eq!(evidence.experiments[0].verdict_runs, 4);
    assert_eq!(evidence.experiments[1].verdict_runs, 2);
    assert_eq!(evidence.failovers.len(), 3);
    assert_eq!(evidence.failovers[0].rtos.len(), 2);
    assert!(
        !evidence.failovers[0].rtos[0].met,
        "newest first: the 13 h drill"
    );
    let assessment = assess(&evidence);
    assert_eq!(assessment.stage, 2, "{:#?}", assessment.stages);
    let missing = assessment.missing_for_next.join("\n");
    assert!(
        missing.contains("database-failure") && missing.contains("production"),
        "{missing}"
    );
    let _: Value = serde_json::to_value(&assessment).unwrap();
}
