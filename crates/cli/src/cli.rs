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
    /// Exit codes as for `run`.
    Status {
        /// The run id (printed by `run`, listed by `history`).
        run_id: String,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        table: TableArgs,
    },
    /// List the latest runs of an experiment, newest first.
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
    /// DR playbooks: check them against the experiments and policies beside them, print their
    /// schema, render them as Markdown or HTML with each scenario's measured evidence.
    Playbook {
        #[command(subcommand)]
        action: crate::commands::playbook::PlaybookAction,
    },
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

#[derive(Debug, Subcommand)]
pub enum SandboxAction {
    /// Start the sandbox in the background (installs pinned moto on first use) and print its endpoint.
    Up,
    /// Stop the sandbox started by `up`.
    Down,
    /// Show whether the sandbox runs, and where.
    Status,
    /// Create the Bookstore fleet in the running sandbox: five API instances (four opted in),
    /// their alarms, the kill switch parameter, the table, and the API's DNS record in the
    /// bookstore.example.com zone.
    Seed {
        /// DynamoDB table for runs and locks.
        #[arg(long, env = "TABLE_NAME", default_value = gameday_aws::runs::DEFAULT_TABLE_NAME)]
        table_name: String,
    },
}
