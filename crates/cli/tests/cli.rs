//! The `gameday` binary as people use it.

use gameday_aws::parameters::{DEFAULT_KILL_SWITCH_PARAMETER, ParameterStore};
use gameday_aws::sandbox_seed::seed_bookstore;
use gameday_e2e::TestSandbox;
use serde_json::Value;

mod common;

use common::{ROOT, gameday, json};

#[test]
fn validate_accepts_the_examples_and_lists_every_invalid_file() {
    let examples = gameday(&[
        "validate",
        "examples/bookstore/api-instance-failure.yaml",
        "examples/bookstore/database-failure.yaml",
        "examples/bookstore/cdn-failure.yaml",
    ]);
    assert!(
        examples.status.success(),
        "{}",
        String::from_utf8_lossy(&examples.stderr)
    );

    let invalid = gameday(&[
        "validate",
        "tests/fixtures/invalid/bad-duration.yaml",
        "tests/fixtures/invalid/unknown-field.yaml",
        "--output",
        "json",
    ]);
    assert_eq!(invalid.status.code(), Some(1));
    let report = json(&invalid);
    let fields: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"observe.interval") && fields.contains(&"metadata.ownr"),
        "{fields:?}"
    );
    assert!(
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["line"].is_u64() && e["fix"].as_str().is_some_and(|f| !f.is_empty()))
    );

    let text = gameday(&["validate", "tests/fixtures/invalid/bad-duration.yaml"]);
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(
        stderr.contains("tests/fixtures/invalid/bad-duration.yaml:") && stderr.contains("fix:"),
        "{stderr}"
    );
}

