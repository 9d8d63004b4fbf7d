//! Benchmark (not a test): state transitions per second of a 10,000-iteration Pass/Choice loop
//! whose counter goes up with States.MathAdd, under a virtual clock with an observer that does
//! nothing. Prints each run and the median of five.
//!
//! `cargo run --release -p gameday-engine --example transitions`

use std::time::Instant;

use chrono::Utc;
use gameday_engine::{
    Engine, ExecutionStatus, HistoryEvent, LocalFunctions, Observer, StateMachine, VirtualClock,
};
use serde_json::json;

const ITERATIONS: u64 = 10_000;
const RUNS: usize = 5;

struct Quiet;

impl Observer for Quiet {
    fn on_event(&self, _event: &HistoryEvent) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let definition = json!({
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": {"count": 0}, "Next": "Check"},
            "Check": {"Type": "Choice", "Default": "Done", "Choices": [
                {"Variable": "$.count", "NumericLessThan": ITERATIONS, "Next": "Increment"}]},
            "Increment": {"Type": "Pass", "Parameters": {"count.$": "States.MathAdd($.count, 1)"}, "Next": "Check"},
            "Done": {"Type": "Succeed"}
        }
    });
    let machine = StateMachine::from_json(&definition.to_string()).expect("the loop loads");
    let functions = LocalFunctions::new();
    let mut rates = Vec::with_capacity(RUNS);
    for run in 1..=RUNS {
        let clock = VirtualClock::new(Utc::now());
        let engine = Engine::new(&functions, &clock).with_observer(&Quiet);
        let started = Instant::now();
        let execution = engine
            .execute(&machine, &format!("transitions-{run}"), json!({}))
            .await;
        let elapsed = started.elapsed();
        assert_eq!(
            execution.status,
            ExecutionStatus::Succeeded,
            "{execution:?}"
        );
        assert_eq!(execution.output, Some(json!({"count": ITERATIONS})));
        let transitions = execution
            .history
            .iter()
            .filter(|event| event.kind.ends_with("StateEntered"))
            .count();
        let rate = transitions as f64 / elapsed.as_secs_f64();
        println!(
            "run {run}: {transitions} transitions in {:.1} ms: {rate:.0} transitions/s",
            elapsed.as_secs_f64() * 1000.0
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "median of {RUNS}: {:.0} transitions/s ({} build)",
        rates[RUNS / 2],
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
}
