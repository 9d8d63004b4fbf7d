//! The pipeline gate. Its settings are read by `pipeline_gate::GateConfig`.

use gameday_aws::SdkSettings;
use gameday_aws::config::load_sdk_config;
use gameday_aws::executions::SfnExecutions;
use gameday_aws::pipeline::CodePipelineJobs;
use gameday_aws::runs::DynamoRunStore;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use pipeline_gate::{Gate, GateConfig};
use serde_json::Value;

pub async fn serve() -> Result<(), Error> {
    let config = load_sdk_config(&SdkSettings::default()).await;
    let gate = Gate {
        executions: SfnExecutions::from_config(&config),
        runs: DynamoRunStore::new(aws_sdk_dynamodb::Client::new(&config), super::table_name()),
        pipeline: CodePipelineJobs::from_config(&config),
        config: GateConfig::from_env(),
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let gate = &gate;
        async move { gate.handle(&event.payload, chrono::Utc::now()).await }
    }))
    .await
}
