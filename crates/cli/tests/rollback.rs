//! Interrupted runs, end to end: `gameday run` killed mid-run (SIGKILL after its fault is
//! injected), then `status` says INTERRUPTED, a new `run` names it, and `rollback` undoes the
//! fault, releases the locks and records the verdict. Also what a run does when the sandbox
//! itself goes away mid-run.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use chrono::{Duration, Utc};
use gameday_aws::AwsError;
use gameday_aws::instances::InstanceDirectory;
use gameday_aws::leases::LeaseStore;
use gameday_aws::runs::LockStore;
use gameday_aws::sandbox_seed::seed_bookstore;
use gameday_core::liveness::{Driver, Lease};
use gameday_core::spec::InstanceSelector;
use gameday_e2e::TestSandbox;

mod common;

use common::{ROOT, gameday, json};

const EXPERIMENT: &str = "api-instance-stop";

/// The Bookstore API experiment with an `ec2-stop` fault (its undo starts the instance
/// again) and no schedule, observing every `interval` for `duration`, written to a fresh
/// folder (no playbook beside it).
fn experiment_file(test: &str, interval: &str, duration: &str) -> PathBuf {
    let text = std::fs::read_to_string(format!(
        "{ROOT}/examples/bookstore/api-instance-failure.yaml"
    ))
    .unwrap();
    let text = text[..text.find("schedule:").unwrap()]
        .replace("name: api-instance-failure", &format!("name: {EXPERIMENT}"))
        .replace("type: ec2-terminate", "type: ec2-stop")
        .replace(
            "name: terminate-one-api-instance",
            "name: stop-one-api-instance",
        )
        .replace(
            "  interval: PT30S\n  duration: PT5M",
            &format!("  interval: {interval}\n  duration: {duration}"),
        )
        .replace("  withinRto: true\n", "");
    let dir = std::env::temp_dir().join(format!("gameday-rollback-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("api-instance-stop.yaml");
    std::fs::write(&file, text).unwrap();
    file
}

/// Starts `gameday ARGS` and returns it once a line of its progress contains `marker`, with
/// the progress read so far and a thread collecting the rest of its stderr (so the child
/// never blocks on a full pipe).
fn start_until(
    args: &[&str],
    env: &[(&str, &str)],
    marker: &str,
) -> (Child, String, JoinHandle<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(ROOT)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gameday starts");
    let mut progress = String::new();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) => {
                progress.push_str(&line);
                progress.push('\n');
                if line.contains(marker) {
                    let rest = std::thread::spawn(move || {
                        lines.map_while(Result::ok).map(|l| l + "\n").collect()
                    });
                    return (child, progress, rest);
                }
            }
            _ => panic!(
                "gameday ended before `{marker}`: {:?}\n{progress}",
                child.wait()
            ),
        }
    }
}

