//! `gameday demo`: the Bookstore example end to end on one machine. It starts the sandbox,
//! seeds the Bookstore environment, validates the Bookstore files, runs the API-instance-failure
//! experiment through the experiment state machine on the embedded engine (virtual clock), runs
//! the API's failover drill with the loss of its primary, reads the notifications back, writes
//! the evidence files and prints what was measured. Every outcome is checked; one that is not
//! as expected makes the exit code 1.

mod checks;
mod documents;
mod summary;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Args;
use gameday_aws::config::load_sdk_config;
use gameday_aws::dns::{DnsReader, Route53Dns};
use gameday_aws::launch::Ec2Failover;
use gameday_aws::ledger::{DynamoLedger, FailoverLedger};
use gameday_aws::sandbox_seed::{
    BOOKSTORE_API_RECORD, BOOKSTORE_ZONE, BookstoreFleet, receive_notifications, seed_bookstore,
};
use gameday_aws::{SdkSettings, runs::DEFAULT_TABLE_NAME};
use gameday_engine::VirtualClock;
use gameday_sandbox::Sandbox;

use super::failover::{DrillRequest, Echo, run_drill};
use super::run::{InputError, execute, experiment_input};
use crate::cli::{AwsArgs, OutputFormat, PlaybookArgs, RunArgs, TableArgs};
use checks::Checks;
use summary::{DemoSummary, DnsChange, RunSummary};

/// The experiment and the failover service the demo exercises.
const EXPERIMENT_FILE: &str = "api-instance-failure.yaml";
const FAILOVER_FILE: &str = "failover.yaml";
const API_SERVICE: &str = "bookstore-api";
/// How long to wait for the notifications SNS delivers to the queue.
const NOTIFICATION_WAIT: Duration = Duration::from_secs(3);

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the evidence files go (created if missing): the run record, the failover ledger,
    /// the notifications received and the summary, as JSON.
    #[arg(long, default_value = "gameday-demo")]
    pub out_dir: PathBuf,
    /// The Bookstore folder: its experiments and failover.yaml.
    #[arg(long, default_value = "examples/bookstore")]
    pub examples: PathBuf,
    /// Leave the sandbox running afterwards, detached as `gameday sandbox up` starts it (stop
    /// it with `gameday sandbox down`). By default the demo starts its own sandbox and stops it.
    #[arg(long)]
    pub keep_sandbox: bool,
    /// DynamoDB table for runs, locks and the failover ledger.
    #[arg(long = "table-name", default_value = DEFAULT_TABLE_NAME)]
    pub table_name: String,
}

/// The sandbox the demo runs in: its own (stopped when dropped), or the detached one.
enum DemoSandbox {
    Own(Sandbox),
    Detached(gameday_sandbox::SandboxState),
}

impl DemoSandbox {
    fn endpoint_url(&self) -> &str {
        match self {
            DemoSandbox::Own(sandbox) => sandbox.endpoint_url(),
            DemoSandbox::Detached(state) => &state.endpoint_url,
        }
    }
}

fn progress(text: &str) {
    eprintln!("demo: {text}");
}

