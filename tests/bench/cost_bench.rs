//! Benchmark (not a test): what one run of each experiment file given costs on AWS, priced
//! from measured usage, against AWS FIS for the same faults held for the same durations.
//!
//! Each run is the experiment state machine on the embedded engine with the phases in-process
//! against a freshly seeded sandbox (`gameday sandbox seed`'s Bookstore, plus the database and
//! CDN names the database and CDN experiments probe), under the virtual clock, as `gameday run
//! --virtual-clock` runs it. Measured: the states entered (each is one Standard transition,
//! retries included) and the wall time of every phase handler call. Priced by
//! `gameday_core::cost::priced` at the list prices in `crates/core/src/cost.rs`.
//!
//! `cargo run --release -p gameday-e2e --example cost_bench -- --runs 3 FILE...`
//! (`benches/cost/run.sh`). Prints Markdown tables on stdout, each run on stderr.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use gameday_aws::SdkSettings;
use gameday_aws::dns::{DnsWriter, Route53Dns};
use gameday_aws::runs::RunStore;
use gameday_aws::sandbox_seed::BOOKSTORE_ZONE;
use gameday_core::cost::{MeasuredCost, estimate, fis_action_minutes_for_faults, fis_usd, priced};
use gameday_core::failover::RecordValues;
use gameday_core::playbook::load_playbook;
use gameday_core::spec::{Experiment, load_experiment};
use gameday_e2e::bench::{arg, summarize};
use gameday_e2e::bookstore::{Bookstore, TABLE, tuesday_afternoon};
use gameday_engine::{Engine, LocalFunctions, TaskFailure, TaskInvoker, VirtualClock};
use gameday_phases::PhaseConfig;
use gameday_phases::lambda::AwsPorts;
use gameday_runner::{experiment_machine, phase_functions};
use serde_json::{Value, json};

/// The names the database and CDN experiments probe, which the seed does not make: CNAMEs to
/// documentation hosts, as a deployed Bookstore would have to its database and CDN.
const EXTRA_RECORDS: [(&str, &str); 2] = [
    ("db.bookstore.example.com", "bookstore-db.example.com"),
    ("cdn.bookstore.example.com", "bookstore-cdn.example.com"),
];

/// The phase handlers with a stopwatch on each call: the function called and how long it took.
struct Timed {
    functions: LocalFunctions,
    calls: Mutex<Vec<(String, Duration)>>,
}

impl TaskInvoker for Timed {
    fn invoke<'a>(
        &'a self,
        resource: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, TaskFailure>> {
        let function = input["FunctionName"]
            .as_str()
            .unwrap_or(resource)
            .to_string();
        Box::pin(async move {
            let started = Instant::now();
            let result = self.functions.invoke(resource, input).await;
            self.calls
                .lock()
                .unwrap()
                .push((function, started.elapsed()));
            result
        })
    }
}

/// One measured run.
struct Run {
    verdict: String,
    /// Virtual time from start to end: how long the run lasts on AWS, waits included.
    lasted: Duration,
    cost: MeasuredCost,
    calls: Vec<(String, Duration)>,
}

async fn run_once(experiment: &Experiment, rto_seconds: f64, run_id: &str) -> Run {
    let bookstore = Bookstore::start().await;
    let config = &bookstore.sandbox.config;
    let dns = Route53Dns::from_config(config);
    let zone = dns
        .zone_id(BOOKSTORE_ZONE)
        .await
        .unwrap()
        .expect("the seed made the zone");
    for (name, target) in EXTRA_RECORDS {
        let record = RecordValues {
            record_type: "CNAME".into(),
            values: vec![target.into()],
            ttl: Some(60),
        };
        dns.upsert(&zone, name, &record, "cost bench")
            .await
            .unwrap();
    }
    let clock = VirtualClock::new(tuesday_afternoon());
    let settings = SdkSettings::sandbox(bookstore.sandbox.endpoint_url());
    let ports = Arc::new(AwsPorts::load(&settings, TABLE, clock.clone()).await);
    let phase_config = PhaseConfig {
        topic_arn: Some(bookstore.topic_arn.clone()),
        ..PhaseConfig::default()
    };
    let timed = Timed {
        functions: phase_functions(ports.clone(), Arc::new(phase_config)),
        calls: Mutex::new(Vec::new()),
    };
    let input = json!({
        "runId": run_id,
        "experiment": serde_json::to_value(experiment).unwrap(),
        "rtoSeconds": rto_seconds,
    });
    let execution = Engine::new(&timed, &clock)
        .execute(&experiment_machine().unwrap(), run_id, input)
        .await;
    let record = ports.clients.runs.get_run(run_id).await.unwrap();
    let verdict = record.map_or_else(
        || format!("no record ({:?})", execution.error),
        |r| r.status.to_string(),
    );
    let transitions = execution
        .history
        .iter()
        .filter(|e| e.kind.ends_with("StateEntered"))
        .count() as u64;
    // A retried Task is entered once but scheduled per attempt; each retry is a transition too.
    let scheduled = execution
        .history
        .iter()
        .filter(|e| e.kind == "TaskScheduled")
        .count() as u64;
    let tasks = execution
        .history
        .iter()
        .filter(|e| e.kind == "TaskStateEntered")
        .count() as u64;
    let calls = timed.calls.into_inner().unwrap();
    let durations: Vec<Duration> = calls.iter().map(|(_, d)| *d).collect();
    Run {
        verdict,
        lasted: (execution.stopped_at - execution.started_at)
            .to_std()
            .unwrap_or_default(),
        cost: priced(transitions + scheduled.saturating_sub(tasks), &durations),
        calls,
    }
}