/// `gameday` with owned arguments.
fn gd(args: Vec<String>) -> std::process::Output {
    gameday(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn start_until_owned(args: Vec<String>, marker: &str) -> (Child, String, JoinHandle<String>) {
    start_until(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
        marker,
    )
}

fn text(output: &std::process::Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn instance_state(sandbox: &TestSandbox, id: &str) -> String {
    let selector = InstanceSelector {
        tags: [("service".to_string(), "bookstore".to_string())].into(),
        instance_ids: vec![id.to_string()],
        availability_zones: vec![],
    };
    let found = sandbox
        .clients("gameday")
        .instances
        .find_instances(&selector)
        .await
        .unwrap();
    found
        .into_iter()
        .find(|i| i.instance_id == id)
        .unwrap()
        .state
}

#[tokio::test]
async fn a_killed_run_is_interrupted_named_by_the_next_run_and_rolled_back() {
    let sandbox = TestSandbox::start().await;
    let fleet = seed_bookstore(&sandbox.config, sandbox.endpoint_url(), "gameday")
        .await
        .unwrap();
    // A long interval keeps the run in its first Wait, after the injection, under the real clock.
    let file = experiment_file("killed", "PT10M", "PT1H");
    let file = file.to_str().unwrap();
    let at = ["--endpoint-url", sandbox.endpoint_url()];
    let topic = ["--topic-arn", fleet.topic_arn.as_str()];
    let with =
        |args: &[&str]| -> Vec<String> { args.iter().chain(&at).map(|a| a.to_string()).collect() };

    let (mut run, progress, _) = start_until_owned(
        with(&["run", file, "--run-id", "rb-killed", topic[0], topic[1]]),
        "WaitForSample",
    );
    assert!(progress.contains("Inject"), "{progress}");
    run.kill().unwrap();
    run.wait().unwrap();

    let status = gd(with(&["status", "rb-killed", "--output", "json"]));
    assert_eq!(
        status.status.code(),
        Some(2),
        "no verdict: {}",
        text(&status)
    );
    let record = json(&status);
    assert_eq!(record["status"], "RUNNING", "the record as stored");
    assert_eq!(record["liveness"]["state"], "INTERRUPTED", "{record}");
    assert!(
        record["liveness"]["why"]
            .as_str()
            .unwrap()
            .contains("is gone"),
        "{record}"
    );
    assert_eq!(record["undo"][0]["state"], "INJECTED", "{record}");
    let stopped = record["undo"][0]["targets"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(instance_state(&sandbox, &stopped).await, "stopped");
    let shown = text(&gd(with(&["status", "rb-killed"])));
    for expected in [
        "status    INTERRUPTED",
        "stop-one-api-instance (Injected)",
        "gameday rollback rb-killed",
    ] {
        assert!(shown.contains(expected), "`{expected}` in:\n{shown}");
    }
    let history = text(&gd(with(&["history", EXPERIMENT])));
    assert!(
        history.contains("INTERRUPTED") && history.contains("rb-killed"),
        "{history}"
    );

    let second = gd(with(&["run", file, "--run-id", "rb-second"]));
    assert_eq!(second.status.code(), Some(1), "{}", text(&second));
    let refusal = String::from_utf8_lossy(&second.stderr);
    assert!(
        refusal.contains("run rb-killed of api-instance-stop is INTERRUPTED")
            && refusal.contains("`gameday rollback rb-killed`")
            && refusal.contains("no run was started"),
        "{refusal}"
    );
    let never = gd(with(&["status", "rb-second"]));
    assert_eq!(
        never.status.code(),
        Some(2),
        "no record for a refused start: {}",
        text(&never)
    );

    let dry = gd(with(&["rollback", "rb-killed", "--dry-run"]));
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(
        text(&dry).contains(&format!("StartInstances {stopped}")),
        "{}",
        text(&dry)
    );
    assert_eq!(
        json(&gd(with(&["status", "rb-killed", "--output", "json"])))["status"],
        "RUNNING"
    );

    let rollback = gd(with(&[
        "rollback",
        "rb-killed",
        "--output",
        "json",
        topic[0],
        topic[1],
    ]));
    assert_eq!(rollback.status.code(), Some(0), "{}", text(&rollback));
    let record = json(&rollback);
    assert_eq!(record["status"], "ERRORED", "{record}");
    assert_eq!(record["undo"][0]["state"], "UNDONE", "{record}");
    let reasons = record["verdict"]["reasons"].to_string();
    assert!(reasons.contains("interrupted: driver lost at"), "{reasons}");
    assert!(
        record["phases"]["rollback"]["endedAt"].is_string(),
        "{record}"
    );
    let notified = record["notifications"].as_array().unwrap();
    assert!(
        notified
            .iter()
            .any(|n| n["subject"].as_str().unwrap().ends_with("ERRORED")
                && n["messageId"].is_string()),
        "{record}"
    );
    assert_eq!(
        instance_state(&sandbox, &stopped).await,
        "running",
        "the undo started it again"
    );
    let now = Utc::now();
    let runs = sandbox.clients("gameday").runs;
    runs.acquire_lock(&stopped, "rb-probe", now + Duration::minutes(1), now)
        .await
        .expect("the rollback released the lock");
    runs.release_lock(&stopped, "rb-probe").await.unwrap();

    let again = gd(with(&["rollback", "rb-killed"]));
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again).contains("already ended as ERRORED: nothing to roll back"),
        "{}",
        text(&again)
    );
    let history = text(&gd(with(&["history", EXPERIMENT])));
    assert!(!history.contains("INTERRUPTED"), "{history}");

    // A run whose driver is alive is not taken over.
    let (mut live, _, _) =
        start_until_owned(with(&["run", file, "--run-id", "rb-live"]), "WaitForSample");
    let refused = gd(with(&["rollback", "rb-live"]));
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("run rb-live is still driven: `gameday run` on"),
        "{}",
        text(&refused)
    );
    live.kill().unwrap();
    live.wait().unwrap();
    let finished = gd(with(&["rollback", "rb-live"]));
    assert_eq!(finished.status.code(), Some(0), "{}", text(&finished));
}

/// moto keeps its state in memory, so a sandbox that goes away takes the run record and the
/// instances with it: what can be checked is what the run does and says.
#[tokio::test]
async fn a_run_whose_sandbox_goes_away_names_the_run_and_the_rollback_command() {
    let sandbox = TestSandbox::start().await;
    seed_bookstore(&sandbox.config, sandbox.endpoint_url(), "gameday")
        .await
        .unwrap();
    // Under the virtual clock the hour of one-second samples is one long stream of calls.
    let file = experiment_file("sandbox-gone", "PT1S", "PT1H");
    let args = [
        "run",
        file.to_str().unwrap(),
        "--virtual-clock",
        "--run-id",
        "rb-endpoint-gone",
        "--endpoint-url",
        sandbox.endpoint_url(),
    ];
    // One attempt per SDK call: the state machine's own retries (virtual time) are what this
    // checks, and the SDK's back-off would only add real seconds.
    let (mut run, _, rest) = start_until(&args, &[("AWS_MAX_ATTEMPTS", "1")], "sample 1:");
    drop(sandbox);
    let exit = run.wait().unwrap();
    let said = rest.join().unwrap();
    assert_eq!(exit.code(), Some(2), "{said}");
    assert!(
        said.contains("run rb-endpoint-gone did not finish")
            && said.contains("`gameday rollback rb-endpoint-gone`"),
        "{said}"
    );
    assert!(!said.contains("panicked"), "{said}");
}

/// The lease's conditional writes: one driver at a time, and a take-over only of the lease
/// that was judged lost.
#[tokio::test]
async fn a_lease_is_held_by_one_driver_and_taken_over_only_as_it_was_seen() {
    let sandbox = TestSandbox::start().await;
    let runs = sandbox.clients("gameday").runs;
    runs.ensure_table().await.unwrap();
    let lease = |pid| {
        let driver = Driver::Local {
            command: "run".into(),
            host: "laptop.example.com".into(),
            pid,
            boot_id: None,
            process_start: None,
        };
        Lease::local(driver, Utc::now())
    };
    let conflict = |result: Result<(), AwsError>| matches!(result, Err(AwsError::Conflict { .. }));
    let first = lease(1);
    runs.claim_lease("run-l", &first, None).await.unwrap();
    assert!(conflict(runs.claim_lease("run-l", &lease(2), None).await));
    runs.renew_lease("run-l", &lease(1)).await.unwrap();
    assert!(
        conflict(runs.renew_lease("run-l", &lease(2)).await),
        "not its lease"
    );
    assert!(
        conflict(runs.claim_lease("run-l", &lease(2), Some(&first)).await),
        "renewed since it was judged"
    );
    let seen = runs.get_lease("run-l").await.unwrap().unwrap();
    runs.claim_lease("run-l", &lease(2), Some(&seen))
        .await
        .unwrap();
    assert!(
        conflict(runs.renew_lease("run-l", &lease(1)).await),
        "taken over"
    );
    assert!(conflict(runs.drop_lease("run-l", &lease(1)).await));
    runs.drop_lease("run-l", &lease(2)).await.unwrap();
    assert_eq!(runs.get_lease("run-l").await.unwrap(), None);
    runs.drop_lease("run-l", &lease(2)).await.unwrap();
}
