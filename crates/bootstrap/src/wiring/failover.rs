//! The failover function. Environment: `TOPIC_ARN` (the default topic) and `POLICY_FILE` (a
//! policy file bundled with the function; without it policies are read from the table, as
//! `gameday failover publish` stores them).

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

pub async fn serve() -> Result<(), Error> {
    let config = load_sdk_config(&SdkSettings::default()).await;
    let table = super::table_name();
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
