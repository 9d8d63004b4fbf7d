//! Lambda wiring only; the handler is in lib.rs.
//!
//! Environment: `TABLE_NAME` (runs table), `EXPERIMENT_STATE_MACHINE_ARN`,
//! `SUITE_STATE_MACHINE_ARN`, `BASELINE_MARGIN_PERCENT` (20), `BASELINE_RUNS` (5),
//! `GATE_TIMEOUT_MINUTES` (60).

use gameday_aws::SdkSettings;
use gameday_aws::config::load_sdk_config;
use gameday_aws::executions::SfnExecutions;
use gameday_aws::pipeline::CodePipelineJobs;
use gameday_aws::runs::{DEFAULT_TABLE_NAME, DynamoRunStore};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use pipeline_gate::{Gate, GateConfig};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    gameday_phases::lambda::init_tracing();
    let config = load_sdk_config(&SdkSettings::default()).await;
    let table = std::env::var("TABLE_NAME").unwrap_or_else(|_| DEFAULT_TABLE_NAME.into());
    let gate = Gate {
        executions: SfnExecutions::from_config(&config),
        runs: DynamoRunStore::new(aws_sdk_dynamodb::Client::new(&config), table),
        pipeline: CodePipelineJobs::from_config(&config),
        config: GateConfig::from_env(),
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let gate = &gate;
        async move { gate.handle(&event.payload, chrono::Utc::now()).await }
    }))
    .await
}
