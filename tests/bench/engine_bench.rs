//! Benchmark (not a test): state transitions per second of the embedded engine and of the
//! sandbox's Step Functions interpreter (moto 5.2.5) on the same definitions, run side by side:
//! each run executes a definition on the engine, then on moto, so both see the same machine.
//!
//! The definitions are Pass/Choice/Map only, so no Lambda is involved: a counter loop of
//! `--iterations` turns (default 1,000) and a Map over `--items` items (default 100, three
//! states each, MaxConcurrency 10). Transitions are the `*StateEntered` events of each side's
//! execution history; both sides must count the same and give the same output, or it stops.
//! The engine's time is the wall time of `Engine::execute` in-process (real clock); moto's is
//! its own startDate → stopDate from DescribeExecution, which leaves out the HTTP calls (its
//! wall time from StartExecution to the SUCCEEDED status, polled every 2 ms, is shown too).
//!
//! `cargo run --release -p gameday-e2e --example engine_bench -- --runs 5` (`benches/engine/run.sh`).
//! Prints a Markdown table on stdout, each run on stderr. One warm-up run per side is not counted.

use std::time::{Duration, Instant};

use aws_sdk_sfn::types::ExecutionStatus as MotoStatus;
use gameday_e2e::TestSandbox;
use gameday_e2e::bench::{arg, summarize};
use gameday_engine::{Engine, ExecutionStatus, LocalFunctions, RealClock, StateMachine};
use serde_json::{Value, json};

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/gameday-engine-bench";

struct Case {
    name: String,
    definition: Value,
    input: Value,
}

/// A counter that goes up with States.MathAdd until it reaches `iterations`.
fn counter_loop(iterations: u64) -> Case {
    Case {
        name: format!("loop-{iterations}"),
        definition: json!({
            "StartAt": "Init",
            "States": {
                "Init": {"Type": "Pass", "Result": {"count": 0}, "Next": "Check"},
                "Check": {"Type": "Choice", "Default": "Done", "Choices": [
                    {"Variable": "$.count", "NumericLessThan": iterations, "Next": "Increment"}]},
                "Increment": {"Type": "Pass",
                    "Parameters": {"count.$": "States.MathAdd($.count, 1)"}, "Next": "Check"},
                "Done": {"Type": "Succeed"}
            }
        }),
        input: json!({}),
    }
}

/// An inline Map over `items` numbers: each item is shaped, then sorted by a Choice.
fn map(items: u64) -> Case {
    Case {
        name: format!("map-{items}"),
        definition: json!({
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "MaxConcurrency": 10,
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "INLINE"},
                        "StartAt": "Shape",
                        "States": {
                            "Shape": {"Type": "Pass", "Parameters": {"n.$": "$"}, "Next": "Size"},
                            "Size": {"Type": "Choice", "Default": "Small", "Choices": [
                                {"Variable": "$.n", "NumericGreaterThanEquals": items / 2, "Next": "Big"}]},
                            "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "End": true},
                            "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": true}
                        }
                    },
                    "ResultPath": "$.results",
                    "Next": "Done"
                },
                "Done": {"Type": "Succeed"}
            }
        }),
        input: json!({"items": (0..items).collect::<Vec<_>>()}),
    }
}

/// One execution: how many states it entered, its output, and how long it took.
struct Measured {
    transitions: usize,
    output: Value,
    seconds: f64,
    /// Moto only: StartExecution to the SUCCEEDED status, as the client saw it.
    wall_seconds: Option<f64>,
}

async fn on_engine(machine: &StateMachine, name: &str, input: &Value) -> Measured {
    let functions = LocalFunctions::new();
    let engine = Engine::new(&functions, &RealClock);
    let started = Instant::now();
    let execution = engine.execute(machine, name, input.clone()).await;
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        execution.status,
        ExecutionStatus::Succeeded,
        "{name} on the engine: {:?} {:?}",
        execution.error,
        execution.cause
    );
    Measured {
        transitions: execution
            .history
            .iter()
            .filter(|event| event.kind.ends_with("StateEntered"))
            .count(),
        output: execution.output.unwrap_or(Value::Null),
        seconds,
        wall_seconds: None,
    }
}

