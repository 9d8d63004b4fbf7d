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
    /// Check experiment files and list every error (exit 1 when any file is invalid).
    Validate {
        /// Experiment files (.yaml, .yml or .json).
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
    },
    /// Alarm-driven failover: rehearse it (`drill`), read its ledger (`history`), check and
    /// publish policy files.
    Failover {
        #[command(subcommand)]
        action: crate::commands::failover::FailoverAction,
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

#[derive(Debug, Subcommand)]
pub enum SandboxAction {
    /// Start the sandbox in the background (installs pinned moto on first use) and print its endpoint.
    Up,
    /// Stop the sandbox started by `up`.
    Down,
    /// Show whether the sandbox runs, and where.
    Status,
    /// Create the Bookstore fleet in the running sandbox: five API instances (four opted in),
    /// their alarms, the kill switch parameter and the table.
    Seed {
        /// DynamoDB table for runs and locks.
        #[arg(long, env = "TABLE_NAME", default_value = gameday_aws::runs::DEFAULT_TABLE_NAME)]
        table_name: String,
    },
}