/// The RTO of the experiment's dependency in the playbook beside it, for `withinRto`.
fn playbook_rto(file: &Path, experiment: &Experiment) -> f64 {
    let path = file.with_file_name("playbook.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (the RTO comes from it)", path.display()));
    let playbook = load_playbook(&path.display().to_string(), &text)
        .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    playbook
        .dependencies
        .iter()
        .find(|d| d.name == experiment.metadata.dependency)
        .unwrap_or_else(|| {
            panic!(
                "{}: no dependency {}",
                path.display(),
                experiment.metadata.dependency
            )
        })
        .rto
        .as_secs_f64()
}

fn usd(value: f64) -> String {
    format!("${value:.6}")
}

#[tokio::main]
async fn main() {
    let runs: usize = arg("--runs", 3);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let files: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--runs"))
        .map(|(_, a)| a)
        .collect();
    assert!(
        !files.is_empty(),
        "usage: cost_bench [--runs N] EXPERIMENT.yaml..."
    );

    let mut rows = Vec::new();
    let mut phases: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let experiment = load_experiment(file, &text).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        let rto = playbook_rto(Path::new(file), &experiment);
        let name = experiment.metadata.name.clone();
        let mut measured = Vec::new();
        for run in 1..=runs {
            let result = run_once(&experiment, rto, &format!("{name}-bench-{run}")).await;
            eprintln!(
                "{name} run {run}: {}, {} transitions, {} calls, {:.3} GB-s, {}",
                result.verdict,
                result.cost.state_transitions,
                result.cost.lambda_invocations,
                result.cost.lambda_gb_seconds,
                usd(result.cost.usd)
            );
            for (function, duration) in &result.calls {
                phases
                    .entry(function.clone())
                    .or_default()
                    .push(duration.as_secs_f64() * 1e3);
            }
            measured.push(result);
        }
        rows.push((experiment, measured));
    }

    println!(
        "| experiment | verdict | lasts (virtual time) | transitions | Lambda calls | billed GB-s | Step Functions | Lambda | gameday total | plan's upper bound | FIS action-min | FIS | FIS / gameday |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (experiment, measured) in &rows {
        // The run whose total is the median (runs differ only in the handlers' wall times).
        let mut by_cost: Vec<&Run> = measured.iter().collect();
        by_cost.sort_by(|a, b| a.cost.usd.total_cmp(&b.cost.usd));
        let run = by_cost[by_cost.len() / 2];
        let verdicts: Vec<&str> = measured.iter().map(|r| r.verdict.as_str()).collect();
        let minutes = fis_action_minutes_for_faults(experiment);
        let fis = fis_usd(minutes);
        println!(
            "| `{}` | {} | {} s | {} | {} | {:.4} | {} | {} | {} | {} | {minutes} | {} | {:.0}x |",
            experiment.metadata.name,
            verdicts.join(", "),
            run.lasted.as_secs(),
            run.cost.state_transitions,
            run.cost.lambda_invocations,
            run.cost.lambda_gb_seconds,
            usd(run.cost.step_functions_usd),
            usd(run.cost.lambda_usd),
            usd(run.cost.usd),
            usd(estimate(experiment).max_usd),
            usd(fis),
            fis / run.cost.usd
        );
    }
    println!();
    println!("Phase handler wall time per call, in-process against the sandbox, all runs:");
    println!();
    println!("| function | calls | median | p95 | max |");
    println!("|---|---:|---:|---:|---:|");
    for (function, samples) in &phases {
        let s = summarize(samples);
        println!(
            "| `{function}` | {} | {:.1} ms | {:.1} ms | {:.1} ms |",
            s.count, s.median, s.p95, s.max
        );
    }
    println!();
    println!(
        "Each row is the run with the median total of {runs} runs, {} build, sandbox moto {}.",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        gameday_sandbox::MOTO_VERSION
    );
}
