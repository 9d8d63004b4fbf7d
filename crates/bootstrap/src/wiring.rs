//! Each handler's collaborators, built from the function's environment, and its Lambda loop.
//! Only the SDK clients of the chosen handler are created.
//!
//! Environment: `TABLE_NAME` (every handler), `TOPIC_ARN`, and the phases' own settings
//! (`gameday_phases::PhaseConfig`); failover also reads `POLICY_FILE` (a policy file bundled with
//! the function; without it policies are read from the table, as `gameday failover publish`
//! stores them); the gate reads its settings in `pipeline_gate::GateConfig`.

use std::future::Future;
use std::sync::Arc;

use failover::{Deps, FilePolicies, SystemTimer, TablePolicies};
use gameday_aws::SdkSettings;
use gameday_aws::buckets::S3Buckets;
use gameday_aws::config::load_sdk_config;
use gameday_aws::database::RdsFailover;
use gameday_aws::dns::Route53Dns;
use gameday_aws::executions::SfnExecutions;
use gameday_aws::launch::Ec2Failover;
use gameday_aws::ledger::DynamoLedger;
use gameday_aws::pipeline::CodePipelineJobs;
use gameday_aws::runs::{DEFAULT_TABLE_NAME, DynamoRunStore};
use gameday_phases::lambda::{AwsPorts, ports_from_env};
use gameday_phases::{PhaseConfig, PhaseError, RunState};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use pipeline_gate::{Gate, GateConfig};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::handler::Handler;

/// Serves `handler` until the Lambda runtime stops.
pub async fn run(handler: Handler) -> Result<(), Error> {
    match handler {
        Handler::Prepare => serve_phase(prepare::handle).await,
        Handler::Inject => serve_phase(inject::handle).await,
        Handler::Observe => serve_phase(observe::handle).await,
        Handler::Recover => serve_phase(recover::handle).await,
        Handler::Validate => serve_phase(validate::handle).await,
        Handler::Failover => serve_failover().await,
        Handler::PipelineGate => serve_gate().await,
    }
}

fn table_name() -> String {
    std::env::var("TABLE_NAME").unwrap_or_else(|_| DEFAULT_TABLE_NAME.into())
}

/// An experiment phase: the ports and configuration live as long as the process (a Lambda
/// execution environment), so they are leaked once rather than threaded through lifetimes.
async fn serve_phase<I, F, Fut>(handle: F) -> Result<(), Error>
where
    I: DeserializeOwned,
    F: Fn(&'static AwsPorts, &'static PhaseConfig, I) -> Fut,
    Fut: Future<Output = Result<RunState, PhaseError>>,
{
    let ports: &'static AwsPorts = Box::leak(Box::new(ports_from_env().await));
    let config: &'static PhaseConfig = Box::leak(Box::new(PhaseConfig::from_env()));
    lambda_runtime::run(service_fn(|event: LambdaEvent<I>| {
        handle(ports, config, event.payload)
    }))
    .await
}

async fn serve_failover() -> Result<(), Error> {
    let config = load_sdk_config(&SdkSettings::default()).await;
    let table = table_name();
    let clients = gameday_aws::AwsClients::new(&config, &table);
    let deps = Deps {
        compute: Ec2Failover::from_config(&config),
        dns: Route53Dns::from_config(&config),
        ledger: DynamoLedger::from_config(&config, &table),
        notifier: clients.notifier.clone(),
        http: clients.http.clone(),
        database: RdsFailover::from_config(&config),
        buckets: S3Buckets::from_config(&config),
        timer: Arc::new(SystemTimer),
        default_topic: std::env::var("TOPIC_ARN").ok().filter(|t| !t.is_empty()),
        observer: None,
    };
    let file = bundled_policies()?;
    let table_policies = TablePolicies(DynamoLedger::from_config(&config, &table));
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let (deps, file, table_policies) = (&deps, &file, &table_policies);
        async move {
            match file {
                Some(file) => deps.handle(file, &event.payload).await,
                None => deps.handle(table_policies, &event.payload).await,
            }
        }
    }))
    .await
}

/// The policy file named by `POLICY_FILE`, when the function bundles one; every error of the
/// file is reported, so one deploy fixes them all.
fn bundled_policies() -> Result<Option<FilePolicies>, Error> {
    let Ok(path) = std::env::var("POLICY_FILE") else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
    let file = gameday_core::failover::load_failover_file(&path, &text).map_err(|errors| {
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    Ok(Some(FilePolicies(file)))
}

async fn serve_gate() -> Result<(), Error> {
    let config = load_sdk_config(&SdkSettings::default()).await;
    let gate = Gate {
        executions: SfnExecutions::from_config(&config),
        runs: DynamoRunStore::new(aws_sdk_dynamodb::Client::new(&config), table_name()),
        pipeline: CodePipelineJobs::from_config(&config),
        config: GateConfig::from_env(),
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let gate = &gate;
        async move { gate.handle(&event.payload, chrono::Utc::now()).await }
    }))
    .await
}
