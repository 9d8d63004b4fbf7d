//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Chaos experiments and automated failover for AWS, proven with measured recovery.
///
/// Experiments are YAML or JSON files (see `gameday schema`). AWS is reached with the SDK's
/// usual settings (profiles, AWS_REGION); AWS_ENDPOINT_URL or --endpoint-url points every
/// client at another endpoint, such as the local sandbox (`gameday sandbox up`).
#[derive(Debug, Parser)]
#[command(name = "gameday", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check experiment files, failover policy files and playbooks, and list every error
    /// (exit 1 when any file is invalid).
    Validate {
        /// Experiment, failover policy or playbook files (.yaml, .yml or .json).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of experiment files, for editors and CI linters.
    Schema,
    /// Show exactly what a run would do, without doing it: the instances chosen and spared and
    /// why, every API call in order, the undo of each fault, the safety state and the cost.
    /// Exit 0 when the run would start, 1 when it would be refused, 2 on errors.
    Plan {
        /// The experiment file.
        file: PathBuf,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        playbook: PlaybookArgs,
    },
    /// Run an experiment now: its state machine on the embedded engine, the phases in-process,
    /// against the configured endpoint. Shows each state as it happens. Exit 0 on PASSED, 1 on
    /// FAILED or ABORTED (refused, stopped by a stop condition or the kill switch), 2 on ERRORED.
    Run {
        /// The experiment file.
        file: PathBuf,
        #[command(flatten)]
        args: RunArgs,
    },
    /// Show one run from the table: status, verdict and reasons, recovery, faults and undo.
    /// A run without a verdict whose driver is gone shows as INTERRUPTED, with the faults
    /// that may still be in effect and the `gameday rollback RUN` that finishes it. Exit
    /// codes as for `run` (2 for a run without a verdict).
    Status {
        /// The run id (printed by `run`, listed by `history`).
        run_id: String,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        table: TableArgs,
    },
    /// Finish a run whose driver was lost (`gameday status RUN` says INTERRUPTED: the
    /// process was killed, the machine slept, the terminal closed, the endpoint went away)
    /// or that is stuck in ROLLING_BACK. It runs the experiment state machine's rollback branch
    /// on the embedded engine with the same phase handlers: recover in rollback mode undoes
    /// every fault that may be in effect and releases the run's target locks, then validate
    /// records the verdict (ERRORED, "interrupted: driver lost at ...") and sends its message.
    /// A run that is still driven is refused (--force takes it over); a finished run has
    /// nothing to roll back. Exit 0 when the run ended with no fault left in effect (or had
    /// already ended), 1 when refused, 2 when the rollback could not finish (what is left is
    /// named).
    Rollback(crate::commands::rollback::RollbackArgs),
    /// List the latest runs of an experiment, newest first; runs whose driver is lost are
    /// marked INTERRUPTED.
    History {
        /// The experiment's `metadata.name`.
        experiment: String,
        /// How many runs to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        table: TableArgs,
    },
    /// Try any state machine definition on the embedded engine: `check` lists what it would
    /// refuse, `run` executes it with canned Task results or a Lambda Invoke endpoint.
    Sfn {
        #[command(subcommand)]
        action: crate::commands::sfn::SfnAction,
    },
    /// Alarm-driven failover: rehearse it (`drill`), read its ledger (`history`), check and
    /// publish policy files.
    Failover {
        #[command(subcommand)]
        action: crate::commands::failover::FailoverAction,
    },
    /// EventBridge Scheduler schedules for experiments with a `schedule:` section: `sync`
    /// makes them match the files (dry run unless --apply), `list` shows the next fire times
    /// and each experiment's cadence compliance.
    Schedule {
        #[command(subcommand)]
        action: crate::commands::schedule::ScheduleAction,
    },
    /// Write the resiliency report: one self-contained HTML page (no network needed to open
    /// it) with, per experiment, the pass rate and recovery seconds over time as charts (the
    /// RTO as a line), cadence compliance, the failover ledger with each measured RTO against
    /// its objective, and the aborted and errored runs with their reasons and undo. Reads the
    /// runs of the experiments in FILES and the ledger of the services of the failover policy
    /// files in FILES. Progress goes to stderr, the page's path to stdout; `--output json`
    /// prints the data the page is drawn from instead.
    Report(ReportArgs),
    /// The Bookstore example end to end, on this machine only: start the sandbox, seed the
    /// Bookstore environment, validate examples/bookstore, run the API-instance-failure
    /// experiment on the embedded engine (virtual clock), drill the API's failover with the
    /// loss of its primary, read the notifications back, write the evidence files, print the
    /// measured numbers, stop the sandbox. Progress on stderr, the summary on stdout. Exit 0
    /// only when every outcome was checked and as expected, 1 when one was not, 2 when a step
    /// could not run.
    Demo(crate::commands::demo::DemoArgs),
    /// DR playbooks: check them against the experiments and policies beside them, print their
    /// schema, render them as Markdown or HTML with each scenario's measured evidence.
    Playbook {
        #[command(subcommand)]
        action: crate::commands::playbook::PlaybookAction,
    },
    /// The stage (1-5) of the staged-resiliency model SERVICE has reached, judged on evidence:
    /// its playbook, its experiment and failover policy files, and the runs and failovers in
    /// the table; then what the next stage still needs. Exit 0, or 1 when below --min-stage;
    /// 2 on errors.
    Maturity(MaturityArgs),
    /// Run the local AWS sandbox (moto on 127.0.0.1) for trying gameday without an account.
    Sandbox {
        #[command(subcommand)]
        action: SandboxAction,
    },
}

