//! Lambda wiring only; the handler is in lib.rs.
//!
//! Environment: `TABLE_NAME` (ledger, locks, stored policies), `TOPIC_ARN` (default topic),
//! `POLICY_FILE` (a policy file bundled with the function; without it policies are read from
//! the table, as stored by `gameday failover publish`).

use std::sync::Arc;

use failover::{Deps, FilePolicies, SystemTimer, TablePolicies};
use gameday_aws::SdkSettings;
use gameday_aws::buckets::S3Buckets;
use gameday_aws::config::load_sdk_config;
use gameday_aws::database::RdsFailover;
use gameday_aws::dns::Route53Dns;
use gameday_aws::launch::Ec2Failover;
use gameday_aws::ledger::DynamoLedger;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_current_span(true)
        .without_time()
        .init();
    let config = load_sdk_config(&SdkSettings::default()).await;
    let table = std::env::var("TABLE_NAME")
        .unwrap_or_else(|_| gameday_aws::runs::DEFAULT_TABLE_NAME.into());
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
    let file = match std::env::var("POLICY_FILE") {
        Ok(path) => {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
            let file =
                gameday_core::failover::load_failover_file(&path, &text).map_err(|errors| {
                    errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                })?;
            Some(FilePolicies(file))
        }
        Err(_) => None,
    };
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