pub async fn run(args: &DemoArgs, format: OutputFormat) -> ExitCode {
    let started = Instant::now();
    // The files first: a wrong folder is reported before anything starts.
    let files = match bookstore_files(&args.examples) {
        Ok(files) => files,
        Err(message) => return super::fail(message),
    };
    let api_rto = match api_rto_seconds(&args.examples.join(FAILOVER_FILE)) {
        Ok(rto) => rto,
        Err(message) => return super::fail(message),
    };
    progress("starting the sandbox (moto on 127.0.0.1)");
    let keep = args.keep_sandbox;
    let sandbox = tokio::task::spawn_blocking(move || {
        if keep {
            gameday_sandbox::up().map(DemoSandbox::Detached)
        } else {
            Sandbox::start().map(DemoSandbox::Own)
        }
    })
    .await;
    let sandbox = match sandbox {
        Ok(Ok(sandbox)) => sandbox,
        Ok(Err(error)) => return super::fail(format!("the sandbox did not start: {error}")),
        Err(error) => return super::fail(format!("the sandbox did not start: {error}")),
    };
    let outcome = demo(args, &files, api_rto, sandbox.endpoint_url(), started).await;
    if !keep {
        progress("stopping the sandbox");
    }
    drop(sandbox);
    match outcome {
        Ok(mut summary) => {
            summary.wall_seconds = started.elapsed().as_secs_f64();
            summary.kept_sandbox = keep;
            summary.emit(format);
            if summary.passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(message) => super::fail(message),
    }
}

/// Every step after the sandbox is up. `Err` when a step could not run at all; a step that
/// ran with an unexpected outcome is a failed check in the summary.
async fn demo(
    args: &DemoArgs,
    files: &[PathBuf],
    api_rto: f64,
    endpoint: &str,
    started: Instant,
) -> Result<DemoSummary, String> {
    let config = load_sdk_config(&SdkSettings::sandbox(endpoint)).await;
    let table = args.table_name.as_str();
    let mut checks = Checks::default();

    progress(&format!("seeding the Bookstore environment at {endpoint}"));
    let fleet = seed_bookstore(&config, endpoint, table)
        .await
        .map_err(|e| format!("seeding the sandbox: {e}"))?;

    progress(&format!(
        "validating {} file(s) in {}",
        files.len(),
        args.examples.display()
    ));
    let validation = super::validate::check_files(files);
    for error in &validation.errors {
        eprintln!("{error}");
    }
    checks.expect(
        "the Bookstore files are valid",
        validation.errors.is_empty(),
        format!(
            "{} valid, {} error(s)",
            validation.valid.len(),
            validation.errors.len()
        ),
    );

    let aws = AwsArgs {
        endpoint_url: Some(endpoint.to_string()),
        region: Some(gameday_aws::config::SANDBOX_REGION.to_string()),
        kill_switch_parameter: gameday_aws::parameters::DEFAULT_KILL_SWITCH_PARAMETER.into(),
    };
    let failover_file = args.examples.join(FAILOVER_FILE);
    let run = run_experiment(args, &aws, &fleet, api_rto).await?;
    checks.expect(
        "the experiment's verdict is PASSED",
        run.status == "PASSED",
        format!("run {} ended {}", run.run_id, run.status),
    );

    let dns = Route53Dns::from_config(&config);
    let before = record_values(&dns).await?;
    progress(&format!(
        "failover drill of {API_SERVICE}: the primary {} is lost, its alarm fires",
        fleet.primary
    ));
    let drill = run_drill(DrillRequest {
        service: API_SERVICE,
        file: &failover_file,
        table,
        topic_arn: Some(fleet.topic_arn.clone()),
        set_alarm: true,
        lose_primary: true,
        aws: &aws,
        echo: Echo::Stderr,
    })
    .await?;
    checks.expect(
        "the failover drill failed over within the RTO",
        drill.passed(),
        drill.entry.summary(),
    );
    let after = record_values(&dns).await?;
    let replacement_address = checks::replacement_address(
        &Ec2Failover::from_config(&config),
        drill.entry.replacement.as_deref(),
    )
    .await?;
    checks.expect_record_moved(&before, &after, replacement_address.as_deref());

    let stored = DynamoLedger::from_config(&config, table)
        .entries(API_SERVICE, 20)
        .await
        .map_err(|e| format!("reading the failover ledger: {e}"))?
        .into_iter()
        .find(|e| e.failover_id == drill.entry.failover_id);
    checks.expect_complete_ledger(stored.as_ref(), &drill.entry);

    progress("reading the notifications the SQS subscriber received");
    let notifications = receive_notifications(&config, &fleet.queue_url, 100, NOTIFICATION_WAIT)
        .await
        .map_err(|e| format!("reading {}: {e}", fleet.queue_url))?;
    checks.expect_notifications(&notifications, &run.run_id, &drill.entry.failover_id);

    progress("rendering the playbook with its evidence, and the report");
    let experiment = run
        .record
        .as_ref()
        .map_or_else(String::new, |r| r.experiment.clone());
    let documents = documents::write(
        &args.examples,
        files,
        &args.out_dir,
        (&config, &aws, table),
        documents::Expected {
            experiment: &experiment,
            run_id: &run.run_id,
            failover_id: &drill.entry.failover_id,
        },
        &mut checks,
    )
    .await?;

    let mut summary = DemoSummary {
        endpoint_url: endpoint.to_string(),
        kept_sandbox: args.keep_sandbox,
        environment: super::sandbox::fleet_json(&fleet),
        validated: validation.valid,
        run,
        dns: DnsChange {
            record: BOOKSTORE_API_RECORD.into(),
            before,
            after,
            replacement: drill.entry.replacement.clone(),
            replacement_address,
        },
        failover: stored.unwrap_or_else(|| drill.entry.clone()),
        lost_primary: drill.lost_primary.clone(),
        notifications,
        files: Vec::new(),
        checks: Vec::new(),
        passed: false,
        wall_seconds: started.elapsed().as_secs_f64(),
    };
    progress(&format!(
        "writing the evidence to {}",
        args.out_dir.display()
    ));
    let mut written = summary.write_files(&args.out_dir);
    written.extend(documents);
    checks.expect_files(&written);
    summary.files = written.into_iter().map(|(path, _)| path).collect();
    summary.passed = checks.all_passed();
    summary.checks = checks.into_list();
    // Last, so the file holds every check; the wall time printed at the end is a little later.
    match summary.write_summary(&args.out_dir) {
        Ok(path) => summary.files.push(path),
        Err(error) => {
            eprintln!("demo:   [!!] the summary file is not written: {error}");
            summary.passed = false;
        }
    }
    Ok(summary)
}

/// Every `.yaml`/`.yml` file of the Bookstore folder, sorted.
fn bookstore_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        format!(
            "cannot read the Bookstore folder {}: {e}; run the demo from the repository root or pass --examples DIR",
            dir.display()
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    for needed in [EXPERIMENT_FILE, FAILOVER_FILE] {
        if !files
            .iter()
            .any(|f| f.file_name().is_some_and(|n| n == needed))
        {
            return Err(format!(
                "{} has no {needed}; pass the Bookstore folder with --examples DIR",
                dir.display()
            ));
        }
    }
    Ok(files)
}

/// The API's RTO from the failover policy file, for the experiment's `withinRto`.
fn api_rto_seconds(file: &Path) -> Result<f64, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let policies = gameday_core::failover::load_failover_file(&file.display().to_string(), &text)
        .map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    policies
        .policy_for_service(API_SERVICE)
        .map(|p| p.rto.as_duration().as_secs_f64())
        .ok_or_else(|| format!("{} has no policy for {API_SERVICE}", file.display()))
}