#[derive(Debug, Args)]
pub struct AwsArgs {
    /// Send every AWS call to this endpoint (default: AWS_ENDPOINT_URL, or AWS itself).
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// AWS region (default: the SDK's, e.g. AWS_REGION).
    #[arg(long)]
    pub region: Option<String>,
    /// The SSM parameter that is the global kill switch.
    #[arg(long, env = "GAMEDAY_KILL_SWITCH_PARAMETER", default_value = gameday_aws::parameters::DEFAULT_KILL_SWITCH_PARAMETER)]
    pub kill_switch_parameter: String,
}

impl AwsArgs {
    pub fn settings(&self) -> gameday_aws::SdkSettings {
        gameday_aws::SdkSettings {
            endpoint_url: self.endpoint_url.clone(),
            region: self.region.clone(),
            timeouts: None,
        }
    }
}

#[derive(Debug, Args)]
pub struct PlaybookArgs {
    /// The service's DR playbook. A run is refused inside the criticality period of the
    /// experiment's dependency (or of a dependency that needs it), and the dependency's RTO
    /// judges `successCriteria.withinRto`. Default: `playbook.yaml` next to the experiment
    /// file, when there is one.
    #[arg(long)]
    pub playbook: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TableArgs {
    /// DynamoDB table of runs, locks and the failover ledger.
    #[arg(long = "table-name", env = "TABLE_NAME", default_value = gameday_aws::runs::DEFAULT_TABLE_NAME)]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub table: TableArgs,
    /// SNS topic for the run's messages (the experiment's `notify.topicArn` wins).
    #[arg(long, env = "TOPIC_ARN")]
    pub topic_arn: Option<String>,
    /// Use this run id (default: the experiment name and a random suffix).
    #[arg(long)]
    pub run_id: Option<String>,
    /// The dependency's RTO in seconds, for `successCriteria.withinRto` (default: the
    /// dependency's RTO in the playbook).
    #[arg(long)]
    pub rto_seconds: Option<f64>,
    #[command(flatten)]
    pub playbook: PlaybookArgs,
    /// Waits cost no real time: rehearse a long experiment in seconds. Sandbox only (a
    /// loopback endpoint); refused against a real account.
    #[arg(long)]
    pub virtual_clock: bool,
    /// Start the deployed experiment state machine instead (Step Functions + Lambda) and
    /// follow it through DescribeExecution and GetExecutionHistory.
    #[arg(
        long = "aws",
        requires = "state_machine_arn",
        conflicts_with = "virtual_clock"
    )]
    pub deployed: bool,
    /// The deployed experiment state machine, for --aws.
    #[arg(long, env = "GAMEDAY_STATE_MACHINE_ARN")]
    pub state_machine_arn: Option<String>,
    /// Seconds between two looks at a deployed execution.
    #[arg(long, default_value_t = 5)]
    pub poll_seconds: u64,
}

#[derive(Debug, Args)]
pub struct MaturityArgs {
    /// The service, as the playbook's and experiments' `metadata.service` name it.
    pub service: String,
    /// The service's playbook, experiment files and failover policy files, e.g.
    /// examples/bookstore/*.yaml. Without a playbook, stage 1 is not met.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// An experiment that a deploy pipeline runs as its gate (`functions/pipeline-gate`);
    /// repeat for each. Stage 5 needs one.
    #[arg(long = "gated", value_name = "EXPERIMENT")]
    pub gated: Vec<String>,
    /// Exit 1 when the service is below this stage (for a CI check).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=5), default_value_t = 0)]
    pub min_stage: u8,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Experiment files and failover policy files (`kind: FailoverPolicies`), e.g.
    /// examples/bookstore/*.yaml.
    pub files: Vec<PathBuf>,
    /// Only this service: experiments whose `metadata.service` it is, policies of this
    /// application or service. Alone, it reports that service's failover ledger.
    #[arg(long)]
    pub service: Option<String>,
    /// Where to write the HTML page [default: gameday-report.html; with --output json, no page
    /// unless --out is given].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Leave out runs and failovers before this date (YYYY-MM-DD, UTC) or RFC 3339 time.
    /// Cadence still counts the last exercise before it.
    #[arg(long)]
    pub since: Option<String>,
    /// The longest allowed gap between two exercises (the Stage 3 cadence: 4 to 5 weeks).
    #[arg(long, default_value_t = gameday_core::cadence::DEFAULT_MAX_INTERVAL_DAYS)]
    pub max_interval_days: i64,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(Debug, Subcommand)]
pub enum SandboxAction {
    /// Start the sandbox in the background (installs pinned moto on first use) and print its endpoint.
    Up,
    /// Stop the sandbox started by `up`.
    Down,
    /// Show whether the sandbox runs, and where.
    Status,
    /// Build the Bookstore environment in the running sandbox: a VPC with two subnets in two
    /// zones and a security group, the API primary and four opted-in API instances, a backup
    /// AMI and the bookstore-api-ec2 launch template, the bookstore.example.com zone with the
    /// API's A record, the Bookstore alarms (OK), the kill switch (off), the table, and the
    /// `gameday` SNS topic with an SQS queue subscribed. Seeding again creates nothing new.
    Seed {
        /// DynamoDB table for runs and locks.
        #[arg(long, env = "TABLE_NAME", default_value = gameday_aws::runs::DEFAULT_TABLE_NAME)]
        table_name: String,
    },
}
