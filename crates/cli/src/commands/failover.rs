//! `gameday failover drill|history|validate|schema|publish`: rehearse the alarm-driven
//! failover of a service and read its ledger.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use failover::{Deps, FailoverReport, FilePolicies, SystemTimer, eventbridge_alarm_event};
use gameday_aws::AwsClients;
use gameday_aws::actions::InstanceActions;
use gameday_aws::alarms::AlarmWriter;
use gameday_aws::buckets::S3Buckets;
use gameday_aws::config::is_loopback;
use gameday_aws::config::load_sdk_config;
use gameday_aws::database::RdsFailover;
use gameday_aws::dns::Route53Dns;
use gameday_aws::launch::Ec2Failover;
use gameday_aws::launch::FailoverCompute;
use gameday_aws::ledger::{DynamoLedger, FailoverLedger, PolicyStore};
use gameday_core::failover::{
    FailoverFile, FailoverPolicy, LedgerEntry, Outcome, Procedure, QUARANTINE_TAG_KEY, StepStatus,
    failover_schema, load_failover_file,
};

use super::validate::read_text;
use crate::cli::{AwsArgs, OutputFormat};
use crate::output::emit;

const DEFAULT_FILE: &str = "examples/bookstore/failover.yaml";

#[derive(Debug, Subcommand)]
pub enum FailoverAction {
    /// Rehearse a service's failover: force its alarm to ALARM (SetAlarmState), deliver the
    /// alarm event to the failover handler in this process, show each step as it happens, and
    /// print the ledger entry with the RTO verdict. Runs against AWS_ENDPOINT_URL /
    /// --endpoint-url (the sandbox) or the account of your credentials (use a staging one).
    /// Exit 0 when the service failed over or was restored within its RTO, 1 otherwise.
    Drill {
        /// The service, as named in the policy file (e.g. bookstore-api).
        service: String,
        /// The failover policy file.
        #[arg(long, short, default_value = DEFAULT_FILE)]
        file: PathBuf,
        /// DynamoDB table for the ledger and the lock.
        #[arg(long, env = "TABLE_NAME", default_value = gameday_aws::runs::DEFAULT_TABLE_NAME)]
        table_name: String,
        /// SNS topic for the failover message when the file names none.
        #[arg(long, env = "TOPIC_ARN")]
        topic_arn: Option<String>,
        /// Deliver the event without forcing the alarm first.
        #[arg(long)]
        no_set_alarm: bool,
        /// Rehearse the complete loss of the primary (the playbook's "instance has completely
        /// failed"): terminate the one running primary of an ec2 policy before the alarm, so
        /// the drill relaunches, moves DNS and measures the RTO. Sandbox only (a loopback
        /// endpoint). Without it a healthy primary cancels the failover, as it should.
        #[arg(long)]
        lose_primary: bool,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Show a service's failover ledger, newest first.
    History {
        service: String,
        /// At most this many entries.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long, env = "TABLE_NAME", default_value = gameday_aws::runs::DEFAULT_TABLE_NAME)]
        table_name: String,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Check failover policy files and list every error (exit 1 when any file is invalid).
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of failover policy files.
    Schema,
    /// Store a policy file's policies in the table, where the failover function reads them
    /// (one item per alarm).
    Publish {
        #[arg(default_value = DEFAULT_FILE)]
        file: PathBuf,
        #[arg(long, env = "TABLE_NAME", default_value = gameday_aws::runs::DEFAULT_TABLE_NAME)]
        table_name: String,
        #[command(flatten)]
        aws: AwsArgs,
    },
}

pub async fn run(action: FailoverAction, format: OutputFormat) -> ExitCode {
    match action {
        FailoverAction::Drill {
            service,
            file,
            table_name,
            topic_arn,
            no_set_alarm,
            lose_primary,
            aws,
        } => {
            let request = DrillRequest {
                service: &service,
                file: &file,
                table: &table_name,
                topic_arn,
                set_alarm: !no_set_alarm,
                lose_primary,
                aws: &aws,
                echo: if format == OutputFormat::Text {
                    Echo::Stdout
                } else {
                    Echo::Off
                },
            };
            drill(request, format).await
        }
        FailoverAction::History {
            service,
            limit,
            table_name,
            aws,
        } => history(&service, limit, &table_name, &aws, format).await,
        FailoverAction::Validate { files } => validate(&files, format),
        FailoverAction::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(failover_schema()).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        FailoverAction::Publish {
            file,
            table_name,
            aws,
        } => publish(&file, &table_name, &aws, format).await,
    }
}

fn read_file(file: &Path) -> Result<FailoverFile, Vec<String>> {
    let name = file.display().to_string();
    let text = read_text(file)
        .map_err(|errors| errors.iter().map(|e| e.to_string()).collect::<Vec<_>>())?;
    load_failover_file(&name, &text)
        .map_err(|errors| errors.iter().map(|e| e.to_string()).collect())
}

fn validate(files: &[PathBuf], format: OutputFormat) -> ExitCode {
    let mut problems = Vec::new();
    for file in files {
        if let Err(errors) = read_file(file) {
            problems.extend(errors);
        }
    }
    let report = serde_json::json!({"valid": problems.is_empty(), "errors": problems});
    emit(format, &report, |_| {
        for problem in &problems {
            eprintln!("{problem}");
        }
        if problems.is_empty() {
            println!("{} failover file(s) valid", files.len());
        }
    });
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// What a drill is asked to do.
pub(crate) struct DrillRequest<'a> {
    pub service: &'a str,
    pub file: &'a Path,
    pub table: &'a str,
    pub topic_arn: Option<String>,
    /// Force the alarm to ALARM before delivering its event.
    pub set_alarm: bool,
    /// Terminate the primary first (sandbox only): the playbook's "instance completely
    /// failed" scenario.
    pub lose_primary: bool,
    pub aws: &'a AwsArgs,
    /// Where each step is shown as it happens.
    pub echo: Echo,
}

/// Where progress lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Echo {
    Stdout,
    Stderr,
    Off,
}

impl Echo {
    pub fn line(self, text: &str) {
        match self {
            Echo::Stdout => println!("{text}"),
            Echo::Stderr => eprintln!("{text}"),
            Echo::Off => {}
        }
    }
}

/// A finished drill: the handler's report and the service's ledger entry.
pub(crate) struct Drill {
    pub report: FailoverReport,
    pub entry: LedgerEntry,
    /// The primary terminated by `lose_primary`.
    pub lost_primary: Option<String>,
}

impl Drill {
    /// Failed over or restored, and within the RTO when one was measured.
    pub fn passed(&self) -> bool {
        matches!(self.entry.outcome, Outcome::FailedOver | Outcome::Restored)
            && self.entry.rto.as_ref().is_none_or(|r| r.met)
    }
}

async fn drill(request: DrillRequest<'_>, format: OutputFormat) -> ExitCode {
    match run_drill(request).await {
        Ok(drill) => {
            emit(format, &drill.report, |_| print_verdict(&drill.entry));
            if drill.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(message) => super::fail(message),
    }
}

/// Rehearses one service's failover: optionally loses its primary, forces its alarm, delivers
/// the alarm event to the failover handler in this process. `Err` when it could not run.
pub(crate) async fn run_drill(request: DrillRequest<'_>) -> Result<Drill, String> {
    let DrillRequest {
        service,
        file,
        table,
        topic_arn,
        set_alarm,
        lose_primary,
        aws,
        echo,
    } = request;
    let policies = read_file(file).map_err(|errors| errors.join("\n"))?;
    let Some(policy) = policies.policy_for_service(service).cloned() else {
        let known: Vec<&str> = policies
            .policies
            .iter()
            .map(|p| p.service.as_str())
            .collect();
        return Err(format!(
            "{} has no policy for service `{service}`; it has: {}",
            file.display(),
            known.join(", ")
        ));
    };
    let alarm = policy.alarms[0].clone();
    let config = load_sdk_config(&aws.settings()).await;
    let region = config
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-west-2".into());
    let clients = AwsClients::new(&config, table);
    let compute = Ec2Failover::from_config(&config);
    echo.line(&format!(
        "drill: {service} ({} procedure, dependency {}, RTO {})",
        policy.procedure.kind(),
        policy.dependency,
        policy.rto
    ));
    let lost_primary = if lose_primary {
        let lost = terminate_primary(&policy, aws, &compute, &clients).await?;
        echo.line(&format!("  primary {lost} terminated (--lose-primary)"));
        Some(lost)
    } else {
        None
    };
    if set_alarm {
        let reason = format!("gameday failover drill of {service}");
        clients
            .alarms
            .set_alarm_state(&alarm, "ALARM", &reason)
            .await
            .map_err(|error| format!(
                "could not set alarm {alarm} to ALARM: {error}; create the alarm (on the sandbox: `gameday sandbox seed`) or pass --no-set-alarm"
            ))?;
        echo.line(&format!("  alarm {alarm} set to ALARM"));
    }
    let alarm_at = chrono::Utc::now();
    let event = eventbridge_alarm_event(
        &alarm,
        &region,
        "123456789012",
        alarm_at,
        "gameday failover drill",
    );
    let observer: failover::StepObserver = Arc::new(move |_entry: &LedgerEntry, step| {
        let mark = match step.status {
            StepStatus::Done => "ok",
            StepStatus::Skipped => "--",
            StepStatus::Failed => "!!",
        };
        echo.line(&format!(
            "  {} [{mark}] {:<20} {}",
            step.at.format("%H:%M:%S%.3f"),
            step.step.as_str(),
            step.detail
        ));
    });
    let deps = Deps {
        compute,
        dns: Route53Dns::from_config(&config),
        ledger: DynamoLedger::from_config(&config, table),
        notifier: clients.notifier.clone(),
        http: clients.http.clone(),
        database: RdsFailover::from_config(&config),
        buckets: S3Buckets::from_config(&config),
        timer: Arc::new(SystemTimer),
        default_topic: topic_arn,
        observer: Some(observer),
    };
    let report: FailoverReport = deps
        .handle(&FilePolicies(policies), &event)
        .await
        .map_err(|error| format!("{}: {error}", error.asl_name()))?;
    let Some(entry) = report.entries.first().cloned() else {
        return Err(format!(
            "the handler did nothing: {}",
            report.ignored.join("; ")
        ));
    };
    Ok(Drill {
        report,
        entry,
        lost_primary,
    })
}

/// Terminates the one running primary of an `ec2` policy, so the drill rehearses its complete
/// loss. Sandbox only: it refuses any endpoint that is not loopback.
async fn terminate_primary(
    policy: &FailoverPolicy,
    aws: &AwsArgs,
    compute: &Ec2Failover,
    clients: &AwsClients,
) -> Result<String, String> {
    if !aws.endpoint_url.as_deref().is_some_and(is_loopback) {
        return Err(
            "--lose-primary terminates an instance, so it only runs against the local sandbox \
             (a loopback --endpoint-url); on an account, stop the primary yourself and drill \
             without it"
                .into(),
        );
    }
    let Procedure::Ec2(procedure) = &policy.procedure else {
        return Err(format!(
            "--lose-primary is supported for ec2 procedures only; {} has a {} procedure",
            policy.service,
            policy.procedure.kind()
        ));
    };
    let running: Vec<String> = match &procedure.primary.instance_id {
        Some(id) => vec![id.clone()],
        None => compute
            .find_tagged(&procedure.primary.tags)
            .await
            .map_err(|e| format!("finding the primary of {}: {e}", policy.service))?
            .into_iter()
            .filter(|i| i.is_running() && !i.tags.contains_key(QUARANTINE_TAG_KEY))
            .map(|i| i.instance_id)
            .collect(),
    };
    let [primary] = running.as_slice() else {
        return Err(format!(
            "--lose-primary needs exactly one running primary of {}; found {} ({})",
            policy.service,
            running.len(),
            running.join(", ")
        ));
    };
    clients
        .actions
        .terminate(std::slice::from_ref(primary))
        .await
        .map_err(|e| format!("terminating the primary {primary}: {e}"))?;
    Ok(primary.clone())
}

pub(crate) fn print_verdict(entry: &LedgerEntry) {
    println!();
    println!("{}", entry.summary());
    if let (Some(old), Some(new)) = (&entry.old_record, &entry.new_record) {
        println!(
            "  DNS {} {} -> {}",
            new.record_type,
            old.values.join(", "),
            new.values.join(", ")
        );
    }
    match &entry.rto {
        Some(rto) => println!(
            "  RTO verdict: {} (measured {:.1} s from the alarm to the change INSYNC, objective {:.0} s)",
            if rto.met { "MET" } else { "MISSED" },
            rto.measured_seconds,
            rto.objective_seconds
        ),
        None => println!("  RTO verdict: not measured ({})", entry.outcome),
    }
}

async fn history(
    service: &str,
    limit: usize,
    table: &str,
    aws: &AwsArgs,
    format: OutputFormat,
) -> ExitCode {
    let config = load_sdk_config(&aws.settings()).await;
    let ledger = DynamoLedger::from_config(&config, table);
    let entries = match ledger.entries(service, limit).await {
        Ok(entries) => entries,
        Err(error) => return super::fail(error),
    };
    emit(format, &entries, |entries| {
        if entries.is_empty() {
            println!("no failover of {service} is recorded in table {table}");
        }
        for entry in entries {
            let rto = entry.rto.as_ref().map_or("-".to_string(), |r| r.verdict());
            println!(
                "{}  {:<11}  RTO {:<24}  {}",
                entry.received_at.format("%Y-%m-%d %H:%M:%S"),
                entry.outcome.as_str(),
                rto,
                entry.failover_id
            );
            if let Some(failure) = &entry.failure {
                println!("    failed at {}: {}", failure.step, failure.error);
            }
        }
    });
    ExitCode::SUCCESS
}

async fn publish(file: &Path, table: &str, aws: &AwsArgs, format: OutputFormat) -> ExitCode {
    let policies = match read_file(file) {
        Ok(policies) => policies,
        Err(errors) => {
            errors.iter().for_each(|e| eprintln!("{e}"));
            return ExitCode::from(super::EXIT_ERROR);
        }
    };
    let config = load_sdk_config(&aws.settings()).await;
    let store = DynamoLedger::from_config(&config, table);
    for policy in &policies.policies {
        if let Err(error) = store.put_policy(&policies.resolved(policy)).await {
            return super::fail(error);
        }
    }
    let services: Vec<&str> = policies
        .policies
        .iter()
        .map(|p| p.service.as_str())
        .collect();
    emit(
        format,
        &serde_json::json!({"table": table, "services": services}),
        |_| println!("stored the policies of {} in {table}", services.join(", ")),
    );
    ExitCode::SUCCESS
}