#[test]
fn validate_checks_failover_policy_files_beside_experiments() {
    let all = gameday(&[
        "validate",
        "examples/bookstore/api-instance-failure.yaml",
        "examples/bookstore/failover.yaml",
        "--output",
        "json",
    ]);
    assert!(
        all.status.success(),
        "{}",
        String::from_utf8_lossy(&all.stderr)
    );
    assert_eq!(json(&all)["valid"].as_array().unwrap().len(), 2);

    let policies = std::fs::read_to_string(format!("{ROOT}/examples/bookstore/failover.yaml"))
        .unwrap()
        .replacen("  environment: staging", "  environmnt: staging", 1);
    let dir = std::env::temp_dir().join(format!("gameday-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("failover.yaml");
    std::fs::write(&broken, policies).unwrap();
    let output = gameday(&["validate", broken.to_str().unwrap(), "--output", "json"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    let typo = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "metadata.environmnt")
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        typo["fix"].as_str().unwrap().contains("environment"),
        "{typo}"
    );
}

/// A reader that goes away (`gameday schema | head -1`) ends gameday quietly: no panic, no
/// exit code 101. The pipe is closed before gameday writes, so its first write meets it.
#[test]
fn output_into_a_closed_pipe_does_not_panic() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gameday"))
        .arg("schema")
        .current_dir(ROOT)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("gameday starts");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("gameday ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101), "{stderr}");
}

#[test]
fn schema_is_json_schema_of_the_experiment() {
    let output = gameday(&["schema"]);
    assert!(output.status.success());
    let schema = json(&output);
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(
        schema["required"]
            .as_array()
            .unwrap()
            .contains(&Value::from("faults"))
    );
    assert!(schema["$defs"]["Probe"]["oneOf"].as_array().unwrap().len() >= 5);
}

#[tokio::test]
async fn plan_picks_within_the_blast_radius_and_never_the_untagged_instance() {
    let sandbox = TestSandbox::start().await;
    let fleet = seed_bookstore(&sandbox.config, sandbox.endpoint_url(), "gameday")
        .await
        .unwrap();
    let endpoint = sandbox.endpoint_url().to_string();
    let plan_args = [
        "plan",
        "examples/bookstore/api-instance-failure.yaml",
        "--output",
        "json",
        "--endpoint-url",
        &endpoint,
    ];

    // The sandbox is its own process, so waiting on the binary here blocks nothing it needs.
    let output = gameday(&plan_args);
    let plan = json(&output);
    let target = &plan["targets"][0];
    assert_eq!(target["fleetSize"], 5);
    assert_eq!(target["blastRadiusLimit"], 1, "25% of 5 running instances");
    let chosen: Vec<&str> = target["chosen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["instanceId"].as_str().unwrap())
        .collect();
    assert_eq!(chosen.len(), 1);
    assert!(
        fleet.opted_in.iter().any(|id| id == chosen[0]),
        "the chosen instance is opted in"
    );
    let spared = target["spared"].as_array().unwrap();
    assert_eq!(spared.len(), 4);
    let untagged = spared
        .iter()
        .find(|d| d["instanceId"] == fleet.not_opted_in[0].as_str())
        .expect("the untagged one is spared");
    assert!(untagged["reason"].as_str().unwrap().contains("opt-in tag"));
    assert_eq!(plan["wouldStart"], true, "{}", plan["blockers"]);
    assert_eq!(output.status.code(), Some(0));
    let terminate = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["operation"] == "TerminateInstances")
        .unwrap();
    assert_eq!(terminate["detail"], chosen[0]);
    assert_eq!(plan["undo"][0]["undo"]["kind"], "nothing");

    // With the kill switch engaged the same plan is refused, and the exit code says so.
    let parameters = sandbox.clients("gameday").parameters;
    parameters
        .put_parameter(DEFAULT_KILL_SWITCH_PARAMETER, "on")
        .await
        .unwrap();
    // The sandbox is its own process, so waiting on the binary here blocks nothing it needs.
    let output = gameday(&plan_args);
    assert_eq!(output.status.code(), Some(1));
    let plan = json(&output);
    assert_eq!(plan["wouldStart"], false);
    assert!(
        plan["blockers"][0]
            .as_str()
            .unwrap()
            .contains("kill switch")
    );
}

#[test]
fn plan_reports_an_unreachable_endpoint_clearly() {
    // Port 9 on loopback: nothing listens, so the connection is refused at once.
    let output = gameday(&[
        "plan",
        "examples/bookstore/api-instance-failure.yaml",
        "--endpoint-url",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("http://127.0.0.1:9") && stderr.contains("gameday sandbox status"),
        "{stderr}"
    );
}

#[tokio::test]
async fn run_exits_by_verdict_and_status_and_history_read_the_record() {
    let sandbox = TestSandbox::start().await;
    seed_bookstore(&sandbox.config, sandbox.endpoint_url(), "gameday")
        .await
        .unwrap();
    let endpoint = sandbox.endpoint_url().to_string();
    let file = "examples/bookstore/api-instance-failure.yaml";
    let at = ["--endpoint-url", endpoint.as_str()];

    let refused_on_aws = gameday(&[
        "run",
        file,
        "--virtual-clock",
        "--endpoint-url",
        "https://ec2.example.com",
    ]);
    assert_eq!(refused_on_aws.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused_on_aws.stderr)
            .contains("only works against the local sandbox")
    );

    let passed = gameday(
        &[
            &[
                "run",
                file,
                "--virtual-clock",
                "--run-id",
                "cli-pass",
                "--rto-seconds",
                "43200",
            ][..],
            &at,
        ]
        .concat(),
    );
    assert_eq!(
        passed.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&passed.stderr),
        String::from_utf8_lossy(&passed.stdout)
    );
    let progress = String::from_utf8_lossy(&passed.stderr);
    assert!(
        progress.contains("sample 10: done") && progress.contains("Validate"),
        "{progress}"
    );
    assert!(String::from_utf8_lossy(&passed.stdout).contains("status    PASSED"));

    // A steady state that does not hold: the text names the probe, what it saw and expected.
    let dir = std::env::temp_dir().join(format!("gameday-cli-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("api-instance-failure.yaml");
    let text = std::fs::read_to_string(format!("{ROOT}/{file}")).unwrap();
    std::fs::write(&broken, text.replace("minRunning: 3", "minRunning: 99")).unwrap();
    let unsteady = gameday(
        &[
            &[
                "run",
                broken.to_str().unwrap(),
                "--virtual-clock",
                "--run-id",
                "cli-unsteady",
                "--rto-seconds",
                "43200",
            ][..],
            &at,
        ]
        .concat(),
    );
    let stdout = String::from_utf8_lossy(&unsteady.stdout);
    assert_eq!(unsteady.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("probe     api-fleet-capacity: ")
            && stdout.contains("running (at least 99 expected)"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    sandbox
        .clients("gameday")
        .parameters
        .put_parameter(DEFAULT_KILL_SWITCH_PARAMETER, "on")
        .await
        .unwrap();
    let refused = gameday(
        &[
            &["run", file, "--virtual-clock", "--run-id", "cli-refused"][..],
            &at,
        ]
        .concat(),
    );
    assert_eq!(refused.status.code(), Some(1), "ABORTED before start");

    let status = gameday(&[&["status", "cli-refused", "--output", "json"][..], &at].concat());
    assert_eq!(status.status.code(), Some(1));
    let record = json(&status);
    assert_eq!(record["status"], "ABORTED");
    assert!(
        record["stopReason"]
            .as_str()
            .unwrap()
            .contains("kill switch"),
        "{record}"
    );

    let history = gameday(
        &[
            &["history", "api-instance-failure", "--output", "json"][..],
            &at,
        ]
        .concat(),
    );
    let runs: Vec<String> = json(&history)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["runId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        runs,
        ["cli-refused", "cli-unsteady", "cli-pass"],
        "newest first"
    );
}

#[test]
fn sfn_check_names_what_is_missing_and_sfn_run_follows_canned_results() {
    let definition = "statemachines/experiment.asl.json";
    let unsubstituted = gameday(&["sfn", "check", definition, "--output", "json"]);
    assert_eq!(unsubstituted.status.code(), Some(1));
    let problems = json(&unsubstituted)["problems"].to_string();
    assert!(
        problems.contains("PrepareFunctionArn") && problems.contains("--substitute"),
        "{problems}"
    );

    let substitutions: Vec<String> = ["Prepare", "Inject", "Observe", "Recover", "Validate"]
        .iter()
        .map(|phase| format!("{phase}FunctionArn={}", phase.to_lowercase()))
        .flat_map(|pair| ["--substitute".to_string(), pair])
        .collect();
    let args = |action: &str| -> Vec<String> {
        let mut args = vec![
            "sfn".to_string(),
            action.to_string(),
            definition.to_string(),
        ];
        args.extend(substitutions.iter().cloned());
        args
    };
    let check = gameday(&args("check").iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    let mut run = args("run");
    run.extend(
        [
            "--virtual-clock",
            "--task-results",
            "tests/fixtures/sfn/experiment-results.json",
        ]
        .map(String::from),
    );
    let output = gameday(&run.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        output.status.code(),
        Some(1),
        "a FAILED verdict fails the machine"
    );
    let execution = json(&output);
    assert_eq!(execution["status"], "FAILED");
    assert_eq!(execution["error"], "Gameday.ExperimentFailed");
    let observed = execution["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "TaskStateEntered" && e["details"]["name"] == "Observe")
        .count();
    assert_eq!(observed, 2);
}

#[tokio::test]
async fn run_with_aws_starts_the_deployed_machine_and_follows_its_history() {
    let sandbox = TestSandbox::start().await;
    seed_bookstore(&sandbox.config, sandbox.endpoint_url(), "gameday")
        .await
        .unwrap();
    // The sandbox's Step Functions runs ASL but not our Lambdas, so this machine stands in
    // for the deployed one: the follower is what is under test.
    let definition = r#"{"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
        "Done": {"Type": "Succeed"}}}"#;
    let created = aws_sdk_sfn::Client::new(&sandbox.config)
        .create_state_machine()
        .name("gameday-experiment")
        .definition(definition)
        .role_arn("arn:aws:iam::123456789012:role/gameday-states")
        .send()
        .await
        .unwrap();
    let endpoint = sandbox.endpoint_url().to_string();
    let output = gameday(&[
        "run",
        "examples/bookstore/api-instance-failure.yaml",
        "--aws",
        "--state-machine-arn",
        created.state_machine_arn(),
        "--poll-seconds",
        "1",
        "--run-id",
        "deployed-1",
        "--endpoint-url",
        &endpoint,
    ]);
    let progress = String::from_utf8_lossy(&output.stderr);
    for line in [
        "execution arn:aws:states:",
        "Prepare",
        "Pause",
        "Done",
        "execution succeeded",
    ] {
        assert!(progress.contains(line), "`{line}` in:\n{progress}");
    }
    // No phase ran, so there is no run record: that is an error, never a pass.
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("no run record was written (SUCCEEDED"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
