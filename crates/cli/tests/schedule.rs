//! `gameday schedule sync|list` against the sandbox's Scheduler and table.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use gameday_aws::runs::{ExperimentStore, RunStore};
use gameday_aws::schedules::{SchedulerSchedules, Schedules};
use gameday_core::run::{RunRecord, RunStatus};
use gameday_e2e::TestSandbox;
use serde_json::Value;

mod common;

use common::{ROOT, json};
const STATE_MACHINE: &str = "arn:aws:states:us-west-2:123456789012:stateMachine:gameday-experiment";
const ROLE: &str = "arn:aws:iam::123456789012:role/gameday-scheduler";
const TABLE: &str = "gameday";

fn gameday(endpoint: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(args)
        .args(["--endpoint-url", endpoint, "--table-name", TABLE])
        .current_dir(ROOT)
        .output()
        .expect("gameday runs")
}

fn sync(endpoint: &str, file: &Path, extra: &[&str]) -> Output {
    let file = file.to_str().expect("utf-8 path");
    let mut args = vec![
        "schedule",
        "sync",
        file,
        "--state-machine-arn",
        STATE_MACHINE,
        "--role-arn",
        ROLE,
    ];
    args.extend_from_slice(extra);
    gameday(endpoint, &args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn actions(report: &Value) -> Vec<(String, String)> {
    report["plan"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|change| {
            let name = change["schedule"]["name"]
                .as_str()
                .or(change["name"].as_str())
                .unwrap_or_default();
            (
                name.to_string(),
                change["action"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A fresh directory for experiment files this test edits.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gameday-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn example(name: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join("examples/bookstore").join(name))
        .expect("example file")
}

/// The example without its `schedule:` section (up to the next top-level key).
fn without_schedule(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("schedule:") {
            inside = true;
            continue;
        }
        if inside && !line.starts_with(' ') && !line.is_empty() {
            inside = false;
        }
        if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[tokio::test]
async fn sync_creates_updates_and_deletes_one_schedule_and_a_second_apply_changes_nothing() {
    let sandbox = TestSandbox::start().await;
    let endpoint = sandbox.endpoint_url().to_string();
    let store = sandbox.clients(TABLE).runs;
    store.ensure_table().await.unwrap();
    let schedules = SchedulerSchedules::from_config(&sandbox.config);
    let dir = scratch_dir("schedule-sync");
    let file = dir.join("api-instance-failure.yaml");
    let original = example("api-instance-failure.yaml");
    std::fs::write(&file, &original).unwrap();
    let name = "gameday-api-instance-failure";

    // The binary is its own process and the sandbox another, so blocking here starves nothing.
    let dry = json(&sync(&endpoint, &file, &["--output", "json"]));
    assert_eq!(dry["applied"], false);
    assert_eq!(dry["plan"]["createGroup"], true);
    assert_eq!(actions(&dry), [(name.to_string(), "create".to_string())]);
    assert!(
        !schedules.group_exists("gameday").await.unwrap(),
        "a dry run changes nothing"
    );

    let created = sync(&endpoint, &file, &["--apply"]);
    assert!(created.status.success(), "{created:?}");
    assert!(stdout(&created).contains(&format!("created {name}")));
    let schedule = schedules
        .get("gameday", name)
        .await
        .unwrap()
        .expect("created");
    assert_eq!(schedule.expression, "cron(0 10 ? * 3#1 *)");
    assert_eq!(schedule.time_zone, "America/Los_Angeles");
    assert_eq!(schedule.target_arn, STATE_MACHINE);
    assert_eq!(schedule.role_arn, ROLE);
    assert_eq!(
        serde_json::from_str::<Value>(&schedule.input).unwrap(),
        serde_json::json!({"experimentName": "api-instance-failure"})
    );
    assert_eq!(schedule.flexible_window_minutes, None);
    assert!(schedule.enabled);
    let stored = store.get_experiment("api-instance-failure").await.unwrap();
    assert_eq!(
        stored.map(|e| e.metadata.name),
        Some("api-instance-failure".to_string()),
        "the scheduled run's Prepare finds the experiment by name"
    );

    // Someone else's schedule in the same group is never touched.
    let mut foreign = schedule.clone();
    foreign.name = "team-report".to_string();
    schedules.create("gameday", &foreign).await.unwrap();

    let again = json(&sync(&endpoint, &file, &["--apply", "--output", "json"]));
    assert_eq!(again["changes"], false, "{again:#}");
    assert_eq!(again["plan"]["ignored"], serde_json::json!(["team-report"]));

    std::fs::write(
        &file,
        original.replace("cron(0 10 ? * 3#1 *)", "cron(0 10 ? * 3#2 *)"),
    )
    .unwrap();
    let update = json(&sync(&endpoint, &file, &["--output", "json"]));
    assert_eq!(actions(&update), [(name.to_string(), "update".to_string())]);
    assert_eq!(
        update["plan"]["changes"][0]["differences"],
        serde_json::json!([{
            "field": "expression",
            "current": "cron(0 10 ? * 3#1 *)",
            "desired": "cron(0 10 ? * 3#2 *)",
        }])
    );
    assert!(sync(&endpoint, &file, &["--apply"]).status.success());
    let updated = schedules.get("gameday", name).await.unwrap().expect("kept");
    assert_eq!(updated.expression, "cron(0 10 ? * 3#2 *)");
    let stored = store.get_experiment("api-instance-failure").await.unwrap();
    assert_eq!(
        stored.and_then(|e| e.schedule).map(|s| s.expression),
        Some("cron(0 10 ? * 3#2 *)".to_string()),
        "the stored experiment follows the file"
    );

    std::fs::write(&file, without_schedule(&original)).unwrap();
    let dry_delete = sync(&endpoint, &file, &[]);
    let text = stdout(&dry_delete);
    assert!(
        text.starts_with("!! 1 schedule(s) in group gameday will be DELETED:"),
        "{text}"
    );
    assert!(
        text.contains(name) && text.contains("has no `schedule:` section"),
        "{text}"
    );
    assert!(schedules.get("gameday", name).await.unwrap().is_some());
    assert!(sync(&endpoint, &file, &["--apply"]).status.success());
    assert_eq!(schedules.get("gameday", name).await.unwrap(), None);
    assert!(
        schedules
            .get("gameday", "team-report")
            .await
            .unwrap()
            .is_some()
    );

    let last = json(&sync(&endpoint, &file, &["--apply", "--output", "json"]));
    assert_eq!(last["changes"], false, "{last:#}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sync_keeps_a_schedule_whose_file_is_not_given_unless_pruned() {
    let sandbox = TestSandbox::start().await;
    let endpoint = sandbox.endpoint_url().to_string();
    sandbox.clients(TABLE).runs.ensure_table().await.unwrap();
    let schedules = SchedulerSchedules::from_config(&sandbox.config);
    let api = Path::new(ROOT).join("examples/bookstore/api-instance-failure.yaml");
    let database = Path::new(ROOT).join("examples/bookstore/database-failure.yaml");
    let both = sync(&endpoint, &api, &["--apply"]);
    assert!(both.status.success(), "{both:?}");
    assert!(sync(&endpoint, &database, &["--apply"]).status.success());
    assert_eq!(schedules.list_names("gameday").await.unwrap().len(), 2);

    let kept = json(&sync(&endpoint, &api, &["--apply", "--output", "json"]));
    assert_eq!(kept["changes"], false);
    assert!(actions(&kept).contains(&("gameday-database-failure".into(), "kept".into())));
    assert_eq!(schedules.list_names("gameday").await.unwrap().len(), 2);

    let pruned = sync(&endpoint, &api, &["--apply", "--prune"]);
    assert!(pruned.status.success(), "{pruned:?}");
    assert_eq!(
        schedules.list_names("gameday").await.unwrap(),
        ["gameday-api-instance-failure"]
    );
}

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().expect("test instant")
}

fn utc_fires(outlook: &Value) -> Vec<String> {
    outlook["schedule"]["nextFires"]
        .as_array()
        .expect("fires")
        .iter()
        .map(|fire| fire["utc"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn list_shows_known_fire_times_and_cadence_from_the_table() {
    let sandbox = TestSandbox::start().await;
    let endpoint = sandbox.endpoint_url().to_string();
    let store = sandbox.clients(TABLE).runs;
    store.ensure_table().await.unwrap();
    // One PASSED run of the API experiment; a later ERRORED one proves nothing and must not
    // count. The database experiment has no runs.
    for (id, status, at) in [
        ("api-1", RunStatus::Passed, "2026-02-20T18:10:00Z"),
        ("api-2", RunStatus::Errored, "2026-02-27T18:10:00Z"),
    ] {
        let mut run = RunRecord::new(id, "api-instance-failure", "bookstore", instant(at));
        run.status = status;
        store.create_run(&run).await.unwrap();
    }
    let dir = scratch_dir("schedule-list");
    let friday = dir.join("api-friday.yaml");
    std::fs::write(
        &friday,
        example("api-instance-failure.yaml")
            .replace("name: api-instance-failure", "name: api-friday-drill")
            .replace("cron(0 10 ? * 3#1 *)", "cron(0 17 ? * FRI *)"),
    )
    .unwrap();
    let unscheduled = dir.join("cdn-unscheduled.yaml");
    std::fs::write(&unscheduled, without_schedule(&example("cdn-failure.yaml"))).unwrap();

    let files = [
        "examples/bookstore/api-instance-failure.yaml",
        "examples/bookstore/database-failure.yaml",
        friday.to_str().unwrap(),
        unscheduled.to_str().unwrap(),
    ];
    let mut args = vec!["schedule", "list"];
    args.extend_from_slice(&files);
    args.extend_from_slice(&["--from", "2026-03-01T00:00:00Z", "--count", "3"]);
    let mut json_args = args.clone();
    json_args.extend_from_slice(&["--output", "json"]);
    let output = gameday(&endpoint, &json_args);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a never-run experiment is not compliant: {output:?}"
    );
    let listing = json(&output);
    assert_eq!(listing["allCompliant"], false);
    let [api, database, friday, cdn] = listing["experiments"].as_array().unwrap().as_slice() else {
        panic!("four experiments: {listing:#}");
    };

    // First Tuesdays at 10:00 in Los Angeles: PST before 8 March, PDT after.
    assert_eq!(
        utc_fires(api),
        [
            "2026-03-03T18:00:00Z",
            "2026-04-07T17:00:00Z",
            "2026-05-05T17:00:00Z"
        ]
    );
    assert_eq!(
        api["schedule"]["nextFires"][0]["local"],
        "2026-03-03T10:00:00-08:00"
    );
    assert_eq!(api["schedule"]["name"], "gameday-api-instance-failure");
    assert_eq!(api["schedule"]["longestGapDays"], 35.0);
    assert_eq!(api["schedule"]["meetsCadence"], true);
    assert_eq!(api["cadence"]["status"], "COMPLIANT");
    assert_eq!(api["cadence"]["lastExercised"], "2026-02-20T18:10:00Z");
    assert_eq!(api["cadence"]["dueBy"], "2026-03-27T18:10:00Z");
    assert_eq!(api["schedule"]["nextFireOnTime"], true);

    // Second Tuesdays.
    assert_eq!(
        utc_fires(database),
        [
            "2026-03-10T17:00:00Z",
            "2026-04-14T17:00:00Z",
            "2026-05-12T17:00:00Z"
        ]
    );
    assert_eq!(database["cadence"]["status"], "NEVER_RUN");

    // Fridays at 17:00 fall in the Friday deploy freeze: Prepare would refuse every one.
    assert_eq!(
        utc_fires(friday),
        [
            "2026-03-07T01:00:00Z",
            "2026-03-14T00:00:00Z",
            "2026-03-21T00:00:00Z"
        ]
    );
    assert_eq!(
        friday["schedule"]["nextFires"][0]["blockedBy"],
        "friday-deploy-freeze"
    );
    // A week plus the hour Los Angeles gains on 1 November 2026 (PDT -> PST).
    assert_eq!(
        friday["schedule"]["longestGapDays"],
        (7.0 * 24.0 + 1.0) / 24.0
    );

    assert_eq!(cdn["experiment"], "cdn-failure");
    assert_eq!(cdn["schedule"], Value::Null);

    let text = stdout(&gameday(&endpoint, &args));
    assert!(text.contains("cdn-failure  unscheduled"), "{text}");
    assert!(
        text.contains("2026-03-03T18:00Z  2026-03-03 10:00 -08:00"),
        "{text}"
    );
    assert!(text.contains("blocked by friday-deploy-freeze"), "{text}");
    assert!(text.contains("NEVER_RUN"), "{text}");

    // With a 30-day allowance, monthly schedules cannot keep the cadence.
    let mut strict = args.clone();
    strict.extend_from_slice(&["--max-interval-days", "30", "--output", "json"]);
    let strict = json(&gameday(&endpoint, &strict));
    assert_eq!(strict["experiments"][0]["schedule"]["meetsCadence"], false);
    assert_eq!(strict["experiments"][2]["schedule"]["meetsCadence"], true);
    let _ = std::fs::remove_dir_all(&dir);
}