async fn on_moto(
    sfn: &aws_sdk_sfn::Client,
    machine_arn: &str,
    name: &str,
    input: &Value,
) -> Measured {
    let started = Instant::now();
    let execution_arn = sfn
        .start_execution()
        .state_machine_arn(machine_arn)
        .name(name)
        .input(input.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{name}: StartExecution: {e:?}"))
        .execution_arn()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(600);
    let described = loop {
        let described = sfn
            .describe_execution()
            .execution_arn(&execution_arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: DescribeExecution: {e:?}"));
        match described.status() {
            MotoStatus::Running => {}
            MotoStatus::Succeeded => break described,
            other => panic!(
                "{name} on moto ended {other:?}: {:?} {:?}",
                described.error(),
                described.cause()
            ),
        }
        assert!(
            Instant::now() < deadline,
            "{name}: still running on moto after 600 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let wall_seconds = started.elapsed().as_secs_f64();
    let stop = described
        .stop_date()
        .expect("a finished execution has a stopDate");
    let seconds = stop.as_secs_f64() - described.start_date().as_secs_f64();
    let mut transitions = 0;
    let mut pages = sfn
        .get_execution_history()
        .execution_arn(&execution_arn)
        .into_paginator()
        .items()
        .send();
    while let Some(event) = pages.next().await {
        let event = event.unwrap_or_else(|e| panic!("{name}: GetExecutionHistory: {e:?}"));
        if event.r#type().as_str().ends_with("StateEntered") {
            transitions += 1;
        }
    }
    let output = described
        .output()
        .map(|text| serde_json::from_str(text).expect("moto's output is JSON"))
        .unwrap_or(Value::Null);
    Measured {
        transitions,
        output,
        seconds,
        wall_seconds: Some(wall_seconds),
    }
}

#[tokio::main]
async fn main() {
    let runs: usize = arg("--runs", 5);
    let iterations: u64 = arg("--iterations", 1000);
    let items: u64 = arg("--items", 100);
    let sandbox = TestSandbox::start().await;
    let sfn = aws_sdk_sfn::Client::new(&sandbox.config);

    println!(
        "| definition | transitions | engine median | engine transitions/s | moto median (wall) | moto transitions/s | engine / moto |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for case in [counter_loop(iterations), map(items)] {
        let machine = StateMachine::from_json(&case.definition.to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let machine_arn = sfn
            .create_state_machine()
            .name(&case.name)
            .definition(case.definition.to_string())
            .role_arn(ROLE_ARN)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: CreateStateMachine: {e:?}", case.name))
            .state_machine_arn()
            .to_string();
        let (mut engine_seconds, mut moto_seconds, mut moto_wall) = (vec![], vec![], vec![]);
        let mut transitions = 0;
        for run in 0..=runs {
            let name = format!("{}-{run}", case.name);
            let engine = on_engine(&machine, &name, &case.input).await;
            let moto = on_moto(&sfn, &machine_arn, &name, &case.input).await;
            assert_eq!(
                engine.transitions, moto.transitions,
                "{name}: the engine and moto counted different transitions"
            );
            assert_eq!(engine.output, moto.output, "{name}: the outputs differ");
            transitions = engine.transitions;
            let wall = moto.wall_seconds.unwrap_or_default();
            eprintln!(
                "{name}{}: {transitions} transitions, engine {:.2} ms, moto {:.1} ms (wall {:.1} ms)",
                if run == 0 { " (warm-up)" } else { "" },
                engine.seconds * 1e3,
                moto.seconds * 1e3,
                wall * 1e3
            );
            if run > 0 {
                engine_seconds.push(engine.seconds);
                moto_seconds.push(moto.seconds);
                moto_wall.push(wall);
            }
        }
        let engine = summarize(&engine_seconds).median;
        let moto = summarize(&moto_seconds).median;
        let wall = summarize(&moto_wall).median;
        let rate = |seconds: f64| transitions as f64 / seconds;
        println!(
            "| `{}` | {transitions} | {:.2} ms | {:.0} | {:.1} ms ({:.1} ms) | {:.0} | {:.0}x |",
            case.name,
            engine * 1e3,
            rate(engine),
            moto * 1e3,
            wall * 1e3,
            rate(moto),
            rate(engine) / rate(moto)
        );
    }
    println!();
    println!(
        "Medians of {runs} runs each after one warm-up, {} build, sandbox moto {}.",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        gameday_sandbox::MOTO_VERSION
    );
}
