//! The engine's conformance corpus (`crates/engine/tests/conformance/*.json`) run a second time,
//! on the sandbox's Step Functions interpreter (moto 5.2.5): CreateStateMachine, StartExecution,
//! then DescribeExecution until it ends. For each case the engine's own result and moto's must
//! agree (status; output when SUCCEEDED; error name when FAILED), as the case's `moto` field says:
//!
//! - `"same"`: they must agree;
//! - `{"differs": "..."}`: a recorded disagreement where the engine follows the AWS
//!   documentation page the text cites; they must still disagree, so a moto upgrade that
//!   changes behaviour shows up here and the record gets updated;
//! - `{"skip": "..."}`: not run on moto (Task states need Lambda, which moto cannot run here;
//!   long real-time waits; values only the sandbox knows).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_sfn::types::ExecutionStatus as MotoStatus;
use gameday_e2e::TestSandbox;
use gameday_engine::{Engine, ExecutionStatus, LocalFunctions, StateMachine, VirtualClock};
use serde_json::{Value, json};

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/gameday-engine-conformance";

/// Status, output (when it succeeded) and error name (when it failed); two outcomes agree
/// when these match. The cause is only reported.
#[derive(Debug, Clone)]
struct Outcome {
    status: &'static str,
    output: Option<Value>,
    error: Option<String>,
    cause: Option<String>,
}

impl Outcome {
    fn agrees(&self, other: &Outcome) -> bool {
        (self.status, &self.output, &self.error) == (other.status, &other.output, &other.error)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)?;
        if let Some(output) = &self.output {
            write!(f, " {output}")?;
        }
        if let Some(error) = &self.error {
            write!(f, " {error}")?;
        }
        if let Some(cause) = &self.cause {
            write!(f, " ({cause})")?;
        }
        Ok(())
    }
}

fn cases() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/engine/tests/conformance");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let case = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, case)
        })
        .collect()
}

/// `03-pass-context` runs as `pass-context`, as in the engine's own runner.
fn execution_name(case: &str) -> &str {
    case.split_once('-').map_or(case, |(_, rest)| rest)
}

fn input_of(case: &Value) -> Value {
    case.get("input").cloned().unwrap_or_else(|| json!({}))
}

/// Turns on moto's ASL interpreter (the sandbox does this at start too; done here so the test
/// states what it relies on). A plain HTTP/1.1 POST on loopback.
fn enable_execution(endpoint_url: &str) {
    let authority = endpoint_url
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let body = r#"{"stepfunctions":{"execute_state_machine":true}}"#;
    let mut stream = TcpStream::connect(authority).expect("the sandbox answers");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /moto-api/config HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 2") || answer.starts_with("HTTP/1.0 2"),
        "POST /moto-api/config: {answer}"
    );
}

async fn run_on_engine(name: &str, case: &Value) -> Outcome {
    let machine = StateMachine::from_json(&case["definition"].to_string())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let clock = VirtualClock::new("2024-01-01T00:00:00Z".parse().unwrap());
    let functions = LocalFunctions::new();
    let execution = Engine::new(&functions, &clock)
        .execute(&machine, execution_name(name), input_of(case))
        .await;
    match execution.status {
        ExecutionStatus::Succeeded => Outcome {
            status: "SUCCEEDED",
            output: execution.output,
            error: None,
            cause: None,
        },
        ExecutionStatus::Failed => Outcome {
            status: "FAILED",
            output: None,
            error: execution.error,
            cause: execution.cause,
        },
        ExecutionStatus::TimedOut => Outcome {
            status: "TIMED_OUT",
            output: None,
            error: None,
            cause: None,
        },
    }
}

async fn run_on_moto(sfn: aws_sdk_sfn::Client, name: String, case: Value) -> Outcome {
    let machine = sfn
        .create_state_machine()
        .name(&name)
        .definition(case["definition"].to_string())
        .role_arn(ROLE_ARN)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{name}: CreateStateMachine: {e:?}"));
    let started = sfn
        .start_execution()
        .state_machine_arn(machine.state_machine_arn())
        .name(execution_name(&name))
        .input(input_of(&case).to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{name}: StartExecution: {e:?}"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(started.execution_arn())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: DescribeExecution: {e:?}"));
        let parse = |text: Option<&str>| text.map(|t| serde_json::from_str(t).unwrap_or(json!(t)));
        match described.status() {
            MotoStatus::Running | MotoStatus::PendingRedrive => {}
            MotoStatus::Succeeded => {
                return Outcome {
                    status: "SUCCEEDED",
                    output: parse(described.output()),
                    error: None,
                    cause: None,
                };
            }
            MotoStatus::Failed => {
                return Outcome {
                    status: "FAILED",
                    output: None,
                    error: described.error().map(str::to_string),
                    cause: described.cause().map(str::to_string),
                };
            }
            MotoStatus::TimedOut => {
                return Outcome {
                    status: "TIMED_OUT",
                    output: None,
                    error: None,
                    cause: None,
                };
            }
            other => panic!("{name}: unexpected status {other:?}"),
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name}: still running on moto after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_conformance_corpus_agrees_with_the_sandbox() {
    let env = TestSandbox::start().await;
    enable_execution(env.endpoint_url());
    let sfn = aws_sdk_sfn::Client::new(&env.config);

    let mut on_moto = tokio::task::JoinSet::new();
    let mut skipped = Vec::new();
    for (name, case) in cases() {
        match &case["moto"] {
            moto if moto.get("skip").is_some() => skipped.push(name),
            _ => {
                let sfn = sfn.clone();
                on_moto.spawn(async move {
                    let moto = run_on_moto(sfn, name.clone(), case.clone()).await;
                    (name, case, moto)
                });
            }
        }
    }
    let mut results = on_moto.join_all().await;
    results.sort_by(|a, b| a.0.cmp(&b.0));

    let mut report = Vec::new();
    let mut failures = Vec::new();
    let (mut same, mut differs) = (0, 0);
    for (name, case, moto) in &results {
        let engine = run_on_engine(name, case).await;
        let agree = engine.agrees(moto);
        match (&case["moto"], agree) {
            (Value::String(same_text), true) if same_text == "same" => same += 1,
            (Value::String(_), false) => failures.push(format!(
                "{name}: marked \"same\" but the engine gave {engine} and moto gave {moto}"
            )),
            (recorded, false) if recorded.get("differs").is_some() => {
                differs += 1;
                report.push(format!("{name}: engine {engine}, moto {moto}"));
            }
            (recorded, true) if recorded.get("differs").is_some() => failures.push(format!(
                "{name}: marked \"differs\" but moto now agrees ({moto}); update the record"
            )),
            (recorded, _) => failures.push(format!("{name}: unknown moto field {recorded}")),
        }
    }
    eprintln!(
        "{same} cases agree, {differs} recorded disagreements, {} skipped ({})\n{}",
        skipped.len(),
        skipped.join(", "),
        report.join("\n")
    );
    assert!(same >= 20, "only {same} cases ran the same on moto");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