/// The experiment through the state machine on the engine, with the virtual clock: the same
/// path as `gameday run --virtual-clock`.
async fn run_experiment(
    args: &DemoArgs,
    aws: &AwsArgs,
    fleet: &BookstoreFleet,
    api_rto: f64,
) -> Result<RunSummary, String> {
    let file = args.examples.join(EXPERIMENT_FILE);
    let run_id = format!(
        "demo-api-instance-failure-{}",
        Utc::now().format("%Y%m%dT%H%M%S")
    );
    // The playbook beside the experiment applies, as it does for `gameday run`.
    let (run_id, input) = experiment_input(&file, Some(run_id), Some(api_rto), None).map_err(
        |error| match error {
            InputError::Invalid(errors) => errors.join("\n"),
            InputError::Refused(why) => format!("{}: refused: {why}", file.display()),
        },
    )?;
    progress(&format!(
        "running {} on the embedded engine (virtual clock)",
        file.display()
    ));
    let run_args = RunArgs {
        aws: AwsArgs {
            endpoint_url: aws.endpoint_url.clone(),
            region: aws.region.clone(),
            kill_switch_parameter: aws.kill_switch_parameter.clone(),
        },
        table: TableArgs {
            name: args.table_name.clone(),
        },
        topic_arn: Some(fleet.topic_arn.clone()),
        run_id: Some(run_id.clone()),
        rto_seconds: Some(api_rto),
        playbook: PlaybookArgs { playbook: None },
        virtual_clock: true,
        deployed: false,
        state_machine_arn: None,
        poll_seconds: 5,
    };
    let report = execute(
        VirtualClock::new(Utc::now()),
        false,
        &run_args,
        &run_id,
        input,
    )
    .await?;
    Ok(RunSummary::of(&report))
}

async fn record_values(dns: &Route53Dns) -> Result<Vec<String>, String> {
    dns.record_values(BOOKSTORE_ZONE, BOOKSTORE_API_RECORD, "A")
        .await
        .map(Option::unwrap_or_default)
        .map_err(|e| format!("reading {BOOKSTORE_API_RECORD}: {e}"))
}
